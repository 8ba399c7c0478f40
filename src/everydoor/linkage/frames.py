"""Read registers from the database into Polars frames, fast and in one pass per table.

PostgreSQL: ``COPY (SELECT ...) TO STDOUT`` as CSV, parsed by Polars. SQLite: one cursor,
one ``fetchall``. Never the ORM row by row.
"""

import io

import polars as pl
from django.db import connection

from everydoor.geo.models import AdminUnit
from everydoor.linkage.models import Link, ReviewItem
from everydoor.registry.models import Card, Household, Person


def _on_postgres() -> bool:
    return connection.vendor == "postgresql"


def read_sql(sql: str, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Run a SELECT and return its rows as a frame with ``schema`` (dates arrive as text)."""
    text_schema = {name: (pl.String if dtype == pl.Date else dtype) for name, dtype in schema.items()}
    if _on_postgres():
        connection.ensure_connection()
        buffer = io.BytesIO()
        with connection.connection.cursor() as cursor, cursor.copy(
            f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)"
        ) as copy:
            for block in copy:
                buffer.write(block)
        if buffer.tell() == 0:
            frame = pl.DataFrame(schema=text_schema)
        else:
            buffer.seek(0)
            frame = pl.read_csv(buffer, has_header=False, new_columns=list(schema), schema=text_schema)
    else:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            rows = cursor.fetchall()
        # Django's SQLite connection already turns declared date columns into dates.
        frame = pl.DataFrame(rows, schema=schema, orient="row")
    dates = [pl.col(n).str.slice(0, 10).str.to_date() for n, t in schema.items()
             if t == pl.Date and frame.schema[n] == pl.String]
    strings = [pl.col(n).replace("", None) for n, t in schema.items() if t == pl.String]
    return frame.with_columns(*dates, *strings)


PERSON_SCHEMA = {
    "person_id": pl.Int64, "personal_id": pl.String, "full_name": pl.String, "name_key": pl.String,
    "dob_year": pl.Int32, "dob_month": pl.Int32, "dob_day": pl.Int32, "sex": pl.String,
    "household_id": pl.Int64, "commune_id": pl.Int64, "village_id": pl.Int64, "flags": pl.String,
    "batch_id": pl.Int64,
}
CARD_SCHEMA = {
    "card_id": pl.Int64, "card_number": pl.String, "si_code": pl.String, "personal_id": pl.String,
    "full_name": pl.String, "name_key": pl.String, "dob_year": pl.Int32, "dob_month": pl.Int32,
    "dob_day": pl.Int32, "sex": pl.String, "commune_id": pl.Int64, "address": pl.String,
    "valid_from": pl.Date, "valid_to": pl.Date, "flags": pl.String, "batch_id": pl.Int64,
}


def persons_frame() -> pl.DataFrame:
    """Residents present in the population register."""
    t = Person._meta.db_table
    return read_sql(
        f"SELECT id, personal_id, full_name, name_key, dob_year, dob_month, dob_day, sex, household_id, "
        f"commune_id, village_id, flags, batch_id FROM {t} WHERE present", PERSON_SCHEMA)


def cards_frame() -> pl.DataFrame:
    """Cards present in the participant register."""
    t = Card._meta.db_table
    return read_sql(
        f"SELECT id, card_number, si_code, personal_id, full_name, name_key, dob_year, dob_month, dob_day, "
        f"sex, commune_id, address, valid_from, valid_to, flags, batch_id FROM {t} WHERE present", CARD_SCHEMA)


def links_frame() -> pl.DataFrame:
    t = Link._meta.db_table
    return read_sql(f"SELECT card_id, person_id, method, match_probability FROM {t}", {
        "card_id": pl.Int64, "person_id": pl.Int64, "method": pl.String, "match_probability": pl.Float64})


def review_frame() -> pl.DataFrame:
    t = ReviewItem._meta.db_table
    return read_sql(f"SELECT id, card_id, person_id, decision, match_probability FROM {t}", {
        "review_id": pl.Int64, "card_id": pl.Int64, "person_id": pl.Int64, "decision": pl.String,
        "match_probability": pl.Float64})


def villages_frame() -> pl.DataFrame:
    t = AdminUnit._meta.db_table
    return read_sql(f"SELECT id, parent_id, key FROM {t} WHERE level = 'village'", {
        "village_id": pl.Int64, "commune_id": pl.Int64, "village_key": pl.String})


def households_frame() -> pl.DataFrame:
    t = Household._meta.db_table
    return read_sql(f"SELECT id, code, commune_id, village_id FROM {t}", {
        "household_id": pl.Int64, "code": pl.String, "commune_id": pl.Int64, "village_id": pl.Int64})
