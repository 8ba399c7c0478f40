"""Bulk writes of link-run frames (links, review items, duplicates) into their tables.

They go the way imports write (pipeline.loaders): COPY on PostgreSQL; on SQLite an Arrow scratch
database read by one INSERT ... SELECT, inside loaders.bulk_writes() (the caller's transaction, with
SQLite's per-row foreign-key look-ups off). A first run writes millions of rows into an empty table:
secondary indexes are then dropped and built once after the insert. Callers hold the transaction.
"""

import polars as pl
from django.db import connection

from everydoor.pipeline import loaders


def bulk_insert(table: str, frame: pl.DataFrame, *, rebuild_indexes: bool = False) -> int:
    """Insert every row of ``frame`` into ``table``; the frame's column names are the table's.

    rebuild_indexes: the insert is large next to the table (drop secondary indexes, rebuild after).
    """
    if frame.is_empty():
        return 0
    frame = _dates_as_text(frame, offset=connection.vendor == "postgresql")
    # Every id written was read from the registers, whose rows are never deleted: not re-checked
    # (on PostgreSQL the foreign keys a rebuild puts back are validated after the commit).
    with connection.cursor() as cursor, loaders.indexes_deferred(cursor, table, defer=rebuild_indexes,
                                                                 references_checked=True):
        loaders.insert_rows(cursor, frame, table, references_known=True)
    return frame.height


def _dates_as_text(frame: pl.DataFrame, *, offset: bool) -> pl.DataFrame:
    """Dates as ISO text; times in UTC (naive ones are taken as UTC), with the offset for PostgreSQL,
    naive for SQLite, as Django stores them there."""
    text = []
    for name, dtype in frame.schema.items():
        if isinstance(dtype, pl.Datetime):
            utc = pl.col(name).dt.convert_time_zone("UTC").dt.replace_time_zone(None) if dtype.time_zone \
                else pl.col(name)
            text.append(utc.dt.strftime("%Y-%m-%d %H:%M:%S%.6f" + ("+00:00" if offset else "")))
        elif dtype == pl.Date:
            text.append(pl.col(name).dt.strftime("%Y-%m-%d"))
    return frame.with_columns(text)
