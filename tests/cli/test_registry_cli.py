"""The register commands through the real Typer app: JSON on stdout, one-line errors, exit codes."""

import json

import pytest
from typer.testing import CliRunner

from everydoor.cli.app import app
from tests.registry.test_imports import CARDS, RESIDENTS, write_cards, write_population

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("units")]
runner = CliRunner()


def run(*args):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_import_stats_and_quarantine_from_the_command_line(tmp_path):
    # 11 digits and no name: nothing identifies the row (with a name it would load, flagged)
    rows = RESIDENTS + [("01009000123", "", "1990", "M", "Mông", "HH9", "", "", "Xã Mường Bo", "", "", "", "")]
    result = run("import", "population", str(write_population(tmp_path / "p.csv", rows)), "--as-of", "2025-10-31",
                 "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert {k: summary[k] for k in ("rows_read", "rows_loaded", "rows_quarantined")} == {
        "rows_read": 5, "rows_loaded": 4, "rows_quarantined": 1}
    assert (summary["rows_flagged"], summary["rows_flagged_by_field"]) == (1, {})  # Mai's partial date of birth
    result = run("import", "cards", str(write_cards(tmp_path / "c.csv", CARDS)), "--as-of", "2025-10-31", "--json")
    assert json.loads(result.stdout)["rows_loaded"] == 4

    stats = json.loads(run("stats", "--area", "Muong Bo", "--json").stdout)
    # Pao and Mai live in Mường Bo (Lan died: not a resident); their household; the cards of Mường Bo
    assert stats == {"area": "Xã Mường Bo", "residents": 2, "households": 1, "cards": 3, "quarantined": 1}
    province = json.loads(run("stats", "--area", "Lào Cai", "--json").stdout)
    assert (province["area"], province["residents"], province["households"]) == ("Tỉnh Lào Cai", 3, 3)

    rows = json.loads(run("quarantine", "list", "--batch", str(summary["batch_id"]), "--json").stdout)
    assert [(r["row"], r["field"], r["reason"]) for r in rows] == [(5, "full_name", "required"),
                                                                  (5, "personal_id", "bad_length")]


def test_user_errors_are_one_line_with_exit_code_1(tmp_path):
    result = runner.invoke(app, ["import", "population", str(tmp_path / "none.csv"), "--as-of", "2025-10-31"])
    assert result.exit_code == 1 and "no such file" in result.output and "Traceback" not in result.output
    result = runner.invoke(app, ["import", "population", str(tmp_path / "none.csv"), "--as-of", "31/10/2025"])
    assert result.exit_code == 1 and "YYYY-MM-DD" in result.output
    result = runner.invoke(app, ["stats", "--area", "Nowhere At All", "--json"])
    assert result.exit_code == 1 and result.stdout == ""
    result = runner.invoke(app, ["quarantine", "list", "--batch", "999999"])
    assert result.exit_code == 1 and "no import batch 999999" in result.output


def test_import_units_says_what_it_loaded():
    result = run("import", "units")
    assert result.exit_code == 0, result.output
    assert "34 provinces" in result.output and "3,321 communes" in result.output
