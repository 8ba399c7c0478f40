"""The forecast's parts as the back-test decomposed them: classes of cards whose support ends, renewal rates
per holder, new enrolments over whole months, a resident's second card counted once."""

import datetime as dt

import polars as pl
import pytest

from everydoor.lapses import forecast as fc
from everydoor.lapses import periods as pd
from everydoor.lapses.scenario import forecast_with
from everydoor.lapses.services import Registers, holders, registers_read
from everydoor.linkage.models import Link
from everydoor.registry.models import Card, Household, Person
from tests import factories as f

from .conftest import AS_OF, UNTIL


def test_a_card_whose_support_ends_and_then_costs_is_its_own_class():
    frame = pl.DataFrame({
        "payer_group": ["state_budget", "state_budget", "state_budget", "state_budget", "household"],
        "premium": [0, 1_579_500, 1_579_500, 1_579_500, 1_579_500],
        "reason": ["commune_leaves_list", "commune_leaves_list", "certificate_ends", "turns_6", "card_ends"],
    })
    assert frame.select(fc.card_class())["payer_group"].to_list() == [
        "state_budget/free",  # another support takes over: renews as free state cards do
        "state_budget/pays/support ends", "state_budget/pays/support ends",
        "state_budget/pays",  # a child turning 6 pays as a pupil: not a support lost
        "household/pays",
    ]


@pytest.mark.django_db
def test_without_history_of_its_own_a_support_ending_card_renews_as_paying_households_did(world):
    result = forecast_with(area=world["province"], as_of=AS_OF, at=UNTIL)
    by_class = {r["card_class"]: r for r in result["by_class"]}
    # The poor adult of Mường Bo: certificate and listing end, the rules leave 30% of a household card to pay.
    ending = by_class["state_budget/pays/support ends"]
    assert not ending["learned"] and ending["rate"] == by_class["household/pays"]["rate"]


def test_a_residents_second_card_is_counted_once():
    due = pl.DataFrame({"card_id": [1, 2, 3, 4, 5], "person_id": [7, 7, 8, None, None],
                        "valid_to": [dt.date(2025, 12, 31), dt.date(2025, 11, 30), dt.date(2025, 12, 31),
                                     dt.date(2025, 12, 31), dt.date(2025, 12, 31)]})
    assert due.select(fc.counted_once())["person_id"].to_list() == [True, False, True, True, True]


def test_months_back_keeps_the_day_or_takes_the_months_last():
    assert fc.months_back(dt.date(2025, 10, 31), 3) == dt.date(2025, 7, 31)
    assert fc.months_back(dt.date(2025, 3, 31), 1) == dt.date(2025, 2, 28)
    assert fc.months_back(dt.date(2025, 1, 15), 2) == dt.date(2024, 11, 15)


def _registers(periods: list[tuple], persons: list[int]) -> Registers:
    person_frame = pl.DataFrame({"person_id": persons}, schema={"person_id": pl.Int64}).with_columns(
        household_id=pl.col("person_id"), ethnicity=pl.lit("Kinh"), status=pl.lit("resident"),
        status_date=pl.lit(None, dtype=pl.Date), commune_id=pl.lit(1, dtype=pl.Int64),
        village_id=pl.lit(1, dtype=pl.Int64), dob_year=pl.lit(1990), dob_month=pl.lit(1), dob_day=pl.lit(1))
    period_frame = pl.DataFrame(periods, orient="row", schema={
        "card_id": pl.Int64, "si_code": pl.Utf8, "person_id": pl.Int64, "valid_from": pl.Date, "valid_to": pl.Date,
    }).with_columns(commune_id=pl.lit(1, dtype=pl.Int64), dob_year=pl.lit(1990), dob_month=pl.lit(1),
                    dob_day=pl.lit(1))
    period_frame = pd.attached(period_frame, holders(period_frame, person_frame))  # as registers_read gives them
    empty = pl.DataFrame()
    return Registers(periods=period_frame, persons=person_frame, households=empty, certificates=empty,
                     statuses=empty, units=empty, known_on=AS_OF)


def test_the_pace_of_new_enrolments_counts_whole_calendar_months():
    # Cards start on the 1st: three months before 31 October hold 1 August, 1 September and 1 October
    # (a 90-day window from 2 August missed the first).
    starts = [dt.date(2025, 8, 1), dt.date(2025, 9, 1), dt.date(2025, 10, 1), dt.date(2025, 7, 31)]
    regs = _registers([(i, f"15{i:08d}", i, day, dt.date(2026, 7, 31)) for i, day in enumerate(starts, 1)],
                      list(range(1, 5)))
    pace = fc.enrolment_pace(regs, as_of=AS_OF, commune_ids=None)
    assert pace["per_day"] == pytest.approx(3 / 92)  # 1 August .. 31 October
    assert pace["low"] == 0 and pace["high"] == pytest.approx(1 / 30)  # one start in the 30 days of September
    assert pace["last_180_days"] == 4


