"""Plans: set, import, attainment; agency units from a file; the CLI end to end."""

import datetime as dt
import json

import pytest
from typer.testing import CliRunner

from everydoor.accounts.models import AuditEvent
from everydoor.campaign.models import AgencyUnit
from everydoor.campaign.services import agency_units_import
from everydoor.core.errors import EverydoorError
from everydoor.coverage.models import CoverageFact, Plan
from everydoor.coverage.selectors import coverage_for_area, lagging_areas
from everydoor.coverage.services import coverage_compute, plan_set, plans_import
from tests.coverage.conftest import AS_OF


def test_plan_set_replaces_and_is_audited(world):
    prov = world["province"]
    plan_set(area=prov, year=2025, cards=50, decision="462/QĐ-BHXH", actor="test")
    plan_set(area=prov, year=2025, cards=60, decision="470/QĐ-BHXH", actor="test")
    assert Plan.objects.get(area=prov, year=2025).value == 60
    assert AuditEvent.objects.filter(action="plan_set").count() == 2
    with pytest.raises(EverydoorError):
        plan_set(area=prov, year=2025, cards=-1, actor="test")


def test_plans_import_and_attainment(world, tmp_path):
    com = world["communes"][0]
    path = tmp_path / "plans.csv"
    path.write_text(f"area_code,year,cards,decision\n15,2025,40,462/QĐ-BHXH\n{com.code},2025,10,\nBT,2025,20,\n",
                    encoding="utf-8")
    assert plans_import(path, actor="test") == {"file": "plans.csv", "plans": 3}
    coverage_compute(as_of=AS_OF)
    facts = CoverageFact.objects.filter(as_of=AS_OF, dimension="", plan__isnull=False)
    assert {(f.level, f.area_code, f.plan) for f in facts} == {
        ("province", "15", 40), ("commune", com.code, 10), ("agency_unit", "BT", 20)}
    result = coverage_for_area(world["province"], AS_OF)
    assert result["plan"] == 40
    assert result["plan_attainment"] == round(100 * result["cards"] / 40, 2)
    assert result["official_rate"] == round(100 * result["cards"] / result["residents"], 2)
    lag = lagging_areas(world["province"], AS_OF)
    row = next(r for r in lag["by_plan"] if r["code"] == com.code)
    assert row["needed"] == max(10 - row["cards"], 0)
    bad = tmp_path / "bad.csv"
    bad.write_text("area_code,year,cards\nNOWHERE,2025,1\n", encoding="utf-8")
    with pytest.raises(EverydoorError):
        plans_import(bad, actor="test")
    assert Plan.objects.count() == 3  # nothing written by the failed import


def test_agency_units_import(world, tmp_path):
    a, b, c = world["communes"]
    path = tmp_path / "units.csv"
    path.write_text(f"unit_code,unit_name,commune_code\nSP,BHXH Sa Pa,{a.code}\nBT,BHXH Bảo Thắng,{b.code}\n",
                    encoding="utf-8")
    assert agency_units_import(path) == {"file": "units.csv", "units": 2, "created": 1, "communes": 2}
    assert list(AgencyUnit.objects.get(code="BT").communes.all()) == [b]
    bad = tmp_path / "bad.csv"
    bad.write_text("unit_code,unit_name,commune_code\nX,Y,00000\n", encoding="utf-8")
    with pytest.raises(EverydoorError, match="unknown commune"):
        agency_units_import(bad)


def test_agency_units_from_the_command_line(world, tmp_path):
    from everydoor.cli.app import app

    a, b, _ = world["communes"]
    path = tmp_path / "units.csv"
    path.write_text(f"unit_code,unit_name,commune_code\nSP,BHXH Sa Pa,{a.code}\nSP,BHXH Sa Pa,{b.code}\n",
                    encoding="utf-8")
    result = CliRunner().invoke(app, ["import", "agency-units", str(path)])
    assert result.exit_code == 0, result.output
    assert "units.csv: 1 units, 1 created, 2 communes" in result.output
    assert list(AgencyUnit.objects.get(code="SP").communes.order_by("code")) == sorted([a, b], key=lambda c: c.code)


def test_cli_coverage_plan_change_lagging(world, monkeypatch):
    from everydoor.cli.app import app

    runner = CliRunner()
    prov = world["province"]
    result = runner.invoke(app, ["plan", "set", "--area", prov.code, "--year", "2025", "--cards", "40",
                                 "--decision", "462/QĐ-BHXH", "--json"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["coverage", "--as-of", AS_OF.isoformat(), "--area", prov.code, "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert set(doc) >= {"area", "as_of", "residents", "insured_residents", "cards", "official_rate", "resident_rate",
                        "plan", "plan_attainment", "cards_year_before", "change"}
    assert doc["plan"] == 40
    result = runner.invoke(app, ["coverage", "--as-of", AS_OF.isoformat(), "--area", "BT", "--by", "age", "--json",
                                 "--cached"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["rows"]
    assert {r["value"] for r in rows} <= {"0-5", "6-17", "18-59", "60+", ""}
    result = runner.invoke(app, ["change", "--from", "2024-10-31", "--to", AS_OF.isoformat(), "--area", prov.code,
                                 "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert sum(doc["parts"].values()) == doc["total"]
    result = runner.invoke(app, ["lagging", "--as-of", AS_OF.isoformat(), "--area", prov.code, "--json"])
    assert result.exit_code == 0 and len(json.loads(result.stdout)["by_resident_rate"]) == 3
    result = runner.invoke(app, ["coverage", "--as-of", "31/10/2025"])
    assert result.exit_code == 1 and "YYYY-MM-DD" in result.stderr
    assert dt.date.fromisoformat(AS_OF.isoformat())
