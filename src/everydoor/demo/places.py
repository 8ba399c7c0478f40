"""Lào Cai's 99 communes, their pre-2025 wards and districts, agency units and villages.

Everything is read at run time from the installed ``vietnamadminunits`` package
(``data/dataset.db`` and ``data/converter_2025.json``); nothing is copied here.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from importlib import resources

import numpy as np
import polars as pl

from everydoor.core.text import full_key
from everydoor.geo.sources import read_units

PROVINCE_CODE = "15"
PROVINCE_KEY = "tinhlaocai"
PROVINCE_NAME = "Tỉnh Lào Cai"
# Legacy province codes (63-province list) of the two merged provinces.
LEGACY_LAO_CAI = "10"
LEGACY_YEN_BAI = "15"

# The Bảo Thắng office serves exactly these four communes (press, Nov 2025). Phong Hải,
# also an old Bảo Thắng commune, is served by the office of the former provincial city.
UNIT_OVERRIDES = {"xaphonghai": "thanhpholaocai"}
BAO_THANG_UNIT_COMMUNES = ("xabaothang", "xagiaphu", "xatangloong", "xaxuanquang")

# Ethnic groups, in the order used by every share vector below.
ETHNICITIES = (
    "Kinh", "Mông", "Tày", "Dao", "Thái", "Giáy", "Nùng", "Hà Nhì", "Phù Lá", "Xa Phó", "Mường",
)
# Share of each ethnicity by pre-2025 district (rough, mountainous profile); urban
# phường use URBAN_PROFILE whatever their district.
_P = {
    "thanhpholaocai": (78, 2, 8, 5, 0, 3, 2, 0, 0, 0, 2),
    "huyenbatxat": (18, 25, 8, 30, 0, 8, 1, 7, 1, 1, 1),
    "huyenmuongkhuong": (14, 46, 4, 4, 0, 3, 20, 0, 6, 1, 2),
    "huyensimacai": (8, 82, 1, 1, 0, 1, 5, 0, 1, 0, 1),
    "huyenbacha": (14, 52, 15, 10, 0, 1, 3, 0, 4, 0, 1),
    "huyenbaothang": (45, 6, 22, 15, 0, 6, 4, 0, 1, 0, 1),
    "huyenbaoyen": (28, 8, 45, 15, 0, 0, 1, 0, 1, 1, 1),
    "thixasapa": (22, 45, 4, 24, 0, 3, 0, 0, 0, 1, 1),
    "huyenvanban": (28, 15, 30, 10, 12, 3, 0, 0, 0, 1, 1),
    "thanhphoyenbai": (86, 1, 8, 2, 1, 0, 1, 0, 0, 0, 1),
    "thixanghialo": (52, 5, 5, 1, 35, 0, 0, 0, 0, 0, 2),
    "huyenlucyen": (33, 2, 42, 18, 0, 0, 4, 0, 0, 0, 1),
    "huyenvanyen": (36, 8, 22, 32, 0, 0, 1, 0, 0, 0, 1),
    "huyenmucangchai": (4, 90, 0, 0, 5, 0, 0, 0, 0, 0, 1),
    "huyentranyen": (55, 3, 25, 15, 0, 0, 0, 0, 0, 0, 2),
    "huyentramtau": (5, 78, 0, 0, 16, 0, 0, 0, 0, 0, 1),
    "huyenvanchan": (38, 14, 14, 6, 26, 0, 0, 0, 0, 0, 2),
    "huyenyenbinh": (50, 2, 32, 13, 0, 0, 2, 0, 0, 0, 1),
}
URBAN_PROFILE = (80, 2, 9, 3, 3, 1, 1, 0, 0, 0, 1)
# Population weight per km² by kind of commune (relative; phường are dense).
_DENSITY = {"Phường": 5.0, "Xã": 1.0}

_VILLAGE_FIRST = (
    "Nậm", "Pá", "Khe", "Lùng", "Sín", "Tả", "Séo", "Cốc", "Na", "Làng", "Phìn", "Mào", "Bản",
    "Ngòi", "Khau", "Tát", "Suối", "Háng", "Chu", "Lao", "Km", "Đồng", "Tân", "Hòa", "Làn",
)
_VILLAGE_SECOND = (
    "Cang", "Chải", "Hồ", "Mòn", "Pho", "Phìn", "Sáng", "Tẩn", "Vai", "Xá", "Thàng", "Giàng",
    "Tiến", "Bung", "Ngàn", "Lục", "Kim", "Thái", "Đào", "Lâm", "Phong", "Khoang", "Dền", "Xum",
    "Hạ", "Thượng", "Chè", "Mới", "Trung", "Tâm", "Lập", "An", "Bó", "Cại", "Nhù", "Páo",
)


@dataclass(frozen=True)
class Places:
    communes: pl.DataFrame  # one row per commune (99), see load_places()
    legacy: pl.DataFrame  # one row per pre-2025 ward: commune_idx, ward, district, province
    units: pl.DataFrame  # unit_code, unit_name, district_key
    villages: pl.DataFrame  # commune_idx, village_idx (global), village, legacy_idx


def _package_file(name: str):
    return resources.files("vietnamadminunits").joinpath("data", name)


def _read_units() -> tuple[list[tuple], list[tuple]]:
    with resources.as_file(_package_file("dataset.db")) as path:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            new = con.execute(
                "select wardCode, ward, wardShort, wardType, wardKey, wardLat, wardLon, wardAreaKm2 "
                "from admin_units where provinceCode = ? order by wardCode",
                (PROVINCE_CODE,),
            ).fetchall()
            old = con.execute(
                "select provinceKey || '_' || districtKey || '_' || wardKey, province, district, "
                "ward, provinceCode, districtKey, districtShort "
                "from admin_units_legacy where provinceCode in (?, ?)",
                (LEGACY_LAO_CAI, LEGACY_YEN_BAI),
            ).fetchall()
        finally:
            con.close()
    return new, old


def _read_lineage() -> dict[str, list[str]]:
    """New commune key -> legacy ward keys that map wholly (not divided) to it."""
    data = json.loads(_package_file("converter_2025.json").read_text(encoding="utf-8"))
    lineage = {k: list(v) for k, v in data["DICT_PROVINCE_WARD_NO_DIVIDED"][PROVINCE_KEY].items()}
    divided = data["DICT_PROVINCE_WARD_DIVIDED"].get(PROVINCE_KEY, {})
    for old_key, targets in divided.items():  # keep only a divided ward's default commune
        for target in targets:
            if target.get("isDefaultNewWard"):
                lineage.setdefault(target["newWardKey"], []).append(old_key)
    return lineage


def load_places(rng: np.random.Generator) -> Places:
    new, old = _read_units()
    lineage = _read_lineage()
    # The two packages disagree on some commune codes: the official ones are vietnam_provinces'
    # (as the importer stores them), matched by name within the province.
    official = {u.name: u.code for u in read_units().communes if u.province_code == PROVINCE_CODE}
    new = [(official.get(row[1], row[0]), *row[1:]) for row in new]
    old_by_key = {row[0]: row for row in old}

    commune_rows, legacy_rows = [], []
    for idx, (code, name, short, kind, key, lat, lon, area) in enumerate(new):
        wards = [old_by_key[k] for k in lineage.get(key, []) if k in old_by_key]
        districts = [w[5] for w in wards]
        provinces = [w[4] for w in wards]
        # A commune goes to the old district most of its legacy wards came from.
        district = max(sorted(set(districts)), key=districts.count) if districts else ""
        district_short = next((w[6] for w in wards if w[5] == district), "")
        legacy_province = max(sorted(set(provinces)), key=provinces.count) if provinces else "10"
        unit_district = UNIT_OVERRIDES.get(key, district)
        commune_rows.append(
            {
                "commune_idx": idx, "commune_code": code, "commune_name": name,
                "commune_short": short, "kind": kind, "commune_key": key, "lat": lat,
                "lon": lon, "area_km2": area, "district_key": district,
                "district_short": district_short, "unit_district": unit_district,
                "card_province": legacy_province,
            }
        )
        for ward in wards:
            legacy_rows.append(
                {
                    "commune_idx": idx, "legacy_ward": ward[3], "legacy_district": ward[2],
                    "legacy_province": ward[1],
                }
            )
    communes = pl.DataFrame(commune_rows)
    legacy = pl.DataFrame(legacy_rows).with_row_index("legacy_idx")

    district_names = dict(zip(communes["district_key"], communes["district_short"], strict=True))
    unit_keys = sorted(set(communes["unit_district"]))
    units = pl.DataFrame(
        {
            "district_key": unit_keys,
            "unit_code": [f"BHXH-{full_key(district_names[k]).upper()}" for k in unit_keys],
            "unit_name": [f"BHXH khu vực {district_names[k]}" for k in unit_keys],
        }
    )
    communes = communes.join(
        units.rename({"district_key": "unit_district"}), on="unit_district", how="left"
    ).sort("commune_idx")
    return Places(communes, legacy, units, _villages(communes, legacy, rng))


def ethnic_profiles(communes: pl.DataFrame) -> np.ndarray:
    """(n_communes, n_ethnicities) probability matrix."""
    rows = []
    for kind, district in zip(communes["kind"], communes["district_key"], strict=True):
        profile = URBAN_PROFILE if kind == "Phường" else _P.get(district, URBAN_PROFILE)
        rows.append(np.asarray(profile, dtype=float))
    matrix = np.vstack(rows)
    return matrix / matrix.sum(axis=1, keepdims=True)


def population_weights(communes: pl.DataFrame, rng: np.random.Generator) -> np.ndarray:
    density = np.array([_DENSITY.get(k, 1.0) for k in communes["kind"]])
    area = communes["area_km2"].to_numpy()
    return np.sqrt(area) * density * rng.lognormal(0.0, 0.25, len(area))


def _villages(communes: pl.DataFrame, legacy: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """15–40 villages per commune; Tổ dân phố in phường, Thôn/Bản elsewhere."""
    rows = []
    legacy_by_commune = legacy.group_by("commune_idx").agg(pl.col("legacy_idx")).sort("commune_idx")
    legacy_lists = dict(
        zip(legacy_by_commune["commune_idx"], legacy_by_commune["legacy_idx"], strict=True)
    )
    first, second = np.array(_VILLAGE_FIRST), np.array(_VILLAGE_SECOND)
    for idx, kind, key in zip(
        communes["commune_idx"], communes["kind"], communes["commune_key"], strict=True
    ):
        count = int(rng.integers(15, 41))
        wards = list(legacy_lists.get(idx, [None]))
        if kind == "Phường":
            names = [f"Tổ dân phố {i}" for i in range(1, count + 1)]
        else:
            names = []
            if key == "xamuongbo":
                names.append("Thôn Nậm Cang")
            seen = set(names)
            while len(names) < count:
                word = f"{rng.choice(first)} {rng.choice(second)}"
                prefix = "Bản" if rng.random() < 0.3 and not word.startswith("Bản") else "Thôn"
                name = f"{prefix} {word}" if rng.random() > 0.08 else f"Thôn {len(names) + 1}"
                if name not in seen:
                    seen.add(name)
                    names.append(name)
        # Each village lies in one pre-2025 ward; Nậm Cang was in Liên Minh.
        ward_of = [wards[i % len(wards)] for i in range(count)]
        if key == "xamuongbo":
            lien_minh = legacy.filter(
                (pl.col("commune_idx") == idx) & (pl.col("legacy_ward") == "Xã Liên Minh")
            )["legacy_idx"]
            if len(lien_minh):
                ward_of[0] = lien_minh[0]
        rows.extend({"commune_idx": idx, "village": n, "legacy_idx": w} for n, w in zip(names, ward_of, strict=True))
    return pl.DataFrame(rows, schema_overrides={"legacy_idx": pl.UInt32}).with_row_index("village_idx")
