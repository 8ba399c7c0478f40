"""The coverage aggregation as one SQL statement that runs unchanged on DuckDB and Spark SQL.

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


def _lit(day: dt.date) -> str:
    return f"DATE '{day.isoformat()}'"


def resident_condition(alias: str, day: dt.date) -> str:
    """Born by the date and living here on it (a move or death after the date still counts)."""
    d = _lit(day)
    return (
        f"((({alias}.dob IS NOT NULL AND {alias}.dob <= {d}) OR ({alias}.dob IS NULL AND {alias}.dob_year <= {day.year}))"
        f" AND (({alias}.status = 'resident' AND ({alias}.status_date IS NULL OR {alias}.status_date <= {d}))"
        f" OR ({alias}.status IN ('moved_out', 'deceased') AND {alias}.status_date > {d})))"
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


def events_sql(day: dt.date, *, default_province: str | None) -> str:
    """One row per resident and one per valid card, keyed by area and breakdown, with 0/1 measures."""
    d = _lit(day)
    province = f"COALESCE(co.province_code, '{default_province}')" if default_province else "co.province_code"
    return f"""
res AS (
  SELECT p.person_id, p.commune_id, p.village_id, p.household_id, p.sex, p.ethnicity,
         p.dob_year, p.dob_month, p.dob_day
  FROM persons p WHERE {resident_condition('p', day)}
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
         r.person_id IS NOT NULL AS holder_resident, r.commune_id AS holder_commune
  FROM cards c
  LEFT JOIN persons p ON p.person_id = c.person_id
  LEFT JOIN res r ON r.person_id = c.person_id
  WHERE c.valid_from <= {d} AND c.valid_to >= {d}
),
ranked AS (
  SELECT vc.*,
         CASE WHEN holder_resident THEN row_number() OVER (
           PARTITION BY holder_resident, person_id
           ORDER BY CASE WHEN commune_id = holder_commune THEN 0 ELSE 1 END, valid_from DESC, card_id DESC)
         END AS rn
  FROM vc
),
primary_card AS (SELECT person_id, group_code, payer_group FROM ranked WHERE rn = 1),
events AS (
  SELECT r.commune_id, r.village_id, r.household_id, r.sex, r.ethnicity, r.dob_year, r.dob_month, r.dob_day,
         COALESCE(pc.group_code, '') AS group_code, COALESCE(pc.payer_group, '') AS payer_group,
         1 AS residents, CASE WHEN pc.person_id IS NULL THEN 0 ELSE 1 END AS insured_residents,
         0 AS cards, 0 AS non_resident_cards, 0 AS unlinked_cards, 0 AS duplicate_cards
  FROM res r LEFT JOIN primary_card pc ON pc.person_id = r.person_id
  UNION ALL
  SELECT commune_id, village_id, household_id, sex, ethnicity, dob_year, dob_month, dob_day,
         group_code, payer_group, 0, 0, 1,
         CASE WHEN person_id IS NOT NULL AND NOT holder_resident THEN 1 ELSE 0 END,
         CASE WHEN person_id IS NULL THEN 1 ELSE 0 END,
         CASE WHEN rn > 1 THEN 1 ELSE 0 END
  FROM ranked
),
aged AS (SELECT e.*, {age_expression('e.', day)} AS age FROM events e),
keyed AS (
  SELECT {province} AS province_code, a.commune_id AS commune_id_key, co.commune_code, vi.village_code, CAST(a.household_id AS STRING) AS household_code,
         COALESCE(a.payer_group, '') AS payer_group, COALESCE(a.group_code, '') AS group_code,
         {_AGE_BAND} AS age_band, {_AGE5} AS age5,
         COALESCE(a.sex, '') AS sex, COALESCE(a.ethnicity, '') AS ethnicity,
         a.residents, a.insured_residents, a.cards, a.non_resident_cards, a.unlinked_cards, a.duplicate_cards
  FROM aged a
  LEFT JOIN communes co ON co.commune_id = a.commune_id
  LEFT JOIN villages vi ON vi.village_id = a.village_id
)"""


def _sums() -> str:
    return ", ".join(f"SUM({m}) AS {m}" for m in MEASURES)


def _dimension_case() -> tuple[str, str]:
    name = "CASE " + " ".join(f"WHEN GROUPING({d}) = 0 THEN '{d}'" for d in DIMENSIONS) + " ELSE '' END"
    value = "CASE " + " ".join(f"WHEN GROUPING({d}) = 0 THEN {d}" for d in DIMENSIONS) + " ELSE '' END"
    return name, value


def facts_sql(day: dt.date, *, default_province: str | None = None, households: bool = False) -> str:
    """All levels and breakdowns for one date as one statement (GROUPING SETS)."""
    dim_name, dim_value = _dimension_case()
    keys = dict(AREA_KEYS)
    if households:
        keys["household"] = "household_code"
    sets = [f"({key})" for key in keys.values()]
    sets += [f"({key}, {d})" for key in AREA_KEYS.values() for d in DIMENSIONS]
    level = "CASE " + " ".join(
        f"WHEN GROUPING({key}) = 0 THEN '{name}'" for name, key in reversed(list(keys.items()))
    ) + " END"
    area = "CASE " + " ".join(
        f"WHEN GROUPING({key}) = 0 THEN {key}" for key in reversed(list(keys.values()))
    ) + " END"
    unit_sets = ["(unit_code)"] + [f"(unit_code, {d})" for d in DIMENSIONS]
    return f"""
