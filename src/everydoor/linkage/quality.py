"""Data-quality lists per commune that district officers can act on, and their exports.

Lists: cards not linked; cards missing a personal ID or a full date of birth (the linked
resident's values proposed); residents with more than one valid card on a date; ID/sex/birth-year
contradictions (importer flags, or computed here when the flags are empty); fields that an import
loaded empty because the value received could not be used (flag invalid_<field>), with that value.
"""

import datetime as dt
from pathlib import Path

import duckdb
import polars as pl

from everydoor.core.dates import today
from everydoor.core.errors import ErrorCode, EverydoorError
from everydoor.linkage.features import ID_SEX_SQL, ID_VALID_SQL, ID_YEAR_SQL
from everydoor.linkage.frames import read_sql
from everydoor.linkage.models import Link
from everydoor.pipeline.checks import INVALID
from everydoor.registry.models import Card, Person

LISTS = ("unlinked_cards", "missing_id_or_dob", "several_valid_cards", "id_contradictions", "invalid_fields")


def _contradictions_sql(table: str, key: str) -> str:
    valid, sex, year = (ID_VALID_SQL.format(p=""), ID_SEX_SQL.format(p=""), ID_YEAR_SQL.format(p=""))
    return f"""
        SELECT '{table}' AS record, {key} AS record_id, commune_id, full_name, personal_id, sex, dob_year,
               concat_ws(',',
                 CASE WHEN contains(coalesce(flags, ''), 'id_sex_mismatch')
                      OR ({valid} AND sex IN ('M', 'F') AND sex <> {sex}) THEN 'id_sex_mismatch' END,
                 CASE WHEN contains(coalesce(flags, ''), 'id_birth_year_mismatch')
                      OR ({valid} AND dob_year IS NOT NULL AND dob_year <> {year}) THEN 'id_birth_year_mismatch' END
               ) AS problem
        FROM {table}
    """


def dq_lists(*, commune_ids: list[int] | None = None, on: dt.date | None = None) -> dict[str, pl.DataFrame]:
    """The four lists, restricted to ``commune_ids`` (all communes when None)."""
    on = on or today()
    card_t, person_t, link_t = Card._meta.db_table, Person._meta.db_table, Link._meta.db_table
    cards = read_sql(
        f"SELECT c.id, c.commune_id, c.card_number, c.si_code, c.personal_id, c.full_name, c.sex, c.dob_year, "
        f"c.dob_month, c.dob_day, c.valid_from, c.valid_to, c.flags, l.person_id, l.method FROM {card_t} c "
        f"LEFT JOIN {link_t} l ON l.card_id = c.id WHERE c.present",
        {"card_id": pl.Int64, "commune_id": pl.Int64, "card_number": pl.String, "si_code": pl.String,
         "personal_id": pl.String, "full_name": pl.String, "sex": pl.String, "dob_year": pl.Int32,
         "dob_month": pl.Int32, "dob_day": pl.Int32, "valid_from": pl.Date, "valid_to": pl.Date,
         "flags": pl.String, "person_id": pl.Int64, "method": pl.String})
    persons = read_sql(
        f"SELECT id, commune_id, full_name, personal_id, sex, dob_year, dob_month, dob_day, flags "
        f"FROM {person_t} WHERE present",
        {"person_id": pl.Int64, "commune_id": pl.Int64, "full_name": pl.String, "personal_id": pl.String,
         "sex": pl.String, "dob_year": pl.Int32, "dob_month": pl.Int32, "dob_day": pl.Int32, "flags": pl.String})
    con = duckdb.connect()
    con.register("cards", cards.to_arrow())
    con.register("persons", persons.to_arrow())
    scope = "TRUE" if commune_ids is None else f"commune_id IN ({','.join(str(int(i)) for i in commune_ids) or 'NULL'})"
    # A card lands in the commune of its resident when it has none of its own.
    con.execute("""
        CREATE TABLE scoped_cards AS
        SELECT c.* REPLACE (coalesce(c.commune_id, p.commune_id) AS commune_id),
               p.personal_id AS resident_personal_id, p.dob_year AS resident_dob_year,
               p.dob_month AS resident_dob_month, p.dob_day AS resident_dob_day, p.full_name AS resident_name
        FROM cards c LEFT JOIN persons p USING (person_id)
    """)
    con.execute(f"CREATE TABLE scoped AS SELECT * FROM scoped_cards WHERE {scope}")
    lists = {
        "unlinked_cards": con.sql("""
            SELECT commune_id, card_number, si_code, personal_id, full_name, sex, dob_year, dob_month, dob_day,
                   valid_from, valid_to FROM scoped WHERE person_id IS NULL ORDER BY commune_id, full_name
        """).pl(),
        "missing_id_or_dob": con.sql(f"""
            SELECT commune_id, card_number, si_code, full_name,
                   personal_id, dob_year, dob_month, dob_day,
                   CASE WHEN NOT {ID_VALID_SQL.format(p='')} THEN resident_personal_id END AS proposed_personal_id,
                   CASE WHEN dob_month IS NULL OR dob_day IS NULL THEN
                        strftime(make_date(resident_dob_year, resident_dob_month, resident_dob_day), '%Y-%m-%d')
                   END AS proposed_dob
            FROM scoped WHERE NOT {ID_VALID_SQL.format(p='')} OR dob_month IS NULL OR dob_day IS NULL
            ORDER BY commune_id, full_name
        """).pl(),
        "several_valid_cards": con.sql(f"""
            SELECT commune_id, person_id, resident_name AS full_name, resident_personal_id AS personal_id,
                   count(*) AS valid_cards, string_agg(card_number, ', ' ORDER BY card_number) AS card_numbers
            FROM scoped WHERE person_id IS NOT NULL AND valid_from <= DATE '{on}' AND valid_to >= DATE '{on}'
            GROUP BY ALL HAVING count(*) > 1 ORDER BY commune_id, full_name
        """).pl(),
        "id_contradictions": con.sql(f"""
            SELECT * FROM ({_contradictions_sql('scoped', 'card_number')}
                           UNION ALL
                           SELECT * FROM ({_contradictions_sql('persons', 'CAST(person_id AS VARCHAR)')})
                           WHERE {scope})
            WHERE problem <> '' ORDER BY commune_id, full_name
        """).pl(),
    }
    con.close()
    lists["invalid_fields"] = invalid_fields(commune_ids)
    return lists


