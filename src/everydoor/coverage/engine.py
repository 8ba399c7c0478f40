"""The coverage aggregation as one SQL statement for DuckDB and Spark SQL (they differ in one spelling).

Inputs are five tables (see frames.py): persons, cards (with the linked person_id),
communes, villages, unit_communes. Output: one row per (level, area_code, dimension,
value) with residents, insured_residents, cards, non_resident_cards, unlinked_cards,
duplicate_cards. Pure: no database, no ORM.
"""

import datetime as dt

import duckdb
import polars as pl

DIMENSIONS = ("payer_group", "group_code", "age_band", "age5", "sex", "ethnicity")
AREA_KEYS = {"province": "province_code", "commune": "commune_code", "village": "village_code"}
MEASURES = ("residents", "insured_residents", "cards", "non_resident_cards", "unlinked_cards", "duplicate_cards")
FACT_COLUMNS = ("level", "area_code", "dimension", "value", *MEASURES)


FIELD_COLUMNS = {"field_status": pl.Utf8, "field_status_date": pl.Date}


def with_field_columns(persons: pl.DataFrame) -> pl.DataFrame:
    """Persons frames made elsewhere (tests, older extracts) without the field-correction columns get them empty."""
    missing = [pl.lit(None, dtype).alias(name) for name, dtype in FIELD_COLUMNS.items() if name not in persons.columns]
    return persons.with_columns(missing) if missing else persons


def _lit(day: dt.date) -> str:
    return f"DATE '{day.isoformat()}'"


def resident_condition(alias: str, day: dt.date, *, field_corrections: bool = True) -> str:
    """Born by the date and living here on it (a move or death after the date still counts), and not found
    gone by an accepted field correction dated on or before it (field_corrections=False: as the register
    alone says). A resident whose date of birth could not be read (registry.Person.received) counts:
    born, age unknown."""
    d = _lit(day)
    corrected = f" AND NOT COALESCE({alias}.field_status_date <= {d}, FALSE)" if field_corrections else ""
    return (
        f"((({alias}.dob IS NOT NULL AND {alias}.dob <= {d})"
        f" OR ({alias}.dob IS NULL AND ({alias}.dob_year IS NULL OR {alias}.dob_year <= {day.year})))"
        f" AND (({alias}.status = 'resident' AND ({alias}.status_date IS NULL OR {alias}.status_date <= {d}))"
        f" OR ({alias}.status IN ('moved_out', 'deceased') AND {alias}.status_date > {d})){corrected})"
    )


def age_expression(prefix: str, day: dt.date) -> str:
    """Completed years, as core.dates.age_on: an unknown month/day counts as 1 July."""
    month, dayn = f"COALESCE({prefix}dob_month, 7)", f"COALESCE({prefix}dob_day, 1)"
    return (
        f"({day.year} - {prefix}dob_year - CASE WHEN {day.month} < {month} OR "
        f"({day.month} = {month} AND {day.day} < {dayn}) THEN 1 ELSE 0 END)"
    )


_AGE_BAND = (
    "CASE WHEN age IS NULL THEN '' WHEN age < 6 THEN '0-5' WHEN age < 18 THEN '6-17' "
    "WHEN age < 60 THEN '18-59' ELSE '60+' END"
)
_AGE5 = (
    "CASE WHEN age IS NULL THEN '' WHEN age >= 85 THEN '85+' ELSE "
    "lpad(CAST(CAST(FLOOR(age / 5) AS INT) * 5 AS STRING), 2, '0') || '-' || "
    "lpad(CAST(CAST(FLOOR(age / 5) AS INT) * 5 + 4 AS STRING), 2, '0') END"
)


# Ages mapped to one representative per (age_band, age5) pair, so the age breakdowns group
# ~20 values instead of ~100; _AGE_BAND and _AGE5 give the same labels for the key as for the age.
_AGE_KEY = (
    "CASE WHEN age >= 85 THEN 85 WHEN age >= 20 THEN CAST(FLOOR(age / 5) AS INT) * 5 WHEN age >= 18 THEN 18 "
    "WHEN age >= 15 THEN 15 WHEN age >= 10 THEN 10 WHEN age >= 6 THEN 6 WHEN age >= 5 THEN 5 "
    "WHEN age >= 0 THEN 0 ELSE age END"
)


