"""Entitlements: which card a resident without one may hold, its support, paperwork and end date."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from everydoor.rules.entitlement import Period, entitlement, may_end_between, sixth_birthday_eve

D = dt.date
ON = D(2025, 10, 31)
DIFFICULT_UNTIL_2024 = Period("especially_difficult", D(2021, 6, 4), D(2024, 12, 31))


def test_a_child_under_6_holds_a_state_paid_card_until_the_eve_of_the_6th_birthday():
    child = entitlement(on=ON, dob_year=2021, dob_month=3, dob_day=2, ethnicity="Kinh")
    assert (child.key, child.group, child.state_paid, child.until) == ("under_6", "TE", True, D(2027, 3, 1))
    assert "khai sinh" in child.paperwork("vi") and "Birth certificate" in child.paperwork("en")
    six = entitlement(on=D(2027, 3, 2), dob_year=2021, dob_month=3, dob_day=2, ethnicity="Kinh")
    assert six.key == "pupil"  # the day of the 6th birthday: no longer under 6


@pytest.mark.parametrize(("dob", "eve"), [
    ((2020, 2, 29), D(2026, 2, 28)),  # born on 29 February: the card runs to the 28th
    ((2020, None, None), D(2026, 6, 30)),  # year only: mid-year, as ages are counted
])
def test_the_sixth_birthday_eve_of_odd_birth_dates(dob, eve):
    assert sixth_birthday_eve(*dob) == eve


def test_a_poor_certificate_in_force_wins_over_the_household_and_ends_with_the_certificate():
    cert = Period("poor", D(2025, 1, 1), D(2025, 12, 31))
    adult = entitlement(on=ON, dob_year=1980, ethnicity="Kinh", certificates=[cert])
    assert (adult.group, adult.support_share, adult.until) == ("HN", Decimal("1.00"), D(2025, 12, 31))
    after = entitlement(on=D(2026, 1, 1), dob_year=1980, ethnicity="Kinh", certificates=[cert])
    assert (after.group, after.support_share, after.state_paid) == ("GD", Decimal(0), False)


def test_residents_of_an_especially_difficult_commune_by_ethnicity():
    on_list = Period("especially_difficult", D(2021, 6, 4))
    minority = entitlement(on=ON, dob_year=1980, ethnicity="Mông", commune_statuses=[on_list])
    kinh = entitlement(on=ON, dob_year=1980, ethnicity="Kinh", commune_statuses=[on_list])
    assert (minority.group, kinh.group) == ("DT", "DK") and minority.state_paid and kinh.state_paid


def test_minorities_keep_70_percent_for_36_months_after_the_commune_leaves_the_list():
    minority = entitlement(on=ON, dob_year=1980, ethnicity="Dao", commune_statuses=[DIFFICULT_UNTIL_2024])
    assert (minority.key, minority.group, minority.categories) == (
        "ethnic_minority_declassified", "GD", ("ethnic_minority_declassified",))
    assert minority.support_share == Decimal("0.70") and minority.until == D(2027, 12, 31)
    later = entitlement(on=D(2028, 1, 1), dob_year=1980, ethnicity="Dao", commune_statuses=[DIFFICULT_UNTIL_2024])
    assert later.key == "household"
    kinh = entitlement(on=ON, dob_year=1980, ethnicity="Kinh", commune_statuses=[DIFFICULT_UNTIL_2024])
    assert kinh.key == "household"


def test_near_poor_pupils_and_average_living_standard_are_supported_in_part():
    near = entitlement(on=ON, dob_year=1980, certificates=[Period("near_poor", D(2025, 1, 1))])
    pupil = entitlement(on=ON, dob_year=2012)
    farm = entitlement(on=ON, dob_year=1980, certificates=[Period("average_living_standard", D(2025, 1, 1))])
    assert [(e.group, e.support_share) for e in (near, pupil, farm)] == [
        ("CN", Decimal("0.70")), ("HS", Decimal("0.50")), ("GB", Decimal("0.30"))]
    assert pupil.until is None and near.until is None


def test_a_provincial_top_up_applies_to_the_entitlement(monkeypatch):
    from everydoor.rules import law

    overrides = {"15": {"CN": [{"share": "1.00", "effective_from": "2025-07-01", "source": "NQ tỉnh"}]}}
    monkeypatch.setattr(law, "configured_overrides", lambda: overrides)
    near = entitlement(on=ON, dob_year=1980, certificates=[Period("near_poor", D(2025, 1, 1))], province="15")
    assert near.state_paid and near.source == "NQ tỉnh"



_days = st.integers(min_value=0, max_value=4000).map(lambda n: D(2016, 1, 1) + dt.timedelta(days=n))
# ends near the date, or about 36 months before it (the support after a commune left the list ends then)
_offsets = st.one_of(st.integers(min_value=-60, max_value=120), st.integers(min_value=-1130, max_value=-1030))


def _periods(on, kinds):
    """Periods whose end falls near `on` (or 36 months before: the support after a commune left the list)."""
    return st.builds(lambda kind, back, ahead: Period(kind, on - dt.timedelta(days=back),
                                                      None if ahead is None else on + dt.timedelta(days=ahead)),
                     st.sampled_from(kinds), st.integers(min_value=0, max_value=2000), st.one_of(st.none(), _offsets))


@settings(max_examples=500, deadline=None)
@given(data=st.data(), on=_days, ethnicity=st.sampled_from(["Kinh", "Mông", "Tày", ""]),
       window=st.integers(min_value=0, max_value=60))
def test_may_end_between_never_misses_an_end_the_rules_give(data, on, ethnicity, window):
    """The work list skips entitlement() for residents may_end_between rules out: it must never rule out one
    whose support ends in the window."""
    dob_year = data.draw(st.one_of(st.none(), st.integers(min_value=on.year - 70, max_value=on.year),
                                   st.sampled_from([on.year - 6, on.year - 5])))  # a 6th birthday near
    dob_month = data.draw(st.one_of(st.none(), st.integers(min_value=1, max_value=12)))
    dob_day = data.draw(st.one_of(st.none(), st.integers(min_value=1, max_value=28)))
    certificates = data.draw(st.lists(_periods(on, ("poor", "near_poor", "average_living_standard")), max_size=3))
    statuses = data.draw(st.lists(_periods(on, ("especially_difficult", "island", "other")), max_size=3))
    found = entitlement(on=on, dob_year=dob_year, dob_month=dob_month, dob_day=dob_day, ethnicity=ethnicity,
                        certificates=certificates, commune_statuses=statuses)
    end = on + dt.timedelta(days=window)
    if found.until is not None and on <= found.until <= end:
        assert may_end_between(on, end, dob_year=dob_year, dob_month=dob_month, dob_day=dob_day,
                               certificates=certificates, commune_statuses=statuses)


@pytest.mark.parametrize(("resident", "until"), [
    ({"dob_year": 2019, "dob_month": 11, "dob_day": 20}, D(2025, 11, 19)),  # the under-6 card ends
    ({"dob_year": 1980, "certificates": [Period("poor", D(2023, 1, 1), D(2025, 11, 30))]}, D(2025, 11, 30)),
    ({"dob_year": 1980, "ethnicity": "Mông", "commune_statuses": [Period("especially_difficult", D(2021, 6, 4),
                                                                         D(2022, 11, 15))]}, D(2025, 11, 15)),
])
def test_may_end_between_each_source_of_an_end(resident, until):
    found = entitlement(on=ON, **resident)
    assert found.until == until
    resident.pop("ethnicity", None)
    assert may_end_between(ON, ON + dt.timedelta(days=30), **resident)
    assert not may_end_between(ON, until - dt.timedelta(days=1), **resident)