_INVALID_SCHEMA = {"record": pl.String, "commune_id": pl.Int64, "reference": pl.String, "full_name": pl.String,
                   "field": pl.String, "received": pl.String}


def invalid_fields(commune_ids: list[int] | None) -> pl.DataFrame:
    """One row per field an import loaded empty for a defect: the record (card, by its card number or SI
    code; resident, by household), its commune, the field and the value received.

    The value comes from where the record keeps it: a card's raw record, a resident's `received`.
    Few records carry such a flag, so only they are read.
    """
    card_t, person_t, link_t = Card._meta.db_table, Person._meta.db_table, Link._meta.db_table
    household_t = Person._meta.get_field("household").related_model._meta.db_table
    text = {"commune_id": pl.Int64, "resident_commune_id": pl.Int64, "reference": pl.String,
            "full_name": pl.String, "flags": pl.String, "received": pl.String}
    # LIKE's _ matches any character: a superset, narrowed to the exact flags below.
    cards = read_sql(
        f"SELECT c.commune_id, p.commune_id, CASE WHEN c.card_number <> '' THEN c.card_number ELSE c.si_code END, "
        f"c.full_name, c.flags, c.raw FROM {card_t} c LEFT JOIN {link_t} l ON l.card_id = c.id "
        f"LEFT JOIN {person_t} p ON p.id = l.person_id WHERE c.present AND c.flags LIKE '%{INVALID}%'", text)
    persons = read_sql(
        f"SELECT p.commune_id, p.commune_id, h.code, p.full_name, p.flags, p.received FROM {person_t} p "
        f"LEFT JOIN {household_t} h ON h.id = p.household_id WHERE p.present AND p.received IS NOT NULL", text)
    rows = pl.concat([cards.with_columns(record=pl.lit("card")), persons.with_columns(record=pl.lit("resident"))])
    rows = rows.with_columns(pl.coalesce("commune_id", "resident_commune_id").alias("commune_id"))
    if commune_ids is not None:
        rows = rows.filter(pl.col("commune_id").is_in(commune_ids))
    rows = rows.with_columns(pl.col("flags").str.split(",").alias("field")).explode("field").filter(
        pl.col("field").str.starts_with(INVALID)).with_columns(pl.col("field").str.strip_prefix(INVALID))
    # The value received, by the field's name in the record's JSON: one path per field (a handful).
    parts = [part.with_columns(pl.col("received").str.json_path_match(f"$.{field}"))
             for (field,), part in rows.group_by("field")]
    if not parts:
        return pl.DataFrame(schema=_INVALID_SCHEMA)
    return pl.concat(parts).select(*_INVALID_SCHEMA).sort("commune_id", "record", "full_name", "field")


def dq_summary(*, commune_ids: list[int] | None = None, on: dt.date | None = None) -> dict:
    """Counts per list and the synced rate (linked cards / cards) of the area."""
    lists = dq_lists(commune_ids=commune_ids, on=on)
    cards = cards_in_area(commune_ids)
    return {
        **{name: frame.height for name, frame in lists.items()},
        "cards": cards,
        "synced_rate": round(1 - lists["unlinked_cards"].height / cards, 6) if cards else 0.0,
    }


def cards_in_area(commune_ids: list[int] | None) -> int:
    cards = Card.objects.filter(present=True)
    if commune_ids is not None:
        from django.db.models import Q

        cards = cards.filter(Q(commune_id__in=commune_ids) | Q(commune__isnull=True, link__person__commune_id__in=commune_ids))
    return cards.count()


def write_table(frame: pl.DataFrame, path: Path, *, sheet: str = "list") -> None:
    """CSV or XLSX by the file's extension."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        frame.write_csv(path)
    elif suffix == ".xlsx":
        frame.write_excel(path, worksheet=sheet[:31])
    else:
        raise EverydoorError(ErrorCode.INVALID_INPUT, f"--out must end in .csv or .xlsx, got {path.name}")


def write_lists(lists: dict[str, pl.DataFrame], path: Path) -> list[Path]:
    """XLSX: one sheet per list; CSV: one file per list next to ``path`` (name-<list>.csv)."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        import xlsxwriter

        with xlsxwriter.Workbook(path) as workbook:
            for name, frame in lists.items():
                frame.write_excel(workbook, worksheet=name[:31])
        return [path]
    if suffix == ".csv":
        written = []
        for name, frame in lists.items():
            target = path.with_name(f"{path.stem}-{name}.csv")
            frame.write_csv(target)
            written.append(target)
        return written
    raise EverydoorError(ErrorCode.INVALID_INPUT, f"--out must end in .csv or .xlsx, got {path.name}")
