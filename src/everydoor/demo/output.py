"""Figures of the generated province, file rendering (with defects) and the manifest."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from everydoor.demo import defects, places, targets

POPULATION_COLUMNS = [
    "personal_id", "full_name", "date_of_birth", "sex", "ethnicity", "household_id",
    "relation_to_head", "village", "commune", "province", "address", "status", "status_date",
]
CARD_COLUMNS = [
    "si_code", "card_number", "personal_id", "full_name", "date_of_birth", "sex", "group_code",
    "benefit_level", "valid_from", "valid_to", "commune", "province", "address", "clinic_code",
]
RESIDENT_CATEGORIES = ("stayer", "baby", "mover_in")


def _valid_on(periods: pl.DataFrame, day) -> pl.DataFrame:
    return periods.filter((pl.col("valid_from") <= day) & (pl.col("valid_to") >= day)).unique(
        ["card_number", "valid_from"]
    )


def figures(people: pl.DataFrame, periods: pl.DataFrame, counts: pl.DataFrame,
            communes: pl.DataFrame) -> dict:
    residents = people.filter(pl.col("category").is_in(RESIDENT_CATEGORIES))
    now = _valid_on(periods, targets.AS_OF)
    before = _valid_on(periods, targets.YEAR_BEFORE)
    by_commune = (
        communes.select("commune_idx", "commune_code", "commune_key", "unit_code")
        .join(residents.group_by("commune_idx").len("residents"), on="commune_idx", how="left", maintain_order="left")
        .join(now.group_by("commune_idx").len("valid"), on="commune_idx", how="left", maintain_order="left")
        .join(before.group_by("commune_idx").len("valid_before"), on="commune_idx", how="left", maintain_order="left")
        .fill_null(0)
    )
    bt = by_commune.filter(pl.col("unit_code") == "BHXH-BAOTHANG")
    return {
        "residents": residents.height,
        "valid_cards": now.height,
        "valid_cards_year_before": before.height,
        "bao_thang_valid_cards": int(bt["valid"].sum()),
        "bao_thang_valid_cards_year_before": int(bt["valid_before"].sum()),
        "by_commune": by_commune,
    }


def _fmt_date(column: str, style: str) -> pl.Expr:
    fmt = "%d/%m/%Y" if style == "dmy" else "%Y-%m-%d"
    return pl.col(column).dt.strftime(fmt)


def _places_columns(frame: pl.DataFrame, pl_places: places.Places) -> pl.DataFrame:
    villages = pl_places.villages.select("village_idx", "village", "legacy_idx")
    legacy = pl_places.legacy.select("legacy_idx", "legacy_ward", "legacy_district", "legacy_province")
    communes = pl_places.communes.select("commune_idx", "commune_code", "commune_name", "commune_short")
    return (
        frame.join(villages, on="village_idx", how="left", maintain_order="left")
        .join(legacy, on="legacy_idx", how="left", maintain_order="left")
        .join(communes, on="commune_idx", how="left", maintain_order="left")
    )


def _partial_dob(frame: pl.DataFrame, style: str, year_share: float, month_share: float,
                 swap_share: float, rng: np.random.Generator) -> pl.DataFrame:
    n = frame.height
    r = pl.Series(rng.random(n))
    year = pl.col("birth").dt.year().cast(pl.String)
    month = pl.col("birth").dt.month().cast(pl.String).str.zfill(2)
    day = pl.col("birth").dt.day().cast(pl.String).str.zfill(2)
    full = _fmt_date("birth", style)
    month_year = pl.concat_str([month, year], separator="/") if style == "dmy" else pl.concat_str([year, month], separator="-")
    swapped = pl.concat_str([month, day, year], separator="/")
    swappable = (pl.col("birth").dt.day() <= 12) & (pl.col("birth").dt.day() != pl.col("birth").dt.month())
    return frame.with_columns(_r=r).with_columns(
        date_of_birth=pl.when(pl.col("_r") < year_share).then(year)
        .when(pl.col("_r") < year_share + month_share).then(month_year)
        .when((pl.col("_r") < year_share + month_share + swap_share) & swappable & pl.lit(style == "dmy")).then(swapped)
        .otherwise(full)
    ).drop("_r")


def population_frame(people: pl.DataFrame, pl_places: places.Places, rng: np.random.Generator) -> pl.DataFrame:
    frame = _places_columns(people, pl_places).sort("person_idx")
    frame = defects.commune_and_address(frame, rng)
    frame = _partial_dob(frame, "iso", 0.002, 0.001, 0.0, rng)
    frame = frame.with_columns(
        personal_id=pl.col("personal_id").cast(pl.String).str.zfill(12),
        sex=pl.when(pl.col("male")).then(pl.lit("Nam")).otherwise(pl.lit("Nữ")),
        household_id=pl.concat_str([pl.lit("HK"), pl.col("household_idx").cast(pl.String).str.zfill(8)]),
        relation_to_head=pl.col("relation"),
        province=pl.lit(places.PROVINCE_NAME),
        status=pl.when((pl.col("status") == "resident") & pl.Series(rng.random(frame.height) < 0.3))
        .then(pl.lit("")).otherwise(pl.col("status")),
        status_date=_fmt_date("status_date", "iso").fill_null(""),
    )
    frame = defects.names_with_defects(frame, rng, no_diacritics=0.005)
    frame = defects.contradict_ids(frame, rng)
    return frame.select(POPULATION_COLUMNS)


def cards_frame(periods: pl.DataFrame, holders: pl.DataFrame, pl_places: places.Places,
                rng: np.random.Generator) -> pl.DataFrame:
    frame = periods.join(
        holders.select("person_idx", "personal_id", "full_name", "birth", "male", "ethnicity", "village_idx"),
        on="person_idx", how="left",
    )
    frame = _places_columns(frame, pl_places).sort("commune_idx", "si_code", "valid_from")
    frame = defects.commune_and_address(frame, rng)
    frame = _partial_dob(frame, "dmy", 0.03, 0.01, defects.SWAPPED_DOB_SHARE, rng)
    frame = frame.with_columns(
        personal_id=pl.when(pl.Series(rng.random(frame.height) < defects.MISSING_ID_SHARE))
        .then(pl.lit(None, dtype=pl.String)).otherwise(pl.col("personal_id").cast(pl.String).str.zfill(12)),
        sex=pl.when(pl.col("male")).then(pl.lit("M")).otherwise(pl.lit("F")),
        group_code=pl.col("group"),
        valid_from=_fmt_date("valid_from", "dmy"),
        valid_to=_fmt_date("valid_to", "dmy"),
        province=pl.lit("Lào Cai"),
        clinic_code=pl.concat_str([pl.col("card_province"), (pl.col("commune_idx") + 100).cast(pl.String)]),
    )
    frame = defects.names_with_defects(frame, rng)
    frame = defects.contradict_ids(frame, rng)
    return frame.select(CARD_COLUMNS)


def write_all(out_dir: Path, fmt: str, pl_places: places.Places, people: pl.DataFrame,
              nonres: pl.DataFrame, periods: pl.DataFrame, counts: pl.DataFrame, scale: float,
              rng: np.random.Generator) -> dict:
    malformed = max(5, int(round(defects.MALFORMED_ROWS * scale)))
    population = population_frame(people, pl_places, rng)
    bad_pop = defects.malformed_rows(population, malformed, defects.population_errors(), rng)
    population = pl.concat([population, bad_pop])

    columns = ["person_idx", "personal_id", "full_name", "birth", "male", "ethnicity", "village_idx"]
    holders = pl.concat([people.select(columns), nonres.select(columns)], how="vertical_relaxed")
    card_rows = cards_frame(periods, holders, pl_places, rng)
    dup = defects.duplicates(card_rows, rng)
    fresh_si = pl.Series([f"99{i:08d}" for i in range(malformed)])
    bad_cards = defects.malformed_rows(
        card_rows, malformed, defects.card_errors("31/02/2025"), rng,
        fresh={"si_code": fresh_si, "card_number": pl.Series([f"GD415{s}" for s in fresh_si]),
               "group_code": pl.Series(["GD"] * malformed), "benefit_level": pl.Series([4] * malformed)},
    )
    card_rows = pl.concat([card_rows, dup, bad_cards])

    if fmt == "parquet":
        population.write_parquet(out_dir / "population.parquet")
        card_rows.write_parquet(out_dir / "cards.parquet")
    else:
        population.write_csv(out_dir / "population.csv")
        card_rows.write_csv(out_dir / "cards.csv")

    truth = periods.join(people.select("person_idx", "personal_id"), on="person_idx", how="left", maintain_order="left").select(
        "card_number", "si_code", pl.col("valid_from").dt.strftime("%Y-%m-%d"),
        personal_id=pl.col("personal_id").cast(pl.String).str.zfill(12),
    )
    truth.sort("card_number", "valid_from").write_csv(out_dir / "truth.csv")
    _plans(counts, pl_places.communes).write_csv(out_dir / "plans.csv")
    pl_places.communes.select("unit_code", "unit_name", commune_code="commune_code").sort(
        "unit_code", "commune_code").write_csv(out_dir / "agency_units.csv")
    return {
        "population_rows": population.height, "population_malformed_rows": bad_pop.height,
        "card_rows": card_rows.height, "card_duplicate_rows": dup.height,
        "card_malformed_rows": bad_cards.height, "truth_rows": truth.height,
    }


def _plans(counts: pl.DataFrame, communes: pl.DataFrame) -> pl.DataFrame:
    commune = counts.select("commune_idx", "plan").join(
        communes.select("commune_idx", "commune_code", "unit_code"), on="commune_idx"
    )
    rows = [
        pl.DataFrame({"area_code": [places.PROVINCE_CODE], "cards": [int(commune["plan"].sum())]}),
        commune.group_by("unit_code").agg(cards=pl.col("plan").sum()).rename({"unit_code": "area_code"}).sort("area_code"),
        commune.select(area_code="commune_code", cards="plan").sort("area_code"),
    ]
    return pl.concat([r.with_columns(pl.col("cards").cast(pl.Int64)) for r in rows]).with_columns(
        year=pl.lit(targets.PLAN_YEAR), decision=pl.lit(targets.PLAN_DECISION)
    ).select("area_code", "year", "cards", "decision")


def manifest(scale: float, seed: int, fmt: str, expected: dict, figures: dict, written: dict,
             counts: pl.DataFrame, communes: pl.DataFrame) -> dict:
    by = figures["by_commune"].with_columns(coverage=pl.col("valid") / pl.col("residents"))
    plans = counts.select("commune_idx", "plan")
    by = by.join(plans, on="commune_idx").sort("commune_code")
    return {
        "province": {"code": places.PROVINCE_CODE, "name": places.PROVINCE_NAME, "communes": communes.height},
        "as_of": targets.AS_OF.isoformat(),
        "year_before": targets.YEAR_BEFORE.isoformat(),
        "seed": seed, "scale": scale, "format": fmt,
        "definitions": {
            "residents": "population rows with status resident or empty, status_date <= as_of or empty, born <= as_of (malformed rows excluded)",
            "valid_cards": "distinct (card_number, else si_code; valid_from) among card rows with valid_from <= as_of <= valid_to (duplicates and malformed rows excluded)",
            "valid_cards_year_before": "the same count on year_before",
            "coverage": "valid cards whose card commune is the area / residents of the area (official rate)",
            "plan_cards": "plans.csv province row; commune rows add up to it; unit rows are sums of their communes",
            "truth": "truth.csv: one row per real card period; personal_id empty for holders absent from the population file",
        },
        "targets": {
            **expected,
            "plan_decision": targets.PLAN_DECISION,
            "coverage_rate": round(expected["valid_cards"] / expected["residents"], 4),
            "plan_attained": round(expected["valid_cards"] / expected["plan_cards"], 4),
            "change_on_year": expected["valid_cards"] - expected["valid_cards_year_before"],
            "lagging_communes_below_rate": list(targets.LAGGING_COMMUNES),
            "communes_above": targets.HIGH_COMMUNES,
        },
        "figures": {k: v for k, v in figures.items() if k != "by_commune"},
        "flows": {c: int(counts[c].sum()) for c in (
            "babies", "movers_in", "deceased", "moved_out", "babies_card", "movers_in_card",
            "deceased_card", "moved_out_card", "moved_out_valid", "nonres_now", "nonres_before",
            "double_now", "double_before", "covered_both", "lapsed", "enrolled", "never")},
        "rows": written,
        "communes": by.select(
            "commune_code", "commune_key", "unit_code", "residents", "valid", "valid_before", "plan",
            pl.col("coverage").round(4),
        ).to_dicts(),
    }
