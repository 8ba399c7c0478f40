"""Change explained: why valid cards and insured residents moved between two dates.

Every card holder (linked person, else SI code, else the card) and every resident falls
in exactly one part, and contributes (count on D2 - count on D1); so the parts add up
to the total exactly. Renewals contribute nothing and are reported under "flows".
"""

import datetime as dt

import duckdb
import polars as pl

from everydoor.campaign.models import AgencyUnit
from everydoor.core.errors import ErrorCode, EverydoorError
from everydoor.coverage import columnar
from everydoor.coverage.engine import _lit, resident_condition, with_field_columns
from everydoor.geo.models import AdminUnit

PARTS = ("new_enrolments", "births", "moves_in", "lapses", "deaths", "moves_out", "field_corrections",
         "reclassification", "remapping", "duplicates", "other")
# field_corrections: residents an officer found gone (moved away, deceased, never lived here), accepted by the
# unit manager (campaign.field_review), dated between the two dates: they stop counting from the visit.
# Groups whose cards lapse when a commune leaves the especially-difficult list (DOMAIN.md):
# a card of these groups not renewed counts as reclassification, not as a plain lapse.
DIFFICULT_AREA_GROUPS = ("DK", "DT")


def _between(column: str, d1: dt.date, d2: dt.date) -> str:
    return f"({column} > {_lit(d1)} AND {column} <= {_lit(d2)})"


def _born_between(alias: str, d1: dt.date, d2: dt.date) -> str:
    return (f"(({alias}.dob IS NOT NULL AND {_between(alias + '.dob', d1, d2)}) OR "
            f"({alias}.dob IS NULL AND {alias}.dob_year > {d1.year} AND {alias}.dob_year <= {d2.year}))")


def _cards_sql(d1: dt.date, d2: dt.date, groups: tuple[str, ...], by: str) -> str:
    """Parts of the change in valid cards for every area of the `areas` table (unit_id -> area_key) at once.

    An area is a set of communes (by = "commune") or of villages (by = "village"). A holder's cards in an
    area (n1, n2) and elsewhere (o1, o2: all of the holder's cards less those) classify it, per area.
    """
    g = ", ".join(f"'{x}'" for x in groups)
    died = f"(p.status = 'deceased' AND {_between('p.status_date', d1, d2)})"
    left = f"(p.status = 'moved_out' AND {_between('p.status_date', d1, d2)})"
    arrived = f"(p.status = 'resident' AND {_between('p.status_date', d1, d2)})"
    corrected = _between("p.field_status_date", d1, d2)
    person_here = "(pa.area_key IS NOT NULL)"
    return f"""
WITH placed AS (
  SELECT c.*, COALESCE(CAST(c.person_id AS VARCHAR), CASE WHEN c.si_code <> '' THEN 'si:' || c.si_code END,
                       'card:' || CAST(c.card_id AS VARCHAR)) AS holder,
         COALESCE(c.commune_id, p.commune_id) AS area_commune,
         CASE WHEN c.commune_id IS NULL OR c.commune_id = p.commune_id THEN p.village_id END AS area_village,
         c.valid_from <= {_lit(d1)} AND c.valid_to >= {_lit(d1)} AS on1,
         c.valid_from <= {_lit(d2)} AND c.valid_to >= {_lit(d2)} AS on2
  FROM cards c LEFT JOIN persons p ON p.person_id = c.person_id
),
totals AS (
  SELECT holder, SUM(CASE WHEN on1 THEN 1 ELSE 0 END) AS t1, SUM(CASE WHEN on2 THEN 1 ELSE 0 END) AS t2
  FROM placed GROUP BY holder
),
keyed AS (SELECT placed.*, a.area_key FROM placed JOIN areas a ON a.unit_id = placed.area_{by}),
per_area AS (
  SELECT area_key, holder, any_value(person_id) AS person_id,
         SUM(CASE WHEN on1 THEN 1 ELSE 0 END) AS n1,
         SUM(CASE WHEN on2 THEN 1 ELSE 0 END) AS n2,
         SUM(CASE WHEN on2 AND valid_from > {_lit(d1)} THEN 1 ELSE 0 END) AS new2,
         arg_max(CASE WHEN on1 THEN group_code END, CASE WHEN on1 THEN valid_from END) AS group1,
         arg_max(CASE WHEN on1 THEN payer_group END, CASE WHEN on1 THEN valid_from END) AS payer1,
         arg_max(CASE WHEN on2 THEN payer_group END, CASE WHEN on2 THEN valid_from END) AS payer2
  FROM keyed GROUP BY area_key, holder
),
holders AS (SELECT per_area.*, t.t1 - per_area.n1 AS o1, t.t2 - per_area.n2 AS o2
            FROM per_area JOIN totals t ON t.holder = per_area.holder),
classified AS (
  SELECT h.*, n2 - n1 AS delta, CASE
    WHEN n1 > 0 AND n2 > 0 THEN 'duplicates'
    WHEN n1 > 0 AND h.person_id IS NOT NULL AND {died} THEN 'deaths'
    WHEN n1 > 0 AND h.person_id IS NOT NULL AND ({left} OR (o2 > 0 AND NOT {person_here})) THEN 'moves_out'
    WHEN n1 > 0 AND h.person_id IS NOT NULL AND {corrected} THEN 'field_corrections'
    WHEN n1 > 0 AND o2 > 0 THEN 'remapping'
    WHEN n1 > 0 AND group1 IN ({g}) THEN 'reclassification'
    WHEN n1 > 0 THEN 'lapses'
    WHEN n2 > 0 AND h.person_id IS NOT NULL AND {_born_between('p', d1, d2)} THEN 'births'
    WHEN n2 > 0 AND h.person_id IS NOT NULL AND ({arrived} OR (o1 > 0 AND {person_here})) THEN 'moves_in'
    WHEN n2 > 0 AND o1 > 0 THEN 'remapping'
    WHEN n2 > 0 THEN 'new_enrolments'
    ELSE 'other' END AS part
  FROM holders h LEFT JOIN persons p ON p.person_id = h.person_id
       LEFT JOIN areas pa ON pa.unit_id = p.{by}_id AND pa.area_key = h.area_key
  WHERE n1 > 0 OR n2 > 0
)
SELECT area_key, part, SUM(delta) AS delta, COUNT(*) AS holders,
       SUM(CASE WHEN n1 > 0 AND n2 > 0 AND new2 > 0 THEN 1 ELSE 0 END) AS renewals,
       SUM(CASE WHEN n1 > 0 AND n2 > 0 AND new2 > 0 AND payer1 <> payer2 THEN 1 ELSE 0 END) AS renewed_other_payer
FROM classified GROUP BY area_key, part
"""


