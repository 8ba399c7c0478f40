"""Card periods, one after the other: which card is followed by a later one, and how soon (pure Polars).

A card's holder is its SI code, and the resident it is linked to: a later period of either continues it
(a resident who changes group gets a new card, sometimes a new SI code). `known_on` hides the periods
that start after that date, to see the registers as they were then (back-tests, training windows); by
default every period the registers hold is known (cards prepaid for next year included).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

RENEWAL_DAYS = 30  # renewed: a later period starting at most this many days after the card's end


def known(periods: pl.DataFrame, known_on: dt.date | None) -> pl.DataFrame:
    return periods if known_on is None else periods.filter(pl.col("valid_from") <= known_on)


def _next_by(periods: pl.DataFrame, key: str) -> pl.DataFrame:
    """For each period: the start of the earliest later period (starting after it and ending after it) with the
    same key. Periods of one key are sorted by start; the running maximum of ends lets overlapping short
    periods (a second card, a correction) not hide a renewal."""
    value = pl.col(key)
    if periods.schema[key] == pl.Utf8:  # SI codes are digits: sorted as numbers, far faster than as text
        value = pl.when(value != "").then(value.str.to_integer(strict=False))
    keyed = periods.select("card_id", "valid_from", "valid_to", _key=value).drop_nulls("_key").sort(
        "_key", "valid_from", "valid_to")
    # Candidates: the next few periods in start order (a plain shift over the sorted frame, same key);
    # a later period must also end after this one.
    out = []
    for step in (1, 2, 3):
        shifted = keyed.with_columns(
            _next_key=pl.col("_key").shift(-step), next_from=pl.col("valid_from").shift(-step),
            _next_to=pl.col("valid_to").shift(-step))
        out.append(shifted.filter((pl.col("_next_key") == pl.col("_key")) & (pl.col("next_from") > pl.col("valid_from"))
                                  & (pl.col("_next_to") > pl.col("valid_to"))).select("card_id", "next_from"))
    return pl.concat(out).group_by("card_id").agg(pl.col("next_from").min())


def with_next(periods: pl.DataFrame) -> pl.DataFrame:
    """Each period with `next_from`: the start of the next known period of its holder (null: none known)."""
    by_code = _next_by(periods, "si_code")
    by_person = _next_by(periods, "person_id")
    following = pl.concat([by_code, by_person]).group_by("card_id").agg(pl.col("next_from").min())
    return periods.join(following, on="card_id", how="left")


def valid_on(day: dt.date) -> pl.Expr:
    return (pl.col("valid_from") <= day) & (pl.col("valid_to") >= day)


def renewed_within(days: int = RENEWAL_DAYS) -> pl.Expr:
    """The period was followed by a later one starting no later than `days` after its end."""
    return pl.col("next_from").is_not_null() & (pl.col("next_from") <= pl.col("valid_to") + pl.duration(days=days))


def new_enrolments(periods: pl.DataFrame, *, start: dt.date, end: dt.date, gap_days: int = 60) -> pl.DataFrame:
    """Periods starting in (start, end] whose SI code held no card in the `gap_days` before: new participants
    (or returning ones), not renewals."""
    value = pl.when(pl.col("si_code") != "").then(pl.col("si_code").str.to_integer(strict=False))
    keyed = periods.select("card_id", "valid_from", "valid_to", _key=value).drop_nulls("_key").sort(
        "_key", "valid_from", "valid_to")
    earlier = pl.when(pl.col("_key").shift(1) == pl.col("_key")).then(pl.col("valid_to").shift(1))
    return keyed.filter(pl.col("valid_from") <= end).with_columns(_prev=earlier).filter(
        (pl.col("valid_from") > start)
        & (pl.col("_prev").is_null() | (pl.col("valid_from") > pl.col("_prev") + pl.duration(days=gap_days)))
    ).drop("_key", "_prev")
