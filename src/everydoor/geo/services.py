"""Writes to the administrative units: the package import and villages met in registers."""

import datetime as dt
import re
from collections.abc import Callable, Iterable

from django.db import transaction

from everydoor.core.text import split_unit_prefix, unit_key
from everydoor.geo.models import AdminUnit, UnitLineage
from everydoor.geo.sources import LineageRow, UnitRow, read_units

VALID_FROM = dt.date(2025, 7, 1)  # Resolution 202/2025/QH15: 34 provinces, 3,321 communes
BATCH_SIZE = 1000
# Folded prefix of a village name -> its kind.
VILLAGE_KINDS = {
    "thon": "thôn", "ban": "bản", "to dan pho": "tổ dân phố", "to": "tổ", "khu pho": "khu phố",
    "khu": "khu", "xom": "xóm", "ap": "ấp", "lang": "làng",
}
_UNIT_FIELDS = ("name", "key", "kind", "province_code", "parent_id", "lat", "lon", "area_km2", "valid_from")
_LINEAGE_FIELDS = (
    "legacy_province", "legacy_district", "legacy_ward", "legacy_province_code", "legacy_district_code",
    "legacy_ward_code", "province_key", "district_key", "ward_key", "commune_id", "is_default",
)

Progress = Callable[[str, int, int], None]  # (step, steps done, steps in all)


def _sync_units(level: str, rows: list[UnitRow], parent_ids: dict[str, int]) -> int:
    """Create missing units and update changed ones, matched on the official code; returns rows written."""
    existing = {u["code"]: u for u in AdminUnit.objects.filter(level=level).values("id", "code", *_UNIT_FIELDS)}
    to_create, to_update = [], []
    for row in rows:
        wanted = {
            "name": row.name, "key": row.key, "kind": row.kind, "province_code": row.province_code,
            "parent_id": parent_ids.get(row.province_code) if level == AdminUnit.Level.COMMUNE else None,
            "lat": row.lat, "lon": row.lon, "area_km2": row.area_km2, "valid_from": VALID_FROM,
        }
        current = existing.get(row.code)
        if current is None:
            to_create.append(AdminUnit(code=row.code, level=level, **wanted))
        elif any(current[f] != wanted[f] for f in _UNIT_FIELDS):
            to_update.append(AdminUnit(id=current["id"], code=row.code, level=level, **wanted))
    AdminUnit.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
    AdminUnit.objects.bulk_update(to_update, _UNIT_FIELDS, batch_size=BATCH_SIZE)
    return len(to_create) + len(to_update)


def _sync_lineage(rows: list[LineageRow], commune_ids: dict[str, int]) -> int:
    """Make the lineage table equal to `rows`: delete what went, insert what came; returns rows written."""
    wanted = set()
    for row in rows:
        values = {f: getattr(row, f) for f in _LINEAGE_FIELDS if f != "commune_id"}
        values["commune_id"] = commune_ids[row.commune_code]
        wanted.add(tuple(values[f] for f in _LINEAGE_FIELDS))
    existing: dict[tuple, list[int]] = {}
    for id_, *values in UnitLineage.objects.values_list("id", *_LINEAGE_FIELDS):
        existing.setdefault(tuple(values), []).append(id_)
    # A duplicate of a wanted row is stale too: keep one id per row.
    stale = [i for values, ids in existing.items() for i in (ids if values not in wanted else ids[1:])]
    missing = [dict(zip(_LINEAGE_FIELDS, values, strict=True)) for values in wanted - existing.keys()]
    for start in range(0, len(stale), BATCH_SIZE):
        UnitLineage.objects.filter(id__in=stale[start:start + BATCH_SIZE]).delete()
    UnitLineage.objects.bulk_create([UnitLineage(**values) for values in missing], batch_size=BATCH_SIZE)
    return len(stale) + len(missing)