def _residents_sql(d1: dt.date, d2: dt.date, groups: tuple[str, ...], by: str) -> str:
    """Parts of the change in insured residents for every area of the `areas` table at once."""
    g = ", ".join(f"'{x}'" for x in groups)
    return f"""
WITH linked AS (
  SELECT c.person_id,
         MAX(CASE WHEN c.valid_from <= {_lit(d1)} AND c.valid_to >= {_lit(d1)} THEN 1 ELSE 0 END) AS c1,
         MAX(CASE WHEN c.valid_from <= {_lit(d2)} AND c.valid_to >= {_lit(d2)} THEN 1 ELSE 0 END) AS c2,
         MAX(CASE WHEN c.valid_from <= {_lit(d2)} AND c.valid_to >= {_lit(d2)} AND c.valid_from > {_lit(d1)}
             THEN 1 ELSE 0 END) AS renewed,
         arg_max(CASE WHEN c.valid_from <= {_lit(d1)} AND c.valid_to >= {_lit(d1)} THEN c.group_code END,
                 CASE WHEN c.valid_from <= {_lit(d1)} AND c.valid_to >= {_lit(d1)} THEN c.valid_from END) AS group1
  FROM cards c WHERE c.person_id IS NOT NULL GROUP BY c.person_id
),
people AS (
  SELECT p.*, a.area_key,
         CASE WHEN {resident_condition('p', d1)} AND COALESCE(l.c1, 0) = 1 THEN 1 ELSE 0 END AS i1,
         CASE WHEN {resident_condition('p', d2)} AND COALESCE(l.c2, 0) = 1 THEN 1 ELSE 0 END AS i2,
         l.group1, COALESCE(l.renewed, 0) AS renewed
  FROM persons p JOIN areas a ON a.unit_id = p.{by}_id LEFT JOIN linked l ON l.person_id = p.person_id
),
classified AS (
  SELECT area_key, i2 - i1 AS delta, i1, i2, renewed, CASE
    WHEN i1 = 1 AND i2 = 1 THEN 'duplicates'
    WHEN i1 = 1 AND p.status = 'deceased' AND {_between('p.status_date', d1, d2)} THEN 'deaths'
    WHEN i1 = 1 AND p.status = 'moved_out' AND {_between('p.status_date', d1, d2)} THEN 'moves_out'
    WHEN i1 = 1 AND {_between('p.field_status_date', d1, d2)} THEN 'field_corrections'
    WHEN i1 = 1 AND group1 IN ({g}) THEN 'reclassification'
    WHEN i1 = 1 THEN 'lapses'
    WHEN i2 = 1 AND {_born_between('p', d1, d2)} THEN 'births'
    WHEN i2 = 1 AND p.status = 'resident' AND {_between('p.status_date', d1, d2)} THEN 'moves_in'
    WHEN i2 = 1 THEN 'new_enrolments'
    ELSE 'other' END AS part
  FROM people p WHERE i1 = 1 OR i2 = 1
)
SELECT area_key, part, SUM(delta) AS delta, COUNT(*) AS holders,
       SUM(CASE WHEN i1 = 1 AND i2 = 1 AND renewed = 1 THEN 1 ELSE 0 END) AS renewals, 0 AS renewed_other_payer
FROM classified GROUP BY area_key, part
"""


