"""Row checks as data: a hard error sends the row to quarantine, a flag loads it and marks it."""

from dataclasses import dataclass

import polars as pl

from everydoor.pipeline.readers import ROW
from everydoor.rules import identifiers, identifiers_polars


@dataclass(frozen=True)
class Check:
    """`reason` is an expression giving the reason code for a bad row, null for a good one."""

    field: str
    reason: pl.Expr


@dataclass(frozen=True)
class Flag:
    code: str
    when: pl.Expr


def quarantine_frame(frame: pl.DataFrame, checks: list[Check], file_name: str,
                     raw_columns: list[str]) -> pl.DataFrame:
    """One row per (row, field) that failed a hard check: file, row, field, reason, message, raw JSON."""
    parts = []
    for check in checks:
        bad = frame.select(ROW, check.reason.alias("reason"), pl.col(check.field).alias("value")
                           ).filter(pl.col("reason").is_not_null())
        if bad.height:
            parts.append(bad.with_columns(pl.lit(check.field).alias("field")))
    if not parts:
        return pl.DataFrame(schema={ROW: pl.UInt32, "field": pl.String, "reason": pl.String,
                                    "message": pl.String, "raw": pl.String, "file_name": pl.String})
    bad = pl.concat(parts)
    raw = frame.join(bad.select(ROW).unique(), on=ROW, how="semi").select(
        ROW, pl.struct(raw_columns).struct.json_encode().alias("raw"))  # only the rejected rows
    bad = bad.join(raw, on=ROW, how="left")
    return bad.select(
        ROW, "field", "reason",
        pl.format("{}, row {}, {}: {} ({})", pl.lit(file_name), pl.col(ROW), pl.col("field"),
                  pl.col("reason").str.replace_all("_", " "),
                  pl.col("value").fill_null("empty")).str.slice(0, 500).alias("message"),
        "raw", pl.lit(file_name).alias("file_name"),
    ).sort(ROW, "field")


def flags_column(flags: list[Flag]) -> pl.Expr:
    """Comma-separated codes of the flags a row carries ('' when none)."""
    if not flags:
        return pl.lit("")
    return pl.concat_str([pl.when(f.when).then(pl.lit(f.code)) for f in flags], separator=",",
                         ignore_nulls=True).fill_null("")


def id_contradiction_flags(id_column: str, sex_column: str, year_column: str) -> list[Flag]:
    """A well-formed personal ID whose sex or birth-year digits disagree with the record."""
    found = identifiers_polars.personal_id_contradiction(id_column, sex_column, year_column)
    return [Flag("id_sex_mismatch", found == identifiers.SEX_MISMATCH),
            Flag("id_birth_year_mismatch", found == identifiers.BIRTH_YEAR_MISMATCH)]