def _struct(dialect: str, **fields: str) -> str:
    """A struct value: DuckDB and Spark SQL spell it differently (the one difference between them here)."""
    if dialect == "spark":
        return "named_struct(" + ", ".join(f"'{name}', {value}" for name, value in fields.items()) + ")"
    return "{" + ", ".join(f"'{name}': {value}" for name, value in fields.items()) + "}"


def facts_sql(day: dt.date, *, default_province: str | None = None, households: bool = False,
              dialect: str = "duckdb") -> str:
    """All levels and breakdowns for one date as one statement, for DuckDB or Spark SQL.

    Each resident's "primary" card (the one counted for insured residents; the others of a resident
    are duplicates) is picked with a hash aggregate (max_by: a card in the resident's commune first,
    then the latest valid_from, then the highest id). The millions of per-person and per-card events
    are first summed into two small tables keyed by (commune, village, sex, ethnicity, age key) and
    (commune, village, payer group, group code); the breakdowns, age labels, area joins and
    GROUPING SETS then run on those.
    """
    d = _lit(day)
    province = f"COALESCE(co.province_code, '{default_province}')" if default_province else "co.province_code"
    p_hh = "p.household_id" if households else "NULL"
    measures = ", ".join(MEASURES)
    level = "CASE WHEN GROUPING(village_code) = 0 THEN 'village' WHEN GROUPING(commune_code) = 0 THEN 'commune' ELSE 'province' END"
    area = "CASE WHEN GROUPING(village_code) = 0 THEN village_code WHEN GROUPING(commune_code) = 0 THEN commune_code ELSE province_code END"
    # The events summed twice by (commune, village): once with the person's attributes (s1: sex,
    # ethnicity, age key), once with the card's (s2: payer group, group code); each breakdown is then a
    # small GROUP BY of one of them, in long form (dimension, value).
    sums = ", ".join(f"SUM({m}) AS {m}" for m in MEASURES)
    value_of = {"payer_group": ("s2", "COALESCE(payer_group, '')"), "group_code": ("s2", "COALESCE(group_code, '')"),
                "age_band": ("s1", _AGE_BAND), "age5": ("s1", _AGE5), "sex": ("s1", "COALESCE(sex, '')"),
                "ethnicity": ("s1", "COALESCE(ethnicity, '')")}
    long_parts = [f"SELECT commune_id, village_id, '' AS dimension, '' AS value, {sums} FROM s2 GROUP BY 1, 2"]
    for dimension in DIMENSIONS:
        source, value = value_of[dimension]
        long_parts.append(f"SELECT commune_id, village_id, '{dimension}', {value}, {sums} FROM {source} GROUP BY 1, 2, 4")
    households_part = ""
    if households:
        households_part = (f"UNION ALL SELECT 'household', CAST(household_id AS STRING), '', '', {sums} "
                           f"FROM events WHERE household_id IS NOT NULL GROUP BY household_id")
    pick = _struct(dialect, card_id="card_id", group_code="group_code", payer_group="payer_group")
    order = _struct(dialect, here="CASE WHEN commune_id = holder_commune THEN 1 ELSE 0 END",
                    valid_from="valid_from", card_id="card_id")
    event_columns = "commune_id, village_id, household_id, sex, ethnicity, group_code, payer_group"
    return f"""
WITH pr AS (
  SELECT p.person_id, p.commune_id, p.village_id, {p_hh} AS household_id, p.sex, p.ethnicity,
         p.dob_year, p.dob_month, p.dob_day, COALESCE({resident_condition('p', day)}, FALSE) AS is_res
  FROM persons p
),
vc AS (
  SELECT c.card_id, c.person_id, c.group_code, c.payer_group, c.valid_from,
         COALESCE(c.commune_id, p.commune_id) AS commune_id,
         CASE WHEN p.person_id IS NOT NULL AND (c.commune_id IS NULL OR c.commune_id = p.commune_id)
              THEN p.village_id END AS village_id,
         CASE WHEN p.person_id IS NOT NULL AND (c.commune_id IS NULL OR c.commune_id = p.commune_id)
              THEN p.household_id END AS household_id,
         CASE WHEN p.person_id IS NULL THEN c.sex ELSE p.sex END AS sex,
         CASE WHEN p.person_id IS NULL THEN '' ELSE p.ethnicity END AS ethnicity,
         CASE WHEN p.person_id IS NULL THEN c.dob_year ELSE p.dob_year END AS dob_year,
         CASE WHEN p.person_id IS NULL THEN c.dob_month ELSE p.dob_month END AS dob_month,
         CASE WHEN p.person_id IS NULL THEN c.dob_day ELSE p.dob_day END AS dob_day,
         COALESCE(p.is_res, FALSE) AS holder_resident, p.commune_id AS holder_commune
  FROM cards c
  LEFT JOIN pr p ON p.person_id = c.person_id
  WHERE c.valid_from <= {d} AND c.valid_to >= {d}
),
primary_card AS (
  SELECT person_id, max_by({pick}, {order}) AS pick
  FROM vc WHERE holder_resident GROUP BY person_id
),
events_raw AS (
  SELECT p.commune_id, p.village_id, p.household_id, p.sex, p.ethnicity,
         pc.pick.group_code AS group_code, pc.pick.payer_group AS payer_group,
         {age_expression('p.', day)} AS age,
         1 AS residents, CASE WHEN pc.person_id IS NULL THEN 0 ELSE 1 END AS insured_residents,
         0 AS cards, 0 AS non_resident_cards, 0 AS unlinked_cards, 0 AS duplicate_cards
  FROM pr p LEFT JOIN primary_card pc ON pc.person_id = p.person_id
  WHERE p.is_res
  UNION ALL
  SELECT v.commune_id, v.village_id, v.household_id, v.sex, v.ethnicity, v.group_code, v.payer_group,
         {age_expression('v.', day)}, 0, 0, 1,
         CASE WHEN v.person_id IS NOT NULL AND NOT v.holder_resident THEN 1 ELSE 0 END,
         CASE WHEN v.person_id IS NULL THEN 1 ELSE 0 END,
         CASE WHEN v.holder_resident AND v.card_id <> pc.pick.card_id THEN 1 ELSE 0 END
  FROM vc v LEFT JOIN primary_card pc ON pc.person_id = v.person_id AND v.holder_resident
),
events AS (SELECT {event_columns}, {_AGE_KEY} AS age, {measures} FROM events_raw),
s1 AS (SELECT commune_id, village_id, sex, ethnicity, age, {sums} FROM events GROUP BY 1, 2, 3, 4, 5),
s2 AS (SELECT commune_id, village_id, payer_group, group_code, {sums} FROM events GROUP BY 1, 2, 3, 4),
long AS (
  {" UNION ALL ".join(long_parts)}
),
keyed AS (
  SELECT {province} AS province_code, l.commune_id AS commune_id_key, co.commune_code, vi.village_code,
         l.dimension, l.value, {measures}
  FROM long l
  LEFT JOIN communes co ON co.commune_id = l.commune_id
  LEFT JOIN villages vi ON vi.village_id = l.village_id
),
by_area AS (
  SELECT {level} AS level, {area} AS area_code, dimension, value, {sums}
  FROM keyed
  GROUP BY GROUPING SETS ((province_code, dimension, value), (commune_code, dimension, value),
                          (village_code, dimension, value))
),
by_unit AS (
  SELECT 'agency_unit' AS level, unit_code AS area_code, dimension, value, {sums}
  FROM keyed k JOIN unit_communes u ON u.commune_id = k.commune_id_key
  GROUP BY unit_code, dimension, value
)
SELECT * FROM by_area WHERE area_code IS NOT NULL
UNION ALL
SELECT * FROM by_unit
{households_part}"""