def _summary(rows: list[tuple]) -> dict:
    parts = dict.fromkeys(PARTS, 0)
    flows = {"renewals": 0, "renewed_other_payer_group": 0}
    for part, delta, _holders, renewals, other_payer in rows:
        parts[part] += int(delta or 0)
        flows["renewals"] += int(renewals or 0)
        flows["renewed_other_payer_group"] += int(other_payer or 0)
    return {"total": sum(parts.values()), "parts": parts, "flows": flows}


def change_frames(data: dict[str, pl.DataFrame], d1: dt.date, d2: dt.date, *, commune_ids: list[int],
                  village_id: int | None = None, groups: tuple[str, ...] = DIFFICULT_AREA_GROUPS) -> dict:
    """The decomposition over frames (pure): cards and insured residents, each {total, parts, flows}."""
    if village_id is not None:
        return change_by_area(data, d1, d2, {"area": [village_id]}, by="village", groups=groups)["area"]
    return change_by_area(data, d1, d2, {"area": list(commune_ids)}, groups=groups)["area"]


def change_by_area(data: dict[str, pl.DataFrame], d1: dt.date, d2: dt.date, areas: dict[str, list[int]], *,
                   by: str = "commune", groups: tuple[str, ...] = DIFFICULT_AREA_GROUPS) -> dict[str, dict]:
    """The decomposition of many areas in one pass: area key -> its communes' (or villages') ids.

    One scan for all of a province's communes, agency units and the province itself: what the pages'
    waterfalls read is materialised in seconds (coverage.digest), not one area at a time.
    """
    if by not in ("commune", "village"):
        raise ValueError(by)
    mapping = pl.DataFrame([(int(unit), key) for key, units in areas.items() for unit in units],
                           schema={"unit_id": pl.Int64, "area_key": pl.String}, orient="row")
    found: dict[str, dict[str, list]] = {key: {"cards": [], "insured_residents": []} for key in areas}
    con = duckdb.connect()
    try:
        con.register("cards", data["cards"].to_arrow())
        con.register("persons", with_field_columns(data["persons"]).to_arrow())
        con.register("areas", mapping.to_arrow())
        for measure, sql in (("cards", _cards_sql(d1, d2, groups, by)),
                             ("insured_residents", _residents_sql(d1, d2, groups, by))):
            for key, *row in con.sql(sql).fetchall():
                found[key][measure].append(tuple(row))
    finally:
        con.close()
    return {key: {measure: _summary(rows) for measure, rows in measures.items()} for key, measures in found.items()}


def area_scope(area: AdminUnit | AgencyUnit) -> dict:
    """The communes (or the village) an area covers, as ids."""
    if isinstance(area, AgencyUnit):
        return {"commune_ids": list(area.communes.values_list("pk", flat=True))}
    if area.level == "province":
        return {"commune_ids": list(AdminUnit.objects.filter(level="commune", parent=area).values_list("pk", flat=True))}
    if area.level == "commune":
        return {"commune_ids": [area.pk]}
    return {"commune_ids": [], "village_id": area.pk}


def change_explain(*, area: AdminUnit | AgencyUnit, date_from: dt.date, date_to: dt.date) -> dict:
    """{"area", "from", "to", "total", "parts"} for valid cards, plus the same for insured residents."""
    if date_to <= date_from:
        raise EverydoorError(ErrorCode.INVALID_INPUT, f"--to ({date_to}) must be after --from ({date_from})")
    data = columnar.load_frames(dates=[date_from, date_to])
    result = change_frames(data, date_from, date_to, **area_scope(area))
    cards = result["cards"]
    return {"area": area.name, "from": date_from.isoformat(), "to": date_to.isoformat(),
            "total": cards["total"], "parts": cards["parts"], "flows": cards["flows"],
            "insured_residents": result["insured_residents"]}


def cards_on_dates(data: dict[str, pl.DataFrame], dates: list[dt.date], *, commune_ids: list[int],
                   village_id: int | None = None) -> list[dict]:
    """Valid cards placed in the area on each date (the official-rate numerator), oldest first."""
    if village_id is not None:
        here = f"(CASE WHEN c.commune_id IS NULL OR c.commune_id = p.commune_id THEN p.village_id END) = {int(village_id)}"
    else:
        here = f"COALESCE(c.commune_id, p.commune_id) IN ({', '.join(str(int(i)) for i in commune_ids) or 'NULL'})"
    counts = ", ".join(
        f"SUM(CASE WHEN c.valid_from <= {_lit(d)} AND c.valid_to >= {_lit(d)} THEN 1 ELSE 0 END) AS d{i}"
        for i, d in enumerate(dates))
    con = duckdb.connect()
    try:
        con.register("cards", data["cards"].to_arrow())
        con.register("persons", data["persons"].to_arrow())
        row = con.sql(f"SELECT {counts} FROM cards c LEFT JOIN persons p ON p.person_id = c.person_id "
                      f"WHERE COALESCE({here}, FALSE)").fetchall()[0]
    finally:
        con.close()
    return [{"date": d.isoformat(), "cards": int(n or 0)} for d, n in sorted(zip(dates, row, strict=True))]
