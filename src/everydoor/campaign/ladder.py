"""The denominator ladder: residents on the register -> households found at the door -> residents confirmed
living there -> insured, per commune and village.

The register's residents are the coverage denominator; the field tells how many of them are really there.
A household is found when a visit reached someone (any outcome but not at home and never lived here);
its residents are confirmed unless a visit reported them gone (a field review not rejected); the insured
are the confirmed residents with a valid card on the date. Set-based: the columnar copy of the registers
(coverage.columnar) and the campaign's visits and reviews, joined in DuckDB.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl
from django.utils import timezone

from everydoor.campaign.models import FieldReview, Visit
from everydoor.core.errors import ErrorCode, EverydoorError
from everydoor.coverage import columnar
from everydoor.coverage.engine import resident_condition, with_field_columns
from everydoor.geo.models import AdminUnit
from everydoor.geo.selectors import communes_in

NOT_FOUND_OUTCOMES = (Visit.Outcome.NOT_AT_HOME, Visit.Outcome.NEVER_LIVED_HERE)
STEPS = ("residents", "households", "households_visited", "households_found", "residents_confirmed",
         "insured_confirmed")


def _frame(rows, schema: dict) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=schema, orient="row")


def ladder(*, area: AdminUnit, as_of: dt.date) -> dict:
    """{"area", "as_of", "total", "communes": [...], "villages": [...]}: each row holds STEPS."""
    if area.level == AdminUnit.Level.VILLAGE:
        raise EverydoorError(ErrorCode.INVALID_INPUT, "the ladder is per commune and village: name a commune or "
                                                      "a province")
    communes = {c.id: c for c in communes_in(area)}
    villages = {v.id: v for v in AdminUnit.objects.filter(parent_id__in=communes, level=AdminUnit.Level.VILLAGE)}
    data = columnar.load_frames(dates=[as_of])
    persons = with_field_columns(data["persons"]).filter(pl.col("commune_id").is_in(list(communes)))
    end_of_day = timezone.make_aware(dt.datetime.combine(as_of, dt.time.max))
    visits = _frame(Visit.objects.filter(household__commune_id__in=communes, visited_at__lte=end_of_day)
                    .values_list("household_id", "outcome"), {"household_id": pl.Int64, "outcome": pl.Utf8})
    gone = _frame(FieldReview.objects.filter(visit__household__commune_id__in=communes,
                                             visit__visited_at__lte=end_of_day)
                  .exclude(status=FieldReview.Status.REJECTED).values_list("person_id"), {"person_id": pl.Int64})
    not_found = ", ".join(f"'{o}'" for o in NOT_FOUND_OUTCOMES)
    # On the register: residents as the register says (field corrections are what the ladder shows).
    registered = resident_condition("p", as_of, field_corrections=False)
    sql = f"""
WITH hh AS (
  SELECT household_id, MAX(1) AS visited, MAX(CASE WHEN outcome NOT IN ({not_found}) THEN 1 ELSE 0 END) AS found
  FROM visits GROUP BY household_id
),
insured AS (SELECT DISTINCT person_id FROM cards WHERE person_id IS NOT NULL),
people AS (
  SELECT p.person_id, p.commune_id, p.village_id, p.household_id,
         COALESCE(h.visited, 0) AS visited, COALESCE(h.found, 0) AS found,
         CASE WHEN COALESCE(h.found, 0) = 1 AND g.person_id IS NULL THEN 1 ELSE 0 END AS confirmed,
         CASE WHEN i.person_id IS NOT NULL THEN 1 ELSE 0 END AS insured
  FROM persons p LEFT JOIN hh h ON h.household_id = p.household_id
  LEFT JOIN (SELECT DISTINCT person_id FROM gone) g ON g.person_id = p.person_id
  LEFT JOIN insured i ON i.person_id = p.person_id
  WHERE COALESCE({registered}, FALSE)
)
SELECT commune_id, village_id, GROUPING(commune_id) AS all_communes, GROUPING(village_id) AS all_villages,
       COUNT(*) AS residents, COUNT(DISTINCT household_id) AS households,
       COUNT(DISTINCT CASE WHEN visited = 1 THEN household_id END) AS households_visited,
       COUNT(DISTINCT CASE WHEN found = 1 THEN household_id END) AS households_found,
       SUM(confirmed) AS residents_confirmed, SUM(confirmed * insured) AS insured_confirmed
FROM people GROUP BY GROUPING SETS ((commune_id), (commune_id, village_id), ())
"""
    con = duckdb.connect()
    try:
        con.register("persons", persons.to_arrow())
        con.register("cards", data["cards"].select("person_id", "valid_from", "valid_to")
                     .filter((pl.col("valid_from") <= as_of) & (pl.col("valid_to") >= as_of)).to_arrow())
        con.register("visits", visits.to_arrow())
        con.register("gone", gone.to_arrow())
        rows = con.sql(sql).pl()
    finally:
        con.close()

    def out(row: dict, unit: AdminUnit | None) -> dict:
        return {"code": unit.code if unit else "", "name": unit.name if unit else "",
                **{k: int(row[k] or 0) for k in STEPS}}

    total = rows.filter(pl.col("all_communes") == 1)
    by_commune = rows.filter((pl.col("all_communes") == 0) & (pl.col("all_villages") == 1))
    by_village = rows.filter((pl.col("all_villages") == 0) & pl.col("village_id").is_not_null())
    return {
        "area": area.name, "as_of": as_of.isoformat(),
        "total": out(total.row(0, named=True), area) if total.height else dict.fromkeys(STEPS, 0),
        "communes": sorted((out(r, communes[r["commune_id"]]) for r in by_commune.iter_rows(named=True)
                            if r["commune_id"] in communes), key=lambda r: r["code"]),
        "villages": sorted((out(r, villages.get(r["village_id"])) | {"commune": communes[r["commune_id"]].code}
                            for r in by_village.iter_rows(named=True) if r["village_id"] in villages),
                           key=lambda r: r["code"]),
    }