def units_import(*, progress: Progress | None = None) -> dict:
    """Load the 34 provinces, 3,321 communes and the pre-2025 lineage from the installed packages.

    Idempotent: units are matched on their official code and only changed fields are
    written; re-running with the same packages writes nothing (`changed` is 0). Units
    the packages no longer list are left in place (registers may point at them).
    """
    report = progress or (lambda step, done, total: None)
    report("reading packages", 0, 4)
    units = read_units()
    with transaction.atomic():
        report("provinces", 1, 4)
        changed = _sync_units(AdminUnit.Level.PROVINCE, units.provinces, {})
        province_ids = dict(AdminUnit.objects.filter(level=AdminUnit.Level.PROVINCE).values_list("code", "id"))
        report("communes", 2, 4)
        changed += _sync_units(AdminUnit.Level.COMMUNE, units.communes, province_ids)
        commune_ids = dict(AdminUnit.objects.filter(level=AdminUnit.Level.COMMUNE).values_list("code", "id"))
        report("lineage", 3, 4)
        changed += _sync_lineage(units.lineage, commune_ids)
    report("done", 4, 4)
    return {
        "provinces": len(units.provinces),
        "communes": len(units.communes),
        "lineage": len(units.lineage),
        "changed": changed,
    }


def village_kind(name: str) -> str:
    """'Thôn Nậm Cang' -> 'thôn', 'Tổ dân phố 5' -> 'tổ dân phố', '' when the name has no prefix."""
    return VILLAGE_KINDS.get(split_unit_prefix(name)[0], "")


_VILLAGE_CODE = re.compile(r"-(\d+)$")


def village_get_or_create_bulk(pairs: Iterable[tuple[int, str]]) -> dict[tuple[int, str], int]:
    """Villages by (commune id, village name): existing ones are found, missing ones created.

    Returns {(commune_id, unit_key(name)): village_id} for every pair with a non-empty
    name. New villages are coded "<commune code>-<n>", n following the commune's highest.
    """
    first_name: dict[tuple[int, str], str] = {}
    for commune_id, name in pairs:
        name = " ".join((name or "").split())
        key = unit_key(name)
        if key:
            first_name.setdefault((commune_id, key), name)
    if not first_name:
        return {}
    commune_ids = sorted({commune_id for commune_id, _ in first_name})
    with transaction.atomic():
        communes = {
            c["id"]: c
            for start in range(0, len(commune_ids), BATCH_SIZE)
            for c in AdminUnit.objects.filter(id__in=commune_ids[start:start + BATCH_SIZE], level=AdminUnit.Level.COMMUNE)
            .values("id", "code", "province_code")
        }
        unknown = set(commune_ids) - communes.keys()
        if unknown:
            raise ValueError(f"not commune ids: {sorted(unknown)[:10]}")
        found, last_number = _villages_of(commune_ids)
        new = []
        for (commune_id, key), name in first_name.items():
            if (commune_id, key) in found:
                continue
            commune = communes[commune_id]
            last_number[commune_id] = number = last_number.get(commune_id, 0) + 1
            new.append(AdminUnit(
                code=f"{commune['code']}-{number}", name=name, key=key, level=AdminUnit.Level.VILLAGE,
                kind=village_kind(name), parent_id=commune_id, province_code=commune["province_code"],
            ))
        if new:
            AdminUnit.objects.bulk_create(new, batch_size=BATCH_SIZE)
            found, _ = _villages_of(commune_ids)
    return {pair: found[pair] for pair in first_name}


def _villages_of(commune_ids: list[int]) -> tuple[dict[tuple[int, str], int], dict[int, int]]:
    found: dict[tuple[int, str], int] = {}
    last_number: dict[int, int] = {}
    for start in range(0, len(commune_ids), BATCH_SIZE):
        rows = AdminUnit.objects.filter(
            level=AdminUnit.Level.VILLAGE, parent_id__in=commune_ids[start:start + BATCH_SIZE]
        ).values_list("id", "parent_id", "key", "code")
        for id_, parent_id, key, code in rows:
            found.setdefault((parent_id, key), id_)
            match = _VILLAGE_CODE.search(code)
            if match:
                last_number[parent_id] = max(last_number.get(parent_id, 0), int(match.group(1)))
    return found, last_number
