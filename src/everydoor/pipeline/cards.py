"""Validation of a participant-register extract: pure frame in, good rows and quarantine out."""

import polars as pl

from everydoor.pipeline.checks import (
    ID_ERROR,
    Check,
    Flag,
    flags_column,
    id_contradiction_flags,
    quarantine_frame,
    with_card_number_checks,
    with_personal_id_checks,
)
from everydoor.pipeline.columns import CARD_COLUMNS
from everydoor.pipeline.readers import ROW
from everydoor.pipeline.values import folded, per_distinct, sex_code, with_date, with_values
from everydoor.rules import identifiers_polars as ids
from everydoor.rules import law


def validate_cards(frame: pl.DataFrame, *, file_name: str,
                   commune_ids: pl.Series) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Returns (rows to load, quarantine). `commune_ids` is the resolved commune per row (null if none)."""
    frame = frame.with_columns(pl.col("card_number").str.to_uppercase(), pl.col("group_code").str.to_uppercase(),
                               commune_ids.alias("commune_id"))
    for column, partial in (("date_of_birth", True), ("valid_from", False), ("valid_to", False)):
        frame = with_date(frame, column, partial=partial)
    frame = with_card_number_checks(frame, "card_number")
    frame = with_values(frame, "sex", sex_code=sex_code("sex"))
    frame = with_values(frame, "full_name", name_key=folded("full_name"))
    frame = frame.lazy().with_columns(ids.si_code_error("si_code").alias("si_code_error"),
                                      pl.col("benefit_level").cast(pl.Int16, strict=False).alias("level_value")).collect()
    frame = with_personal_id_checks(frame, "personal_id", "sex_code", "date_of_birth_y")
    checks = [
        Check("card_number", pl.when(pl.col("card_number").is_null() & pl.col("si_code").is_null())
              .then(pl.lit("required")).otherwise(pl.col("card_number_error"))),
        Check("si_code", pl.col("si_code_error")),
        Check("personal_id", pl.col(ID_ERROR)),
        Check("full_name", pl.when(pl.col("full_name").is_null()).then(pl.lit("required"))),
        Check("date_of_birth", pl.col("date_of_birth_error")),
        Check("valid_from", pl.when(pl.col("valid_from").is_null()).then(pl.lit("required"))
              .otherwise(pl.col("valid_from_error"))),
        Check("valid_to", pl.when(pl.col("valid_to").is_null()).then(pl.lit("required"))
              .otherwise(pl.col("valid_to_error"))
              .fill_null(pl.when(pl.col("valid_to_date") < pl.col("valid_from_date"))
                         .then(pl.lit("valid_to_before_valid_from")))),
        Check("benefit_level", pl.when(pl.col("benefit_level").is_not_null()
                                       & ~pl.col("level_value").is_between(1, 5)).then(pl.lit("unknown_level"))),
        Check("commune", pl.when(pl.col("commune").is_not_null() & pl.col("commune_id").is_null())
              .then(pl.lit("unresolvable_commune"))),
    ]
    quarantine = quarantine_frame(frame, checks, file_name, list(CARD_COLUMNS))
    good = frame.filter(~pl.col(ROW).is_in(quarantine[ROW].implode())).with_columns(
        pl.coalesce("group_code", "card_group").alias("group"),
        pl.coalesce("level_value", "card_level").alias("level"),
        pl.coalesce("si_code", "card_si").alias("si"),
    )
    # The rules' look-ups by group and date, once per distinct combination (few) rather than per row.
    good = per_distinct(good, ["group", "level", "valid_from_date"], lambda distinct: distinct.with_columns(
        ids.card_level_mismatch("group", "level", "valid_from_date").alias("level_group_mismatch"),
        pl.col("group").replace_strict(law.law().group_payer, default="").alias("payer_group")))
    flags = [
        Flag("sex_unknown", pl.col("sex").is_not_null() & pl.col("sex_code").is_null()),
        Flag("no_personal_id", pl.col("personal_id").is_null()),
        Flag("partial_dob", pl.col("date_of_birth_d").is_null()),
        Flag("card_si_mismatch", pl.col("card_si").is_not_null() & pl.col("si_code").is_not_null()
             & (pl.col("card_si") != pl.col("si_code"))),
        Flag("card_group_mismatch", pl.col("card_group").is_not_null() & pl.col("group_code").is_not_null()
             & (pl.col("card_group") != pl.col("group_code"))),
        Flag("card_level_mismatch", pl.col("card_level").is_not_null() & pl.col("level_value").is_not_null()
             & (pl.col("card_level") != pl.col("level_value"))),
        Flag("unknown_group", pl.col("group").is_not_null() & ~pl.col("group").is_in(list(law.known_group_codes()))),
        Flag("level_group_mismatch", pl.col("level_group_mismatch").is_not_null()),
        *id_contradiction_flags(),
        Flag("commune_unresolved", pl.col("commune_id").is_null() & pl.col("address").is_not_null()),
    ]
    good = good.lazy().with_columns(
        pl.concat_str(pl.coalesce("card_number", "si_code"), pl.lit("|"), "valid_from_text").alias("record_key"),
        "payer_group",
        flags_column(flags).alias("flags"),
        raw_record(good),
    ).collect()
    return good, quarantine


# The text a card row stores under the name of a received column (the others are not on the row).
STORED_TEXT: dict[str, pl.Expr] = {
    "si_code": pl.col("si").fill_null(""), "card_number": pl.col("card_number").fill_null(""),
    "personal_id": pl.col("personal_id").fill_null(""), "full_name": pl.col("full_name"),
    "sex": pl.col("sex_code").fill_null(""), "group_code": pl.col("group").fill_null(""),
    "benefit_level": pl.col("level").cast(pl.String),
    "valid_from": pl.col("valid_from_text"), "valid_to": pl.col("valid_to_text"),
    "address": pl.col("address").fill_null(""), "clinic_code": pl.col("clinic_code").fill_null(""),
}


def raw_record(frame: pl.DataFrame) -> pl.Series:
    """The received fields the card row does not already hold as received, as a JSON object.

    Most received values are stored unchanged; keeping only the others makes the raw record a
    fraction of its full size, which every import writes. `registry.selectors.card_raw` puts the
    whole record back together.
    """
    always, sometimes = [], {}  # columns kept on every row; columns kept on some rows -> on which
    for column in CARD_COLUMNS:
        stored = STORED_TEXT.get(column)
        differs = None if stored is None else frame.select(pl.col(column).ne_missing(stored)).to_series()
        if differs is None or differs.all():
            always.append(column)
        elif differs.any():
            sometimes[column] = differs
        # else stored unchanged on every row, as most columns are

    def encode(rows: pl.DataFrame, columns: set[str]) -> pl.Series:
        return rows.select(pl.struct([c for c in CARD_COLUMNS if c in columns]).struct.json_encode()).to_series()

    # Encoding is the costly part: one pass over every row for the columns they all keep, then the
    # (few) rows that keep more, encoded again on their own, group by group, and put in place.
    raw = encode(frame, set(always)).alias("raw")
    if sometimes:
        kept = pl.DataFrame(sometimes).with_row_index("_position").filter(pl.any_horizontal(*sometimes))
        for (*group, positions) in kept.group_by(*sometimes).agg("_position").iter_rows():
            columns = set(always) | {c for c, keep in zip(sometimes, group, strict=True) if keep}
            raw.scatter(positions, encode(frame.select(*CARD_COLUMNS)[positions], columns))
    return raw
