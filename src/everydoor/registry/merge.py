"""Set-based merges of a staged extract into the registers (one statement per step, no row loops).

The caller stages the validated rows in a temporary table and holds the transaction.
"""

from everydoor.pipeline.loaders import distinct_from, false, indexes_deferred, true


def _scalar(cursor, sql: str, params=()) -> int:
    cursor.execute(sql, params)
    return cursor.fetchall()[0][0] or 0


def _upsert(cursor, table: str, changes: str, fields: tuple[str, ...], *, batch_id: int, inserted: int) -> None:
    """Write the changed rows; a first (or mostly new) load rebuilds secondary indexes after the insert."""
    names = ", ".join(fields)
    sets = ", ".join(f"{f} = excluded.{f}" for f in fields)
    bulk = inserted > 100_000 and inserted > _scalar(cursor, f"SELECT COUNT(*) FROM {table}")
    with indexes_deferred(cursor, table, defer=bulk):
        cursor.execute(f"""
            INSERT INTO {table} (record_key, {names}, present, batch_id)
            SELECT record_key, {names}, {true()}, %s FROM {changes} WHERE 1 = 1 ORDER BY record_key
            ON CONFLICT (record_key) DO UPDATE SET {sets}, present = {true()}, batch_id = excluded.batch_id
        """, [batch_id])


def households_merge(cursor) -> None:
    """stage_households(code, commune_id, village_id) -> registry_household, moving households that moved."""
    ne = distinct_from()
    cursor.execute(f"""
        INSERT INTO registry_household (code, commune_id, village_id)
        SELECT code, commune_id, village_id FROM stage_households WHERE 1 = 1
        ON CONFLICT (code) DO UPDATE SET commune_id = excluded.commune_id, village_id = excluded.village_id
        WHERE (registry_household.commune_id, registry_household.village_id) {ne}
              (excluded.commune_id, excluded.village_id)
    """)


PERSON_FIELDS = ("personal_id", "full_name", "name_key", "dob", "dob_year", "dob_month", "dob_day", "sex",
                 "ethnicity", "household_id", "relation_to_head", "commune_id", "village_id", "address",
                 "status", "status_date", "flags")
# What the resident's history tracks.
PERSON_STATE = ("status", "status_date", "commune_id", "village_id", "household_id")


def persons_merge(cursor, *, batch_id: int, as_of: str, scope_ids: list[int]) -> dict:
    """stage_persons -> registry_person; superseded states kept as history; absent residents flagged.

    One pass builds the changed rows (new or different) with the household id and the state they
    replace; the upsert and the history read from it, so unchanged residents are never written.
    """
    ne = distinct_from()
    staged = ", ".join("h.id AS household_id" if f == "household_id" else f"s.{f}" for f in PERSON_FIELDS)
    new = ", ".join("h.id" if f == "household_id" else f"s.{f}" for f in PERSON_FIELDS)
    old = ", ".join(f"p.{f}" for f in PERSON_FIELDS)
    new_state = ", ".join("h.id" if f == "household_id" else f"s.{f}" for f in PERSON_STATE)
    old_state = ", ".join(f"p.{f}" for f in PERSON_STATE)
    cursor.execute("DROP TABLE IF EXISTS stage_changes")
    cursor.execute(f"""
        CREATE TEMPORARY TABLE stage_changes AS
        SELECT s.record_key, {staged}, p.id AS person_id,
               CASE WHEN p.id IS NULL THEN 'new'
                    WHEN ({old_state}, p.present) {ne} ({new_state}, {true()}) THEN 'state'
                    ELSE 'detail' END AS kind
        FROM stage_persons s
        LEFT JOIN registry_household h ON h.code = s.household_code
        LEFT JOIN registry_person p ON p.record_key = s.record_key
        WHERE p.id IS NULL OR ({old}, p.present) {ne} ({new}, {true()})
    """)
    counts = dict(
        inserted=_scalar(cursor, "SELECT COUNT(*) FROM stage_changes WHERE kind = 'new'"),
        updated=_scalar(cursor, "SELECT COUNT(*) FROM stage_changes WHERE kind <> 'new'"),
    )
    # The state each change replaces, before it is overwritten.
    cursor.execute("""
        INSERT INTO registry_personhistory (person_id, batch_id, as_of, status, status_date, present,
                                            commune_id_at, village_id_at, household_id_at)
        SELECT p.id, %s, %s, p.status, p.status_date, p.present, p.commune_id, p.village_id, p.household_id
        FROM stage_changes c JOIN registry_person p ON p.id = c.person_id WHERE c.kind = 'state'
    """, [batch_id, as_of])
    _upsert(cursor, "registry_person", "stage_changes", PERSON_FIELDS, batch_id=batch_id,
            inserted=counts["inserted"])
    counts["absent"] = _mark_absent(cursor, "registry_person", "stage_persons", batch_id, as_of, scope_ids,
                                    history=True)
    return counts