def default_province_code(communes: pl.DataFrame) -> str | None:
    """Cards placed in no commune count toward the province when the database holds one province."""
    codes = communes["province_code"].unique().to_list() if communes.height else []
    return codes[0] if len(codes) == 1 else None


def facts_frame(frames: dict[str, pl.DataFrame], day: dt.date, *, households: bool = False) -> pl.DataFrame:
    """Run facts_sql on DuckDB over the frames; returns FACT_COLUMNS."""
    con = duckdb.connect()
    try:
        for name in ("persons", "cards", "communes", "villages", "unit_communes"):
            frame = with_field_columns(frames[name]) if name == "persons" else frames[name]
            con.register(name, frame.to_arrow())
        sql = facts_sql(day, default_province=default_province_code(frames["communes"]), households=households)
        result = con.sql(sql).to_arrow_table()
    finally:
        con.close()
    return normalise(pl.from_arrow(result))


def normalise(frame: pl.DataFrame) -> pl.DataFrame:
    """Same column types and order whichever engine produced the frame."""
    return frame.select(
        *(pl.col(c).cast(pl.Utf8).fill_null("") for c in ("level", "area_code", "dimension", "value")),
        *(pl.col(m).cast(pl.Int64).fill_null(0) for m in MEASURES),
    ).sort(["level", "area_code", "dimension", "value"])
