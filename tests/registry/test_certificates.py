"""Household certificates from a real file: loaded, idempotent, replaced by key; bad files refused whole."""

import datetime as dt

import pytest

from everydoor.accounts.models import AuditEvent
from everydoor.core.errors import EverydoorError
from everydoor.registry.certificates import certificates_import
from everydoor.registry.models import HouseholdCertificate
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def households():
    com = f.commune()
    return [f.household(com, code=f"HK{i:08d}") for i in range(3)]


def _write(tmp_path, text, name="certificates.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_import_loads_every_kind_and_is_idempotent(tmp_path, households):
    path = _write(tmp_path, "household_code,kind,valid_from,valid_to,number\n"
                            "HK00000000,poor,2022-01-01,2025-12-31,A/1\n"
                            "HK00000001,Hộ cận nghèo,01/01/2022,,B/2\n"
                            "HK00000002,average_living_standard,2024-01-01,2024-12-31,\n")
    summary = certificates_import(path=path, actor="test")
    assert summary["new"] == 3 and summary["by_kind"] == {"average_living_standard": 1, "near_poor": 1, "poor": 1}
    rows = {c.household.code: c for c in HouseholdCertificate.objects.select_related("household")}
    assert rows["HK00000000"].valid_to == dt.date(2025, 12, 31) and rows["HK00000000"].number == "A/1"
    assert rows["HK00000001"].kind == "near_poor" and rows["HK00000001"].valid_to is None
    again = certificates_import(path=path, actor="test")
    assert again["replaced"] == 3 and HouseholdCertificate.objects.count() == 3
    assert AuditEvent.objects.filter(action="import", object_type="certificates").count() == 2


def test_a_later_file_replaces_the_end_date(tmp_path, households):
    certificates_import(path=_write(tmp_path, "household_id,kind,valid_from\nHK00000000,poor,2022-01-01\n"), actor="t")
    certificates_import(path=_write(tmp_path, "household_id,kind,valid_from,valid_to\n"
                                              "HK00000000,poor,2022-01-01,2024-06-30\n", "b.csv"), actor="t")
    (only,) = HouseholdCertificate.objects.all()
    assert only.valid_to == dt.date(2024, 6, 30)


@pytest.mark.parametrize(("row", "field", "words"), [
    ("HK99999999,poor,2022-01-01,", "household_code", "no household HK99999999"),
    ("HK00000000,rich,2022-01-01,", "kind", "'rich' is not poor"),
    ("HK00000000,poor,2022-13-01,", "valid_from", "not a date"),
    ("HK00000000,poor,2022-01-01,2021-01-01", "valid_to", "ends before it starts"),
    (",poor,2022-01-01,", "household_code", "empty"),
])
def test_bad_rows_refuse_the_whole_file(tmp_path, households, row, field, words):
    path = _write(tmp_path, "household_code,kind,valid_from,valid_to\nHK00000001,poor,2022-01-01,\n" + row + "\n")
    with pytest.raises(EverydoorError) as caught:
        certificates_import(path=path, actor="test")
    assert f"certificates.csv: nothing imported; row 2, {field}: " in caught.value.message
    assert words in caught.value.message
    assert HouseholdCertificate.objects.count() == 0


def test_duplicate_keys_and_missing_columns_are_refused(tmp_path, households):
    twice = _write(tmp_path, "household_code,kind,valid_from\nHK00000000,poor,2022-01-01\nHK00000000,poor,2022-01-01\n")
    with pytest.raises(EverydoorError, match="row 1, valid_from: the same household, kind and start date twice"):
        certificates_import(path=twice, actor="test")
    with pytest.raises(EverydoorError, match="missing column"):
        certificates_import(path=_write(tmp_path, "household_code,valid_from\nHK00000000,2022-01-01\n", "c.csv"),
                            actor="test")
    assert HouseholdCertificate.objects.count() == 0
