"""Set-based merges of a validated extract into the registers (a few statements per step, no row loops).

Records new to the register are written straight into their table. Records it already holds are
compared in Polars by a hash of their fields with the hash stored beside them: only those that
differ (or were marked not present) are staged, and the database then compares them field by
field, so a hash only ever saves work and never decides a change by itself. Records of the
extract's scope that it no longer lists are marked not present, never deleted.

The caller holds the transaction.
"""

from dataclasses import dataclass

import polars as pl

from everydoor.pipeline import loaders
from everydoor.pipeline.loaders import distinct_from, false, indexes_deferred, true

BULK_ROWS = 100_000  # a first (or mostly new) load this large rebuilds secondary indexes after the insert
_EXISTING = {"id": pl.Int64, "record_key": pl.String, "row_hash": pl.Int64, "present": pl.Boolean,
             "commune_id": pl.Int64}


def _scalar(cursor, sql: str, params=()) -> int:
    cursor.execute(sql, params)
    return cursor.fetchall()[0][0] or 0


def with_row_hash(frame: pl.DataFrame, fields: tuple[str, ...]) -> pl.DataFrame:
    """A 64-bit hash of the fields the register stores (stable within one Polars version, which is enough:
    a hash that differs only makes a record a candidate, compared field by field)."""
    return frame.with_columns(pl.struct(list(fields)).hash().reinterpret(signed=True).alias("row_hash"))


@dataclass(frozen=True)
class _Plan:
    new: pl.DataFrame  # records the register does not hold: inserted as they are
    candidates: pl.DataFrame  # held records whose hash differs or that were not present: compared in SQL
    absent_ids: list[int]  # present records of the scope that the extract does not list


def _plan(cursor, table: str, frame: pl.DataFrame, scope_ids: list[int]) -> _Plan:
    existing = loaders.fetch_frame(
        cursor, f"SELECT id, record_key, row_hash, present, commune_id FROM {table}", schema=_EXISTING,
        blank_as_null=True)  # a record key is never empty
    if existing.height == 0:
        return _Plan(frame, frame.clear(), [])
    held = frame.join(existing.select("record_key", pl.col("row_hash").alias("_stored"),
                                      pl.col("present").alias("_present")), on="record_key", how="left")
    new = held.filter(pl.col("_present").is_null()).drop("_stored", "_present")
    candidates = held.filter(pl.col("_present").is_not_null()
                             & (~pl.col("_present") | pl.col("_stored").ne_missing(pl.col("row_hash")))
                             ).drop("_stored", "_present")
    absent = (existing.filter(pl.col("present") & pl.col("commune_id").is_in(scope_ids))
              .join(frame.select("record_key"), on="record_key", how="anti"))
    return _Plan(new, candidates, absent["id"].to_list())


def _insert_new(cursor, table: str, new: pl.DataFrame, fields: tuple[str, ...], *, batch_id: int) -> None:
    """New records straight into the table (in the order _bulk_insert chooses)."""
    if new.height == 0:
        return
    _bulk_insert(cursor, table, new.select("record_key", *fields, "row_hash", pl.lit(True).alias("present"),
                                           pl.lit(batch_id, dtype=pl.Int64).alias("batch_id")), key="record_key")


def _bulk_insert(cursor, table: str, rows: pl.DataFrame, *, key: str) -> None:
    """Append rows; a large first load builds the secondary indexes (and on PostgreSQL checks the
    foreign keys) once, after the insert."""
    if rows.height == 0:
        return
    held = _scalar(cursor, f"SELECT COUNT(*) FROM {table}") if rows.height > BULK_ROWS else None
    bulk = held is not None and rows.height > held
    if bulk:  # each distinct reference once, rather than one look-up per row
        loaders.references_check(cursor, rows, table, keys_deferred=True)
    # In key order where that pays: a unique index kept through the insert grows at its end, and
    # SQLite builds its indexes from sorted keys several times faster. PostgreSQL's rebuild sorts
    # well by itself: sorting the full card register first cost it more than it saved (33.2 s
    # against 31.5 s for the import).
    ordered = rows if bulk and loaders.is_postgres() else rows.sort(key)
    # The keys are new and distinct.
    with indexes_deferred(cursor, table, defer=bulk, unique=True, references_checked=bulk, primary=held == 0):
        loaders.insert_rows(cursor, ordered, table, references_known=bulk)
    if bulk and loaders.is_postgres():
        cursor.execute(f"ANALYZE {table}")  # the planner's picture of a table that just grew from nothing


