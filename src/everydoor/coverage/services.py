"""Writes of the coverage domain: materialise facts for a date, set and import plans."""

import datetime as dt
import time
from decimal import Decimal, InvalidOperation
from pathlib import Path

import polars as pl
from django.db import connection, transaction
from django.utils import timezone

from everydoor.accounts.services import audit_record
from everydoor.campaign.models import AgencyUnit
from everydoor.core.errors import ErrorCode, EverydoorError
from everydoor.core.models import JobRun
from everydoor.core.text import unit_key
from everydoor.coverage import columnar, engine
from everydoor.coverage.models import CoverageFact, Plan
from everydoor.geo.models import AdminUnit
from everydoor.pipeline import loaders

_FACT_TABLE = CoverageFact._meta.db_table
_WRITE_COLUMNS = ("as_of", "level", "area_code", "dimension", "value", *engine.MEASURES, "other_area_cards", "plan")


def coverage_compute(*, as_of: dt.date) -> dict:
    """Materialise CoverageFact for one date at every level and breakdown (replaces that date's facts)."""
    started = time.perf_counter()
    job = JobRun.objects.create(kind="coverage", params={"as_of": as_of.isoformat(), "version": facts_version()})
    data = columnar.load_frames(dates=[as_of])
    loaded = time.perf_counter()
    facts = engine.facts_frame(data, as_of)
    facts = with_plans(facts, year=as_of.year)
    aggregated = time.perf_counter()
    written = facts_write(facts, as_of=as_of)
    finished = time.perf_counter()
    seconds = {"load": round(loaded - started, 3), "aggregate": round(aggregated - loaded, 3),
               "write": round(finished - aggregated, 3)}
    counts = {"facts": written, "persons": data["persons"].height, "cards_valid": data["cards"].height}
    JobRun.objects.filter(pk=job.pk).update(status="done", counts={**counts, "seconds": seconds},
                                            finished_at=timezone.now(), duration_s=finished - started)
    return {"as_of": as_of.isoformat(), **counts, "seconds": seconds, "duration_s": round(finished - started, 3)}


