"""`everydoor visits import`: real CSV and XLSX files, all rows or none, errors naming row and field."""

import csv
import json

import pytest
import xlsxwriter
from typer.testing import CliRunner

from everydoor.campaign.models import Visit, VisitMember
from everydoor.campaign.visit_import import visits_import
from everydoor.cli.app import app
from everydoor.core.errors import EverydoorError
from tests.campaign import world

pytestmark = pytest.mark.django_db
HEADER = ["household", "officer", "visited_at", "outcome", "reason", "members", "card_number", "note", "follow_up"]


@pytest.fixture
def w():
    w = world.build()
    w.officer = world.officer(villages=[w.village])
    return w


def rows(w):
    return [
        ["HH-A", "officer1", "2025-10-20", "promised", "", f"{w.a_son.personal_id};Lò Thị Mai", "", "", "2025-11-05"],
        ["HH-D", "officer1", "2025-10-21 14:30", "refused", "cost", "thao a dinh", "", "too dear", "2025-11-20"],
        ["HH-E", "officer1", "2025-10-21", "not_at_home", "", "", "", "", ""],
    ]


def write_csv(path, data):
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([HEADER, *data])
    return path


def write_xlsx(path, data):
    with xlsxwriter.Workbook(str(path)) as book:
        sheet = book.add_worksheet()
        for i, row in enumerate([HEADER, *data]):
            sheet.write_row(i, 0, row)
    return path


@pytest.mark.parametrize("writer", [write_csv, write_xlsx])
def test_import_then_reimport_creates_nothing_twice(w, tmp_path, writer):
    path = writer(tmp_path / f"paper.{'csv' if writer is write_csv else 'xlsx'}", rows(w))
    assert visits_import(path, actor="test") | {"imported_at": None} == {
        "file": path.name, "rows": 3, "created": 3, "already_recorded": 0, "imported_at": None}
    refusal = Visit.objects.get(household__code="HH-D")
    assert (refusal.outcome, refusal.reason, refusal.source, refusal.note) == ("refused", "cost", "import", "too dear")
    assert set(VisitMember.objects.filter(visit__household__code="HH-A").values_list("person_id", flat=True)) == {
        w.a_son.pk, w.a_wife.pk}
    longer = writer(tmp_path / f"longer.{path.suffix[1:]}",
                    rows(w) + [["HH-B", "officer1", "2025-10-22", "not_at_home", "", "", "", "", ""]])
    result = visits_import(longer, actor="test")
    assert (result["created"], result["already_recorded"]) == (1, 3)
    assert Visit.objects.count() == 4


def test_one_bad_row_imports_nothing_and_names_rows_and_fields(w, tmp_path):
    bad = rows(w) + [
        ["HH-B", "officer1", "2025-10-22", "refused", "", "", "", "", ""],
        ["HH-F", "officer1", "2025-10-22", "not_at_home", "", "", "", "", ""],
        ["HH-A", "nobody", "2025-10-22", "promised", "", "", "", "", ""],
        ["HH-A", "officer1", "2025-10-22", "promised", "", "Người Lạ", "", "", ""],
    ]
    with pytest.raises(EverydoorError) as caught:
        visits_import(write_csv(tmp_path / "bad.csv", bad), actor="test")
    assert [(p["row"], p["field"]) for p in caught.value.problems] == [
        (4, "reason"), (5, "household"), (6, "officer"), (7, "members")]
    assert "bad.csv: nothing imported: row 4 reason:" in caught.value.message
    assert not Visit.objects.exists()


def test_cli_import_and_its_errors(w, tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["visits", "import", str(write_csv(tmp_path / "ok.csv", rows(w))), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["created"] == 3
    missing = tmp_path / "missing.csv"
    missing.write_text("household,officer\nHH-A,officer1\n", encoding="utf-8")
    result = runner.invoke(app, ["visits", "import", str(missing)])
    assert result.exit_code == 1 and "missing column(s) visited_at, outcome" in result.stderr