def _update_changed(cursor, table: str, changes: str, id_column: str, fields: tuple[str, ...], *,
                    batch_id: int) -> None:
    """Write the staged changes (kind <> 'same'); records equal in every field only get their new hash."""
    sets = ", ".join(f"{f} = c.{f}" for f in fields)
    cursor.execute(f"""
        UPDATE {table} SET {sets}, row_hash = c.row_hash, present = {true()}, batch_id = %s
        FROM {changes} c WHERE {table}.id = c.{id_column} AND c.kind <> 'same'
    """, [batch_id])
    cursor.execute(f"""
        UPDATE {table} SET row_hash = c.row_hash
        FROM {changes} c WHERE {table}.id = c.{id_column} AND c.kind = 'same'
    """)


def households_merge(cursor, households: pl.DataFrame) -> pl.DataFrame:
    """households(code, commune_id, village_id, phone) -> registry_household; returns (code, household_id).

    New households are inserted, households that moved are moved. A phone the register gives is
    written; an empty one never erases the one a household has (a visit may have given it).
    """
    schema = {"code": pl.String, "household_id": pl.Int64, "commune_id": pl.Int64, "village_id": pl.Int64,
              "phone": pl.String}
    existing = loaders.fetch_frame(
        cursor, "SELECT code, id AS household_id, commune_id, village_id, phone FROM registry_household",
        schema=schema)
    if "phone" not in households.columns:  # none known
        households = households.with_columns(pl.lit(None, dtype=pl.String).alias("phone"))
    held = households.join(existing, on="code", how="left", suffix="_held")
    _bulk_insert(cursor, "registry_household",
                 held.filter(pl.col("household_id").is_null()).select(households.columns), key="code")
    changed = held.filter(pl.col("household_id").is_not_null() & (
        pl.col("commune_id").ne_missing(pl.col("commune_id_held"))
        | pl.col("village_id").ne_missing(pl.col("village_id_held"))
        | (pl.col("phone").is_not_null() & pl.col("phone").ne_missing(pl.col("phone_held")))))
    if changed.height:
        loaders.references_check(cursor, changed, "registry_household")
        loaders.stage(cursor, changed.select("household_id", "commune_id", "village_id", "phone"), "stage_households")
        cursor.execute("""
            UPDATE registry_household SET commune_id = s.commune_id, village_id = s.village_id,
                   phone = COALESCE(s.phone, registry_household.phone)
            FROM stage_households s WHERE registry_household.id = s.household_id
        """)
    last = existing["household_id"].max() or 0
    added = loaders.fetch_frame(cursor, f"SELECT code, id AS household_id FROM registry_household WHERE id > {int(last)}",
                                schema={"code": pl.String, "household_id": pl.Int64})
    return pl.concat([existing.select("code", "household_id"), added])


PERSON_FIELDS = ("personal_id", "full_name", "name_key", "dob", "dob_year", "dob_month", "dob_day", "sex",
                 "ethnicity", "household_id", "relation_to_head", "commune_id", "village_id", "address",
                 "status", "status_date", "flags", "received")
# What the resident's history tracks.
PERSON_STATE = ("status", "status_date", "commune_id", "village_id", "household_id")
_HISTORY = """
    INSERT INTO registry_personhistory (person_id, batch_id, as_of, status, status_date, present,
                                        commune_id_at, village_id_at, household_id_at)
    SELECT p.id, %s, %s, p.status, p.status_date, p.present, p.commune_id, p.village_id, p.household_id
"""


