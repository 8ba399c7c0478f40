"""Validation of a population-register extract: pure frame in, good rows and quarantine out."""

import datetime as dt

import polars as pl

from everydoor.pipeline.checks import (
    ID_ERROR,
    Check,
    FieldDefect,
    Flag,
    flags_column,
    id_contradiction_flags,
    quarantine_frame,
    received_values,
    with_personal_id_checks,
    without_quarantined,
)
from everydoor.pipeline.columns import POPULATION_COLUMNS
from everydoor.pipeline.values import (
    folded,
    phone_number,
    sex_code,
    status_code,
    with_date,
    with_values,
)


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
    frame = frame.with_columns(phone_number("phone").alias("phone_value"))
    # What identifies a resident: a usable personal ID, or else a name within a household (the
    # record key below). What places one: a commune. Only these send a row to quarantine.
    no_id = pl.col("personal_id").is_null() | pl.col(ID_ERROR).is_not_null()
    checks = [
        Check("personal_id", pl.when(no_id & (pl.col("full_name").is_null() | pl.col("household_id").is_null()))
              .then(pl.coalesce(ID_ERROR, pl.lit("required")))),
        Check("full_name", pl.when(no_id & pl.col("full_name").is_null()).then(pl.lit("required"))),
        Check("household_id", pl.when(no_id & pl.col("household_id").is_null()).then(pl.lit("required"))),
        Check("commune", pl.when(pl.col("commune_id").is_null()).then(
            pl.when(pl.col("commune").is_null() & pl.col("address").is_null()).then(pl.lit("required"))
            .otherwise(pl.lit("unresolvable_commune")))),
    ]
    quarantine = quarantine_frame(frame, checks, file_name, list(POPULATION_COLUMNS))
    good = without_quarantined(frame, quarantine)
    # Every other bad field loads empty, flagged, its value received kept in `received`.
    defects = [
        FieldDefect("personal_id", pl.col(ID_ERROR)),
        FieldDefect("full_name", pl.when(pl.col("full_name").is_null()).then(pl.lit("required"))),
        FieldDefect("date_of_birth", pl.when(pl.col("date_of_birth").is_null()).then(pl.lit("required"))
                    .when(pl.col("date_of_birth_error").is_not_null()).then(pl.col("date_of_birth_error"))
                    .when(pl.col("date_of_birth_y") > as_of.year).then(pl.lit("born_after_extract"))),
        FieldDefect("sex", pl.when(pl.col("sex").is_not_null() & pl.col("sex_code").is_null())
                    .then(pl.lit("unknown_sex"))),
        FieldDefect("status", pl.when(pl.col("status").is_not_null() & pl.col("status_code").is_null())
                    .then(pl.lit("unknown_status"))),
        FieldDefect("status_date", pl.col("status_date_error")),
        FieldDefect("phone", pl.when(pl.col("phone").is_not_null() & pl.col("phone_value").is_null())
                    .then(pl.lit("unreadable_phone"))),
    ]
    good = good.with_columns(received_values(good, defects))
    dob_defect = defects[2].reason.is_not_null()
    personal_id = pl.when(pl.col(ID_ERROR).is_null()).then(pl.col("personal_id"))
    flags = [
        *(d.flag for d in defects),
        *id_contradiction_flags(),
        Flag("partial_dob", pl.col("date_of_birth_d").is_null() & ~dob_defect),
        Flag("no_personal_id", personal_id.is_null()),
    ]
    good = good.lazy().with_columns(
        pl.coalesce(personal_id,
                    pl.concat_str(pl.lit("h:"), pl.col("household_id").fill_null(""), pl.lit("|"),
                                  pl.col("name_key").fill_null(""), pl.lit("|"),
                                  pl.col("date_of_birth").fill_null(""))).alias("record_key"),
        pl.col("status_code").fill_null("resident").alias("status_code"),
        flags_column(flags).alias("flags"),
    ).with_columns(
        # The defective fields emptied (after the flags and keys above have read them).
        personal_id.alias("personal_id"),
        *(pl.when(~dob_defect).then(pl.col(c)).alias(c) for c in
          ("date_of_birth_date", "date_of_birth_y", "date_of_birth_m", "date_of_birth_d")),
    ).collect()
    return good, quarantine
