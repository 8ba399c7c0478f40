"""Pull the columns coverage needs out of the database as Polars frames, once per run.

Outside a transaction, on SQLite, connectorx reads the registers straight into Arrow, two id
ranges at once (core.bulk_reads). Otherwise, PostgreSQL: `COPY (SELECT ...) TO STDOUT` into Polars' CSV
reader; SQLite: the database formats the rows itself (printf + group_concat into one blob, parsed by Polars' CSV reader),
which avoids a Python object per value; if a value holds the separators, it falls back to
fetchall. On SQLite, cards are read without the join to links (an index lookup per card is the
slowest part there): links are read by a plain scan and joined in Polars; PostgreSQL joins itself.
registers_frames reads persons and cards on two connections at once when that is safe;
columnar.py keeps Parquet copies of them per version of the registers.
The engine never sees the ORM; the same frames can be written to Parquet for Spark.
"""

import datetime as dt
import io

import polars as pl
from django.db import connection

from everydoor.core import bulk_reads
from everydoor.core.side import meanwhile
from everydoor.core.sqlite_text import sqlite_frame

PERSON_SCHEMA = {
    "person_id": pl.Int64, "dob": pl.Date, "dob_year": pl.Int32, "dob_month": pl.Int32, "dob_day": pl.Int32,
    "sex": pl.Utf8, "ethnicity": pl.Utf8, "commune_id": pl.Int64, "village_id": pl.Int64,
    "household_id": pl.Int64, "status": pl.Utf8, "status_date": pl.Date,
    # an accepted field correction (campaign.field_review): not counted from that date
    "field_status": pl.Utf8, "field_status_date": pl.Date,
}

CARD_SCHEMA = {
    "card_id": pl.Int64, "person_id": pl.Int64, "si_code": pl.Utf8, "group_code": pl.Utf8, "payer_group": pl.Utf8,
    "valid_from": pl.Date, "valid_to": pl.Date, "commune_id": pl.Int64, "dob_year": pl.Int32,
    "dob_month": pl.Int32, "dob_day": pl.Int32, "sex": pl.Utf8,
}
COMMUNE_SCHEMA = {"commune_id": pl.Int64, "commune_code": pl.Utf8, "province_code": pl.Utf8}
VILLAGE_SCHEMA = {"village_id": pl.Int64, "village_code": pl.Utf8}
UNIT_COMMUNE_SCHEMA = {"unit_code": pl.Utf8, "commune_id": pl.Int64}

_PERSON_COLUMNS = {"person_id": "id"}
_CARD_COLUMNS = {"card_id": "id"}
LINK_SCHEMA = {"card_id": pl.Int64, "person_id": pl.Int64}
_LINKS_SQL = "SELECT card_id, person_id FROM linkage_link"
_COMMUNES_SQL = (
    "SELECT c.id AS commune_id, c.code AS commune_code, COALESCE(p.code, c.province_code) AS province_code "
    "FROM geo_adminunit c "
    "LEFT JOIN geo_adminunit p ON p.id = c.parent_id WHERE c.level = 'commune'"
)
_VILLAGES_SQL = "SELECT id AS village_id, code AS village_code FROM geo_adminunit WHERE level = 'village'"
_UNIT_COMMUNES_SQL = (
    "SELECT u.code AS unit_code, m.adminunit_id AS commune_id FROM campaign_agencyunit_communes m "
    "JOIN campaign_agencyunit u ON u.id = m.agencyunit_id"
)


def _select(table: str, schema: dict, renames: dict) -> str:
    columns = ", ".join(f"{renames.get(name, name)} AS {name}" for name in schema)
    return f"SELECT {columns} FROM {table}"


def _query(sql: str, schema: dict, conn=None) -> pl.DataFrame:
    conn = conn or connection
    if conn.vendor == "sqlite" and (frame := sqlite_frame(conn, sql, schema)) is not None:
        return frame.with_columns(_cast(name, dtype, frame.schema[name]) for name, dtype in schema.items())
    if conn.vendor == "postgresql":
        buffer = io.BytesIO()
        with conn.cursor() as cursor, cursor.cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)") as copy:
            for block in copy:
                buffer.write(block)
        buffer.seek(0)
        if buffer.getbuffer().nbytes == 0:
            return pl.DataFrame(schema=schema)
        # Numbers typed by the reader; text and dates read as text, then cast: empty fields are NULL.
        frame = pl.read_csv(buffer, has_header=False, new_columns=list(schema),
                            schema_overrides={k: v if v.is_integer() else pl.Utf8 for k, v in schema.items()})
    else:
        with conn.cursor() as cursor:
            cursor.execute(sql)
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
    if current in (pl.Utf8, pl.String):
        return pl.when(column != "").then(column).cast(dtype)
    return column.cast(dtype)


def _persons_sql() -> str:
    return _select("registry_person", PERSON_SCHEMA, _PERSON_COLUMNS)


def persons_frame(*, conn=None) -> pl.DataFrame:
    return _query(_persons_sql(), PERSON_SCHEMA, conn)


def valid_sql(dates: list[dt.date] | None, alias: str = "") -> str:
    """SQL for "valid on any of the dates" (every card when None). ISO literals compare right as text on
    SQLite, as dates on PostgreSQL."""
    if dates is None:
        return "1 = 1"
    return " OR ".join(f"({alias}valid_from <= '{d.isoformat()}' AND {alias}valid_to >= '{d.isoformat()}')"
                       for d in dates)


