"""Bulk writes of frames into tables: COPY on PostgreSQL; on SQLite, JSON text parsed by SQLite.

SQLite: a chunk of rows goes in as one JSON value read by ``json_each`` in one INSERT ... SELECT,
so no Python object is made per value (``executemany`` binds every value from Python: 3x slower
for millions of links). A first run writes millions of rows into an empty table: secondary indexes
are then dropped and built once after the insert, several times cheaper than keeping them up to
date row by row. Callers hold the transaction (one per service).
"""

import contextlib
import io

import polars as pl
from django.db import connection

CHUNK_ROWS = 500_000


def bulk_insert(table: str, frame: pl.DataFrame, *, rebuild_indexes: bool = False) -> int:
    """Insert every row of ``frame`` into ``table``; the frame's column names are the table's.

    rebuild_indexes: the insert is large next to the table (SQLite: drop secondary indexes, rebuild after).
    """
    if frame.is_empty():
        return 0
    columns = ", ".join(frame.columns)
    frame = _dates_as_text(frame, offset=connection.vendor == "postgresql")
    if connection.vendor == "postgresql":
        buffer = io.BytesIO()
        frame.write_csv(buffer, include_header=False, null_value="")
        connection.ensure_connection()
        with connection.connection.cursor() as cursor, cursor.copy(
            f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv)"
        ) as copy:
            copy.write(buffer.getvalue())
        return frame.height
    # Columns with one value (method, model, time...) are bound once; the others travel as JSON
    # objects with short keys, which SQLite parses several times faster than long ones.
    constant = {name: frame[name][0] for name in frame.columns if frame[name].n_unique() == 1}
    varying = [name for name in frame.columns if name not in constant]
    values = ", ".join("%s" if name in constant else f"value ->> '$.c{varying.index(name)}'" for name in frame.columns)
    sql = f"INSERT INTO {table} ({columns}) SELECT {values} FROM json_each(%s)"
    short = frame.select(pl.col(name).alias(f"c{i}") for i, name in enumerate(varying))
    if not varying:  # one row, or every row alike: json_each still needs one element per row
        short = pl.DataFrame({"c": [0] * frame.height})
    with connection.cursor() as cursor, _indexes_rebuilt(cursor, table, rebuild_indexes):
        for start in range(0, frame.height, CHUNK_ROWS):
            params = list(constant.values()) + [short.slice(start, CHUNK_ROWS).write_json()]
            cursor.execute(sql, params)
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


@contextlib.contextmanager
def _indexes_rebuilt(cursor, table: str, rebuild: bool):
    """SQLite: drop the table's non-unique indexes around the block and create them again after."""
    if not rebuild:
        yield
        return
    cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                   "AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%%'", [table])
    indexes = cursor.fetchall()
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    yield
    for _, sql in indexes:
        cursor.execute(sql)

