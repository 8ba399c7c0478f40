"""Rows out of SQLite without a Python object per value.

SQLite formats the rows itself (printf + group_concat into one blob) and Polars' CSV reader parses
the blob: several times faster than fetchall for the millions of rows linkage and coverage read.
A table is read in chunks of ids (each blob stays far below SQLite's 1 GB value limit), half of
them on a second connection: SQLite releases the GIL while it formats rows, so the halves overlap.
"""

from concurrent.futures import ThreadPoolExecutor

import polars as pl
from django.db import connection

UNIT, ROW = "\x1f", "\n"  # separators no register value is expected to hold
CHUNK_IDS = 500_000  # ids per chunk: about 100 MB of text for cards with names and addresses


def sqlite_frame(conn, sql: str, schema: dict[str, pl.DataType]) -> pl.DataFrame | None:
    """The rows of `sql` (columns named as in `schema`, in order); dates come back as text.

    None when a value holds a separator (the blob does not parse into as many rows and columns):
    the caller then reads the rows the slow way.
    """
    names = list(schema)
    fmt = UNIT.join(["%%s"] * len(names))  # %% because Django turns %s into SQLite's ? (params are given)
    with conn.cursor() as cursor:
        cursor.execute(f"SELECT count(*), CAST(group_concat(printf('{fmt}', {', '.join(names)}), char(10)) AS BLOB) "
                       f"FROM ({sql}) AS q", [])
        count, blob = cursor.fetchall()[0]
    if not count:
        return pl.DataFrame(schema=schema)
    text_schema = {name: (pl.String if dtype == pl.Date else dtype) for name, dtype in schema.items()}
    try:
        frame = pl.read_csv(blob, has_header=False, separator=UNIT, quote_char=None, eol_char=ROW,
                            new_columns=names, schema=text_schema)
    except pl.exceptions.PolarsError:
        return None
    return frame if frame.height == count and frame.width == len(names) else None


def sqlite_rows(conn, sql: str, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """sqlite_frame, or fetchall when a value holds a separator (dates then come as dates)."""
    frame = sqlite_frame(conn, sql, schema)
    if frame is not None:
        return frame
    with conn.cursor() as cursor:
        cursor.execute(sql)
        rows = cursor.fetchall()
    return pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)


def side_connection_usable() -> bool:
    """A second connection sees the same rows only outside a transaction, and never for in-memory SQLite
    (PostgreSQL readers use it too)."""
    if connection.in_atomic_block or connection.vendor not in ("sqlite", "postgresql"):
        return False
    return not (connection.vendor == "sqlite" and connection.is_in_memory_db())


def sqlite_table(table: str, columns: dict[str, str], schema: dict[str, pl.DataType], where: str = "1",
                 *, chunk_ids: int | None = None) -> pl.DataFrame:
    """Rows of `table` (`where`), `columns` mapping each schema name to its SQL expression, in id order."""
    chunk_ids = chunk_ids or CHUNK_IDS
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT min(id), max(id) FROM {table}")
        low, high = cursor.fetchall()[0]
    if low is None:
        return pl.DataFrame(schema=schema)
    select = ", ".join(f"{expr} AS {name}" for name, expr in columns.items())
    sqls = [f"SELECT {select} FROM {table} WHERE ({where}) AND id >= {start} AND id < {start + chunk_ids}"
            for start in range(low, high + 1, chunk_ids)]
    if len(sqls) < 2 or not side_connection_usable():
        parts = [sqlite_rows(connection, sql, schema) for sql in sqls]
    else:
        def side_half():
            side = connection.copy()
            try:
                return [sqlite_rows(side, sql, schema) for sql in sqls[1::2]]
            finally:
                side.close()

        with ThreadPoolExecutor(max_workers=1) as pool:
            future = pool.submit(side_half)
            even = [sqlite_rows(connection, sql, schema) for sql in sqls[0::2]]
            odd = future.result()
        parts = [part for pair in zip(even, odd + [None], strict=False) for part in pair if part is not None]
    parts = [part for part in parts if part.height]
    return pl.concat(parts, how="vertical_relaxed") if parts else pl.DataFrame(schema=schema)
