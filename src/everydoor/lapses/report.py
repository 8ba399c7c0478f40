"""The lapse list summed up: per reason, commune, village and payer group (they add up to the total)."""

from __future__ import annotations

import polars as pl

from everydoor.lapses.support import REASONS


def _measures() -> list[pl.Expr]:
    # A person: the resident, else the card's holder known only by the card (ids are positive: no clash).
    person = pl.coalesce(pl.col("person_id"), -pl.col("card_id"))
    return [
        pl.len().alias("rows"),
        pl.col("card_lapses").sum().alias("cards_lapsing"),
        (~pl.col("card_lapses")).sum().alias("supports_ending"),
        person.n_unique().alias("people"),
        pl.col("household_id").drop_nulls().n_unique().alias("households"),
        pl.col("premium").sum().alias("premium"),
        pl.col("expected_loss").sum().round(1).alias("expected_loss"),
    ]


def _table(rows: pl.DataFrame, by: str, names: pl.DataFrame | None = None) -> list[dict]:
    table = rows.group_by(by).agg(_measures()).sort(["rows", by], descending=[True, False])
    if names is not None:
        table = table.join(names, on=by, how="left").select(list(names.columns) + [c for c in table.columns if c != by and c not in names.columns])
    return table.to_dicts()


def summarize(rows: pl.DataFrame, units: pl.DataFrame) -> dict:
    """Totals, then one table per reason, commune, village and payer group."""
    if "expected_loss" not in rows.columns:
        rows = rows.with_columns(expected_loss=pl.lit(None, dtype=pl.Float64))
    communes = units.filter(pl.col("level") == "commune").select(commune_id="unit_id", commune_code="code",
                                                                  commune="name")
    villages = units.filter(pl.col("level") == "village").select(village_id="unit_id", village="name").join(
        rows.select("village_id", "commune_id").unique("village_id"), on="village_id").join(
        communes.select("commune_id", "commune"), on="commune_id", how="left").drop("commune_id")
    total = rows.select(_measures()).to_dicts()[0]
    by_reason = _table(rows, "reason")
    for row in by_reason:
        row["meaning"] = REASONS.get(row["reason"], "")
    return {
        "total": total,
        "by_reason": by_reason,
        "by_commune": _table(rows, "commune_id", communes),
        "by_village": _table(rows.filter(pl.col("village_id").is_not_null()), "village_id", villages),
        "by_payer_group": _table(rows, "payer_group"),
    }
