import datetime as dt

import pytest

from everydoor.geo.models import AdminUnit, UnitLineage
from everydoor.geo.services import units_import, village_get_or_create_bulk

pytestmark = pytest.mark.django_db


def test_import_counts(units):
    assert units == {"provinces": 34, "communes": 3321, "lineage": 10602, "changed": units["changed"]}
    assert AdminUnit.objects.filter(level="province").count() == 34
    assert AdminUnit.objects.filter(level="commune").count() == 3321
    assert UnitLineage.objects.count() == 10602
    # every legacy unit has exactly one default commune
    legacy = UnitLineage.objects.values_list("legacy_province_code", "legacy_district_code", "legacy_ward_code")
    assert len(set(legacy)) == UnitLineage.objects.filter(is_default=True).count()


def test_lao_cai(units):
    lao_cai = AdminUnit.objects.get(level="province", code="15")
    assert (lao_cai.name, lao_cai.key, lao_cai.kind) == ("Tỉnh Lào Cai", "laocai", "tỉnh")
    assert AdminUnit.objects.filter(level="commune", province_code="15", parent=lao_cai).count() == 99
    muong_bo = AdminUnit.objects.get(level="commune", province_code="15", key="muongbo")
    assert (muong_bo.name, muong_bo.kind, muong_bo.code) == ("Xã Mường Bo", "xã", "03043")
    assert muong_bo.valid_from == dt.date(2025, 7, 1)
    assert muong_bo.lat and muong_bo.lon and muong_bo.area_km2
    olds = set(UnitLineage.objects.filter(commune=muong_bo).values_list("legacy_district", "legacy_ward"))
    assert olds == {("Thị xã Sa Pa", "Xã Mường Bo"), ("Thị xã Sa Pa", "Xã Liên Minh")}


def test_split_ward_has_one_row_per_new_commune(units):
    rows = UnitLineage.objects.filter(province_key="cantho", district_key="thoilai", ward_key="tanthanh")
    assert sorted((r.commune.name, r.is_default) for r in rows) == [("Xã Trường Thành", True), ("Xã Tân Thạnh", False)]


def test_reimport_changes_nothing(units):
    before = list(AdminUnit.objects.order_by("id").values_list())
    assert units_import()["changed"] == 0
    assert list(AdminUnit.objects.order_by("id").values_list()) == before


def test_reimport_repairs_what_differs_from_the_packages(units):
    muong_bo = AdminUnit.objects.get(code="03043")
    AdminUnit.objects.filter(id=muong_bo.id).update(name="Xã Mường Bo cũ", key="muongbocu")
    UnitLineage.objects.filter(commune=muong_bo).delete()
    ids = set(AdminUnit.objects.values_list("id", flat=True))
    assert units_import()["changed"] == 3  # one name, two lineage rows
    muong_bo.refresh_from_db()
    assert (muong_bo.name, muong_bo.key) == ("Xã Mường Bo", "muongbo")
    assert UnitLineage.objects.filter(commune=muong_bo).count() == 2
    assert set(AdminUnit.objects.values_list("id", flat=True)) == ids  # updated in place, ids kept


def test_villages_get_or_create(units):
    muong_bo = AdminUnit.objects.get(code="03043")
    other = AdminUnit.objects.get(code="02647")  # Phường Lào Cai
    got = village_get_or_create_bulk([
        (muong_bo.id, "Thôn Nậm Cang"), (muong_bo.id, "thon nam cang"), (muong_bo.id, "Tổ dân phố 2"),
        (other.id, "Thôn Nậm Cang"), (muong_bo.id, ""),
    ])
    assert set(got) == {(muong_bo.id, "namcang"), (muong_bo.id, "2"), (other.id, "namcang")}
    nam_cang = AdminUnit.objects.get(id=got[(muong_bo.id, "namcang")])
    assert (nam_cang.name, nam_cang.kind, nam_cang.level, nam_cang.parent_id, nam_cang.province_code) == (
        "Thôn Nậm Cang", "thôn", "village", muong_bo.id, "15")
    assert nam_cang.code == "03043-1"
    assert AdminUnit.objects.get(id=got[(muong_bo.id, "2")]).kind == "tổ dân phố"
    # again, with one new village: the old ones are found, the new one numbered after them
    again = village_get_or_create_bulk([(muong_bo.id, "Thôn Nậm Cang"), (muong_bo.id, "Bản Sài")])
    assert again[(muong_bo.id, "namcang")] == nam_cang.id
    assert AdminUnit.objects.get(id=again[(muong_bo.id, "sai")]).code == "03043-3"
    assert AdminUnit.objects.filter(level="village").count() == 4


def test_units_import_reports_progress(units):
    steps = []
    units_import(progress=lambda step, done, total: steps.append((step, done, total)))
    assert steps[0] == ("reading packages", 0, 4) and steps[-1] == ("done", 4, 4)
