"""Files of personal data the lapse warnings hand out (lists with names, reminders): written, then audited."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from everydoor.accounts.services import audit_record
from everydoor.core.errors import ErrorCode, EverydoorError
from everydoor.lapses import selectors

FORMATS = ("csv", "xlsx")


def file_format(path: Path, fmt: str | None) -> str:
    fmt = (fmt or path.suffix.lstrip(".") or "csv").lower()
    if fmt not in FORMATS:
        raise EverydoorError(ErrorCode.INVALID_INPUT, f"--format must be csv or xlsx, not {fmt!r}")
    return fmt


def with_names(rows: pl.DataFrame) -> pl.DataFrame:
    """The rows with each resident's name, personal ID and household phone (unlinked cards: empty)."""
    ids = rows["person_id"].drop_nulls().unique().to_list()
    return rows.join(selectors.person_names(ids), on="person_id", how="left")


def write(sheets: dict[str, pl.DataFrame], path: Path, fmt: str) -> None:
    """CSV: the first sheet only. XLSX: one worksheet per frame."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        next(iter(sheets.values())).write_csv(path)
        return
    import xlsxwriter

    with xlsxwriter.Workbook(str(path)) as book:
        for name, frame in sheets.items():
            frame.write_excel(workbook=book, worksheet=name[:31], autofit=frame.height < 5000)


def export_audited(*, sheets: dict[str, pl.DataFrame], path: Path, fmt: str, what: str, area_code: str,
                   actor: str, user=None, detail: dict | None = None) -> dict:
    """Write the file and record the export of personal data (who, what, how many people, where to)."""
    write(sheets, path, fmt)
    first = next(iter(sheets.values()))
    people = first["person_id"].drop_nulls().n_unique() if "person_id" in first.columns else first.height
    summary = {"file": str(path), "format": fmt, "rows": first.height, "people": people, **(detail or {})}
    audit_record(actor=actor, user=user, action="export", object_type=what, object_id=path.name, area_code=area_code,
                 detail=summary)
    return summary
