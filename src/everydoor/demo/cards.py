"""Payer groups, coverage spans and card periods (two years of history) for the demo province.

Each insured person has one or more *spans* of continuous coverage; a span is cut into
card periods by its group's renewal cycle (calendar year for state-budget groups, school
year for pupils, the enrolment anniversary for others; children's TE card runs to the
day before their 6th birthday). A card is valid on D when valid_from <= D <= valid_to, so
the coverage type chosen for each person fixes exactly which dates they count on.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from everydoor.demo.targets import AS_OF, HISTORY_START, YEAR_BEFORE

# Benefit level by group (DOMAIN.md); CN moves from 3 to 2 on 2026-01-01.
LEVELS = {"TE": 1, "CC": 1, "HN": 2, "DT": 2, "DK": 2, "CB": 2, "HT": 3, "CN": 3, "DN": 4,
          "HC": 4, "HS": 4, "SV": 4, "GB": 4, "GD": 4}
CN_LEVEL_2_FROM = dt.date(2026, 1, 1)
STATE_GROUPS = ("TE", "HN", "DT", "DK", "CB", "CC", "CN", "GB")
RECLASSIFIED_FROM = dt.date(2025, 1, 1)  # declassified communes: DK renewed as GD

M_D1 = AS_OF.year * 12 + AS_OF.month - 1  # month index of the as-of date
M_D0 = YEAR_BEFORE.year * 12 + YEAR_BEFORE.month - 1
FIRST_ENROLMENT_MONTH = 2003 * 12  # month index: January 2003
# Coverage types whose card is valid on YEAR_BEFORE (their span starts at an early month).
HELD_ON_YEAR_BEFORE = ("both", "lapsed", "departed", "departed_valid", "nonres_both", "nonres_gone")


def _month(dates: np.ndarray) -> np.ndarray:
    return dates.astype("datetime64[M]").astype(np.int64) + 1970 * 12


def _first_day(month: np.ndarray) -> np.ndarray:
    return (month - 1970 * 12).astype("datetime64[M]").astype("datetime64[D]")


def _last_day(month: np.ndarray) -> np.ndarray:
    return _first_day(month + 1) - np.timedelta64(1, "D")


def sixth_birthday(birth: np.ndarray) -> np.ndarray:
    months = birth.astype("datetime64[M]")
    day = (birth - months.astype("datetime64[D]")).astype(np.int64)
    target = (months + 72).astype("datetime64[D]") + day
    return np.minimum(target, (months + 73).astype("datetime64[D]") - 1)  # 29 Feb


def base_groups(age: np.ndarray, minority: np.ndarray, difficult: np.ndarray, urban: np.ndarray,
                rng: np.random.Generator) -> np.ndarray:
    """Group a person's cards carry once past the TE age (who pays, DOMAIN.md)."""
    n = len(age)
    r = rng.random(n)
    poor = rng.random(n) < np.where(difficult, 0.12, 0.04)
    near_poor = rng.random(n) < 0.05
    conditions = [
        (age >= 60) & (r < np.where(urban, 0.35, 0.10)),
        (age >= 65) & (r > 0.96),
        poor,
        difficult & (minority | (r < 0.5)),
        minority & (r < 0.25),
        (age >= 6) & (age < 18),
        (age >= 18) & (age < 23) & (r < 0.2),
        (age >= 18) & (age < 60) & (r < np.where(urban, 0.32, 0.07)),
        near_poor,
        ~urban & (r > 0.93),
    ]
    choices = ["HT", "CB", "HN", "DK", "DT", "HS", "SV", np.where(r < 0.04, "HC", "DN"), "CN", "GB"]
    choices = [np.broadcast_to(np.asarray(c, dtype=object), n) for c in choices]
    group = np.select(conditions, choices, default="GD")
    group = np.where((group == "DK") & minority & (r < 0.3), "DT", group)
    return group.astype(str)


