"""Reads of the stored coverage facts only: what pages show while a user waits.

Unlike coverage.selectors (which computes a date's facts when they are missing or stale), nothing here
touches the registers: a page shows the facts of a date coverage was computed for, and names that date.
"""

import datetime as dt

from django.db import connection
from django.db.models import Max

from everydoor.campaign.models import AgencyUnit
from everydoor.core.models import JobRun
from everydoor.core.text import fold
from everydoor.coverage.models import CoverageFact
from everydoor.geo.models import AdminUnit

Area = AdminUnit | AgencyUnit
MEASURES = ("residents", "insured_residents", "cards", "non_resident_cards", "unlinked_cards", "duplicate_cards",
            "other_area_cards", "plan")
DIFFERENCE = ("non_resident_cards", "unlinked_cards", "duplicate_cards", "other_area_cards")


def level_of(area: Area) -> str:
    return CoverageFact.Level.AGENCY_UNIT if isinstance(area, AgencyUnit) else area.level


def fact_dates(province_code: str | None = None) -> tuple[list[dt.date], int]:
    """Dates coverage was computed for, newest first, and the version of the facts (the last computation's
    id: pages cache what they draw from the facts under it). Read from the coverage jobs (a small table),
    checked against the facts' (as_of, level) index: a scan of the facts for their dates took 30 ms. Kept in the
    process under the last computation's id: each page asks, and only a coverage run changes the answer."""
    with connection.cursor() as cursor:  # asked by every page: written out, the ORM's compiling cost more
        cursor.execute("SELECT MAX(id) FROM core_jobrun WHERE kind = %s AND status = %s", ["coverage", "done"])
        version = cursor.fetchone()[0] or 0
    key = (version, province_code)
    found = _dates_kept.get(key)
    if found is None:
        asked = set()
        for params in JobRun.objects.filter(kind="coverage", status="done").values_list("params", flat=True):
            if isinstance(params, dict) and params.get("as_of"):
                asked.add(dt.date.fromisoformat(params["as_of"]))
        rows = CoverageFact.objects.filter(as_of__in=asked, level=CoverageFact.Level.PROVINCE, dimension="")
        if province_code:
            rows = rows.filter(area_code=province_code)
        found = sorted(set(rows.values_list("as_of", flat=True)), reverse=True)
        if len(_dates_kept) > 64:
            _dates_kept.clear()
        _dates_kept[key] = found
    return list(found), version


_dates_kept: dict[tuple[int, str | None], list[dt.date]] = {}


def latest_date() -> dt.date | None:
    return CoverageFact.objects.filter(level=CoverageFact.Level.PROVINCE).aggregate(d=Max("as_of"))["d"]


def _pct(numerator, denominator) -> float | None:
    return round(100.0 * numerator / denominator, 2) if denominator else None


def figures(row: dict | None) -> dict | None:
    """Rates and plan attainment of one stored total row (a dict of MEASURES)."""
    if row is None:
        return None
    return {**row, "official_rate": _pct(row["cards"], row["residents"]),
            "resident_rate": _pct(row["insured_residents"], row["residents"]),
            "plan_attainment": _pct(row["cards"], row["plan"]),
            "uninsured": max(row["residents"] - row["insured_residents"], 0),
            "difference": {k: row[k] for k in DIFFERENCE}}


def totals(level: str, codes: list[str], dates: list[dt.date]) -> dict[tuple[str, dt.date], dict]:
    """(code, date) -> figures of the total rows of these areas on these dates (one query)."""
    rows = CoverageFact.objects.filter(as_of__in=dates, level=level, area_code__in=codes, dimension="")
    return {(r["area_code"], r["as_of"]): figures(r) for r in rows.values("area_code", "as_of", *MEASURES)}


def area_facts(area: Area, as_of: dt.date, dates: list[dt.date]) -> dict:
    """The area on as_of, the same date a year before (when computed), and its trend over the stored dates."""
    found = totals(level_of(area), [area.code], dates)
    before = _year_before(as_of)
    now, then = found.get((area.code, as_of)), found.get((area.code, before))
    trend = [{"as_of": d, **found[(area.code, d)]} for d in sorted(dates) if (area.code, d) in found and d <= as_of]
    change = now["cards"] - then["cards"] if now and then else None
    return {"now": now, "before": then, "before_date": before if then else None, "change": change, "trend": trend}


def children(level: str, names: dict[str, str], as_of: dt.date) -> list[dict]:
    """Rows of the communes, villages or agency units named (code -> name) on a date, by name."""
    found = totals(level, list(names), [as_of])
    rows = [{"code": code, "name": name, **(found.get((code, as_of)) or {})} for code, name in names.items()]
    return sorted(rows, key=lambda r: (fold(r["name"]), r["name"]))  # Đ among the Ds, as readers expect


def lagging(rows: list[dict], limit: int = 10) -> list[dict]:
    """The rows furthest from full coverage by resident rate, with the uninsured residents each still has."""
    rated = [r for r in rows if r.get("resident_rate") is not None]
    return sorted(rated, key=lambda r: (r["resident_rate"], r["name"]))[:limit]


def _year_before(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)
