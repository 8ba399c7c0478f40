"""Small reference tables (certificates, list statuses, scenarios): read whole, checked per field, all rows or none.

Registers go through pipeline/ (staging, quarantine); these files are thousands of rows at most, so a
file with any bad row is refused as a whole, with the file, row and field of the first problems named.
Row numbers are 1-based data rows (the header is row 0), as QuarantineRow counts them.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from everydoor.core.errors import ErrorCode, EverydoorError
from everydoor.core.text import fold

SHOWN = 5  # problems named in the message; the rest are counted


def read_table(path: Path | str, required: tuple[str, ...], optional: tuple[str, ...] = (),
               aliases: dict[str, str] | None = None) -> pl.DataFrame:
    """CSV or XLSX as text columns (lower-cased, trimmed names; `aliases` renamed to ours), with a 1-based
    `_row`; missing columns refused; empty cells are null."""
    path = Path(path)
    table = read_text_file(path, required, aliases)
    present = [c for c in (*required, *optional) if c in table.columns]
    table = table.select(pl.col(c).cast(pl.Utf8).str.strip_chars().replace("", None) for c in present)
    table = table.with_columns(pl.lit(None, dtype=pl.Utf8).alias(c) for c in optional if c not in table.columns)
    return table.with_row_index("_row", offset=1)


def read_text_file(path: Path, required: tuple[str, ...], aliases: dict[str, str] | None = None) -> pl.DataFrame:
    """CSV or XLSX as read, every cell text: lower-cased, trimmed headers (`aliases` renamed to ours); a
    missing, unreadable file or a missing required column is refused naming the file."""
    if not path.exists():
        raise EverydoorError(ErrorCode.UNREADABLE_FILE, f"{path}: no such file")
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            table = pl.read_excel(path, infer_schema_length=0)
        else:
            table = pl.read_csv(path, infer_schema_length=0, encoding="utf8-lossy")
    except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
        raise EverydoorError(ErrorCode.UNREADABLE_FILE, f"{path.name}: cannot read ({exc})") from exc
    table = table.rename({c: c.strip().lower().lstrip("\ufeff") for c in table.columns})
    table = table.rename({a: ours for a, ours in (aliases or {}).items() if a in table.columns and ours not in table.columns})
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise EverydoorError(ErrorCode.MISSING_COLUMNS, f"{path.name}: missing column(s) {', '.join(missing)}")
    return table


def iso_date(column: str) -> pl.Expr:
    """YYYY-MM-DD (or DD/MM/YYYY, as the agency's extracts write it) to a date; null when unreadable."""
    text = pl.col(column)
    return pl.coalesce(text.str.to_date("%Y-%m-%d", strict=False), text.str.to_date("%d/%m/%Y", strict=False))


def refuse_problems(path: Path | str, problems: list[pl.DataFrame]) -> None:
    """Raise one error naming file, row and field of the first problems, if any (frames of _row, field, message)."""
    frame = pl.concat([p.select("_row", "field", "message") for p in problems]) if problems else None
    if frame is None or frame.is_empty():
        return
    frame = frame.sort("_row", "field")
    shown = "; ".join(f"row {r['_row']}, {r['field']}: {r['message']}" for r in frame.head(SHOWN).iter_rows(named=True))
    more = f" (and {frame.height - SHOWN} more)" if frame.height > SHOWN else ""
    raise EverydoorError(ErrorCode.INVALID_INPUT, f"{Path(path).name}: nothing imported; {shown}{more}")


def problem(table: pl.DataFrame, bad: pl.Expr, field: str, message: str | pl.Expr) -> pl.DataFrame:
    """The rows where `bad` holds, as problems of one field."""
    text = message if isinstance(message, pl.Expr) else pl.lit(message)
    return table.filter(bad).select("_row", field=pl.lit(field), message=text)


def words(value: str) -> str:
    """A coded value as people write it: folded, '_' and '-' as spaces ("Hộ cận nghèo", "near_poor")."""
    return " ".join(fold(value.replace("_", " ").replace("-", " ")).split())