def cycles(group: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Renewal cycle length (months) and phase (month of year a cycle starts, 0 = January).

    The phase of anniversary groups is drawn here; new enrolments override it.
    """
    n = len(group)
    length = np.full(n, 12)
    phase = np.zeros(n, dtype=np.int64)
    phase = np.where(group == "HS", 9, phase)  # school year: 1 October
    anniversary = np.isin(group, ["DN", "HC", "HT", "SV", "GD"])
    phase = np.where(anniversary, rng.integers(0, 12, n), phase)
    gd = group == "GD"
    length = np.where(gd, rng.choice([12, 6], size=n, p=[0.85, 0.15]), length)
    return length, phase


def cycle_end_at(month: np.ndarray, length: np.ndarray, phase: np.ndarray) -> np.ndarray:
    """Last month of the renewal cycle that contains `month`."""
    start = month - ((month - phase) % length)
    return start + length - 1


def spans_to_periods(spans: pl.DataFrame) -> pl.DataFrame:
    """Cut spans (slot, start, end, birth6, group, length, phase) into card periods."""
    s = spans["start"].to_numpy().astype("datetime64[D]")
    e = spans["end"].to_numpy().astype("datetime64[D]")
    b6 = spans["birth6"].to_numpy().astype("datetime64[D]")
    slot = spans["slot"].to_numpy()
    group = spans["group"].to_numpy()
    length = spans["length"].to_numpy()
    phase = spans["phase"].to_numpy()

    te = s < b6
    te_frame = pl.DataFrame(
        {"slot": slot[te], "valid_from": s[te], "valid_to": np.minimum(e[te], b6[te] - 1),
         "group": np.full(te.sum(), "TE")}
    )
    b_from = np.maximum(s, b6)
    base = b_from <= e
    bf, be = b_from[base], e[base]
    ms, me = _month(bf), _month(be)
    ln, ph = length[base], phase[base]
    b0 = ms - ((ms - ph) % ln)
    count = (me - b0) // ln + 1
    idx = np.repeat(np.arange(len(bf)), count)
    j = np.arange(len(idx)) - np.repeat(np.cumsum(count) - count, count)
    from_m = np.maximum(ms[idx], b0[idx] + j * ln[idx])
    to_m = np.minimum(me[idx], b0[idx] + (j + 1) * ln[idx] - 1)
    valid_from = np.where(j == 0, bf[idx], _first_day(from_m))
    valid_to = np.where(j == count[idx] - 1, be[idx], _last_day(to_m))
    base_frame = pl.DataFrame(
        {"slot": slot[base][idx], "valid_from": valid_from, "valid_to": valid_to,
         "group": group[base][idx]}
    )
    periods = pl.concat([te_frame, base_frame])
    return periods.filter(pl.col("valid_to") >= HISTORY_START)


def assign_coverage(stayers: pl.DataFrame, counts: pl.DataFrame, rng: np.random.Generator) -> pl.Series:
    """Coverage type of each stayer: both dates, lapsed, newly enrolled or never (uninsured).

    Voluntary payers (GD, GB) and young men are the likeliest uninsured; children under six
    on the as-of date are always covered; in declassified communes, DK holders lapse first.
    """
    n = stayers.height
    frame = stayers.select("person_idx", "commune_idx", "group", "male", "age", "declassified").with_columns(
        _ru=pl.Series(rng.random(n)), _rl=pl.Series(rng.random(n)), _rn=pl.Series(rng.random(n)),
    )
    frame = frame.join(counts.select("commune_idx", "never", "lapsed", "enrolled"), on="commune_idx")
    child = (pl.col("age") < 6).cast(pl.Float64)
    voluntary = pl.col("group").is_in(["GD", "GB", "SV"]).cast(pl.Float64)
    frame = frame.with_columns(
        score_u=pl.col("_ru") + 1.2 * voluntary + 0.4 * (pl.col("male") & pl.col("age").is_between(18, 45)).cast(pl.Float64) - 5 * child,
    ).with_columns(rank_u=pl.col("score_u").rank("ordinal", descending=True).over("commune_idx"))
    is_u = pl.col("rank_u") <= pl.col("never")
    dk_lapse = (pl.col("declassified") & (pl.col("group") == "DK")).cast(pl.Float64)
    frame = frame.with_columns(
        score_l=pl.when(is_u).then(-100.0).otherwise(pl.col("_rl") + 1.5 * dk_lapse + 0.6 * voluntary - 5 * child)
    ).with_columns(rank_l=pl.col("score_l").rank("ordinal", descending=True).over("commune_idx"))
    is_l = ~is_u & (pl.col("rank_l") <= pl.col("lapsed"))
    frame = frame.with_columns(
        score_n=pl.when(is_u | is_l).then(-100.0).otherwise(pl.col("_rn") - 5 * child)
    ).with_columns(rank_n=pl.col("score_n").rank("ordinal", descending=True).over("commune_idx"))
    is_n = ~is_u & ~is_l & (pl.col("rank_n") <= pl.col("enrolled"))
    out = frame.select(
        "person_idx",
        coverage=pl.when(is_u).then(pl.lit("never")).when(is_l).then(pl.lit("lapsed"))
        .when(is_n).then(pl.lit("enrolled")).otherwise(pl.lit("both")),
    )
    return stayers.select("person_idx").join(out, on="person_idx", how="left", maintain_order="left")["coverage"]


def household_poor() -> pl.Expr:
    """The person's household has an HN card holder, so a poor certificate (demo/statuses.py)."""
    return (pl.col("group") == "HN").any().over("household_idx")


def coverage_spans(people: pl.DataFrame, rng: np.random.Generator, later: np.random.Generator) -> pl.DataFrame:
    """Span of each person's main card, from their coverage type (None = no card). `later`: the stream of the
    draws added after the calibrated files were first written (generate.py)."""
    n = people.height
    kind = people["coverage"].to_numpy().astype(str)
    birth = people["birth"].to_numpy().astype("datetime64[D]")
    b6 = sixth_birthday(birth)
    group = people["group"].to_numpy().astype(str)
    length, phase = cycles(group, rng)
    status_date = people["status_date"].to_numpy().astype("datetime64[D]")
    extend_2026 = np.isin(group, STATE_GROUPS) & (rng.random(n) < 0.3)

    # Holders insured on YEAR_BEFORE joined at any month since FIRST_ENROLMENT_MONTH, except that as many of
    # them joined in the year before it as the year after it brings new participants (enrolled, movers-in,
    # new non-residents; births are the population's): the registers' past shows the present's pace.
    held_then = np.isin(kind, HELD_ON_YEAR_BEFORE)
    joined_late = np.isin(kind, ["enrolled", "mover_in", "nonres_new"]).sum() / max(held_then.sum(), 1)
    in_last_year = held_then & (later.random(n) < joined_late)
    early = rng.integers(FIRST_ENROLMENT_MONTH, M_D0 + 1, n)
    early = np.where(in_last_year, later.integers(M_D0 - 11, M_D0 + 1, n),
                     np.where(early > M_D0 - 12, later.integers(FIRST_ENROLMENT_MONTH, M_D0 - 11, n), early))
    early = _first_day(early)
    new_month = rng.integers(M_D0 + 1, M_D1 + 1, n)
    # New enrolments and movers-in start a cycle when they pay.
    starts_now = np.isin(kind, ["enrolled", "mover_in", "nonres_new"])
    anniversary = np.isin(group, ["DN", "HC", "HT", "SV", "GD"])
    phase = np.where(starts_now & anniversary, new_month % 12, phase)
    end_now = _last_day(np.where(extend_2026, 2026 * 12 + 11, cycle_end_at(np.full(n, M_D1), length, phase)))
    lapse_end = _last_day(cycle_end_at(np.full(n, M_D0), length, phase))
    # The past's lapses end as the year's do, a year earlier: the cycle in force a year before YEAR_BEFORE
    # (those ending before HISTORY_START leave no period in the files).
    old_end = _last_day(cycle_end_at(np.full(n, M_D0 - 12), length, phase))
    rng.integers(2023 * 12 + 10, M_D0 - 1, n)  # the draw of an earlier rule: kept, so the stream after it stays

    start = np.where(np.isin(kind, ["enrolled", "nonres_new"]), _first_day(new_month), early)
    start = np.where(kind == "mover_in", status_date, start)
    start = np.where(kind == "baby", birth, start)
    start = np.maximum(start, birth)
    end = np.select(
        [np.isin(kind, ["both", "enrolled", "mover_in", "baby", "departed_valid", "nonres_both",
                        "nonres_new"]),
         np.isin(kind, ["lapsed", "nonres_gone"]),
         np.isin(kind, ["departed", "departed_before"]),
         kind == "history"],
        [end_now, lapse_end, status_date, old_end],
        default=np.datetime64("NaT"),
    )
    # A TE card runs to the day before the 6th birthday (never for the departed or lapsed
    # earlier: their end is already the day the card stopped).
    te_runs = ~np.isin(kind, ["history", "departed", "departed_before"])
    end = np.where(te_runs, np.maximum(end, b6 - 1), end)
    has = ~np.isnat(end) & (end >= start)
    return pl.DataFrame(
        {"person_idx": people["person_idx"].to_numpy()[has], "start": start[has], "end": end[has],
         "birth6": b6[has], "group": group[has], "length": length[has], "phase": phase[has]}
    )


def finish_groups(periods: pl.DataFrame) -> pl.DataFrame:
    """Apply dated group rules: declassified DK renewed as GD (HN in a poor household); CN level 2 from 2026."""
    group = (
        pl.when(pl.col("declassified") & (pl.col("group") == "DK")
                & (pl.col("valid_from") >= RECLASSIFIED_FROM))
        .then(pl.when(pl.col("household_poor")).then(pl.lit("HN")).otherwise(pl.lit("GD")))  # the rules' card
        .otherwise(pl.col("group"))
    )
    periods = periods.with_columns(group=group)
    level = pl.col("group").replace_strict(LEVELS, default=4, return_dtype=pl.Int64)
    level = pl.when((pl.col("group") == "CN") & (pl.col("valid_from") >= CN_LEVEL_2_FROM)).then(2).otherwise(level)
    return periods.with_columns(benefit_level=level)
