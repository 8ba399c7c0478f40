"""Pull the columns coverage needs out of the database as Polars frames, once per run.

PostgreSQL: `COPY (SELECT ...) TO STDOUT` into Polars' CSV reader; SQLite: one fetchall.
The engine never sees the ORM; the same frames can be written to Parquet for Spark.
"""

import datetime as dt
import io

import polars as pl
from django.db import connection

PERSON_SCHEMA = {
    "person_id": pl.Int64, "dob": pl.Date, "dob_year": pl.Int32, "dob_month": pl.Int32, "dob_day": pl.Int32,
    "sex": pl.Utf8, "ethnicity": pl.Utf8, "commune_id": pl.Int64, "village_id": pl.Int64,
    "household_id": pl.Int64, "status": pl.Utf8, "status_date": pl.Date,
}
CARD_SCHEMA = {
    "card_id": pl.Int64, "person_id": pl.Int64, "si_code": pl.Utf8, "group_code": pl.Utf8, "payer_group": pl.Utf8,
    "valid_from": pl.Date, "valid_to": pl.Date, "commune_id": pl.Int64, "dob_year": pl.Int32,
    "dob_month": pl.Int32, "dob_day": pl.Int32, "sex": pl.Utf8,
}
COMMUNE_SCHEMA = {"commune_id": pl.Int64, "commune_code": pl.Utf8, "province_code": pl.Utf8}
VILLAGE_SCHEMA = {"village_id": pl.Int64, "village_code": pl.Utf8}
UNIT_COMMUNE_SCHEMA = {"unit_code": pl.Utf8, "commune_id": pl.Int64}

_PERSONS_SQL = (
    "SELECT id, dob, dob_year, dob_month, dob_day, sex, ethnicity, commune_id, village_id, household_id, "
    "status, status_date FROM registry_person"
)
_CARDS_SQL = (
    "SELECT c.id, l.person_id, c.si_code, c.group_code, c.payer_group, c.valid_from, c.valid_to, c.commune_id, "
    "c.dob_year, c.dob_month, c.dob_day, c.sex FROM registry_card c "
    "LEFT JOIN linkage_link l ON l.card_id = c.id"
)
_COMMUNES_SQL = (
    "SELECT c.id, c.code, COALESCE(p.code, c.province_code) FROM geo_adminunit c "
    "LEFT JOIN geo_adminunit p ON p.id = c.parent_id WHERE c.level = 'commune'"
)
_VILLAGES_SQL = "SELECT id, code FROM geo_adminunit WHERE level = 'village'"
_UNIT_COMMUNES_SQL = (
    "SELECT u.code, m.adminunit_id FROM campaign_agencyunit_communes m "
    "JOIN campaign_agencyunit u ON u.id = m.agencyunit_id"
)


def _literal(value) -> str:
    """Dates and ints only, for COPY, which takes no parameters."""
    if isinstance(value, dt.date):
        return f"'{value.isoformat()}'"
    if isinstance(value, int):
        return str(value)
    raise TypeError(f"unsupported literal {value!r}")


def _query(sql: str, params: list, schema: dict) -> pl.DataFrame:
    if connection.vendor == "postgresql":
        for value in params:
            sql = sql.replace("%s", _literal(value), 1)
        buffer = io.BytesIO()
        with connection.cursor() as cursor, cursor.cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)") as copy:
            for block in copy:
                buffer.write(block)
        buffer.seek(0)
        if buffer.getbuffer().nbytes == 0:
            return pl.DataFrame(schema=schema)
        # Read as text, then cast: empty fields are NULL, dates are ISO.
        frame = pl.read_csv(buffer, has_header=False, new_columns=list(schema),
                            schema_overrides=dict.fromkeys(schema, pl.Utf8))
    else:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if not rows:
            return pl.DataFrame(schema=schema)
        frame = pl.DataFrame(rows, schema=list(schema), orient="row", infer_schema_length=None)
    return frame.with_columns(_cast(name, dtype, frame.schema[name]) for name, dtype in schema.items())


def _cast(name: str, dtype, current) -> pl.Expr:
    column = pl.col(name)
    if dtype == pl.Date and current in (pl.Utf8, pl.String):
        return column.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
    if dtype == pl.Utf8:
        return column.cast(pl.Utf8).fill_null("")
    return column.cast(dtype)


def persons_frame() -> pl.DataFrame:
    return _query(_PERSONS_SQL, [], PERSON_SCHEMA)


def cards_frame(*, dates: list[dt.date]) -> pl.DataFrame:
    """Cards valid on any of the dates, with the person each is linked to (or null)."""
    where = " OR ".join("(c.valid_from <= %s AND c.valid_to >= %s)" for _ in dates)
    params = [d for day in dates for d in (day, day)]
    return _query(f"{_CARDS_SQL} WHERE {where}", params, CARD_SCHEMA)


def units_frames() -> dict[str, pl.DataFrame]:
    return {
        "communes": _query(_COMMUNES_SQL, [], COMMUNE_SCHEMA),
        "villages": _query(_VILLAGES_SQL, [], VILLAGE_SCHEMA),
        "unit_communes": _query(_UNIT_COMMUNES_SQL, [], UNIT_COMMUNE_SCHEMA),
    }


def load_frames(*, dates: list[dt.date]) -> dict[str, pl.DataFrame]:
    """Everything the engine needs for the given dates: persons, cards, communes, villages, unit_communes."""
    return {"persons": persons_frame(), "cards": cards_frame(dates=dates), **units_frames()}
