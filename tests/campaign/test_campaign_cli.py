"""The officers and targets commands through the real Typer app: one JSON document, one-line errors."""

import json

import pytest
from typer.testing import CliRunner

from everydoor.cli.app import app
from tests.campaign.conftest import roster

pytestmark = pytest.mark.django_db
runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_import_allocate_set_and_show_from_the_command_line(world, tmp_path):
    path = tmp_path / "officers.csv"
    path.write_text(roster(world), encoding="utf-8")
    result = run("officers", "import", path, "--as-of", "2025-09-30", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["passwords_to_set"] == 4
    text = run("officers", "import", path, "--as-of", "2025-09-30")
    assert text.exit_code == 0 and "4 officers" in text.output

    result = run("targets", "allocate", "--area", "Lào Cai", "--goal-rate", "0.965", "--by", "2025-12-31",
                 "--decision", "462/QĐ-BHXH", "--as-of", "2025-10-01", "--json")
    assert result.exit_code == 0, result.output
    allocated = json.loads(result.stdout)
    assert (allocated["target"], allocated["decision"], allocated["baseline_date"]) == (291, "462/QĐ-BHXH", "2025-09-30")

    result = run("targets", "set", "--unit", "BHXH-SOUTH", "--value", "25", "--json")
    assert json.loads(result.stdout)["new"] == 25
    shown = json.loads(run("targets", "show", "--area", "Lào Cai", "--json").stdout)
    assert shown["target"]["value"] == 291 and sum(c["value"] for c in shown["children"]) == 291
    assert {c["code"]: c["locked"] for c in shown["children"]}["BHXH-SOUTH"] is True
    shown_officer = run("targets", "show", "--officer", "thidung", "--json")
    assert shown_officer.exit_code == 0, shown_officer.output
    officer = json.loads(shown_officer.stdout)
    assert officer["target"]["value"] == 25  # Dung alone works South's only commune
    assert run("targets", "unlock", "--unit", "BHXH-SOUTH").exit_code == 0
    assert "Tỉnh Lào Cai" in run("targets", "show", "--area", "15").output


@pytest.mark.parametrize(("args", "message"), [
    (["targets", "show", "--area", "Lào Cai"], "no target for Tỉnh Lào Cai"),
    (["targets", "allocate", "--area", "Lào Cai", "--goal-rate", "0.965", "--by", "31/12/2025"], "YYYY-MM-DD"),
    (["targets", "allocate", "--area", "Lào Cai", "--goal-rate", "0.965", "--by", "2025-12-31", "--as-of",
      "2024-01-01"], "run `everydoor coverage"),
    (["targets", "set", "--value", "3"], "name exactly one of --area, --unit or --officer"),
    (["targets", "lock", "--officer", "nobody"], "no user 'nobody'"),
    (["officers", "import", "missing.csv"], "no such file"),
])
def test_user_errors_exit_1_with_one_line(world, args, message):
    result = run(*args, "--json")
    assert result.exit_code == 1 and result.stdout == ""
    assert message in result.output and "Traceback" not in result.output
    assert result.output.count("\n") == 1
