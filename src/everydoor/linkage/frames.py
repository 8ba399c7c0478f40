"""Read registers from the database into Polars frames, fast and in one pass per table.

PostgreSQL: ``COPY (SELECT ...) TO STDOUT`` as CSV, parsed by Polars. SQLite: the database
formats the rows itself (printf + group_concat into one text value per chunk of ids, parsed by
Polars' CSV reader), which avoids a Python object per value; chunks keep each value far below
SQLite's 1 GB limit and are read two at a time on two connections when that is safe. A chunk
whose values hold the separators falls back to ``fetchall``. Never the ORM row by row.
"""

import io
from concurrent.futures import ThreadPoolExecutor

import polars as pl
from django.db import connection

from everydoor.core.sqlite_text import sqlite_frame
from everydoor.geo.models import AdminUnit
from everydoor.linkage.models import Link, ReviewItem
from everydoor.registry.models import Card, Person

# Ids per SQLite chunk: about 100 MB of text for cards with names and addresses.
CHUNK_IDS = 500_000


def _on_postgres() -> bool:
    return connection.vendor == "postgresql"


def _finish(frame: pl.DataFrame, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Dates that arrived as text become dates; empty strings become nulls."""
    dates = [pl.col(n).str.slice(0, 10).str.to_date() for n, t in schema.items()
             if t == pl.Date and frame.schema[n] == pl.String]
    strings = [pl.col(n).replace("", None) for n, t in schema.items() if t == pl.String]
    return frame.with_columns(*dates, *strings)


def _fetchall(conn, sql: str, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    with conn.cursor() as cursor:
        cursor.execute(sql)
        rows = cursor.fetchall()
    if not rows:
        return pl.DataFrame(schema=schema)
    # Django's SQLite connection already turns declared date columns into dates.
    return pl.DataFrame(rows, schema=schema, orient="row")


def _sqlite_text(conn, sql: str, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """One SELECT's rows formatted by SQLite and parsed by Polars (fetchall if a value holds a separator)."""
    frame = sqlite_frame(conn, sql, schema)
    return _fetchall(conn, sql, schema) if frame is None else frame


def _side_connection_usable() -> bool:
    """A second connection sees the same rows only outside a transaction, and never for in-memory SQLite."""
    return not connection.in_atomic_block and not connection.is_in_memory_db()


def _sqlite_chunks(sqls: list[str], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Every chunk's rows, in order; half of the chunks on a second connection in a thread.

    SQLite releases the GIL while it formats rows, so the two halves overlap."""
    if len(sqls) < 2 or not _side_connection_usable():
        parts = [_sqlite_text(connection, sql, schema) for sql in sqls]
    else:
        def side_half():
            side = connection.copy()
            try:
                return [_sqlite_text(side, sql, schema) for sql in sqls[1::2]]
            finally:
                side.close()

        with ThreadPoolExecutor(max_workers=1) as pool:
            future = pool.submit(side_half)
            even = [_sqlite_text(connection, sql, schema) for sql in sqls[0::2]]
            odd = future.result()
        parts = [part for pair in zip(even, odd + [None], strict=False) for part in pair if part is not None]
    parts = [part for part in parts if part.height]
    if not parts:
        return pl.DataFrame(schema=schema)
    return pl.concat(parts, how="vertical_relaxed")


def _postgres_copy(sql: str, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    text_schema = {name: (pl.String if dtype == pl.Date else dtype) for name, dtype in schema.items()}
    connection.ensure_connection()
    buffer = io.BytesIO()
    with connection.connection.cursor() as cursor, cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)") as copy:
        for block in copy:
            buffer.write(block)
    if buffer.tell() == 0:
        return pl.DataFrame(schema=text_schema)
    buffer.seek(0)
    return pl.read_csv(buffer, has_header=False, new_columns=list(schema), schema=text_schema)


def read_sql(sql: str, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Run a SELECT and return its rows as a frame with ``schema`` (names in order of the SELECT)."""
    if _on_postgres():
        frame = _postgres_copy(sql, schema)
    else:
        # The CTE's column list gives the SELECT's columns the schema's names.
        frame = _sqlite_text(connection, f"WITH q({', '.join(schema)}) AS ({sql}) SELECT * FROM q", schema)
    return _finish(frame, schema)


def read_table(table: str, columns: dict[str, str], schema: dict[str, pl.DataType], where: str = "TRUE") -> pl.DataFrame:
    """Rows of ``table`` (``where``) as a frame: ``columns`` maps each schema name to its SQL expression.

    On SQLite the table is read in chunks of ids (see the module docstring)."""
    select = ", ".join(f"{expr} AS {name}" for name, expr in columns.items())
    if _on_postgres():
        return _finish(_postgres_copy(f"SELECT {select} FROM {table} WHERE {where}", schema), schema)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT min(id), max(id) FROM {table}")
        low, high = cursor.fetchall()[0]
    if low is None:
        return pl.DataFrame(schema=schema)
    sqls = [f"SELECT {select} FROM {table} WHERE ({where}) AND id >= {start} AND id < {start + CHUNK_IDS}"
            for start in range(low, high + 1, CHUNK_IDS)]
    return _finish(_sqlite_chunks(sqls, schema), schema)


PERSON_SCHEMA = {
    "person_id": pl.Int64, "personal_id": pl.String, "full_name": pl.String, "name_key": pl.String,
    "dob_year": pl.Int32, "dob_month": pl.Int32, "dob_day": pl.Int32, "sex": pl.String,
    "household_id": pl.Int64, "commune_id": pl.Int64, "village_id": pl.Int64,
}
CARD_SCHEMA = {
    "card_id": pl.Int64, "si_code": pl.String, "personal_id": pl.String, "full_name": pl.String,
    "dob_year": pl.Int32, "dob_month": pl.Int32, "dob_day": pl.Int32, "sex": pl.String, "commune_id": pl.Int64,
    "address": pl.String, "valid_from": pl.Date, "valid_to": pl.Date,
}


def _columns(schema: dict[str, pl.DataType], key: str) -> dict[str, str]:
    return {name: ("id" if name == key else name) for name in schema}


def persons_frame(schema: dict[str, pl.DataType] = PERSON_SCHEMA) -> pl.DataFrame:
    """Residents present in the population register (the columns of ``schema``)."""
    return read_table(Person._meta.db_table, _columns(schema, "person_id"), schema, "present")


def cards_frame(schema: dict[str, pl.DataType] = CARD_SCHEMA) -> pl.DataFrame:
    """Cards present in the participant register (the columns of ``schema``)."""
    return read_table(Card._meta.db_table, _columns(schema, "card_id"), schema, "present")


def links_frame() -> pl.DataFrame:
    t = Link._meta.db_table
    return read_sql(f"SELECT card_id, person_id, method FROM {t}", {
        "card_id": pl.Int64, "person_id": pl.Int64, "method": pl.String})


def review_frame() -> pl.DataFrame:
    t = ReviewItem._meta.db_table
    return read_sql(f"SELECT id, card_id, person_id, decision, match_probability FROM {t}", {
        "review_id": pl.Int64, "card_id": pl.Int64, "person_id": pl.Int64, "decision": pl.String,
        "match_probability": pl.Float64})


def villages_frame() -> pl.DataFrame:
    t = AdminUnit._meta.db_table
    return read_sql(f"SELECT id, parent_id, key FROM {t} WHERE level = 'village'", {
        "village_id": pl.Int64, "commune_id": pl.Int64, "village_key": pl.String})