def facts_version() -> str:
    """What a date's facts are computed from: the registers' version, the plans and the agency units."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT (SELECT COUNT(*) FROM coverage_plan), (SELECT MAX(updated_at) FROM coverage_plan), "
                       "(SELECT COUNT(*) FROM campaign_agencyunit_communes), "
                       "(SELECT MAX(id) FROM campaign_agencyunit_communes)")
        small = cursor.fetchall()[0]
    return f"{columnar.version_key()}|{small}"


def with_plans(facts: pl.DataFrame, *, year: int) -> pl.DataFrame:
    """Add other_area_cards (the identity's remainder) and the year's plan on total rows."""
    facts = facts.with_columns(
        other_area_cards=pl.col("cards") - pl.col("insured_residents") - pl.col("non_resident_cards")
        - pl.col("unlinked_cards") - pl.col("duplicate_cards"),
    )
    plans = plans_frame(year=year)
    if plans.height == 0:
        return facts.with_columns(plan=pl.lit(None, dtype=pl.Int64))
    joined = facts.join(plans, on=["level", "area_code"], how="left").with_columns(
        plan=pl.when(pl.col("dimension") != "").then(None)
        .when(pl.col("metric") == Plan.Metric.COVERAGE_PCT)
        .then((pl.col("plan_value") * pl.col("residents") / 100).round(0))
        .otherwise(pl.col("plan_value")).cast(pl.Int64)
    )
    return joined.drop("metric", "plan_value")


def plans_frame(*, year: int) -> pl.DataFrame:
    """The year's plans keyed as facts are: (level, area_code); one per subject (the latest)."""
    rows = []
    for plan in (Plan.objects.filter(year=year, officer__isnull=True).select_related("area", "agency_unit")
                 .order_by("updated_at", "id")):
        if plan.agency_unit_id:
            rows.append(("agency_unit", plan.agency_unit.code, plan.metric, float(plan.value)))
        elif plan.area_id:
            rows.append((plan.area.level, plan.area.code, plan.metric, float(plan.value)))
    frame = pl.DataFrame(rows, schema=["level", "area_code", "metric", "plan_value"], orient="row")
    return frame.unique(subset=["level", "area_code"], keep="last", maintain_order=True)


@transaction.atomic
def facts_write(facts: pl.DataFrame, *, as_of: dt.date) -> int:
    """Replace the date's facts in one transaction (a reader never finds the date empty), in bulk."""
    frame = facts.with_columns(as_of=pl.lit(as_of)).select(_WRITE_COLUMNS)
    with loaders.bulk_writes(), transaction.atomic():
        CoverageFact.objects.filter(as_of=as_of).delete()
        with connection.cursor() as cursor:
            loaders.insert_rows(cursor, frame, _FACT_TABLE)
    return frame.height


# --- plans --------------------------------------------------------------------------------------

def plan_subject_resolve(code_or_name: str) -> AdminUnit | AgencyUnit:
    """An agency-unit code or name, else an administrative unit (code or name)."""
    text = (code_or_name or "").strip()
    unit = AgencyUnit.objects.filter(code=text).first()
    if unit is None:
        by_name = [u for u in AgencyUnit.objects.all() if unit_key(u.name) == unit_key(text)]
        unit = by_name[0] if len(by_name) == 1 else None
    if unit is not None:
        return unit
    area = AdminUnit.objects.filter(code=text).first()
    if area is not None:
        return area
    from everydoor.geo.selectors import area_resolve

    return area_resolve(text)


@transaction.atomic
def plan_set(*, area: AdminUnit | AgencyUnit, year: int, cards: int | None = None, coverage_pct=None,
             decision: str = "", actor: str, user=None) -> Plan:
    """Set (or replace) the year's plan for an area or agency unit; audited."""
    if (cards is None) == (coverage_pct is None):
        raise EverydoorError(ErrorCode.INVALID_INPUT, "give either a number of cards or a coverage percentage")
    if not 2000 <= int(year) <= 2100:
        raise EverydoorError(ErrorCode.INVALID_INPUT, f"year must be between 2000 and 2100, got {year}")
    if cards is not None and int(cards) < 0:
        raise EverydoorError(ErrorCode.INVALID_INPUT, f"cards must be zero or more, got {cards}")
    metric = Plan.Metric.PARTICIPANTS if cards is not None else Plan.Metric.COVERAGE_PCT
    value = Decimal(int(cards)) if cards is not None else Decimal(str(coverage_pct))
    subject = {"agency_unit": area} if isinstance(area, AgencyUnit) else {"area": area}
    plan, created = Plan.objects.update_or_create(
        **subject, officer=None, year=year, metric=metric,
        defaults={"value": value, "decision": decision or "", "created_by": actor},
    )
    audit_record(actor=actor, user=user, action="plan_set", object_type="plan", object_id=plan.pk,
                 area_code=area.code, detail={"year": year, "metric": metric, "value": str(value),
                                              "decision": decision, "created": created})
    return plan


def _read_table(path: Path) -> pl.DataFrame:
    if not path.exists():
        raise EverydoorError(ErrorCode.UNREADABLE_FILE, f"{path}: no such file")
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
            return pl.read_excel(path, infer_schema_length=0)
        return pl.read_csv(path, infer_schema_length=0, encoding="utf8-lossy")
    except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
        raise EverydoorError(ErrorCode.UNREADABLE_FILE, f"{path}: cannot read ({exc})") from exc


def plans_import(path, *, actor: str, user=None) -> dict:
    """Plans from CSV/XLSX with columns area_code, year, cards[, decision]; all rows or none."""
    path = Path(path)
    table = _read_table(path)
    columns = {c.strip().lower(): c for c in table.columns}
    missing = [c for c in ("area_code", "year", "cards") if c not in columns]
    if missing:
        raise EverydoorError(ErrorCode.MISSING_COLUMNS, f"{path.name}: missing column(s) {', '.join(missing)}")
    problems, parsed = [], []
    for number, row in enumerate(table.iter_rows(named=True), start=1):
        code = str(row[columns["area_code"]] or "").strip()
        decision = str(row.get(columns.get("decision", ""), "") or "").strip()
        try:
            year = int(str(row[columns["year"]]).strip())
            cards = int(Decimal(str(row[columns["cards"]]).strip().replace(",", "")))
            subject = plan_subject_resolve(code)
        except (ValueError, InvalidOperation):
            problems.append(f"row {number}: year and cards must be whole numbers")
            continue
        except EverydoorError as exc:
            problems.append(f"row {number}: {exc.message}")
            continue
        parsed.append((subject, year, cards, decision))
    if problems:
        raise EverydoorError(ErrorCode.INVALID_INPUT, f"{path.name}: {'; '.join(problems[:5])}"
                             + (f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""))
    with transaction.atomic():
        for subject, year, cards, decision in parsed:
            plan_set(area=subject, year=year, cards=cards, decision=decision, actor=actor, user=user)
        audit_record(actor=actor, user=user, action="import", object_type="plans", object_id=path.name,
                     detail={"rows": len(parsed)})
    return {"file": path.name, "plans": len(parsed)}
