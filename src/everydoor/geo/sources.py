"""Read today's units and the pre-2025 lineage from the installed registry packages.

`vietnam_provinces` gives the official codes, names and kinds (34 provinces, 3,321
communes); `vietnamadminunits` gives coordinates, areas and the legacy -> 2025 converter.
The two packages number some communes differently (122 Hà Nội/HCM wards...), so they are
joined on province and name, never on the commune code. Nothing here touches the database.
"""

import json
import sqlite3
from dataclasses import dataclass
from importlib import resources

import vietnam_provinces

from everydoor.core.text import fold, full_key, name_form, unit_key

KINDS = {"xã": "xã", "phường": "phường", "đặc khu": "đặc khu", "tỉnh": "tỉnh", "thành phố trung ương": "thành phố"}


@dataclass(frozen=True)
class UnitRow:
    code: str
    name: str
    key: str
    kind: str
    province_code: str
    lat: float | None
    lon: float | None
    area_km2: float | None


@dataclass(frozen=True)
class LineageRow:
    legacy_province: str
    legacy_district: str
    legacy_ward: str
    legacy_province_code: str
    legacy_district_code: str
    legacy_ward_code: str
    province_key: str
    district_key: str
    ward_key: str
    commune_code: str
    is_default: bool


@dataclass(frozen=True)
class PackageUnits:
    provinces: list[UnitRow]
    communes: list[UnitRow]
    lineage: list[LineageRow]


def _data_file(name: str):
    return resources.files("vietnamadminunits") / "data" / name


def _read_dataset() -> tuple[list[dict], list[dict]]:
    path = _data_file("dataset.db")
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    con.row_factory = sqlite3.Row
    try:
        today = [dict(r) for r in con.execute(
            "SELECT province, ward, provinceCode, provinceKey, provinceLat, provinceLon, wardCode, wardKey,"
            " wardLat, wardLon, wardAreaKm2 FROM admin_units")]
        legacy = [dict(r) for r in con.execute(
            "SELECT province, district, ward, provinceCode, districtCode, wardCode, provinceKey, districtKey,"
            " wardKey FROM admin_units_legacy")]
    finally:
        con.close()
    return today, legacy


def _province_name(province) -> str:
    # vietnam_provinces writes "Lào Cai" for a tỉnh but "Thành phố Hà Nội" for a city.
    if province.division_type.value == "tỉnh" and not fold(province.name).startswith("tinh "):
        return f"Tỉnh {province.name}"
    return province.name


def read_units() -> PackageUnits:
    """All provinces, communes and lineage rows, as the packages ship them today."""
    today, legacy = _read_dataset()
    converter = json.loads(_data_file("converter_2025.json").read_text(encoding="utf-8"))

    # vietnamadminunits rows by (province code, name), then by (province code, folded name)
    by_name = {(r["provinceCode"], name_form(r["ward"])): r for r in today}
    by_key: dict[tuple[str, str], list[dict]] = {}
    for r in today:
        by_key.setdefault((r["provinceCode"], full_key(r["ward"])), []).append(r)
    by_code = {r["wardCode"]: r for r in today}
    province_geo = {r["provinceCode"]: (r["provinceLat"], r["provinceLon"]) for r in today}

    provinces = []
    for p in vietnam_provinces.Province.iter_all():
        code = f"{int(p.code):02d}"
        name = _province_name(p)
        lat, lon = province_geo.get(code, (None, None))
        provinces.append(UnitRow(code, name, unit_key(name), KINDS[p.division_type.value], code, lat, lon, None))

    communes = []
    package_key_to_code: dict[tuple[str, str], str] = {}  # (provinceKey, wardKey) -> official code
    for w in vietnam_provinces.Ward.iter_all():
        code, province_code = f"{int(w.code):05d}", f"{int(w.province_code):02d}"
        row = by_name.get((province_code, name_form(w.name)))
        if row is None:
            same_key = by_key.get((province_code, full_key(w.name)), [])
            row = same_key[0] if len(same_key) == 1 else by_code.get(code)
        if row is not None:
            package_key_to_code[(row["provinceKey"], row["wardKey"])] = code
        communes.append(UnitRow(
            code, w.name, unit_key(w.name), KINDS[w.division_type.value], province_code,
            row and row["wardLat"], row and row["wardLon"], row and row["wardAreaKm2"],
        ))

    legacy_by_key = {f"{r['provinceKey']}_{r['districtKey']}_{r['wardKey'] or ''}": r for r in legacy}
    lineage = []

    def add(old_key: str, new_province_key: str, new_ward_key: str, is_default: bool):
        old = legacy_by_key[old_key]
        lineage.append(LineageRow(
            old["province"], old["district"], old["ward"] or "", old["provinceCode"], old["districtCode"],
            old["wardCode"] or "", unit_key(old["province"]), unit_key(old["district"]), unit_key(old["ward"]),
            package_key_to_code[(new_province_key, new_ward_key)], is_default,
        ))

    for new_province_key, wards in converter["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for new_ward_key, old_keys in wards.items():
            for old_key in old_keys:
                add(old_key, new_province_key, new_ward_key, True)
    for new_province_key, olds in converter["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old_key, targets in olds.items():
            for target in targets:
                add(old_key, new_province_key, target["newWardKey"], bool(target["isDefaultNewWard"]))
    return PackageUnits(provinces, communes, lineage)
