"""Bulk writes of frames into tables: COPY on PostgreSQL, batched executemany on SQLite.

Callers hold the transaction (one per service); these functions never loop per row in SQL.
"""

import io

import polars as pl
from django.db import connection

BATCH_SIZE = 50_000


def bulk_insert(table: str, frame: pl.DataFrame) -> int:
    """Insert every row of ``frame`` into ``table``; the frame's column names are the table's."""
    if frame.is_empty():
        return 0
    columns = ", ".join(frame.columns)
    if connection.vendor == "postgresql":
        buffer = io.BytesIO()
        frame.write_csv(buffer, include_header=False, null_value="", datetime_format="%Y-%m-%dT%H:%M:%S%.f%z")
        connection.ensure_connection()
        with connection.connection.cursor() as cursor, cursor.copy(
            f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv)"
        ) as copy:
            copy.write(buffer.getvalue())
    else:
        placeholders = ", ".join(["%s"] * frame.width)
        sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"
        with connection.cursor() as cursor:
            for start in range(0, frame.height, BATCH_SIZE):
                cursor.executemany(sql, frame.slice(start, BATCH_SIZE).rows())
    return frame.height


def delete_all(table: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")
