"""Reads of the coverage domain: one area's figures, breakdowns, lagging areas."""

import datetime as dt

from everydoor.campaign.models import AgencyUnit
from everydoor.core.errors import ErrorCode, EverydoorError
from everydoor.core.models import JobRun
from everydoor.coverage.models import CoverageFact
from everydoor.geo.models import AdminUnit

Area = AdminUnit | AgencyUnit
BREAKDOWNS = {"group": "group_code", "payer": "payer_group", "payer_group": "payer_group",
              "group_code": "group_code", "age": "age_band", "age5": "age5", "sex": "sex", "ethnicity": "ethnicity"}
TARGET_RATE = 96.5  # the province's end-2025 goal, used when an area has no plan (percent of residents)


def area_level(area: Area) -> str:
    return CoverageFact.Level.AGENCY_UNIT if isinstance(area, AgencyUnit) else area.level


def area_resolve_any(text: str) -> Area:
    """An administrative unit by name or code (geo.selectors.area_resolve), else an agency unit."""
    from everydoor.geo.selectors import area_resolve

    try:
        return area_resolve(text)
    except EverydoorError as exc:
        if exc.code != ErrorCode.NOT_FOUND:
            raise
        from everydoor.coverage.services import plan_subject_resolve

        found = plan_subject_resolve(text)
        if isinstance(found, AgencyUnit):
            return found
        raise


