"""Realistic defects of agency extracts: variants, partial dates, duplicates, malformed rows.

Defects that a loader accepts (flags, variants, legacy addresses, duplicates) keep every
target count unchanged; malformed rows are *extra* rows that a loader must quarantine.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from everydoor.core.text import strip_diacritics
from everydoor.demo import names

LEGACY_ADDRESS_SHARE = 0.15
NO_DIACRITICS_SHARE = 0.05
MISSPELLED_SHARE = 0.01
MISSING_ID_SHARE = 0.02
DUPLICATE_SHARE = 0.002
CONTRADICTION_SHARE = 0.0005
SWAPPED_DOB_SHARE = 0.01
MALFORMED_ROWS = 120  # per file at scale 1


def _mask(n: int, share: float, rng: np.random.Generator) -> pl.Series:
    return pl.Series(rng.random(n) < share)


def commune_and_address(frame: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Commune as written by clerks, and an address; ~15% legacy addresses with no commune.

    Needs columns village, commune_name, commune_short, commune_code, legacy_ward,
    legacy_district, legacy_province. A legacy ward always maps wholly to the commune.
    """
    n = frame.height
    r = pl.Series(rng.random(n))
    short = frame["commune_short"]
    folded = short.unique().to_list()
    folded_map = {s: strip_diacritics(s) for s in folded}
    legacy = pl.Series(rng.random(n) < LEGACY_ADDRESS_SHARE)
    return frame.with_columns(
        _r=r, _legacy=legacy,
        _folded=short.replace_strict(folded_map, return_dtype=pl.String),
    ).with_columns(
        commune=pl.when(pl.col("_legacy")).then(pl.lit(""))
        .when(pl.col("_r") < 0.05).then(pl.col("_folded"))
        .when(pl.col("_r") < 0.10).then(pl.col("commune_code"))
        .when(pl.col("_r") < 0.14).then(pl.col("commune_short"))
        .otherwise(pl.col("commune_name")),
        address=pl.when(pl.col("_legacy")).then(
            pl.concat_str(["village", "legacy_ward", "legacy_district", "legacy_province"], separator=", ")
        ).otherwise(pl.concat_str([pl.col("village"), pl.col("commune_name"), pl.lit("Tỉnh Lào Cai")], separator=", ")),
    ).drop("_r", "_legacy", "_folded")


def names_with_defects(frame: pl.DataFrame, rng: np.random.Generator,
                       no_diacritics: float = NO_DIACRITICS_SHARE) -> pl.DataFrame:
    n = frame.height
    return frame.with_columns(
        full_name=pl.when(_mask(n, no_diacritics, rng)).then(names.strip_expr("full_name"))
        .when(_mask(n, MISSPELLED_SHARE, rng) & (pl.col("ethnicity") != "Kinh"))
        .then(names.misspell_expr("full_name"))
        .otherwise(pl.col("full_name"))
    )


def contradict_ids(frame: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """~0.05% of IDs whose sex digit or birth year disagrees with the record."""
    n = frame.height
    pid = frame["personal_id"]
    flip_sex = pl.concat_str([
        pid.str.slice(0, 3),
        (pid.str.slice(3, 1).cast(pl.Int64) // 2 * 2 + 1 - pid.str.slice(3, 1).cast(pl.Int64) % 2).cast(pl.String),
        pid.str.slice(4),
    ])
    shift_year = pl.concat_str([
        pid.str.slice(0, 4),
        ((pid.str.slice(4, 2).cast(pl.Int64) + 3) % 100).cast(pl.String).str.zfill(2),
        pid.str.slice(6),
    ])
    pick = pl.Series(rng.random(n) < CONTRADICTION_SHARE)
    which = pl.Series(rng.random(n) < 0.5)
    return frame.with_columns(
        personal_id=pl.when(pick & pid.is_not_null() & which).then(flip_sex)
        .when(pick & pid.is_not_null()).then(shift_year).otherwise(pid)
    )


def malformed_rows(frame: pl.DataFrame, count: int, errors: list[dict[str, pl.Expr]],
                   rng: np.random.Generator, fresh: dict[str, pl.Series] | None = None) -> pl.DataFrame:
    """Extra copies of random rows, each with one row-level error a loader must quarantine: row i gets
    the values of errors[i % len(errors)] (column -> value). Field-level defects load (flagged), so
    they are not among these."""
    if count <= 0 or frame.height == 0:
        return frame.clear()
    rows = frame.sample(count, seed=int(rng.integers(0, 2**31)), with_replacement=True)
    if fresh:
        rows = rows.with_columns(**{k: v.head(count) for k, v in fresh.items()})
    kind = pl.Series(np.arange(count) % len(errors))
    columns = dict.fromkeys(c for error in errors for c in error)
    changed = {}
    for column in columns:
        value = pl.col(column)
        for number, error in reversed(list(enumerate(errors))):
            if column in error:
                value = pl.when(kind == number).then(error[column]).otherwise(value)
        changed[column] = value
    return rows.with_columns(**changed)


def population_errors() -> list[dict[str, pl.Expr]]:
    """A resident's row-level errors (docs/formats.md): no usable personal ID and no name, or no
    household; no commune that resolves."""
    malformed_id = pl.col("personal_id").fill_null("01019001234").str.slice(0, 11)
    return [{"personal_id": malformed_id, "full_name": pl.lit("")},
            {"personal_id": pl.lit(""), "household_id": pl.lit("")},
            {"commune": pl.lit("Xã Không Tồn Tại"), "address": pl.lit("")},
            {"personal_id": pl.lit(""), "full_name": pl.lit("")}]


def card_errors(impossible_date: str) -> list[dict[str, pl.Expr]]:
    """A card period's row-level errors: neither card number nor SI code usable; no commune that
    resolves; an unusable validity date."""
    return [{"card_number": pl.col("card_number").str.slice(0, 10), "si_code": pl.col("si_code").str.slice(0, 5)},
            {"card_number": pl.lit(""), "si_code": pl.lit("")},
            {"commune": pl.lit("Xã Không Tồn Tại"), "address": pl.lit("")},
            {"valid_from": pl.lit(impossible_date)}]


def duplicates(frame: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    count = int(round(frame.height * DUPLICATE_SHARE))
    if count == 0:
        return frame.clear()
    return frame.sample(count, seed=int(rng.integers(0, 2**31)))