def persons_merge(cursor, persons: pl.DataFrame, *, batch_id: int, as_of: str, scope_ids: list[int]) -> dict:
    """persons (record_key, PERSON_FIELDS) -> registry_person; superseded states kept as history."""
    persons = with_row_hash(persons, PERSON_FIELDS)
    plan = _plan(cursor, "registry_person", persons, scope_ids)
    _insert_new(cursor, "registry_person", plan.new, PERSON_FIELDS, batch_id=batch_id)
    counts = {"inserted": plan.new.height, "updated": 0, "absent": len(plan.absent_ids)}
    if plan.candidates.height:
        ne = distinct_from()
        loaders.references_check(cursor, plan.candidates, "registry_person")  # the update below writes them
        loaders.stage(cursor, plan.candidates, "stage_persons", index_on=("record_key",))
        new_state = ", ".join(f"s.{f}" for f in PERSON_STATE)
        old_state = ", ".join(f"p.{f}" for f in PERSON_STATE)
        cursor.execute("DROP TABLE IF EXISTS stage_changes")
        cursor.execute(f"""
            CREATE TEMPORARY TABLE stage_changes AS
            SELECT s.*, p.id AS person_id,
                   CASE WHEN ({old_state}, p.present) {ne} ({new_state}, {true()}) THEN 'state'
                        WHEN ({", ".join(f"p.{f}" for f in PERSON_FIELDS)}) {ne}
                             ({", ".join(f"s.{f}" for f in PERSON_FIELDS)}) THEN 'detail'
                        ELSE 'same' END AS kind
            FROM stage_persons s JOIN registry_person p ON p.record_key = s.record_key
        """)
        counts["updated"] = _scalar(cursor, "SELECT COUNT(*) FROM stage_changes WHERE kind <> 'same'")
        # The state each change replaces, before it is overwritten.
        cursor.execute(_HISTORY + "FROM stage_changes c JOIN registry_person p ON p.id = c.person_id "
                       "WHERE c.kind = 'state'", [batch_id, as_of])
        _update_changed(cursor, "registry_person", "stage_changes", "person_id", PERSON_FIELDS, batch_id=batch_id)
    if plan.absent_ids:
        _mark_absent(cursor, "registry_person", plan.absent_ids, batch_id=batch_id, as_of=as_of, history=True)
    return counts


def _mark_absent(cursor, table: str, ids: list[int], *, batch_id: int, as_of: str, history: bool) -> None:
    """Present records of the scope that this extract no longer lists: present = false, never deleted."""
    loaders.stage(cursor, pl.DataFrame({"id": ids}, schema={"id": pl.Int64}), "stage_absent", index_on=("id",))
    if history:
        cursor.execute(_HISTORY + f"FROM {table} p WHERE p.id IN (SELECT id FROM stage_absent)",
                       [batch_id, as_of])
    cursor.execute(f"UPDATE {table} SET present = {false()}, batch_id = %s WHERE id IN (SELECT id FROM stage_absent)",
                   [batch_id])


CARD_FIELDS = ("card_number", "si_code", "personal_id", "full_name", "name_key", "dob", "dob_year", "dob_month",
               "dob_day", "sex", "group_code", "payer_group", "benefit_level", "valid_from", "valid_to",
               "commune_id", "address", "clinic_code", "flags", "raw")


def cards_merge(cursor, cards: pl.DataFrame, *, batch_id: int, as_of: str, scope_ids: list[int]) -> dict:
    """cards (record_key, CARD_FIELDS) -> registry_card: new periods inserted, changed ones updated."""
    compared = tuple(f for f in CARD_FIELDS if f != "raw")  # the raw record follows the fields it holds
    cards = with_row_hash(cards, compared)
    plan = _plan(cursor, "registry_card", cards, scope_ids)
    _insert_new(cursor, "registry_card", plan.new, CARD_FIELDS, batch_id=batch_id)
    counts = {"inserted": plan.new.height, "updated": 0, "absent": len(plan.absent_ids)}
    if plan.candidates.height:
        ne = distinct_from()
        loaders.references_check(cursor, plan.candidates, "registry_card")  # the update below writes them
        loaders.stage(cursor, plan.candidates, "stage_cards", index_on=("record_key",))
        cursor.execute("DROP TABLE IF EXISTS stage_card_changes")
        cursor.execute(f"""
            CREATE TEMPORARY TABLE stage_card_changes AS
            SELECT s.*, c.id AS card_id,
                   CASE WHEN ({", ".join(f"c.{f}" for f in compared)}, c.present) {ne}
                             ({", ".join(f"s.{f}" for f in compared)}, {true()}) THEN 'changed'
                        ELSE 'same' END AS kind
            FROM stage_cards s JOIN registry_card c ON c.record_key = s.record_key
        """)
        counts["updated"] = _scalar(cursor, "SELECT COUNT(*) FROM stage_card_changes WHERE kind <> 'same'")
        _update_changed(cursor, "registry_card", "stage_card_changes", "card_id", CARD_FIELDS, batch_id=batch_id)
    if plan.absent_ids:
        _mark_absent(cursor, "registry_card", plan.absent_ids, batch_id=batch_id, as_of=as_of, history=False)
    return counts
