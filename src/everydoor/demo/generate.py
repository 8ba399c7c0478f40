"""Build the demo province (Lào Cai, 2025-10-31) and write its files (docs/formats.md)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl

from everydoor.demo import cards, names, output, places, population, statuses, targets

Progress = Callable[[str, float], None]
HISTORY_MIN_AGE = 7.1  # the never-insured old enough on AS_OF to have held a card past the under-6 one a year before
HISTORY_CELL = ["commune_idx", "group"]  # past lapses follow the year's in each commune and group

# Bumped when the same scale and seed write other files: demo_build then regenerates them.
# 2: malformed rows are row-level errors under issue 19's rules (a bad date of birth or ID now loads).
# 3: the history behaves like the year (births, new enrolments, lapses and departures a year earlier).
FILES_VERSION = 3


def _noop(_stage: str, _fraction: float) -> None:
    return None


def _choose(frame: pl.DataFrame, category: str, counts: pl.DataFrame, column: str,
            rng: np.random.Generator) -> pl.Series:
    """person_idx of `column` random people of `category` per commune."""
    part = frame.filter(pl.col("category") == category)
    part = part.with_columns(_r=pl.Series(rng.random(part.height))).with_columns(
        _rank=pl.col("_r").rank("ordinal").over("commune_idx")
    ).join(counts.select("commune_idx", pl.col(column).alias("_k")), on="commune_idx")
    return part.filter(pl.col("_rank") <= pl.col("_k"))["person_idx"]


def _declassified(communes: pl.DataFrame, profiles: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Communes that left the especially-difficult list: the lagging ones and some others."""
    keys = communes["commune_key"].to_numpy()
    rural = (communes["kind"] == "Xã").to_numpy() & (communes["unit_code"] != "BHXH-BAOTHANG").to_numpy()
    candidates = np.flatnonzero(rural & (profiles[:, 0] < 0.6) & ~np.isin(keys, targets.LAGGING_COMMUNES))
    chosen = rng.choice(candidates, size=min(14, len(candidates)), replace=False)
    out = np.isin(keys, targets.LAGGING_COMMUNES)
    out[chosen] = True
    return out


def _people(pl_places: places.Places, counts: pl.DataFrame, profiles: np.ndarray,
            rng: np.random.Generator, later: np.random.Generator) -> pl.DataFrame:
    register = (counts["residents"] + counts["deceased"] + counts["moved_out"]).to_numpy()
    people = population.build_people(register, profiles, pl_places.villages, rng, later)
    people = population.assign_statuses(people, counts, rng)
    communes = pl_places.communes.select("commune_idx", "kind", "card_province").with_columns(
        declassified=pl.Series(counts["declassified"]),
        minority_share=pl.Series(1 - profiles[:, 0]),
    )
    people = people.join(communes, on="commune_idx", how="left", maintain_order="left")
    age = (np.datetime64(targets.AS_OF, "D") - people["birth"].to_numpy()).astype(np.int64) / 365.25
    minority = (people["ethnicity"] != "Kinh").to_numpy()
    difficult = ((people["kind"] == "Xã") & (people["minority_share"] > 0.55)).to_numpy()
    difficult |= people["declassified"].to_numpy()
    urban = (people["kind"] == "Phường").to_numpy()
    group = cards.base_groups(age, minority, difficult, urban, rng)
    people = people.with_columns(age=pl.Series(age), group=pl.Series(group))
    return people.with_columns(household_poor=cards.household_poor())


