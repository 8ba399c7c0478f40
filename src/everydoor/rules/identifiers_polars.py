"""The identifier checks of `identifiers` as Polars expressions, for bulk validation.

Each `*_error` expression gives the first error code of a value, or null when it is
valid; a null input gives null (whether a column may be empty is the importer's rule).
The constants and the law data are those of `identifiers`, and a property test checks
that both versions agree on random input.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from everydoor.rules import identifiers as ids
from everydoor.rules import law

ColumnLike = str | pl.Expr


def _col(column: ColumnLike) -> pl.Expr:
    return pl.col(column) if isinstance(column, str) else column


def _clean(column: ColumnLike) -> pl.Expr:
    return _col(column).cast(pl.String).str.strip_chars(ids.STRIP_CHARS)


def _full(pattern: str) -> str:
    return f"^{pattern}$"


def personal_id_errors(column: ColumnLike) -> pl.Expr:
    """First structural error of a personal ID, or null."""
    text = _clean(column)
    return (
        pl.when(text.is_null()).then(None)
        .when(text.str.len_chars() != ids.PERSONAL_ID_LENGTH).then(pl.lit(ids.BAD_LENGTH))
        .when(~text.str.contains(_full(ids.DIGITS_RE))).then(pl.lit(ids.NOT_DIGITS))
        .when(~text.str.slice(0, 3).is_in(list(ids.province_codes()))).then(pl.lit(ids.UNKNOWN_PROVINCE_CODE))
        .when(~text.str.slice(3, 1).is_in(list(ids.century_sex()))).then(pl.lit(ids.BAD_CENTURY_DIGIT))
        .otherwise(None)
        .cast(pl.String)
    )


def personal_id_sex(column: ColumnLike) -> pl.Expr:
    """'M'/'F' from the G digit (null when the digit is not a known one)."""
    mapping = {g: sex for g, (_, sex) in ids.century_sex().items()}
    return _clean(column).str.slice(3, 1).replace_strict(mapping, default=None, return_dtype=pl.String)


def personal_id_birth_year(column: ColumnLike) -> pl.Expr:
    """Birth year from G and YY (null when G is not a known digit)."""
    text = _clean(column)
    centuries = {g: century for g, (century, _) in ids.century_sex().items()}
    century = text.str.slice(3, 1).replace_strict(centuries, default=None, return_dtype=pl.Int32)
    return century + text.str.slice(4, 2).cast(pl.Int32, strict=False)


def personal_id_contradiction(id_column: ColumnLike, sex_column: ColumnLike,
                              year_column: ColumnLike) -> pl.Expr:
    """'sex_mismatch' or 'birth_year_mismatch' when a valid ID disagrees with the record, else null.

    Sexes other than 'M'/'F' and empty years are not checked.
    """
    sex = _col(sex_column).cast(pl.String)
    year = _col(year_column).cast(pl.Int32, strict=False)
    valid = personal_id_errors(id_column).is_null() & _clean(id_column).is_not_null()
    return (
        pl.when(~valid).then(None)
        .when(sex.is_in(["M", "F"]) & (sex != personal_id_sex(id_column))).then(pl.lit(ids.SEX_MISMATCH))
        .when(year.is_not_null() & (year != personal_id_birth_year(id_column))).then(pl.lit(ids.BIRTH_YEAR_MISMATCH))
        .otherwise(None)
        .cast(pl.String)
    )


def si_code_error(column: ColumnLike) -> pl.Expr:
    text = _clean(column)
    return (
        pl.when(text.is_null()).then(None)
        .when(text.str.len_chars() != ids.SI_CODE_LENGTH).then(pl.lit(ids.BAD_LENGTH))
        .when(~text.str.contains(_full(ids.DIGITS_RE))).then(pl.lit(ids.NOT_DIGITS))
        .otherwise(None)
        .cast(pl.String)
    )


def card_number_error(column: ColumnLike) -> pl.Expr:
    """First structural error of a card number, or null (the group/level check is separate)."""
    text = _clean(column)
    expr = pl.when(text.is_null()).then(None).when(
        text.str.len_chars() != ids.CARD_NUMBER_LENGTH).then(pl.lit(ids.BAD_LENGTH))
    for (start, end), pattern, code in ids.CARD_PIECES:
        expr = expr.when(~text.str.slice(start, end - start).str.contains(_full(pattern))).then(pl.lit(code))
    return expr.otherwise(None).cast(pl.String)


def card_number_clean(column: ColumnLike) -> pl.Expr:
    """The card number stripped and upper-cased when well formed, else null."""
    return pl.when(card_number_error(column).is_null()).then(_clean(column).str.to_uppercase())


def card_number_parts(column: ColumnLike) -> pl.Expr:
    """Struct of group_code, benefit_level, province_code, si_code (nulls for a bad number)."""
    text = card_number_clean(column)
    return pl.struct(
        text.str.slice(0, 2).alias("group_code"),
        text.str.slice(2, 1).cast(pl.Int8).alias("benefit_level"),
        text.str.slice(3, 2).alias("province_code"),
        text.str.slice(5, 10).alias("si_code"),
    )


def _expected_level(group: pl.Expr, on: pl.Expr) -> pl.Expr:
    """The group's benefit level on each row's date, period by period of the rules."""
    expr = None
    for start, end, mapping in law.group_level_periods():
        in_period = (on >= pl.lit(start)) & (on <= pl.lit(end or dt.date.max))
        level = group.replace_strict(mapping, default=None, return_dtype=pl.Int8)
        expr = pl.when(in_period).then(level) if expr is None else expr.when(in_period).then(level)
    return expr.otherwise(None)


def card_level_mismatch(group_column: ColumnLike, level_column: ColumnLike,
                        date_column: ColumnLike) -> pl.Expr:
    """'level_mismatch' when the level differs from the group's level on that date, else null."""
    group = _col(group_column).cast(pl.String)
    level = _col(level_column).cast(pl.Int8, strict=False)
    expected = _expected_level(group, _col(date_column).cast(pl.Date))
    return (
        pl.when(expected.is_not_null() & level.is_not_null() & (level != expected))
        .then(pl.lit(ids.LEVEL_MISMATCH)).otherwise(None).cast(pl.String)
    )


def card_warning(group_column: ColumnLike, date_column: ColumnLike) -> pl.Expr:
    """'unknown_group' or 'level_unknown_on_date' (warnings, never rejections), else null."""
    group = _col(group_column).cast(pl.String)
    expected = _expected_level(group, _col(date_column).cast(pl.Date))
    return (
        pl.when(group.is_null()).then(None)
        .when(~group.is_in(sorted(law.known_group_codes()))).then(pl.lit(ids.UNKNOWN_GROUP))
        .when(expected.is_null()).then(pl.lit(ids.LEVEL_UNKNOWN_ON_DATE))
        .otherwise(None).cast(pl.String)
    )
