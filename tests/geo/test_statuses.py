"""Communes' list statuses from a real file: names or codes, replaced by key; bad files refused whole."""

import datetime as dt

import pytest

from everydoor.core.errors import EverydoorError
from everydoor.geo.models import AreaStatus
from everydoor.geo.statuses import area_statuses_import
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def communes():
    prov = f.province()
    return f.commune("Xã Kiểm Thử Một", code="90001", prov=prov), f.commune("Xã Kiểm Thử Hai", code="90002", prov=prov)


def _write(tmp_path, text, name="statuses.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_import_by_name_or_code_and_replace(tmp_path, communes):
    muong_bo, ban_ho = communes
    text = ("commune,status,effective_from,effective_to,source\n"
            "Kiem Thu Mot,đặc biệt khó khăn,2021-06-04,,861/QĐ-TTg\n"
            "90002,especially_difficult,2021-06-04,2024-12-31,861/QĐ-TTg\n")
    summary = area_statuses_import(path=_write(tmp_path, text), actor="test")
    assert summary == {"file": "statuses.csv", "rows": 2, "new": 2, "replaced": 0, "communes": 2, "ending": 1}
    assert AreaStatus.objects.get(commune=muong_bo).effective_to is None
    assert AreaStatus.objects.get(commune=ban_ho).effective_to == dt.date(2024, 12, 31)
    left = ("commune,status,from,to,source\nXã Kiểm Thử Một,especially_difficult,2021-06-04,2025-12-31,Decision X\n")
    assert area_statuses_import(path=_write(tmp_path, left, "b.csv"), actor="test")["replaced"] == 1
    row = AreaStatus.objects.get(commune=muong_bo)
    assert (row.effective_to, row.source) == (dt.date(2025, 12, 31), "Decision X")


@pytest.mark.parametrize(("row", "field", "words"), [
    ("Nowhere,especially_difficult,2021-06-04,,S", "commune", "Nowhere"),
    ("15,especially_difficult,2021-06-04,,S", "commune", "is a province, not a commune"),
    ("Kiểm Thử Hai,rich,2021-06-04,,S", "status", "'rich' is not especially_difficult"),
    ("Kiểm Thử Hai,island,June 2021,,S", "effective_from", "not a date"),
    ("Kiểm Thử Hai,island,2021-06-04,2020-01-01,S", "effective_to", "ends before it starts"),
    ("Kiểm Thử Hai,island,2021-06-04,,", "source", "empty"),
])
def test_bad_rows_refuse_the_whole_file(tmp_path, communes, row, field, words):
    path = _write(tmp_path, "commune,status,effective_from,effective_to,source\n"
                            "Kiểm Thử Một,island,2021-06-04,,S\n" + row + "\n")
    with pytest.raises(EverydoorError) as caught:
        area_statuses_import(path=path, actor="test")
    assert f"statuses.csv: nothing imported; row 2, {field}: " in caught.value.message
    assert words in caught.value.message
    assert AreaStatus.objects.count() == 0


def test_the_commands_print_json_or_one_line_errors(tmp_path, communes):
    import json

    from typer.testing import CliRunner

    from everydoor.cli.app import app

    runner = CliRunner()
    good = _write(tmp_path, "commune,status,effective_from,source\nKiểm Thử Một,island,2021-06-04,S\n")
    result = runner.invoke(app, ["import", "area-statuses", str(good), "--json"], catch_exceptions=False)
    assert result.exit_code == 0 and json.loads(result.stdout)["new"] == 1
    bad = _write(tmp_path, "household_code,kind,valid_from\nHK404,poor,2022-01-01\n", "certificates.csv")
    result = runner.invoke(app, ["import", "certificates", str(bad)], catch_exceptions=False)
    assert result.exit_code == 1
    assert result.stderr == ("error: certificates.csv: nothing imported; row 1, household_code: "
                             "no household HK404 in the population register\n")
