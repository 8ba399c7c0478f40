"""Read registers from the database into Polars frames, fast and in one pass per table.

Outside a transaction, on SQLite, connectorx reads the large tables straight into Arrow, two id
ranges at once (core.bulk_reads). Otherwise, PostgreSQL: ``COPY (SELECT ...) TO STDOUT`` as CSV, parsed by
Polars; SQLite: the database formats the rows itself, in chunks of ids on two connections
(core.sqlite_text). Never the ORM row by row.
"""

import io

import polars as pl
from django.db import connection

from everydoor.core import bulk_reads
from everydoor.core.sqlite_text import sqlite_rows, sqlite_table
from everydoor.geo.models import AdminUnit
from everydoor.linkage.models import Link, ReviewItem
from everydoor.registry.models import Card, Person


def _on_postgres() -> bool:
    return connection.vendor == "postgresql"


def _finish(frame: pl.DataFrame, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Dates that arrived as text become dates; empty strings become nulls."""
    dates = [pl.col(n).str.slice(0, 10).str.to_date() for n, t in schema.items()
             if t == pl.Date and frame.schema[n] == pl.String]
    strings = [pl.col(n).replace("", None) for n, t in schema.items() if t == pl.String]
    return frame.with_columns(*dates, *strings)


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
        frame = sqlite_rows(connection, f"WITH q({', '.join(schema)}) AS ({sql}) SELECT * FROM q", schema)
    return _finish(frame, schema)


def read_table(table: str, columns: dict[str, str], schema: dict[str, pl.DataType], where: str = "TRUE") -> pl.DataFrame:
    """Rows of ``table`` (``where``) as a frame: ``columns`` maps each schema name to its SQL expression.

    The first column is the table's id: connectorx (or, on SQLite, core.sqlite_text) reads by ranges of it."""
    select = ", ".join(f"{expr} AS {name}" for name, expr in columns.items())
    if (frame := bulk_reads.read_frame(f"SELECT {select} FROM {table} WHERE {where}", schema,
                                       partition_on=next(iter(schema)))) is not None:
        return _finish(frame, schema)
    if _on_postgres():
        return _finish(_postgres_copy(f"SELECT {select} FROM {table} WHERE {where}", schema), schema)
    return _finish(sqlite_table(table, columns, schema, where), schema)


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
    return read_table(t, {"card_id": "card_id", "person_id": "person_id", "method": "method"}, {
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

