"""Reading the small tables people hand in (agency units, officers): CSV or XLSX, all as text."""

from pathlib import Path

import polars as pl

from everydoor.core.errors import ErrorCode, EverydoorError


def table_read(path: Path, required: tuple[str, ...]) -> pl.DataFrame:
    """The file's rows as stripped text, with lower-case headers; the required columns must be there."""
    if not path.exists():
        raise EverydoorError(ErrorCode.UNREADABLE_FILE, f"{path}: no such file")
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            table = pl.read_excel(path, infer_schema_length=0)
        else:
            table = pl.read_csv(path, infer_schema_length=0, encoding="utf8-lossy")
    except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
        raise EverydoorError(ErrorCode.UNREADABLE_FILE, f"{path}: cannot read ({exc})") from exc
    table = table.rename({c: c.strip().lower().lstrip("\ufeff") for c in table.columns})
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise EverydoorError(ErrorCode.MISSING_COLUMNS, f"{path.name}: missing column(s) {', '.join(missing)}")
    return table.with_columns(pl.col(c).cast(pl.Utf8).str.strip_chars().fill_null("") for c in table.columns)
