"""Voluntary social insurance: contribution, support by period, floor and ceiling."""

import datetime as dt

import pytest

from everydoor.core.errors import ErrorCode, EverydoorError
from everydoor.rules.vsi import vsi_contribution, vsi_limits

D = dt.date


@pytest.mark.parametrize(("on", "group", "support"), [
    (D(2025, 6, 30), "poor", 99_000), (D(2025, 6, 30), "near_poor", 82_500),
    (D(2025, 6, 30), "ethnic_minority", 33_000), (D(2025, 6, 30), "other", 33_000),
    (D(2025, 7, 1), "poor", 165_000), (D(2025, 7, 1), "near_poor", 132_000),
    (D(2025, 7, 1), "ethnic_minority", 99_000), (D(2025, 7, 1), "other", 66_000),
])
def test_support_per_month_by_period(on, group, support):
    result = vsi_contribution(on, 1_500_000, group)
    assert result.monthly_contribution == 330_000
    assert (result.support, result.net) == (support, 330_000 - support)


def test_contribution_is_22_percent_of_the_chosen_income_times_months():
    result = vsi_contribution(D(2025, 8, 1), 5_000_000, "other", months=12)
    assert result.contribution == 1_100_000 * 12
    assert result.support == 66_000 * 12 and result.net == (1_100_000 - 66_000) * 12


def test_floor_moves_on_2027_01_01_and_ceiling_on_2026_07_01():
    assert vsi_limits(D(2026, 6, 30)) == (1_500_000, 46_800_000)
    assert vsi_limits(D(2026, 7, 1)) == (1_500_000, 50_600_000)
    assert vsi_limits(D(2026, 12, 31)) == (1_500_000, 50_600_000)
    assert vsi_limits(D(2027, 1, 1)) == (2_200_000, 50_600_000)
    assert vsi_contribution(D(2027, 1, 1), 2_200_000, "poor").monthly_support == 242_000


@pytest.mark.parametrize(("income", "word", "figure"), [
    (1_499_999, "floor", "1,500,000"), (46_800_001, "ceiling", "46,800,000"),
])
def test_income_outside_the_limits_names_the_limit(income, word, figure):
    with pytest.raises(EverydoorError) as caught:
        vsi_contribution(D(2025, 7, 1), income, "other")
    assert caught.value.code == ErrorCode.INVALID_INPUT
    assert word in caught.value.message and figure in caught.value.message


def test_limits_themselves_are_allowed():
    assert vsi_contribution(D(2025, 7, 1), 46_800_000).monthly_contribution == 10_296_000


def test_support_stops_after_120_months():
    result = vsi_contribution(D(2025, 7, 1), 1_500_000, "poor", months=12, supported_months_before=115)
    assert result.supported_months == 5
    assert result.support == 5 * 165_000
    assert vsi_contribution(D(2025, 7, 1), 1_500_000, "poor", supported_months_before=120).support == 0


def test_unknown_group_is_a_user_error():
    with pytest.raises(EverydoorError, match="group must be one of"):
        vsi_contribution(D(2025, 7, 1), 2_000_000, "rich")
