"""Validation of a participant-register extract: pure frame in, good rows and quarantine out."""

import json

import polars as pl

from everydoor.pipeline.checks import (
    ID_ERROR,
    Check,
    FieldDefect,
    Flag,
    flags_column,
    id_contradiction_flags,
    quarantine_frame,
    with_card_number_checks,
    with_personal_id_checks,
    without_quarantined,
)
from everydoor.pipeline.columns import CARD_COLUMNS
from everydoor.pipeline.values import folded, per_distinct, sex_code, with_date, with_values
from everydoor.rules import identifiers_polars as ids
from everydoor.rules import law

# A card period's record key: its card number (its SI code when it has none), KEY_SEPARATOR, its first day.
KEY_SEPARATOR = "|"


def record_key_range(card_number: str) -> tuple[str, str]:
    """The record keys of a card number's periods lie in [low, high): they all start with the number and
    the separator (and keys compare byte by byte: see core.fields.CodeField)."""
    return card_number + KEY_SEPARATOR, card_number + chr(ord(KEY_SEPARATOR) + 1)


def validate_cards(frame: pl.DataFrame, *, file_name: str, commune_ids: pl.Series,
                   places: list[tuple[int, str, str]] | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Returns (rows to load, quarantine). `commune_ids` is the resolved commune per row (null if none);
    `places` (geo.selectors.commune_places) lets the raw record leave out place names it can read back."""
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
    # What identifies a card period: its card number or SI code, and its validity; what places it: its
    # commune (when it names one). Only these send a row to quarantine.
    card_unusable = pl.col("card_number").is_null() | pl.col("card_number_error").is_not_null()
    si_unusable = pl.col("si_code").is_null() | pl.col("si_code_error").is_not_null()
    checks = [
        Check("card_number", pl.when(card_unusable & si_unusable)
              .then(pl.coalesce("card_number_error", pl.lit("required")))),
        Check("si_code", pl.when(card_unusable & si_unusable).then(pl.col("si_code_error"))),
        Check("valid_from", pl.when(pl.col("valid_from").is_null()).then(pl.lit("required"))
              .otherwise(pl.col("valid_from_error"))),
        Check("valid_to", pl.when(pl.col("valid_to").is_null()).then(pl.lit("required"))
              .otherwise(pl.col("valid_to_error"))
              .fill_null(pl.when(pl.col("valid_to_date") < pl.col("valid_from_date"))
                         .then(pl.lit("valid_to_before_valid_from")))),
        Check("commune", pl.when(pl.col("commune").is_not_null() & pl.col("commune_id").is_null())
              .then(pl.lit("unresolvable_commune"))),
    ]
    quarantine = quarantine_frame(frame, checks, file_name, list(CARD_COLUMNS))
    level_known = pl.col("level_value").is_between(1, 5).fill_null(False)
    # Every other bad field loads empty (or as the card number gives it), flagged; the raw record keeps
    # the value received, since it differs from the one stored.
    defects = [
        FieldDefect("card_number", pl.col("card_number_error")),
        FieldDefect("si_code", pl.col("si_code_error")),
        FieldDefect("personal_id", pl.col(ID_ERROR)),
        FieldDefect("full_name", pl.when(pl.col("full_name").is_null()).then(pl.lit("required"))),
        FieldDefect("date_of_birth", pl.col("date_of_birth_error")),
        FieldDefect("sex", pl.when(pl.col("sex").is_not_null() & pl.col("sex_code").is_null())
                    .then(pl.lit("unknown_sex"))),
        FieldDefect("benefit_level", pl.when(pl.col("benefit_level").is_not_null() & ~level_known)
                    .then(pl.lit("unknown_level"))),
    ]
    good = without_quarantined(frame, quarantine).with_columns(
        pl.when(pl.col("card_number_error").is_null()).then(pl.col("card_number")).alias("card_number_value"),
        pl.when(pl.col("si_code_error").is_null()).then(pl.col("si_code")).alias("si_code_value"),
        pl.when(pl.col(ID_ERROR).is_null()).then(pl.col("personal_id")).alias("personal_id_value"),
        pl.when(level_known).then(pl.col("level_value")).alias("level_value"),
    ).with_columns(
        pl.coalesce("group_code", "card_group").alias("group"),
        pl.coalesce("level_value", "card_level").alias("level"),
        pl.coalesce("si_code_value", "card_si").alias("si"),
    )
    # The rules' look-ups by group and date, once per distinct combination (few) rather than per row.
    good = per_distinct(good, ["group", "level", "valid_from_date"], lambda distinct: distinct.with_columns(
        ids.card_level_mismatch("group", "level", "valid_from_date").alias("level_group_mismatch"),
        pl.col("group").replace_strict(law.law().group_payer, default="").alias("payer_group")))
    flags = [
        *(d.flag for d in defects),
        Flag("no_personal_id", pl.col("personal_id_value").is_null()),
        Flag("partial_dob", pl.col("date_of_birth_d").is_null() & pl.col("date_of_birth_error").is_null()),
        Flag("card_si_mismatch", pl.col("card_si").is_not_null() & pl.col("si_code_value").is_not_null()
             & (pl.col("card_si") != pl.col("si_code_value"))),
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
        pl.concat_str(pl.coalesce("card_number_value", "si"), pl.lit(KEY_SEPARATOR), "valid_from_text"
                      ).alias("record_key"),
        "payer_group",
        flags_column(flags).alias("flags"),
        raw_record(good, places),
    ).collect()
    return good, quarantine


# The text a card row stores under the name of a received column, dates and places aside (below).
STORED_TEXT: dict[str, pl.Expr] = {
    "si_code": pl.col("si").fill_null(""), "card_number": pl.col("card_number_value").fill_null(""),
    "personal_id": pl.col("personal_id_value").fill_null(""), "full_name": pl.col("full_name").fill_null(""),
    "sex": pl.col("sex_code").fill_null(""), "group_code": pl.col("group").fill_null(""),
    "benefit_level": pl.col("level").cast(pl.String),
    "address": pl.col("address").fill_null(""), "clinic_code": pl.col("clinic_code").fill_null(""),
}
DATES = ("date_of_birth", "valid_from", "valid_to")
# How an extract writes its dates; the raw record names the style when it is not ISO.
ISO, DAY_FIRST = "yyyy-mm-dd", "dd/mm/yyyy"


def date_text(year: pl.Expr, month: pl.Expr, day: pl.Expr, style: str) -> pl.Expr:
    """A full or partial date written in a style: 17/05/1990, 05/1990 or 1990 (day first); 1990-05-17, 1990-05, 1990."""
    y, m, d = year.cast(pl.String), month.cast(pl.String).str.zfill(2), day.cast(pl.String).str.zfill(2)
    full, month_year = ((pl.concat_str(d, pl.lit("/"), m, pl.lit("/"), y), pl.concat_str(m, pl.lit("/"), y))
                        if style == DAY_FIRST else
                        (pl.concat_str(y, pl.lit("-"), m, pl.lit("-"), d), pl.concat_str(y, pl.lit("-"), m)))
    return pl.when(day.is_not_null()).then(full).when(month.is_not_null()).then(month_year).otherwise(y)


def _dates_as_received(frame: pl.DataFrame) -> tuple[str, dict[str, pl.Series]]:
    """The extract's date style (the one most received dates read back in), and per date column and
    row: does the received text read back from the parts the row stores, in that style?

    The parts come from the text alone, so each distinct text (a few thousand) is tried once.
    """
    distinct = {column: frame.group_by(column).agg(pl.col(f"{column}_y", f"{column}_m", f"{column}_d").first(),
                                                   pl.len().alias("rows")) for column in DATES}

    def reads_back(column: str, style: str) -> pl.Expr:
        return pl.col(column).eq_missing(
            date_text(pl.col(f"{column}_y"), pl.col(f"{column}_m"), pl.col(f"{column}_d"), style))

    def matches(style: str) -> int:
        return sum(int(d.select(pl.col("rows").filter(reads_back(c, style)).sum()).item()) for c, d in distinct.items())

    style = DAY_FIRST if matches(DAY_FIRST) > matches(ISO) else ISO
    return style, {column: frame.select(column).join(
        d.select(column, reads_back(column, style).alias("ok")), on=column, how="left", nulls_equal=True,
        maintain_order="left")["ok"] for column, d in distinct.items()}


def raw_record(frame: pl.DataFrame, places: list[tuple[int, str, str]] | None) -> pl.Series:
    """The received fields the card row does not already hold as received, as a JSON object.

    Most received values can be read back from the row: the fields it stores unchanged, its dates
    written in the extract's style (named in the record when not ISO), its commune's name and its
    province's short name (`places`). Keeping only the others makes the raw record a small fraction
    of its full size, which every import writes. `registry.selectors.card_raw` puts the whole record
    back together.
    """
    style, as_received = _dates_as_received(frame)
    if places:
        ids = [unit_id for unit_id, _, _ in places]
        for position, column in ((1, "commune"), (2, "province")):
            names = pl.col("commune_id").replace_strict(ids, [place[position] for place in places], default=None,
                                                        return_dtype=pl.String)
            as_received[column] = frame.select(pl.col(column).eq_missing(names)).to_series()
    # In one select: Polars compares the columns in parallel.
    as_received |= frame.select(pl.col(c).eq_missing(stored).alias(c) for c, stored in STORED_TEXT.items()).to_dict()
    always, sometimes = [], {}  # columns kept on every row; columns kept on some rows -> on which
    for column in CARD_COLUMNS:
        kept = None if column not in as_received else ~as_received[column]
        if kept is None or kept.all():
            always.append(column)
        elif kept.any():
            sometimes[column] = kept
        # else as received on every row, as most columns are
    marker = {"date_style": style} if style != ISO else {}

    def encode(rows: pl.DataFrame, columns: set[str]) -> pl.Series:
        fields = [c for c in CARD_COLUMNS if c in columns]
        if not fields:
            return pl.repeat(json.dumps(marker, separators=(",", ":")), rows.height, eager=True, dtype=pl.String)
        return rows.select(pl.struct(fields + [pl.lit(v).alias(k) for k, v in marker.items()]).struct.json_encode()
                           ).to_series()

    # Encoding is the costly part: one pass over every row for the columns they all keep, then the
    # (few) rows that keep more, encoded again on their own, group by group, and put in place.
    raw = encode(frame, set(always)).alias("raw")
    if sometimes:
        kept = pl.DataFrame(sometimes).with_row_index("_position").filter(pl.any_horizontal(*sometimes))
        for (*group, positions) in kept.group_by(*sometimes).agg("_position").iter_rows():
            columns = set(always) | {c for c, keep in zip(sometimes, group, strict=True) if keep}
            raw.scatter(positions, encode(frame.select(*CARD_COLUMNS)[positions], columns))
    return raw