def _scope_filter(scope_ids: list[int]) -> str:
    return "commune_id IN (" + ",".join(str(int(i)) for i in scope_ids) + ")" if scope_ids else "1 = 0"


def _mark_absent(cursor, table: str, stage: str, batch_id: int, as_of: str, scope_ids: list[int],
                 *, history: bool) -> int:
    """Rows of the scope that this extract no longer lists: present = false, never deleted."""
    absent = f"""
        FROM {table} t WHERE t.present = {true()} AND t.{_scope_filter(scope_ids)}
        AND NOT EXISTS (SELECT 1 FROM {stage} s WHERE s.record_key = t.record_key)
    """
    count = _scalar(cursor, f"SELECT COUNT(*) {absent}")
    if count and history:
        cursor.execute(f"""
            INSERT INTO registry_personhistory (person_id, batch_id, as_of, status, status_date, present,
                                                commune_id_at, village_id_at, household_id_at)
            SELECT t.id, %s, %s, t.status, t.status_date, t.present, t.commune_id, t.village_id, t.household_id
            {absent}
        """, [batch_id, as_of])
    if count:
        cursor.execute(f"""
            UPDATE {table} SET present = {false()}, batch_id = %s WHERE id IN (SELECT t.id {absent})
        """, [batch_id])
    return count


CARD_FIELDS = ("card_number", "si_code", "personal_id", "full_name", "name_key", "dob", "dob_year", "dob_month",
               "dob_day", "sex", "group_code", "payer_group", "benefit_level", "valid_from", "valid_to",
               "commune_id", "address", "clinic_code", "flags", "raw")


def cards_merge(cursor, *, batch_id: int, as_of: str, scope_ids: list[int]) -> dict:
    """stage_cards -> registry_card: new periods inserted, changed ones updated, absent ones flagged."""
    ne = distinct_from()
    old = ", ".join(f"c.{f}" for f in CARD_FIELDS if f != "raw")
    new = ", ".join(f"s.{f}" for f in CARD_FIELDS if f != "raw")
    cursor.execute("DROP TABLE IF EXISTS stage_card_changes")
    cursor.execute(f"""
        CREATE TEMPORARY TABLE stage_card_changes AS
        SELECT s.record_key, {", ".join(f"s.{f}" for f in CARD_FIELDS)},
               CASE WHEN c.id IS NULL THEN 'new' ELSE 'changed' END AS kind
        FROM stage_cards s LEFT JOIN registry_card c ON c.record_key = s.record_key
        WHERE c.id IS NULL OR ({old}, c.present) {ne} ({new}, {true()})
    """)
    counts = dict(
        inserted=_scalar(cursor, "SELECT COUNT(*) FROM stage_card_changes WHERE kind = 'new'"),
        updated=_scalar(cursor, "SELECT COUNT(*) FROM stage_card_changes WHERE kind = 'changed'"),
    )
    _upsert(cursor, "registry_card", "stage_card_changes", CARD_FIELDS, batch_id=batch_id,
            inserted=counts["inserted"])
    counts["absent"] = _mark_absent(cursor, "registry_card", "stage_cards", batch_id, as_of, scope_ids,
                                    history=False)
    return counts