# A card row as its table holds it (the linked person comes from linkage_link).
_CARD_ROW_SCHEMA = {k: v for k, v in CARD_SCHEMA.items() if k != "person_id"}


def _cards_sql(dates: list[dt.date] | None) -> str:
    return f"{_select('registry_card', _CARD_ROW_SCHEMA, _CARD_COLUMNS)} WHERE {valid_sql(dates)}"


def _with_person(cards: pl.DataFrame, links: pl.DataFrame) -> pl.DataFrame:
    """Each card with the person it is linked to (one link per card at most). Card ids are dense: the
    person of each id is looked up in an array indexed by it (a scatter and a gather), several times
    cheaper than a hash join of millions of cards and links."""
    size = max(cards["card_id"].max() or 0, links["card_id"].max() or 0) + 1
    if links.height == 0 or size > 4 * (cards.height + links.height) + 1_000_000:  # sparse ids: join
        return cards.join(links, on="card_id", how="left").select(list(CARD_SCHEMA))
    person = pl.repeat(None, size, dtype=pl.Int64, eager=True).scatter(links["card_id"], links["person_id"])
    return cards.with_columns(person_id=person.gather(cards["card_id"])).select(list(CARD_SCHEMA))


def cards_frame(*, conn=None, dates: list[dt.date] | None = None) -> pl.DataFrame:
    """The cards valid on any of the dates (every card when None), with the person each is linked to (or null)."""
    conn = conn or connection
    if conn.vendor == "postgresql":  # a hash join in the server is cheaper than shipping the links
        columns = ", ".join("l.person_id AS person_id" if k == "person_id" else f"c.{_CARD_COLUMNS.get(k, k)} AS {k}"
                            for k in CARD_SCHEMA)
        cards = _query(f"SELECT {columns} FROM registry_card c LEFT JOIN linkage_link l ON l.card_id = c.id "
                       f"WHERE {valid_sql(dates, 'c.')}", CARD_SCHEMA, conn)
        return cards.select(list(CARD_SCHEMA))
    return _with_person(_query(_cards_sql(dates), _CARD_ROW_SCHEMA, conn), _query(_LINKS_SQL, LINK_SCHEMA, conn))


def _fast_reads(*, persons: bool, cards: bool, dates: list[dt.date] | None = None) -> dict[str, pl.DataFrame] | None:
    """persons and/or cards (valid on the dates) with connectorx, in one go (core.bulk_reads); None when it
    may not read. The cards and the links are read apart and joined here: cheaper than a join of every
    card in SQLite."""
    queries = {}
    if persons:
        queries["persons"] = (_persons_sql(), PERSON_SCHEMA, "person_id")
    if cards:
        queries["cards"] = (_cards_sql(dates), _CARD_ROW_SCHEMA, "card_id")
        queries["links"] = (_LINKS_SQL, LINK_SCHEMA, "card_id")
    read = bulk_reads.read_frames(queries)
    if read is None:
        return None
    out = {}
    if persons:
        out["persons"] = _text_filled(read["persons"], PERSON_SCHEMA)
    if cards:
        out["cards"] = _text_filled(_with_person(read["cards"], read["links"]), CARD_SCHEMA)
    return out


def persons_read() -> pl.DataFrame:
    """Every resident: with connectorx when it may read, else through Django's connection."""
    fast = _fast_reads(persons=True, cards=False)
    return persons_frame() if fast is None else fast["persons"]


def cards_read(dates: list[dt.date] | None = None) -> pl.DataFrame:
    """cards_frame, with connectorx when it may read."""
    fast = _fast_reads(persons=False, cards=True, dates=dates)
    return cards_frame(dates=dates) if fast is None else fast["cards"]


def valid_on(cards: pl.DataFrame, dates: list[dt.date]) -> pl.DataFrame:
    """The cards valid on any of the dates."""
    return cards.filter(pl.any_horizontal((pl.col("valid_from") <= d) & (pl.col("valid_to") >= d) for d in dates))


def units_frames() -> dict[str, pl.DataFrame]:
    return {
        "communes": _query(_COMMUNES_SQL, COMMUNE_SCHEMA),
        "villages": _query(_VILLAGES_SQL, VILLAGE_SCHEMA),
        "unit_communes": _query(_UNIT_COMMUNES_SQL, UNIT_COMMUNE_SCHEMA),
    }


def registers_frames(dates: list[dt.date] | None = None) -> dict[str, pl.DataFrame]:
    """persons and the cards valid on any of the dates (every card when None): with connectorx when it may
    read, else on two connections at once when that is safe."""
    fast = _fast_reads(persons=True, cards=True, dates=dates)
    if fast is not None:
        return fast
    persons, cards = _both(lambda conn: persons_frame(conn=conn), lambda conn: cards_frame(conn=conn, dates=dates))
    return {"persons": persons, "cards": cards}


def _text_filled(frame: pl.DataFrame, schema: dict) -> pl.DataFrame:
    """Text columns hold '' rather than null, as _query gives them."""
    return frame.with_columns(pl.col(n).fill_null("") for n, t in schema.items() if t == pl.Utf8)


def _both(first, second):
    """first(conn) on a second connection in a thread while second(conn) runs on this one, when that is
    safe (core.side.meanwhile); else one after the other."""
    got = meanwhile(first)
    other = second(connection)
    return got(), other