def year_before(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def facts_ensure(as_of: dt.date) -> None:
    """Compute a date's facts on demand: when there are none, or the registers, plans or agency units
    changed since they were computed (an import, a link run, a review, a new plan)."""
    from everydoor.coverage.services import coverage_compute, facts_version

    last = (JobRun.objects.filter(kind="coverage", status="done", params__as_of=as_of.isoformat())
            .order_by("-id").values_list("params", flat=True).first())
    if (last is None or last.get("version") != facts_version()
            or not CoverageFact.objects.filter(as_of=as_of).exists()):
        coverage_compute(as_of=as_of)


def _pct(numerator, denominator) -> float | None:
    return round(100.0 * numerator / denominator, 2) if denominator else None


def _fact_dict(fact: CoverageFact | None) -> dict:
    if fact is None:
        return {"residents": 0, "insured_residents": 0, "cards": 0, "non_resident_cards": 0, "unlinked_cards": 0,
                "duplicate_cards": 0, "other_area_cards": 0, "plan": None}
    return {name: getattr(fact, name) for name in (
        "residents", "insured_residents", "cards", "non_resident_cards", "unlinked_cards", "duplicate_cards",
        "other_area_cards", "plan")}


def _total(area: Area, as_of: dt.date) -> CoverageFact | None:
    return CoverageFact.objects.filter(as_of=as_of, level=area_level(area), area_code=area.code,
                                       dimension="").first()


def coverage_for_area(area: Area, as_of: dt.date) -> dict:
    """The headline figures of one area on one date; rates in percent (88.21 = 88.21%)."""
    before = year_before(as_of)
    facts_ensure(as_of)
    facts_ensure(before)
    now, then = _fact_dict(_total(area, as_of)), _fact_dict(_total(area, before))
    return {
        "area": area.name, "area_code": area.code, "level": area_level(area), "as_of": as_of.isoformat(),
        "residents": now["residents"], "insured_residents": now["insured_residents"], "cards": now["cards"],
        "official_rate": _pct(now["cards"], now["residents"]),
        "resident_rate": _pct(now["insured_residents"], now["residents"]),
        "plan": now["plan"], "plan_attainment": _pct(now["cards"], now["plan"]),
        "cards_year_before": then["cards"], "change": now["cards"] - then["cards"],
        # official - resident numerators: cards = insured residents + these parts, exactly
        "difference": {k: now[k] for k in ("non_resident_cards", "unlinked_cards", "duplicate_cards",
                                           "other_area_cards")},
    }


def _row(fact: CoverageFact, name: str) -> dict:
    return {"code": fact.area_code, "name": name, "value": fact.value, "residents": fact.residents,
            "insured_residents": fact.insured_residents, "cards": fact.cards,
            "official_rate": _pct(fact.cards, fact.residents),
            "resident_rate": _pct(fact.insured_residents, fact.residents), "plan": fact.plan,
            "plan_attainment": _pct(fact.cards, fact.plan),
            "non_resident_cards": fact.non_resident_cards, "unlinked_cards": fact.unlinked_cards,
            "duplicate_cards": fact.duplicate_cards, "other_area_cards": fact.other_area_cards}


def child_units(area: Area, level: str) -> dict[str, str]:
    """code -> name of the communes, villages or agency units within an area."""
    if level == "agency_unit":
        units = AgencyUnit.objects.all()
        if isinstance(area, AdminUnit) and area.level == "province":
            units = units.filter(province=area)
        elif isinstance(area, AdminUnit):
            units = units.filter(communes__code=area.code)
        return dict(units.values_list("code", "name"))
    if isinstance(area, AgencyUnit):
        communes = area.communes.all()
    elif area.level == "province":
        communes = AdminUnit.objects.filter(level="commune", parent=area)
    elif area.level == "commune":
        communes = AdminUnit.objects.filter(pk=area.pk)
    else:
        return {area.code: area.name} if level == "village" else {}
    if level == "commune":
        return dict(communes.values_list("code", "name"))
    return dict(AdminUnit.objects.filter(level="village", parent__in=communes).values_list("code", "name"))


def coverage_breakdown(area: Area, as_of: dt.date, by: str) -> list[dict]:
    """Rows for the communes/villages/agency units of an area, or for one breakdown of the area."""
    facts_ensure(as_of)
    if by in ("commune", "village", "agency_unit"):
        names = child_units(area, by)
        facts = CoverageFact.objects.filter(as_of=as_of, level=by, dimension="", area_code__in=list(names))
        return sorted((_row(f, names[f.area_code]) for f in facts), key=lambda r: r["name"])
    if by not in BREAKDOWNS:
        raise EverydoorError(ErrorCode.INVALID_INPUT,
                             f"--by must be one of commune, village, agency_unit, {', '.join(BREAKDOWNS)}; got {by!r}")
    facts = CoverageFact.objects.filter(as_of=as_of, level=area_level(area), area_code=area.code,
                                        dimension=BREAKDOWNS[by]).order_by("value")
    return [_row(f, f.value or "(none)") for f in facts]


def lagging_areas(area: Area, as_of: dt.date, *, level: str = "commune", limit: int | None = None,
                  target_rate: float = TARGET_RATE) -> dict:
    """Communes or villages ranked by resident rate and by distance to plan, with people still needed.

    needed = plan - cards when the area has a plan, else the residents still uninsured below target_rate.
    """
    rows = coverage_breakdown(area, as_of, level)
    for row in rows:
        if row["plan"] is not None:
            row["needed"] = max(row["plan"] - row["cards"], 0)
            row["needed_basis"] = "plan"
        else:
            goal = -(-row["residents"] * int(round(target_rate * 100)) // 10000)  # ceil, integer arithmetic
            row["needed"] = max(goal - row["insured_residents"], 0)
            row["needed_basis"] = f"{target_rate}% of residents"
    by_rate = sorted(rows, key=lambda r: (r["resident_rate"] if r["resident_rate"] is not None else 101, r["name"]))
    by_plan = sorted((r for r in rows if r["plan"]), key=lambda r: (r["plan_attainment"], r["name"]))
    if limit:
        by_rate, by_plan = by_rate[:limit], by_plan[:limit]
    return {"area": area.name, "as_of": as_of.isoformat(), "level": level,
            "by_resident_rate": by_rate, "by_plan": by_plan,
            "needed_total": sum(r["needed"] for r in rows)}


def household_coverage(commune: AdminUnit, as_of: dt.date) -> list[dict]:
    """Residents and insured residents per household of a commune, computed on demand (not materialised)."""
    from everydoor.coverage import columnar, engine

    data = columnar.load_frames(dates=[as_of])
    facts = engine.facts_frame(data, as_of, households=True)
    ids = set(AdminUnit.objects.filter(pk=commune.pk).values_list("pk", flat=True))
    from everydoor.registry.models import Household

    households = dict(Household.objects.filter(commune_id__in=ids).values_list("pk", "code"))
    rows = facts.filter(facts["level"] == "household").to_dicts()
    return [{"household": households[int(r["area_code"])], "residents": r["residents"],
             "insured_residents": r["insured_residents"], "cards": r["cards"]}
            for r in rows if r["area_code"] and int(r["area_code"]) in households]
