"""Manager pages: imports and their rejected rows, data-quality lists, the monthly report, the waterfall."""

import csv
import io

import pytest

from everydoor.accounts.models import AuditEvent
from everydoor.coverage.change import PARTS
from everydoor.coverage.models import ChangePart
from everydoor.registry.models import ImportBatch, QuarantineRow
from tests import factories as f
from tests.web import world as W


def _login(client, name):
    assert client.login(username=name, password=W.PW)


def _csv(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content if response.streaming else
                                                    [response.content]).decode("utf-8-sig"))))


def _rejected_batch() -> ImportBatch:
    batch = f.batch()
    QuarantineRow.objects.create(batch=batch, file_name=batch.file_name, row_number=5, field="personal_id",
                                 reason="bad_length", message="personal_id must have 12 digits",
                                 raw='{"personal_id": "0109000123", "full_name": "Ly A Tủa"}')
    return batch


def test_imports_list_and_rejected_rows_download_audited(client, w):
    batch = _rejected_batch()
    _login(client, "leader")
    page = client.get("/imports/")
    assert page.status_code == 200 and batch.file_name in page.content.decode()
    assert f"/imports/{batch.id}/quarantine.csv" in page.content.decode()
    rows = _csv(client.get(f"/imports/{batch.id}/quarantine.csv"))
    assert [(r["row_number"], r["field"], r["reason"]) for r in rows] == [("5", "personal_id", "bad_length")]
    assert "Ly A Tủa" in rows[0]["raw"]
    event = AuditEvent.objects.get(object_type="quarantine")
    assert (event.action, event.object_id, event.detail) == ("export", str(batch.id), {"rows": 1})
    assert client.get("/imports/999999/quarantine.csv").status_code == 404


@pytest.mark.parametrize("name", ["manager", "chair", "officer", "clinic"])
def test_rejected_rows_are_the_data_offices_only(client, w, name):
    batch = _rejected_batch()
    _login(client, name)
    assert client.get(f"/imports/{batch.id}/quarantine.csv").status_code == 404
    assert not AuditEvent.objects.filter(object_type="quarantine").exists()


def test_quality_lists_hold_only_the_managers_communes(client, w):
    unlinked_c = f.card(full_name="Thẻ Lạc Cam Đường", com=w["c"])
    unlinked_a = f.card(full_name="Thẻ Lạc Mường Bo", com=w["a"])
    _login(client, "manager")
    assert client.get("/quality/").status_code == 200
    rows = _csv(client.get("/quality/unlinked_cards.csv"))
    names = {r["full_name"] for r in rows}
    assert unlinked_a.full_name in names and unlinked_c.full_name not in names
    assert AuditEvent.objects.get(object_type="dq_list").detail == {"rows": len(rows)}
    assert client.get("/quality/everything.csv").status_code == 404
    _login(client, "chair")
    assert client.get("/quality/unlinked_cards.csv").status_code == 404


def test_monthly_report_download_in_each_language_audited(client, w):
    _login(client, "leader")
    response = client.get("/report/", {"area": w["a"].code, "format": "xlsx", "lang": "en"})
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxml")
    assert b"".join(response.streaming_content)[:2] == b"PK"
    assert f'coverage-{w["a"].code}-2025-10-31-en.xlsx' in response["Content-Disposition"]
    event = AuditEvent.objects.get(object_type="coverage_report")
    assert (event.action, event.area_code, event.detail["lang"]) == ("export", w["a"].code, "en")
    response = client.get("/report/", {"unit": "U1", "format": "xlsx", "lang": "vi"})
    assert response.status_code == 200
    assert client.get("/report/", {"area": w["a"].code, "format": "docx"}).status_code == 400
    _login(client, "manager")
    assert client.get("/report/", {"area": w["c"].code, "format": "xlsx"}).status_code == 404
    assert client.get("/report/", {"unit": "U2", "format": "xlsx"}).status_code == 404
    _login(client, "chair")
    assert client.get("/report/", {"area": w["a"].code, "format": "xlsx"}).status_code == 404


def test_the_waterfall_draws_the_materialised_parts_that_add_up_to_the_change(client, w):
    _login(client, "leader")
    page = client.get("/")
    parts = dict(ChangePart.objects.filter(as_of=W.AS_OF, level="province", area_code="98")
                 .values_list("part", "cards"))
    assert set(parts) <= set(PARTS) and parts
    assert sum(parts.values()) == page.context["facts"]["change"]
    assert page.context["waterfall_svg"] is not None and "Thẻ còn hạn ngày 31/10/2024" in page.context["waterfall_svg"]
    for level, code in (("commune", w["a"].code), ("agency_unit", "U1")):
        assert ChangePart.objects.filter(as_of=W.AS_OF, level=level, area_code=code).exists()
