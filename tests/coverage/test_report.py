"""The monthly report: headline wording and numbers, files that open."""

import datetime as dt

import openpyxl
import pytest

from everydoor.accounts.models import AuditEvent
from everydoor.coverage import formatting
from everydoor.coverage.report import headline, report_monthly
from tests.coverage.conftest import AS_OF


def test_vietnamese_numbers_and_headline():
    assert formatting.number(1475810) == "1.475.810"
    assert formatting.percent(88.2134) == "88,21%"
    assert formatting.number(1475810, "en") == "1,475,810"
    summary = {"cards": 1475810, "plan_attainment": 93.42, "official_rate": 88.21, "change": -57418}
    change = {"parts": {"lapses": -40000, "reclassification": -20000, "new_enrolments": 2582}}

    from everydoor.geo.models import AdminUnit

    area = AdminUnit(level="province", name="Tỉnh Lào Cai", code="15")
    text = headline(summary, change, area, dt.date(2025, 10, 31), "vi")
    assert text.startswith("Tính đến hết tháng 10/2025, toàn tỉnh có 1.475.810 người tham gia BHYT, đạt 93,42% "
                           "kế hoạch Bảo hiểm xã hội Việt Nam giao, tỷ lệ bao phủ 88,21% dân số; giảm 57.418 người "
                           "so với cùng kỳ năm trước, chủ yếu do thẻ hết hạn chưa gia hạn (40.000 người) và ")
    english = headline(summary, change, area, dt.date(2025, 10, 31), "en")
    assert english.startswith("By the end of October 2025, the whole province had 1,475,810 health insurance "
                              "participants, 93.42% of the plan")
    assert english.endswith("57,418 fewer than a year before, mainly lapses (expired, not renewed) (40,000) and "
                            "group reclassification (state support changed) (20,000).")


@pytest.mark.parametrize("fmt", ["xlsx", "pdf", "md"])
def test_report_files_open(world, tmp_path, fmt):
    from everydoor.coverage.services import plan_set

    plan_set(area=world["province"], year=2025, cards=40, decision="462/QĐ-BHXH", actor="test")
    out = tmp_path / f"report.{fmt}"
    result = report_monthly(as_of=AS_OF, area=world["province"], fmt=fmt, out=out, lang="vi", actor="test")
    assert out.exists() and out.stat().st_size > 0
    assert "người tham gia BHYT" in result["headline"]
    if fmt == "xlsx":
        book = openpyxl.load_workbook(out)
        assert "Tổng hợp" in book.sheetnames and "Theo xã, phường" in book.sheetnames
        assert book["Tổng hợp"]["A2"].value == result["headline"]
    elif fmt == "pdf":
        data = out.read_bytes()
        assert data.startswith(b"%PDF")
        assert result["pages"] >= 1 and data.rstrip().endswith(b"%%EOF")
    else:
        text = out.read_text(encoding="utf-8")
        assert result["headline"] in text
        assert (tmp_path / "report-trend.png").exists()
    assert AuditEvent.objects.filter(action="export", object_type="coverage_report").count() == 1
