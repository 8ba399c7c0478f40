"""Scenarios of rule changes, tried on top of the dated rules without writing them (docs/formats.md).

A scenario file lists changes, each from a date: a commune leaving the especially-difficult list
(`commune_leaves`), one entering it (`commune_enters`), a card group's support share changing
(`support_share`). They are applied to a copy of the list statuses held in memory and to the premiums
computed for this run only; law.toml, the overrides file and geo.AreaStatus are never written.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import polars as pl

from everydoor.core.tables import iso_date, problem, read_table, refuse_problems, words
from everydoor.coverage.selectors import Area
from everydoor.lapses import forecast as fc
from everydoor.lapses.services import (
    Registers,
    area_communes,
    households_of,
    lapse_rows,
    province_of,
    registers_read,
)
from everydoor.rules import law

CHANGES = ("commune_leaves", "commune_enters", "support_share")
SHOWN = 50  # affected residents listed in the result (all are counted)


def scenario_read(path: Path | str) -> pl.DataFrame:
    """The changes, checked: all rows or none, errors naming row and field."""
    from everydoor.geo.statuses import _commune_ids

    table = read_table(path, ("change", "date"), ("commune", "group", "share", "source"))
    table = table.with_columns(change=pl.col("change").map_elements(lambda v: words(v).replace(" ", "_"),
                                                                     return_dtype=pl.Utf8),
                               day=iso_date("date"), share_value=pl.col("share").str.to_decimal(scale=4))
    found = _commune_ids(table["commune"].drop_nulls().unique().to_list())
    table = table.with_columns(
        commune_id=pl.col("commune").replace_strict({k: v[0] for k, v in found.items()}, default=None,
                                                    return_dtype=pl.Int64),
        commune_problem=pl.col("commune").replace_strict({k: v[1] for k, v in found.items()}, default="",
                                                         return_dtype=pl.Utf8))
    on_commune = pl.col("change").is_in(["commune_leaves", "commune_enters"])
    known_groups = sorted(law.known_group_codes())
    refuse_problems(path, [
        problem(table, ~pl.col("change").is_in(CHANGES), "change",
                pl.format("'{}' is not one of {}", pl.col("change").fill_null(""), pl.lit(", ".join(CHANGES)))),
        problem(table, pl.col("day").is_null(), "date", pl.format("'{}' is not a date (YYYY-MM-DD)",
                                                                  pl.col("date").fill_null(""))),
        problem(table, on_commune & pl.col("commune").is_null(), "commune", "empty: name the commune"),
        problem(table, on_commune & pl.col("commune").is_not_null() & pl.col("commune_id").is_null(), "commune",
                pl.col("commune_problem")),
        problem(table, (pl.col("change") == "support_share") & ~pl.col("group").is_in(known_groups), "group",
                pl.format("'{}' is not a card group code", pl.col("group").fill_null(""))),
        problem(table, (pl.col("change") == "support_share")
                & (pl.col("share_value").is_null() | (pl.col("share_value") < 0) | (pl.col("share_value") > 1)),
                "share", "a share between 0 and 1 (e.g. 0.7)"),
    ])
    return table.select("_row", "change", "day", "commune_id", "group", "share_value",
                        source=pl.col("source").fill_null(f"scenario {Path(path).name}"))


def scenario_apply(regs: Registers, changes: pl.DataFrame) -> tuple[Registers, dict]:
    """A copy of the registers' list statuses with the changes, and the support shares to use instead."""
    statuses = regs.statuses
    for change in changes.filter(pl.col("change") == "commune_leaves").iter_rows(named=True):
        last = change["day"] - dt.timedelta(days=1)
        covering = ((pl.col("commune_id") == change["commune_id"]) & (pl.col("effective_from") <= last)
                    & (pl.col("effective_to").is_null() | (pl.col("effective_to") > last)))
        statuses = statuses.with_columns(effective_to=pl.when(covering).then(pl.lit(last)).otherwise("effective_to"))
    entering = changes.filter(pl.col("change") == "commune_enters").select(
        "commune_id", status=pl.lit("especially_difficult"), effective_from="day",
        effective_to=pl.lit(None, dtype=pl.Date), source="source")
    statuses = pl.concat([statuses, entering.cast(statuses.schema)])
    shares: dict[str, list[tuple[dt.date, float]]] = {}
    for change in changes.filter(pl.col("change") == "support_share").iter_rows(named=True):
        shares.setdefault(change["group"], []).append((change["day"], float(change["share_value"])))
    return dataclasses.replace(regs, statuses=statuses), shares


def forecast_with(*, area: Area, as_of: dt.date, at: dt.date, scenario: Path | None = None,
                  today: dt.date | None = None, regs: Registers | None = None) -> dict:
    """The forecast under the rules in force; with a scenario, also under it, and who it touches."""
    regs = regs or registers_read(with_households=scenario is not None)
    commune_ids, village_id = area_communes(area)
    province = province_of(area)
    base_rows = lapse_rows(regs, as_of=as_of, until=at, commune_ids=commune_ids, village_id=village_id,
                           province=province)
    rates = fc.renewal_rates(regs, as_of=as_of, province=province)
    result = fc.forecast(area=area, as_of=as_of, at=at, regs=regs, rows=base_rows, rates=rates, today=today)
    if scenario is None:
        return result
    changes = scenario_read(scenario)
    changed, shares = scenario_apply(regs, changes)
    rows = lapse_rows(changed, as_of=as_of, until=at, commune_ids=commune_ids, village_id=village_id,
                      province=province, share_changes=shares)
    tried = fc.forecast(area=area, as_of=as_of, at=at, regs=changed, rows=rows, rates=rates, today=today)
    # Touched: a row that appears, disappears (the support no longer ends: "kept", nothing more to pay) or
    # changes its reason or premium.
    columns = ["card_id", "si_code", "person_id", "household_id", "commune_id", "group_code", "reason", "date",
               "premium", "premium_source"]
    before = base_rows.select("card_id", reason_before="reason", premium_before="premium")
    gone = base_rows.join(rows.select("card_id"), on="card_id", how="anti").select(columns).with_columns(
        reason=pl.lit("kept"), premium=pl.lit(0, dtype=pl.Int64), premium_source=pl.lit("scenario"))
    affected = pl.concat([rows.select(columns), gone]).join(before, on="card_id", how="left").filter(
        pl.col("reason_before").is_null() | (pl.col("reason_before") != pl.col("reason"))
        | (pl.col("premium_before") != pl.col("premium")))
    affected = affected.join(households_of(regs).select("household_id", "household_code"), on="household_id",
                             how="left")
    result["scenario"] = {
        "file": Path(scenario).name, "changes": changes.drop("_row").to_dicts(),
        "residents_affected": affected["person_id"].drop_nulls().n_unique(),
        "cards_affected": affected.height,
        "premium_affected": int(affected["premium"].sum()),
        "premium_affected_before": int(affected["premium_before"].fill_null(0).sum()),
        "cards": tried["cards"], "rate_pct": tried["rate_pct"],
        "projected_loss": tried["cards"]["expected"] - result["cards"]["expected"],
        "affected": affected.sort("date", "household_id").head(SHOWN).select(
            "card_id", "si_code", "person_id", "household_code", "commune_id", "group_code", "reason", "date",
            "premium_before", "premium", "premium_source").to_dicts(),
        "note": "applied in memory for this forecast; the rules and list statuses are unchanged",
    }
    return result
