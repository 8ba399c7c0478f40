"""What lapse warnings read from the registers, as Polars frames: one place, so the rest never touches the ORM.

Cards come from the columnar copy (coverage/columnar.py: every period with its linked person), residents
too; households, certificates and list statuses are small and read fresh. If the card table is ever split
(identity + periods), only the columnar copy changes.
"""

from __future__ import annotations

import polars as pl
from django.db import connection

from everydoor.core import bulk_reads
from everydoor.core.side import meanwhile
from everydoor.coverage import columnar
from everydoor.pipeline.loaders import fetch_frame

HOUSEHOLD_SCHEMA = {"household_id": pl.Int64, "household_code": pl.Utf8, "phone": pl.Utf8,
                    "household_village_id": pl.Int64}
CERTIFICATE_SCHEMA = {"household_id": pl.Int64, "kind": pl.Utf8, "valid_from": pl.Date, "valid_to": pl.Date}
STATUS_SCHEMA = {"commune_id": pl.Int64, "status": pl.Utf8, "effective_from": pl.Date, "effective_to": pl.Date,
                 "source": pl.Utf8}
UNIT_SCHEMA = {"unit_id": pl.Int64, "code": pl.Utf8, "name": pl.Utf8, "parent_id": pl.Int64, "level": pl.Utf8,
               "province_code": pl.Utf8}


def _fetch(sql: str, schema: dict, conn=None) -> pl.DataFrame:
    with (conn or connection).cursor() as cursor:
        return fetch_frame(cursor, sql, schema=schema)


_HOUSEHOLDS_SQL = ("SELECT id AS household_id, code AS household_code, phone, village_id AS household_village_id "
                   "FROM registry_household")
_CERTIFICATES_SQL = "SELECT household_id, kind, valid_from, valid_to FROM registry_householdcertificate"


def households(conn=None) -> pl.DataFrame:
    """Every household's code, phone and village: through connectorx where it may read (SQLite, outside a
    transaction; 0.73 -> 0.4 s on the full demo), else through Django's cursor (PostgreSQL: COPY)."""
    fast = bulk_reads.read_frame(_HOUSEHOLDS_SQL, HOUSEHOLD_SCHEMA)
    return fast if fast is not None else _fetch(_HOUSEHOLDS_SQL, HOUSEHOLD_SCHEMA, conn)


_STATUSES_SQL = "SELECT commune_id, status, effective_from, effective_to, source FROM geo_areastatus"
_UNITS_SQL = ("SELECT id AS unit_id, code, name, parent_id, level, province_code FROM geo_adminunit "
              "WHERE level IN ('commune', 'village')")


def _small(conn, with_households: bool) -> dict[str, pl.DataFrame]:
    """Certificates, list statuses, units (and households): in one connectorx process where it may read
    (SQLite: the rows never become Python objects, so the read leaves the GIL to the caller's work), else
    on `conn`."""
    queries = {"certificates": (_CERTIFICATES_SQL, CERTIFICATE_SCHEMA, None),
               "statuses": (_STATUSES_SQL, STATUS_SCHEMA, None), "units": (_UNITS_SQL, UNIT_SCHEMA, None)}
    if with_households:
        queries["households"] = (_HOUSEHOLDS_SQL, HOUSEHOLD_SCHEMA, None)
    fast = bulk_reads.read_frames(queries)
    return fast if fast is not None else {name: _fetch(sql, schema, conn) for name, (sql, schema, _) in queries.items()}


def registers(*, with_households: bool = False) -> dict[str, pl.DataFrame]:
    """Every card period, every resident, household certificates, list statuses and units, and every household
    when asked (else: households()). The small tables are read on a second connection while the registers'
    columnar copy loads (core.side.meanwhile)."""
    small = meanwhile(lambda conn: _small(conn, with_households))
    periods, persons = columnar.load_registers()
    return {"periods": periods, "persons": persons, **small()}


def person_names(person_ids: list[int]) -> pl.DataFrame:
    """Names and phones of the residents a list shows (only those: names are personal data)."""
    frames = []
    for start in range(0, len(person_ids), 20_000):
        chunk = ",".join(str(int(i)) for i in person_ids[start:start + 20_000])
        frames.append(_fetch(
            f"SELECT p.id AS person_id, p.full_name, p.personal_id, h.phone FROM registry_person p "
            f"LEFT JOIN registry_household h ON h.id = p.household_id WHERE p.id IN ({chunk})",
            {"person_id": pl.Int64, "full_name": pl.Utf8, "personal_id": pl.Utf8, "phone": pl.Utf8}))
    return pl.concat(frames) if frames else pl.DataFrame(
        schema={"person_id": pl.Int64, "full_name": pl.Utf8, "personal_id": pl.Utf8, "phone": pl.Utf8})
