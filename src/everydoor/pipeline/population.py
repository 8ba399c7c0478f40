"""Validation of a population-register extract: pure frame in, good rows and quarantine out."""

import datetime as dt

import polars as pl

from everydoor.pipeline.checks import (
    ID_ERROR,
    Check,
    Flag,
    flags_column,
    id_contradiction_flags,
    quarantine_frame,
    with_personal_id_checks,
)
from everydoor.pipeline.columns import POPULATION_COLUMNS
from everydoor.pipeline.readers import ROW
from everydoor.pipeline.values import folded, sex_code, status_code, with_date, with_values


def validate_population(frame: pl.DataFrame, *, as_of: dt.date, file_name: str,
                        commune_ids: pl.Series) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Returns (rows to load, quarantine). `commune_ids` is the resolved commune per row (null if none)."""
    frame = with_date(frame, "date_of_birth", partial=True)
    frame = with_date(frame, "status_date", partial=False)
    frame = frame.with_columns(commune_ids.alias("commune_id"))
    frame = with_values(frame, "sex", sex_code=sex_code("sex"))
    frame = with_values(frame, "status", status_code=status_code("status"))
    frame = with_values(frame, "full_name", name_key=folded("full_name"))
    frame = with_personal_id_checks(frame, "personal_id", "sex_code", "date_of_birth_y")
    checks = [
        Check("personal_id", pl.col(ID_ERROR)),
        Check("full_name", pl.when(pl.col("full_name").is_null()).then(pl.lit("required"))),
        Check("date_of_birth", pl.when(pl.col("date_of_birth").is_null()).then(pl.lit("required"))
              .when(pl.col("date_of_birth_error").is_not_null()).then(pl.col("date_of_birth_error"))
              .when(pl.col("date_of_birth_y") > as_of.year).then(pl.lit("born_after_extract"))),
        Check("status", pl.when(pl.col("status").is_not_null() & pl.col("status_code").is_null())
              .then(pl.lit("unknown_status"))),
        Check("status_date", pl.col("status_date_error")),
        Check("commune", pl.when(pl.col("commune_id").is_null()).then(
            pl.when(pl.col("commune").is_null() & pl.col("address").is_null()).then(pl.lit("required"))
            .otherwise(pl.lit("unresolvable_commune")))),
    ]
    quarantine = quarantine_frame(frame, checks, file_name, list(POPULATION_COLUMNS))
    good = frame.filter(~pl.col(ROW).is_in(quarantine[ROW].implode()))
    flags = [
        Flag("sex_unknown", pl.col("sex").is_not_null() & pl.col("sex_code").is_null()),
        *id_contradiction_flags(),
        Flag("partial_dob", pl.col("date_of_birth_d").is_null()),
        Flag("no_personal_id", pl.col("personal_id").is_null()),
    ]
    good = good.lazy().with_columns(
        pl.coalesce(pl.col("personal_id"),
                    pl.concat_str(pl.lit("h:"), pl.col("household_id").fill_null(""), pl.lit("|"),
                                  pl.col("name_key"), pl.lit("|"), pl.col("date_of_birth"))).alias("record_key"),
        pl.col("status_code").fill_null("resident").alias("status_code"),
        flags_column(flags).alias("flags"),
    ).collect()
    return good, quarantine