WITH {events_sql(day, default_province=default_province)},
by_area AS (
  SELECT {level} AS level, {area} AS area_code, {dim_name} AS dimension, {dim_value} AS value, {_sums()}
  FROM keyed
  GROUP BY GROUPING SETS ({", ".join(sets)})
),
by_unit AS (
  SELECT 'agency_unit' AS level, unit_code AS area_code, {dim_name} AS dimension, {dim_value} AS value, {_sums()}
  FROM keyed k JOIN unit_communes u ON u.commune_id = k.commune_id_key
  GROUP BY GROUPING SETS ({", ".join(unit_sets)})
)
SELECT * FROM by_area WHERE area_code IS NOT NULL
UNION ALL
SELECT * FROM by_unit
"""


# Ages mapped to one representative per (age_band, age5) pair, so the age breakdowns group
# ~20 values instead of ~100; _AGE_BAND and _AGE5 give the same labels for the key as for the age.
_AGE_KEY = (
    "CASE WHEN age >= 85 THEN 85 WHEN age >= 20 THEN CAST(FLOOR(age / 5) AS INT) * 5 WHEN age >= 18 THEN 18 "
    "WHEN age >= 15 THEN 15 WHEN age >= 10 THEN 10 WHEN age >= 6 THEN 6 WHEN age >= 5 THEN 5 "
    "WHEN age >= 0 THEN 0 ELSE age END"
)
def compact_sql(day: dt.date, *, default_province: str | None = None, households: bool = False) -> str:
    """The same facts as facts_sql, computed faster on DuckDB (same output, row for row).

    Differences in plan only: the resident test is evaluated once per person; the primary card is
    picked with a hash aggregate (arg_max) instead of a window; and the millions of per-person and
    per-card events are first summed into two small tables keyed by (commune, village, sex, ethnicity,
    age key) and (commune, village, payer group, group code), on which the breakdowns, age labels,
    area joins and GROUPING SETS then run.
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
    measure_sums = ", ".join(f"SUM({m}) AS {m}" for m in MEASURES)
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
  SELECT person_id,
         arg_max({{'card_id': card_id, 'group_code': group_code, 'payer_group': payer_group}},
                 {{'here': CASE WHEN commune_id = holder_commune THEN 1 ELSE 0 END,
                   'valid_from': valid_from, 'card_id': card_id}}) AS pick
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
events AS (SELECT * REPLACE ({_AGE_KEY} AS age) FROM events_raw),
s1 AS (SELECT commune_id, village_id, sex, ethnicity, age, {measure_sums} FROM events GROUP BY ALL),
s2 AS (SELECT commune_id, village_id, payer_group, group_code, {measure_sums} FROM events GROUP BY ALL),
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
  SELECT {level} AS level, {area} AS area_code, dimension, value, {measure_sums}
  FROM keyed
  GROUP BY GROUPING SETS ((province_code, dimension, value), (commune_code, dimension, value),
                          (village_code, dimension, value))
),
by_unit AS (
  SELECT 'agency_unit' AS level, unit_code AS area_code, dimension, value, {measure_sums}
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
    """Run compact_sql (the facts of facts_sql, planned for DuckDB) over the frames; returns FACT_COLUMNS."""
    con = duckdb.connect()
    try:
        for name in ("persons", "cards", "communes", "villages", "unit_communes"):
            con.register(name, frames[name].to_arrow())
        sql = compact_sql(day, default_province=default_province_code(frames["communes"]), households=households)
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
