"""The demo's past behaves like its year: births, new participants and lapses in the year before YEAR_BEFORE
match the year after it, so a forecast learned from the registers of YEAR_BEFORE can be checked against what
followed (bench/lapses.py)."""

import datetime as dt

import polars as pl
import pytest

from everydoor.demo.generate import generate
from everydoor.demo.targets import AS_OF, YEAR_BEFORE

YEAR = dt.timedelta(days=365)
MONTH = dt.timedelta(days=31)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    out = tmp_path_factory.mktemp("history")
    generate(out, scale=0.02, seed=2025)
    cards = pl.read_csv(out / "cards.csv", infer_schema=False).select(
        "si_code", *(pl.col(c).str.to_date("%d/%m/%Y", strict=False) for c in ("valid_from", "valid_to")))
    periods = cards.drop_nulls().unique(["si_code", "valid_from"]).sort("si_code", "valid_from").with_columns(
        prev_to=pl.col("valid_to").shift(1).over("si_code"), next_from=pl.col("valid_from").shift(-1).over("si_code"))
    people = pl.read_csv(out / "population.csv", infer_schema=False).select(
        born=pl.col("date_of_birth").str.to_date("%Y-%m-%d", strict=False))
    return periods, people


def _ratio(frame: pl.DataFrame, column: str, before: tuple, after: tuple) -> float:
    count = [frame.filter((pl.col(column) > start) & (pl.col(column) <= end)).height for start, end in (before, after)]
    return count[0] / count[1]


def test_as_many_are_born_and_join_in_the_year_before_as_in_the_year_after(files):
    periods, people = files
    before, after = (YEAR_BEFORE - YEAR, YEAR_BEFORE), (YEAR_BEFORE, AS_OF)
    assert _ratio(people, "born", before, after) == pytest.approx(1, abs=0.15)
    joining = periods.filter(pl.col("prev_to").is_null()
                             | (pl.col("valid_from") > pl.col("prev_to") + dt.timedelta(days=60)))
    assert _ratio(joining, "valid_from", before, after) == pytest.approx(1, abs=0.1)


def test_cards_lapse_in_the_year_before_as_in_the_year_after_and_on_the_same_days(files):
    periods, _ = files
    lapsed = periods.filter(pl.col("next_from").is_null()
                            | (pl.col("next_from") > pl.col("valid_to") + dt.timedelta(days=30)))
    # Cards ending in the last month before each date are left out: their renewal may still come.
    before, after = (YEAR_BEFORE - YEAR, YEAR_BEFORE - MONTH), (YEAR_BEFORE, AS_OF - MONTH)
    assert _ratio(lapsed, "valid_to", before, after) == pytest.approx(1, abs=0.15)
    # Calendar-year cards lapse on 31 December in both years, in about the same share (the year adds the DK
    # cards of the communes leaving the list); no other day piles up (the past's ends were capped on 30/09).
    shares = []
    for start, end in (before, after):
        ends = lapsed.filter((pl.col("valid_to") > start) & (pl.col("valid_to") <= end))["valid_to"]
        shares.append(ends.value_counts(sort=True, normalize=True).row(0))
    assert [day.strftime("%m-%d") for day, _ in shares] == ["12-31", "12-31"]
    assert shares[0][1] == pytest.approx(shares[1][1], abs=0.12)
