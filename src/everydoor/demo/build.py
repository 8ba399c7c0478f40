"""`everydoor demo`: generate the province, migrate, import, link, compute coverage, create demo users."""

import datetime as dt
import json
import time
from collections.abc import Callable
from pathlib import Path

from django.core.management import call_command

AS_OF = dt.date(2025, 10, 31)
YEAR_BEFORE = dt.date(2024, 10, 31)
DEMO_PASSWORD = "everydoor-demo"

Step = Callable[[str], None]


def _files_ready(out_dir: Path, scale: float, seed: int) -> bool:
    manifest = out_dir / "manifest.json"
    if not manifest.exists():
        return False
    data = json.loads(manifest.read_text(encoding="utf-8"))
    from everydoor.demo.generate import FILES_VERSION

    statuses = all((out_dir / name).exists() for name in ("certificates.csv", "area_statuses.csv"))
    return (data.get("scale") == scale and data.get("seed") == seed and statuses
            and data.get("files_version") == FILES_VERSION)


def demo_build(*, out_dir: Path, scale: float = 1.0, seed: int = 2025, step: Step = print) -> dict:
    """Every stage of the main flow on the demo files; returns the time each stage took."""
    from everydoor.accounts.models import Role
    from everydoor.accounts.services import user_upsert
    from everydoor.campaign.services import agency_units_import
    from everydoor.core.dates import today
    from everydoor.coverage import columnar
    from everydoor.coverage.digest import change_parts_compute
    from everydoor.coverage.formatting import month_ends
    from everydoor.coverage.services import coverage_compute, plans_import
    from everydoor.demo.field import BASELINE as FIELD_BASELINE
    from everydoor.demo.field import field_setup
    from everydoor.demo.generate import generate
    from everydoor.demo.visits import demo_visits
    from everydoor.geo.models import AdminUnit
    from everydoor.geo.services import units_import
    from everydoor.geo.statuses import area_statuses_import
    from everydoor.lapses.prepare import prepare as lapses_prepare
    from everydoor.lapses.risk import train as risk_train
    from everydoor.linkage.services import link_run
    from everydoor.registry.certificates import certificates_import
    from everydoor.registry.services import cards_import, population_import

    timings: dict[str, float] = {}

    def stage(name: str, func):
        step(f"{name} …")
        started = time.perf_counter()
        result = func()
        timings[name] = round(time.perf_counter() - started, 1)
        step(f"{name}: done in {timings[name]} s")
        return result

    if not _files_ready(out_dir, scale, seed):
        stage("generate", lambda: generate(out_dir, scale=scale, seed=seed))
    stage("migrate", lambda: call_command("migrate", interactive=False, verbosity=0))
    stage("import units", units_import)
    stage("import population", lambda: population_import(path=out_dir / "population.csv", as_of=AS_OF,
                                                         actor="demo"))
    stage("import cards", lambda: cards_import(path=out_dir / "cards.csv", as_of=AS_OF, actor="demo"))
    stage("import agency units", lambda: agency_units_import(out_dir / "agency_units.csv"))
    stage("import plans", lambda: plans_import(out_dir / "plans.csv", actor="demo"))
    stage("import certificates and list statuses", lambda: (
        certificates_import(path=out_dir / "certificates.csv", actor="demo"),
        area_statuses_import(path=out_dir / "area_statuses.csv", actor="demo")))
    links = stage("link", link_run)
    # The registers' whole copy first (persons and every card period, read in one go): each date of coverage,
    # the change parts, the month-ends and the lapse warnings then filter it. Read a date at a time, the
    # first two dates each read their third of the card table and the month-ends the whole of it again
    # (on the full demo 11.6 s of reading against 6.4 s).
    stage("coverage", lambda: (columnar.load_registers(), [coverage_compute(as_of=d) for d in (AS_OF, YEAR_BEFORE)]))
    stage("change parts", lambda: change_parts_compute(as_of=AS_OF))  # the dashboards' waterfalls
    province = AdminUnit.objects.get(level=AdminUnit.Level.PROVINCE, code="15")
    user_upsert(username="demo", password=DEMO_PASSWORD, role=Role.PROVINCE, area=province, is_staff=True)
    muong_bo = AdminUnit.objects.get(level=AdminUnit.Level.COMMUNE, province_code="15", key="muongbo")
    user_upsert(username="muongbo", password=DEMO_PASSWORD, role=Role.COMMUNE_CHAIR, area=muong_bo)
    user_upsert(username="clinic", password=DEMO_PASSWORD, role=Role.CLINIC, area=province)
    # Every month-end between the two dates (the campaign's baseline among them), as the data office computes them
    # for the monthly report: the dashboards' trend has a point a month.
    months = [d for d in month_ends(AS_OF, 13) if YEAR_BEFORE < d < AS_OF]
    assert FIELD_BASELINE in months
    stage("coverage by month", lambda: [coverage_compute(as_of=d) for d in months])
    stage("field", lambda: field_setup(out_dir=out_dir, password=DEMO_PASSWORD, seed=seed, step=step))
    stage("visits", lambda: demo_visits(seed=seed, step=step))  # needs the officers' villages (field stage)
    # Last, on the registers as they stay: what lapse lists and forecasts read, and a risk model to order them.
    # As of the demo's today (core.dates.today), the date lists and forecasts default to.
    stage("lapse warnings", lambda: (risk_train(as_of=today(), province="15"),
                                     lapses_prepare(as_of=today(), province="15")))
    return {"timings_s": timings, "total_s": round(sum(timings.values()), 1), "links": links}
