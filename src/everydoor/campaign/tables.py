"""Reading the small tables people hand in (agency units, officers): CSV or XLSX, all as text."""

from pathlib import Path

import polars as pl

from everydoor.core.tables import read_text_file


def table_read(path: Path, required: tuple[str, ...]) -> pl.DataFrame:
    """The file's rows as stripped text, with lower-case headers; the required columns must be there."""
    table = read_text_file(path, required)
    return table.with_columns(pl.col(c).cast(pl.Utf8).str.strip_chars().fill_null("") for c in table.columns)
