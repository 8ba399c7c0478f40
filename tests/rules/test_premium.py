"""Household premium: worked examples of each period and every boundary date."""

import datetime as dt
from decimal import Decimal

import pytest

from everydoor.core.errors import EverydoorError
from everydoor.rules.premium import Member, household_premium

D = dt.date


def monthly(on, members):
    return [m.monthly_net for m in household_premium(on, members, months=12).members]


@pytest.mark.parametrize(("on", "expected"), [
    (D(2019, 7, 1), [67_050, 46_935, 40_230, 33_525, 26_820]),
    (D(2023, 6, 30), [67_050, 46_935, 40_230, 33_525, 26_820]),
    (D(2023, 7, 1), [81_000, 56_700, 48_600, 40_500, 32_400]),
    (D(2024, 6, 30), [81_000, 56_700, 48_600, 40_500, 32_400]),
    (D(2024, 7, 1), [105_300, 73_710, 63_180, 52_650, 42_120]),  # the law's worked example
    (D(2026, 6, 30), [105_300, 73_710, 63_180, 52_650, 42_120]),
    (D(2026, 7, 1), [113_850, 79_695, 68_310, 56_925, 45_540]),
])
def test_five_household_members_by_period(on, expected):
    assert monthly(on, ["GD"] * 5) == expected


def test_sixth_and_later_members_pay_40_percent_and_totals_multiply_by_months():
    result = household_premium(D(2025, 3, 1), ["GD"] * 6, months=6)
    assert [m.position for m in result.members] == [1, 2, 3, 4, 5, 6]
    assert result.members[-1].household_share == Decimal("0.40")
    assert result.members[-1].monthly_net == 42_120
    assert result.total_gross == (105_300 + 73_710 + 63_180 + 52_650 + 2 * 42_120) * 6
    assert result.total_support == 0 and result.total_net == result.total_gross


def test_only_household_members_take_a_place_in_the_sequence():
    result = household_premium(D(2025, 3, 1), ["HS", "GD", "HN", "GD"], months=3)
    assert [m.position for m in result.members] == [None, 1, None, 2]
    assert [m.monthly_gross for m in result.members] == [105_300, 105_300, 105_300, 73_710]


def test_state_paid_groups_pay_nothing_and_employer_groups_are_not_billed():
    result = household_premium(D(2025, 3, 1), ["HN", "TE", "DN", "HT"], months=12)
    hn, te, dn, ht = result.members
    assert (hn.gross, hn.support, hn.net) == (105_300 * 12, 105_300 * 12, 0)
    assert te.net == 0
    assert (dn.gross, dn.net, dn.payer_group) == (0, 0, "employer_employee")
    assert (ht.gross, ht.net) == (0, 0)
    assert result.total_net == 0


@pytest.mark.parametrize(("on", "group", "support", "net"), [
    (D(2025, 6, 30), "HS", 31_590, 73_710),
    (D(2025, 7, 1), "HS", 52_650, 52_650),
    (D(2025, 6, 30), "SV", 31_590, 73_710),
    (D(2025, 7, 1), "SV", 52_650, 52_650),
    (D(2025, 6, 30), "CN", 73_710, 31_590),
    (D(2025, 7, 1), "CN", 73_710, 31_590),
    (D(2025, 7, 1), "GB", 31_590, 73_710),
    (D(2024, 6, 30), "CN", 56_700, 24_300),
])
def test_budget_supported_groups_pay_the_rest_after_support(on, group, support, net):
    member = household_premium(on, [group], months=12).members[0]
    assert (member.monthly_support, member.monthly_net) == (support, net)
    assert member.net == net * 12


def test_rounding_is_half_up_per_month_then_times_months():
    # at 2,530,000 the 2nd member pays 79,695; a 50% support is 39,847.5 -> 39,848 (half up)
    gd2 = household_premium(D(2026, 7, 1), ["GD", "GD+village_health_worker"], months=3).members[1]
    assert (gd2.monthly_gross, gd2.monthly_support, gd2.monthly_net) == (79_695, 39_848, 39_847)
    assert (gd2.gross, gd2.support, gd2.net) == (79_695 * 3, 39_848 * 3, 39_847 * 3)
    # at 1,490,000 the 2nd member pays 67,050 x 70% = 46,935 exactly
    assert household_premium(D(2020, 1, 1), [Member("GD"), Member("GD")], months=3).members[1].monthly_gross == 46_935


def test_the_payment_date_fixes_the_amount_for_the_whole_prepaid_period():
    # paid on 2026-06-30 for 12 months: the 2026-07-01 base salary changes nothing
    result = household_premium(D(2026, 6, 30), ["GD"], months=12)
    assert result.base_salary == 2_340_000 and result.total_net == 105_300 * 12


def test_provincial_top_up_via_province():
    overrides = {"15": {"HS": [{"share": "1.00", "effective_from": "2025-09-01"}]}}
    assert household_premium(D(2025, 9, 1), ["HS"], months=12, province="15",
                             overrides=overrides).total_net == 0
    assert household_premium(D(2025, 9, 1), ["HS"], months=12, province="10",
                             overrides=overrides).total_net == 52_650 * 12


@pytest.mark.parametrize(("members", "months", "message"), [
    (["GD"], 1, "months must be 3, 6 or 12"),
    ([], 12, "at least one member"),
    (["ZZ"], 12, "unknown group code"),
])
def test_bad_input_is_a_user_error(members, months, message):
    with pytest.raises(EverydoorError, match=message):
        household_premium(D(2025, 1, 1), members, months=months)


def test_members_joining_after_others_already_paying_continue_the_sequence():
    # two members already pay as a household this year: the next two are the 3rd and 4th
    result = household_premium(D(2025, 3, 1), ["GD", "GD"], already_paying=2)
    assert [m.position for m in result.members] == [3, 4]
    assert [m.monthly_net for m in result.members] == [63_180, 52_650]
    with pytest.raises(EverydoorError, match="already_paying"):
        household_premium(D(2025, 3, 1), ["GD"], already_paying=-1)
