"""Independent check of demo output: re-derives every target figure from the files alone.

It reads the written files with Polars, applies the hard-error rules of docs/formats.md
(quarantined rows never count), resolves communes (name, folded name, code, or a legacy
address through the package's converter) and counts. Run on a folder:
``python tests/demo/check.py DIR``.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import sys
from importlib import resources
from pathlib import Path

import polars as pl

from everydoor.core.text import fold, full_key

AS_OF = dt.date(2025, 10, 31)
YEAR_BEFORE = dt.date(2024, 10, 31)
CARD_RE = r"^[A-Z]{2}[1-5][0-9]{2}[0-9]{10}$"


def _communes() -> tuple[pl.DataFrame, dict[str, str]]:
    data = resources.files("vietnamadminunits").joinpath("data")
    with resources.as_file(data.joinpath("dataset.db")) as path:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        rows = con.execute(
            "select wardCode, ward, wardShort, wardKey from admin_units where provinceCode = '15'"
        ).fetchall()
        con.close()
    lookup = {}
    for code, name, short, _key in rows:
        for form in (code, name, short, fold(name), fold(short)):
            lookup[form] = code
    converter = json.loads(data.joinpath("converter_2025.json").read_text(encoding="utf-8"))
    by_key = {key: code for code, _n, _s, key in rows}
    legacy = {}
    for new_key, olds in converter["DICT_PROVINCE_WARD_NO_DIVIDED"]["tinhlaocai"].items():
        for old in olds:
            legacy["_".join(full_key(p) for p in old.split("_"))] = by_key[new_key]
    frame = pl.DataFrame(rows, schema=["commune_code", "name", "short", "key"], orient="row")
    return frame, {"lookup": lookup, "legacy": legacy}


def _resolve(frame: pl.DataFrame, maps: dict) -> pl.DataFrame:
    commune = frame["commune"].fill_null("")
    uniq = commune.unique().to_list()
    direct = {c: maps["lookup"].get(c, maps["lookup"].get(fold(c))) for c in uniq}
    address = frame["address"].fill_null("")

    def from_address(text: str) -> str | None:
        parts = [p.strip() for p in text.split(",")]
        if len(parts) >= 4:
            key = f"{full_key(parts[-1])}_{full_key(parts[-2])}_{full_key(parts[-3])}"
            return maps["legacy"].get(key)
        if len(parts) == 3:
            return maps["lookup"].get(parts[1]) or maps["lookup"].get(fold(parts[1]))
        return None

    addr = {a: from_address(a) for a in address.unique().to_list()}
    return frame.with_columns(
        commune_code=pl.Series(commune.replace_strict(direct, return_dtype=pl.String))
        .fill_null(pl.Series(address.replace_strict(addr, return_dtype=pl.String)))
    )


def _read(folder: Path, name: str) -> pl.DataFrame:
    parquet = folder / f"{name}.parquet"
    if parquet.exists():
        return pl.read_parquet(parquet)
    return pl.read_csv(folder / f"{name}.csv", infer_schema=False)


def check(folder: Path) -> dict:
    folder = Path(folder)
    communes, maps = _communes()
    empty = pl.lit("")

    pop = _resolve(_read(folder, "population"), maps)
    dob = pl.col("date_of_birth").fill_null("")
    full_dob = pl.col("date_of_birth").str.strptime(pl.Date, "%Y-%m-%d", strict=False)
    pop = pop.with_columns(
        # Row-level errors only (docs/formats.md): a bad date of birth loads, flagged.
        bad=(~pl.col("personal_id").fill_null("").str.contains(r"^\d{12}$")
             & ((pl.col("full_name").fill_null("") == empty) | (pl.col("household_id").fill_null("") == empty)))
        | pl.col("commune_code").is_null(),
        birth_year=dob.str.slice(0, 4).cast(pl.Int64, strict=False),
        status_day=pl.col("status_date").str.strptime(pl.Date, "%Y-%m-%d", strict=False),
    )
    residents = pop.filter(
        ~pl.col("bad")
        & pl.col("status").fill_null("").is_in(["resident", ""])
        & (pl.col("status_day").is_null() | (pl.col("status_day") <= AS_OF))
        & (full_dob.is_null() | (full_dob <= AS_OF)) & (pl.col("birth_year") <= AS_OF.year)
    )

    cards = _resolve(_read(folder, "cards"), maps)
    parse = lambda c: pl.col(c).str.strptime(pl.Date, "%d/%m/%Y", strict=False)  # noqa: E731
    cards = cards.with_columns(vf=parse("valid_from"), vt=parse("valid_to"))
    cards = cards.with_columns(
        bad=(~pl.col("card_number").fill_null("").str.contains(CARD_RE)
             & ~pl.col("si_code").fill_null("").str.contains(r"^\d{10}$"))
        | pl.col("vf").is_null() | pl.col("vt").is_null() | (pl.col("vt") < pl.col("vf"))
        | pl.col("commune_code").is_null(),
        key=pl.coalesce("card_number", "si_code"),
    )
    good = cards.filter(~pl.col("bad"))

    def valid_on(day: dt.date) -> pl.DataFrame:
        return good.filter((pl.col("vf") <= day) & (pl.col("vt") >= day)).unique(["key", "vf"])

    now, before = valid_on(AS_OF), valid_on(YEAR_BEFORE)
    units = _read(folder, "agency_units")
    by = (
        communes.select("commune_code", "key")
        .join(residents.group_by("commune_code").len("residents"), on="commune_code", how="left")
        .join(now.group_by("commune_code").len("valid"), on="commune_code", how="left")
        .join(before.group_by("commune_code").len("valid_before"), on="commune_code", how="left")
        .join(units, on="commune_code", how="left")
        .fill_null(0)
        .with_columns(coverage=pl.col("valid") / pl.col("residents"))
    )
    plans = _read(folder, "plans").with_columns(pl.col("cards").cast(pl.Int64))
    commune_plans = plans.filter(pl.col("area_code").str.contains(r"^\d{5}$"))
    unit_plans = plans.filter(pl.col("area_code").str.starts_with("BHXH-"))
    bt = by.filter(pl.col("unit_code") == "BHXH-BAOTHANG")
    bt_plan = unit_plans.filter(pl.col("area_code") == "BHXH-BAOTHANG")["cards"].sum()
    return {
        "residents": residents.height,
        "valid_cards": now.height,
        "valid_cards_year_before": before.height,
        "plan_cards": int(plans.filter(pl.col("area_code") == "15")["cards"].sum()),
        "commune_plan_sum": int(commune_plans["cards"].sum()),
        "unit_plan_sum": int(unit_plans["cards"].sum()),
        "communes": by.height,
        "bao_thang_communes": sorted(bt["key"].to_list()),
        "bao_thang_valid_cards": int(bt["valid"].sum()),
        "bao_thang_valid_cards_year_before": int(bt["valid_before"].sum()),
        "bao_thang_plan_cards": int(bt_plan),
        "quarantined_population_rows": int(pop["bad"].sum()),
        "quarantined_card_rows": int(cards["bad"].sum()),
        "duplicate_card_rows": int(good.height - good.unique().height),
        "coverage_by_commune": dict(zip(by["key"], by["coverage"], strict=True)),
        "unresolved_card_communes": int(cards["commune_code"].is_null().sum()),
    }


if __name__ == "__main__":
    result = check(Path(sys.argv[1]))
    result.pop("coverage_by_commune")
    print(json.dumps(result, ensure_ascii=False, indent=1))
