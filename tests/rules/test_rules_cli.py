"""`everydoor check-id`, `premium` and `vsi` on the real app: exactly one JSON document."""

import json

from typer.testing import CliRunner

from everydoor.cli.app import app

runner = CliRunner()


def run_json(*args):
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_check_id_personal_id_with_contradiction():
    document = run_json("check-id", "010190000001", "--sex", "M", "--birth-year", "1990")
    assert document["kind"] == "personal_id" and document["valid"] is False
    assert document["errors"] == ["sex_mismatch"]
    assert document["parts"]["province_name"] == "Lào Cai"


def test_check_id_card_number_level_by_date():
    assert run_json("check-id", "CN3150123456789", "--on", "2025-12-31")["valid"] is True
    document = run_json("check-id", "CN3150123456789", "--on", "2026-01-01")
    assert (document["kind"], document["errors"]) == ("card_number", ["level_mismatch"])
    assert document["parts"]["si_code"] == "0123456789"


def test_check_id_si_code_and_garbage():
    assert run_json("check-id", "0123456789") == {"kind": "si_code", "valid": True, "errors": [], "warnings": [],
                                                  "parts": {"si_code": "0123456789"}}
    assert run_json("check-id", "12-34")["errors"] == ["unrecognised_identifier"]


def test_premium_json_worked_example():
    args = ["premium", "--on", "2024-07-01", "--months", "12"] + ["--member", "GD"] * 5
    document = run_json(*args)
    assert document["base_salary"] == 2_340_000 and document["months"] == 12
    assert [m["monthly_net"] for m in document["members"]] == [105_300, 73_710, 63_180, 52_650, 42_120]
    assert document["total_net"] == 336_960 * 12 and document["total_support"] == 0
    assert document["on"] == "2024-07-01"


def test_premium_mixed_household_and_table_output():
    document = run_json("premium", "--on", "2025-07-01", "--member", "HS", "--member", "HN", "--months", "6")
    assert [m["net"] for m in document["members"]] == [52_650 * 6, 0]
    assert document["members"][0]["support_share"] == 0.5
    table = runner.invoke(app, ["premium", "--on", "2025-07-01", "--member", "GD"])
    assert table.exit_code == 0 and "105,300" in table.stdout


def test_vsi_json_and_floor_error():
    document = run_json("vsi", "--on", "2025-07-01", "--income", "1500000", "--group", "near_poor", "--months", "3")
    assert (document["contribution"], document["support"], document["net"]) == (990_000, 396_000, 594_000)
    result = runner.invoke(app, ["vsi", "--on", "2025-07-01", "--income", "1000000", "--json"])
    assert result.exit_code == 1 and result.stdout == ""
    assert "floor of 1,500,000" in result.stderr and "Traceback" not in result.output


def test_bad_date_is_a_one_line_error():
    result = runner.invoke(app, ["premium", "--on", "01/07/2025", "--member", "GD", "--json"])
    assert result.exit_code == 1 and "--on must be YYYY-MM-DD" in result.stderr
