"""Vectorised parsing of the values registers hold: dates (full or partial), sex, status."""

import polars as pl

from everydoor.core.text import fold

_ISO = r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$"
_DMY = r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$"
_MY = r"^(\d{1,2})[/.\-](\d{4})$"
_YM = r"^(\d{4})-(\d{1,2})$"
_Y = r"^(\d{4})(?:\.0)?$"


def _int(expr: pl.Expr) -> pl.Expr:
    return expr.cast(pl.Int32, strict=False)


def date_parts(column: str) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """Year, month, day of a full or partial date written YYYY-MM-DD, DD/MM/YYYY, MM/YYYY, YYYY-MM or YYYY."""
    col = pl.col(column)
    year = pl.coalesce(_int(col.str.extract(_ISO, 1)), _int(col.str.extract(_DMY, 3)),
                       _int(col.str.extract(_MY, 2)), _int(col.str.extract(_YM, 1)), _int(col.str.extract(_Y, 1)))
    month = pl.coalesce(_int(col.str.extract(_ISO, 2)), _int(col.str.extract(_DMY, 2)),
                        _int(col.str.extract(_MY, 1)), _int(col.str.extract(_YM, 2)))
    day = pl.coalesce(_int(col.str.extract(_ISO, 3)), _int(col.str.extract(_DMY, 1)))
    return year, month, day


def per_distinct(frame: pl.DataFrame, columns: str | list[str], derive) -> pl.DataFrame:
    """Adds the columns `derive(distinct)` computes from the distinct values of `columns`.

    Register columns repeat a lot (dates, sexes, names, card numbers across periods): working
    on each distinct value once and joining the result back is several times cheaper than per row.
    """
    keys = [columns] if isinstance(columns, str) else list(columns)
    # A single column's distinct values are found several times faster as a Series than as rows.
    distinct = frame.select(pl.col(keys[0]).unique()) if len(keys) == 1 else frame.select(keys).unique()
    derived = derive(distinct)
    added = [c for c in derived.columns if c not in keys]
    # Join the keys alone, then place the new columns beside the frame: joining the wide frame copies it all.
    joined = frame.select(keys).join(derived.select(*keys, *added), on=keys, how="left", nulls_equal=True,
                                     maintain_order="left")
    return frame.with_columns(joined.select(added))


def with_values(frame: pl.DataFrame, column: str, **exprs: pl.Expr) -> pl.DataFrame:
    """Adds named expressions of one column, computed once per distinct value."""
    return per_distinct(frame, column, lambda distinct: distinct.with_columns(**exprs))


def with_date(frame: pl.DataFrame, column: str, *, partial: bool) -> pl.DataFrame:
    """Adds <column>_y/_m/_d, <column>_date (full dates only), <column>_text (that date as YYYY-MM-DD)
    and <column>_error (null when fine).

    Errors: 'unreadable_date' (no known format), 'impossible_date' (31/02, month 13, year < 1900),
    'partial_date' when a full date is required.
    """
    return per_distinct(frame, column, lambda distinct: _with_date(distinct, column, partial=partial))


def _with_date(frame: pl.DataFrame, column: str, *, partial: bool) -> pl.DataFrame:
    y, m, d = date_parts(column)
    frame = frame.with_columns(y.alias(f"{column}_y"), m.alias(f"{column}_m"), d.alias(f"{column}_d"))
    yc, mc, dc = pl.col(f"{column}_y"), pl.col(f"{column}_m"), pl.col(f"{column}_d")
    month_ok = mc.is_null() | mc.is_between(1, 12)
    month_end = pl.date(yc, mc.clip(1, 12), 1).dt.month_end().dt.day()
    day_ok = dc.is_null() | (mc.is_not_null() & dc.is_between(1, 31) & (dc <= month_end))
    error = (
        pl.when(pl.col(column).is_null()).then(None)
        .when(yc.is_null()).then(pl.lit("unreadable_date"))
        .when(~yc.is_between(1900, 2100) | ~month_ok | ~day_ok).then(pl.lit("impossible_date"))
    )
    if not partial:
        error = error.when(dc.is_null()).then(pl.lit("partial_date"))
    frame = frame.with_columns(error.otherwise(None).alias(f"{column}_error"))
    full = pl.col(f"{column}_error").is_null() & dc.is_not_null()
    frame = frame.with_columns(
        pl.when(full).then(pl.date(yc, mc, dc)).otherwise(None).alias(f"{column}_date"),
        *(pl.when(pl.col(f"{column}_error").is_null()).then(c).otherwise(None).alias(c.meta.output_name())
          for c in (yc, mc, dc)),
    )
    # Formatted once per distinct value here, not per row where keys and stored text need it.
    return frame.with_columns(pl.col(f"{column}_date").dt.strftime("%Y-%m-%d").alias(f"{column}_text"))


_SEX = {fold(k): v for k, v in {"M": "M", "Nam": "M", "male": "M", "F": "F", "Nữ": "F", "Nu": "F",
                                 "female": "F", "nư": "F"}.items()}
_STATUS = {fold(k): v for k, v in {
    "resident": "resident", "thường trú": "resident", "đang cư trú": "resident", "tạm trú": "resident",
    "moved_out": "moved_out", "moved out": "moved_out", "đã chuyển đi": "moved_out", "chuyển đi": "moved_out",
    "deceased": "deceased", "đã chết": "deceased", "đã mất": "deceased", "chết": "deceased", "từ trần": "deceased",
}.items()}


def folded(column: str) -> pl.Expr:
    """Lower case without diacritics, vectorised (đ is a letter of its own)."""
    return (pl.col(column).str.to_lowercase().str.replace_all("đ", "d")
            .str.normalize("NFD").str.replace_all(r"\p{Mn}", "").str.replace_all(r"\s+", " ").str.strip_chars())


def sex_code(column: str = "sex") -> pl.Expr:
    """'M', 'F', or null; an unknown non-empty value stays visible through sex_unknown()."""
    return folded(column).replace_strict(_SEX, default=None, return_dtype=pl.String)


def status_code(column: str = "status") -> pl.Expr:
    return folded(column).replace_strict(_STATUS, default=None, return_dtype=pl.String)


# A Vietnamese number (0912345678, +84912345678), as a visit accepts one (campaign.visits._PHONE).
_PHONE = r"^(\+?84|0)\d{8,10}$"


def phone_number(column: str = "phone") -> pl.Expr:
    """The number without the spaces, dots, dashes and brackets people write in it; null when what
    is left is not one (too short or long, letters)."""
    digits = pl.col(column).str.replace_all(r"[\s.\-()]", "")
    return pl.when(digits.str.contains(_PHONE)).then(digits)