def _coverage(people: pl.DataFrame, counts: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    stayers = people.filter(pl.col("category") == "stayer")
    stayers = stayers.with_columns(coverage=cards.assign_coverage(stayers, counts, rng))
    picks = {
        "baby": _choose(people, "baby", counts, "babies_card", rng),
        "mover_in": _choose(people, "mover_in", counts, "movers_in_card", rng),
        "departed_d": _choose(people, "deceased", counts, "deceased_card", rng),
    }
    moved = people.filter(pl.col("category") == "moved_out")
    moved_card = _choose(people, "moved_out", counts, "moved_out_card", rng)
    moved = moved.filter(pl.col("person_idx").is_in(moved_card.implode()))
    moved_valid = _choose(moved, "moved_out", counts, "moved_out_valid", rng)
    cov = people.select("person_idx").join(stayers.select("person_idx", "coverage"), on="person_idx", how="left", maintain_order="left")
    expr = pl.col("coverage")
    expr = pl.when(pl.col("person_idx").is_in(picks["baby"].implode())).then(pl.lit("baby")).otherwise(expr)
    expr = pl.when(pl.col("person_idx").is_in(picks["mover_in"].implode())).then(pl.lit("mover_in")).otherwise(expr)
    expr = pl.when(pl.col("person_idx").is_in(picks["departed_d"].implode())).then(pl.lit("departed")).otherwise(expr)
    expr = pl.when(pl.col("person_idx").is_in(moved_valid.implode())).then(pl.lit("departed_valid")).otherwise(expr)
    expr = pl.when(pl.col("person_idx").is_in(moved_card.implode()) & ~pl.col("person_idx").is_in(moved_valid.implode())).then(pl.lit("departed")).otherwise(expr)
    cov = cov.with_columns(coverage=expr)
    people = people.with_columns(coverage=cov["coverage"])
    # Some of the uninsured held a card that ran out in the year before the year began (see _past_lapses).
    eligible = _eligible_for_history()
    targets_ = _past_lapses(people).select(*HISTORY_CELL, share=(pl.col("target") / pl.col("eligible").clip(1, None)).clip(0, 1))
    share = people.select(HISTORY_CELL).join(targets_, on=HISTORY_CELL, how="left", maintain_order="left")["share"]
    history = eligible & pl.Series(rng.random(people.height) < share.fill_null(0).to_numpy())
    return people.with_columns(
        coverage=pl.when(history).then(pl.lit("history")).otherwise(pl.col("coverage")).fill_null("none")
    )


def _eligible_for_history() -> pl.Expr:
    return pl.col("coverage").is_in(["never", "history"]) & (pl.col("age") >= HISTORY_MIN_AGE)


def _past_lapses(people: pl.DataFrame) -> pl.DataFrame:
    """Per commune and group: how many cards lapsed in the year before YEAR_BEFORE (`target`), and how many
    never-insured residents could have held them (`eligible`).

    At the rate the year's lapses show in the group (support lost in a declassified commune aside, the year's
    own event), spread over the communes as the year's lapses are: with `held` cards of the group on
    YEAR_BEFORE of which `lapsed` lapsed, the year before had H lapses among held + H holders,
    H = lapsed * held / (held - lapsed). (Per commune, that formula explodes where nearly all lapsed, as in
    the lagging communes; the group's rate is the one a forecast learns.) They are drawn from the commune's
    never-insured of the group; where too few, _past_leavers adds holders who have left the register since.
    So a forecast or a risk model learned from that history can be checked against the year that followed
    (bench/lapses.py): before, 85% of all the never-insured held such a card, mostly voluntary payers, while
    the year's lapses are spread over the groups, and the state cards' past renewal rate came out too high."""
    losing = pl.col("declassified") & (pl.col("group") == "DK") & ~pl.col("household_poor")
    cells = people.group_by(HISTORY_CELL).agg(
        held=pl.col("coverage").is_in(["both", "lapsed"]).sum(),
        lapsed=((pl.col("coverage") == "lapsed") & ~losing).sum(),
        eligible=_eligible_for_history().sum(),
        drawn=(pl.col("coverage") == "history").sum(),
    )
    held, lapsed = pl.col("held").sum().over("group"), pl.col("lapsed").sum().over("group")
    return cells.with_columns(
        target=pl.col("lapsed") * pl.when(held > lapsed).then(held / (held - lapsed)).otherwise(1.0))


def _past_leavers(people: pl.DataFrame, nonres: pl.DataFrame, pl_places: places.Places, start_idx: int,
                  rng: np.random.Generator) -> pl.DataFrame:
    """Card holders who left in the year before YEAR_BEFORE: the year's departures (deaths, moves away) and
    non-residents' lapses, one year earlier. The registers' extract no longer lists them, but their cards
    stay in the card register, so the registers' history holds the lapses that leaving brings, as the
    year's does (lapses.forecast learns its renewal rates from that history)."""
    columns = ["commune_idx", "male", "birth", "age", "group", "ethnicity", "status_date"]
    year = pl.duration(days=365)
    past = pl.concat([
        people.filter(pl.col("coverage") == "departed").select(columns).with_columns(
            coverage=pl.lit("departed_before"), status_date=pl.col("status_date") - year),
        nonres.filter(pl.col("coverage") == "nonres_gone").select(columns).with_columns(coverage=pl.lit("history")),
        _lapsed_and_left(people, rng).select(columns).with_columns(coverage=pl.lit("history")),
    ], how="vertical_relaxed")
    n = past.height
    ethnicity = past["ethnicity"].replace_strict({e: i for i, e in enumerate(places.ETHNICITIES)},
                                                 return_dtype=pl.Int64).to_numpy()
    male = past["male"].to_numpy()
    full = [names.draw_part(ethnicity, male, part, places.ETHNICITIES, rng) for part in range(3)]
    village = pl_places.villages.group_by("commune_idx").agg(pl.col("village_idx").first())
    past = past.with_columns(
        person_idx=pl.Series(np.arange(start_idx, start_idx + n), dtype=pl.UInt32),
        full_name=full[0] + " " + full[1] + " " + full[2], category=pl.lit("non_resident"),
    ).join(village, on="commune_idx", how="left", maintain_order="left").join(
        pl_places.communes.select("commune_idx", "card_province"), on="commune_idx", how="left", maintain_order="left")
    ids = population.personal_ids(np.where(past["card_province"].to_numpy() == "10", 10, 15),
                                  past["birth"].dt.year().to_numpy().astype(np.int64), male, rng, elsewhere_share=0.5)
    return past.with_columns(personal_id=pl.Series(ids))


def _lapsed_and_left(people: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """The past lapses the never-insured of a commune and group could not hold (_past_lapses): holders like
    the group's residents there (a resident's attributes, drawn at random) who have left the register since."""
    short = _past_lapses(people).with_columns(
        missing=(pl.col("target") - pl.col("drawn")).round(0).cast(pl.Int64)).filter(pl.col("missing") > 0)
    like = people.filter(pl.col("age") >= HISTORY_MIN_AGE).sort(*HISTORY_CELL, "person_idx").with_row_index("_row")
    ranges = like.group_by(HISTORY_CELL).agg(_first=pl.col("_row").min(), _size=pl.len())
    short = short.join(ranges, on=HISTORY_CELL).sort(*HISTORY_CELL)
    first = np.repeat(short["_first"].to_numpy(), short["missing"].to_numpy())
    size = np.repeat(short["_size"].to_numpy(), short["missing"].to_numpy())
    rows = first + (rng.random(len(first)) * size).astype(np.int64)
    return like[rows]


def _non_residents(pl_places: places.Places, counts: pl.DataFrame, profiles: np.ndarray,
                   start_idx: int, rng: np.random.Generator) -> pl.DataFrame:
    """Card holders absent from the register (registered elsewhere, workers, students)."""
    kinds = []
    for column, kind in (("nonres_both", "nonres_both"), ("nonres_now", "nonres_new"), ("nonres_before", "nonres_gone")):
        k = counts[column].to_numpy()
        if column != "nonres_both":
            k = k - counts["nonres_both"].to_numpy()
        kinds.append(pl.DataFrame({"commune_idx": np.repeat(counts["commune_idx"].to_numpy(), k),
                                   "coverage": np.full(int(k.sum()), kind)}))
    frame = pl.concat(kinds)
    n = frame.height
    c = frame["commune_idx"].to_numpy()
    cum = profiles.cumsum(axis=1)[c]
    ethnicity = (rng.random(n)[:, None] > cum).sum(axis=1)
    male = rng.random(n) < 0.55
    age = rng.uniform(18, 65, n)
    birth = np.datetime64(targets.AS_OF, "D") - (age * 365.25).astype("timedelta64[D]")
    full = [names.draw_part(ethnicity, male, part, places.ETHNICITIES, rng) for part in range(3)]
    group = np.where(rng.random(n) < 0.5, np.where(rng.random(n) < 0.3, "HC", "DN"), "GD")
    village = pl_places.villages.group_by("commune_idx").agg(pl.col("village_idx").first())
    return frame.with_columns(
        person_idx=pl.Series(np.arange(start_idx, start_idx + n), dtype=pl.UInt32),
        male=pl.Series(male), birth=pl.Series(birth), age=pl.Series(age), group=pl.Series(group),
        ethnicity=pl.Series(np.asarray(places.ETHNICITIES)[ethnicity]),
        full_name=full[0] + " " + full[1] + " " + full[2],
        category=pl.lit("non_resident"), status_date=pl.lit(None, dtype=pl.Date),
    ).join(village, on="commune_idx", how="left", maintain_order="left")


def _double_spans(people: pl.DataFrame, counts: pl.DataFrame, rng: np.random.Generator,
                  start_slot: int) -> pl.DataFrame:
    """A second card (own SI code) for a few covered residents, valid on one of the two dates."""
    frames = []
    for column, ok, year in (("double_now", ("both", "enrolled"), 2025), ("double_before", ("both", "lapsed"), 2024)):
        pool = people.filter(pl.col("coverage").is_in(ok) & pl.col("age").is_between(6, 60))
        pool = pool.with_columns(category=pl.lit("double"))
        chosen = _choose(pool, "double", counts, column, rng)
        part = pool.filter(pl.col("person_idx").is_in(chosen.implode())).select("person_idx", "age")
        frames.append(part.with_columns(
            start=pl.lit(np.datetime64(f"{year}-01-01")).cast(pl.Date),
            end=pl.lit(np.datetime64(f"{year}-12-31")).cast(pl.Date),
            group=pl.when(pl.col("age") < 18).then(pl.lit("HS")).otherwise(pl.lit("GD")),
        ))
    spans = pl.concat(frames).drop("age")
    return spans.with_columns(
        slot=pl.Series(np.arange(start_slot, start_slot + spans.height), dtype=pl.Int64),
        birth6=pl.lit(np.datetime64("1900-01-01")).cast(pl.Date),
        length=pl.lit(12, dtype=pl.Int64), phase=pl.lit(0, dtype=pl.Int64),
    )


def generate(out_dir: Path, *, scale: float = 1.0, seed: int = 2025, fmt: str = "csv",
             progress: Progress | None = None) -> dict:
    """Write the demo registers and reference files into out_dir; return the manifest."""
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt must be 'csv' or 'parquet', not {fmt!r}")
    if scale <= 0:
        raise ValueError("scale must be positive")
    report = progress or _noop
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    # Draws added after the calibrated files were first written come from a second stream, so the first
    # one's (and with them every file's defects and addresses) stay as they were.
    later = np.random.default_rng([seed, 18])
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    report("places", 0.0)
    pl_places = places.load_places(rng)
    profiles = places.ethnic_profiles(pl_places.communes)
    weights = places.population_weights(pl_places.communes, rng)
    declassified = _declassified(pl_places.communes, profiles, rng)
    counts = targets.commune_counts(pl_places.communes, weights, declassified, scale, rng)

    report("population", 0.1)
    people = _people(pl_places, counts, profiles, rng, later)
    report("coverage", 0.3)
    people = _coverage(people, counts, rng)
    nonres = _non_residents(pl_places, counts, profiles, people.height, rng)
    nonres = nonres.join(pl_places.communes.select("commune_idx", "card_province"), on="commune_idx", how="left", maintain_order="left")
    register_ids = population.personal_ids(
        np.where(people["card_province"].to_numpy() == "10", 10, 15),
        people["birth"].dt.year().to_numpy().astype(np.int64), people["male"].to_numpy(), rng,
    )
    nonres_ids = population.personal_ids(
        np.where(nonres["card_province"].to_numpy() == "10", 10, 15),
        nonres["birth"].dt.year().to_numpy().astype(np.int64), nonres["male"].to_numpy(), rng,
        elsewhere_share=0.5,
    )
    people = people.with_columns(personal_id=pl.Series(register_ids))
    nonres = nonres.with_columns(personal_id=pl.Series(nonres_ids))
    past = _past_leavers(people, nonres, pl_places, people.height + nonres.height, later)
    nonres = pl.concat([nonres, past.select(nonres.columns)], how="vertical_relaxed")

    report("cards", 0.45)
    columns = ["person_idx", "coverage", "birth", "group", "status_date"]
    holders = pl.concat([people.select(columns), nonres.select(columns)], how="vertical_relaxed")
    first = holders.filter(pl.col("person_idx") < past["person_idx"].min()) if past.height else holders
    spans = pl.concat([cards.coverage_spans(first, rng, later),
                       cards.coverage_spans(holders.filter(~pl.col("person_idx").is_in(first["person_idx"].implode())),
                                            later, later)]).with_columns(slot=pl.col("person_idx").cast(pl.Int64))
    doubles = _double_spans(people, counts, rng, int(holders["person_idx"].max()) + 1)
    spans = pl.concat([spans, doubles.select(spans.columns)], how="vertical_relaxed")
    periods = cards.spans_to_periods(spans)
    slot_person = spans.select("slot", "person_idx").unique("slot")
    periods = periods.join(slot_person, on="slot", how="left", maintain_order="left")
    everyone = pl.concat(
        [people.select("person_idx", "commune_idx", "declassified", "card_province", "household_poor"),
         nonres.select("person_idx", "commune_idx", pl.lit(False).alias("declassified"), "card_province",
                       pl.lit(False).alias("household_poor"))],
        how="vertical_relaxed",
    )
    periods = cards.finish_groups(periods.join(everyone, on="person_idx", how="left", maintain_order="left"))
    slots = periods.select("slot", "card_province").unique("slot").sort("slot")
    multiplier, offset = 48_271, int(rng.integers(0, 100_000_000))
    serial = (np.arange(slots.height, dtype=np.int64) * multiplier + offset) % 100_000_000
    slots = slots.with_columns(
        si_code=pl.col("card_province") + pl.Series(serial).cast(pl.String).str.zfill(8)
    ).drop("card_province")
    periods = periods.join(slots, on="slot", how="left", maintain_order="left").with_columns(
        card_number=pl.concat_str([pl.col("group"), pl.col("benefit_level").cast(pl.String),
                                   pl.col("card_province"), pl.col("si_code")])
    )

    report("checks", 0.6)
    figures = output.figures(people, periods, counts, pl_places.communes)
    expected = targets.province_targets(scale)
    for key in ("residents", "valid_cards", "valid_cards_year_before"):
        if figures[key] != expected[key]:
            raise RuntimeError(f"generator bug: {key} is {figures[key]}, target {expected[key]}")

    report("files", 0.7)
    written = output.write_all(out_dir, fmt, pl_places, people, nonres, periods, counts, scale, rng)
    written |= statuses.write_statuses(out_dir, people, pl_places.communes, profiles, declassified)
    manifest = output.manifest(scale, seed, fmt, expected, figures, written, counts, pl_places.communes)
    manifest["generation_seconds"] = round(time.perf_counter() - started, 1)
    manifest["files_version"] = FILES_VERSION
    (out_dir / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    report("done", 1.0)
    return manifest