@pytest.fixture
def six_monthly(db):
    """Forty holders paying six months at a time, two periods ending in the year before 31 October 2025:
    all renewed once, and ten of them then lapsed."""
    commune = f.commune("Xã Bản Hồ", code="90002", prov=f.province())
    village = f.village("Thôn Hai", com=commune)
    batch, card_batch = f.batch(), f.batch("cards")
    households = Household.objects.bulk_create(
        Household(code=f"HKS{i:04d}", commune=commune, village=village) for i in range(40))
    persons = Person.objects.bulk_create(
        Person(record_key=f"s{i}", full_name=f"Người {i}", name_key=f"nguoi {i}", dob_year=1970, dob_month=1,
               dob_day=1, dob=dt.date(1970, 1, 1), sex="M", ethnicity="Kinh", household=hh, commune=commune,
               village=village, batch=batch)
        for i, hh in enumerate(households))
    spans = [(dt.date(2024, 10, 1), dt.date(2025, 3, 31)), (dt.date(2025, 4, 1), dt.date(2025, 9, 30)),
             (dt.date(2025, 10, 1), dt.date(2026, 3, 31))]
    cards, holders = [], []
    for i, person in enumerate(persons):
        for begin, end in spans[: 2 if i < 10 else 3]:
            si_code = f"16{i + 1:08d}"
            cards.append(Card(record_key=f"GD41{si_code}|{begin}", card_number=f"GD415{si_code}", si_code=si_code,
                              full_name=person.full_name, name_key=person.name_key, dob=person.dob, dob_year=1970,
                              sex="M", group_code="GD", benefit_level=4, payer_group="household", valid_from=begin,
                              valid_to=end, commune=commune, batch=card_batch))
            holders.append(person)
    cards = Card.objects.bulk_create(cards)
    Link.objects.bulk_create(Link(card=c, person=p, method="personal_id") for c, p in zip(cards, holders, strict=True))
    return commune


def test_renewal_rates_are_per_holder_not_per_period(six_monthly):
    rates = fc.renewal_rates(registers_read(known_on=AS_OF), as_of=AS_OF, province=None)
    household = rates.filter(pl.col("card_class") == "household/pays").row(0, named=True)
    # 80 periods ended in the year, 10 not renewed: per period 87.5%, but a quarter of the holders lapsed.
    assert household["periods"] == 80 and household["rate"] == pytest.approx(0.75)


def test_earlier_lapses_count_the_gaps_before_each_period_and_ignore_later_ones():
    # One SI code: a month's gap after the first card (a lapse), then back to back; another code never lapsed.
    periods = pl.DataFrame([
        (1, "1500000001", dt.date(2023, 1, 1), dt.date(2023, 12, 31)),
        (2, "1500000001", dt.date(2024, 3, 1), dt.date(2024, 12, 31)),
        (3, "1500000001", dt.date(2025, 1, 1), dt.date(2025, 12, 31)),
        (4, "1500000002", dt.date(2024, 1, 1), dt.date(2024, 12, 31)),
        (5, "", dt.date(2024, 1, 1), dt.date(2024, 12, 31)),
    ], orient="row", schema={"card_id": pl.Int64, "si_code": pl.Utf8, "valid_from": pl.Date, "valid_to": pl.Date})
    shuffled = periods.sample(fraction=1.0, shuffle=True, seed=3)
    found = dict(zip(shuffled["card_id"], pd.earlier_lapses(shuffled), strict=True))
    assert found == {1: 0, 2: 1, 3: 1, 4: 0, 5: None}
    earlier = pd.known(periods, dt.date(2024, 6, 30))  # the registers as known before card 3
    assert pd.earlier_lapses(earlier).to_list() == [0, 1, 0, None]


def test_prepared_lapse_frames_are_read_not_computed_again(world, monkeypatch):
    from everydoor.lapses.prepare import prepare

    done = prepare(as_of=AS_OF, province="15")
    assert done["periods"] == Card.objects.count()
    first = registers_read()

    def computed_again(*args, **kwargs):
        raise AssertionError("computed again")

    monkeypatch.setattr(pd, "history", computed_again)
    monkeypatch.setattr(fc, "_learn_rates", computed_again)
    monkeypatch.setattr(pd, "new_enrolments", computed_again)
    again = registers_read()
    assert again.periods.equals(first.periods)
    assert fc.renewal_rates(again, as_of=AS_OF, province="15").height > 0
    assert fc.enrolment_pace(again, as_of=AS_OF, commune_ids=None)["last_180_days"] >= 0
