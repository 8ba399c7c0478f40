"""Reads of administrative units: areas as users name them, and the communes of an area."""

from django.db.models import QuerySet

from everydoor.core.errors import ErrorCode, EverydoorError
from everydoor.core.text import bare_key, name_form, split_unit_prefix
from everydoor.geo.address import (
    COMMUNE_PREFIXES,
    DISTRICT_PREFIXES,
    PROVINCE_ALIASES,
    PROVINCE_PREFIXES,
)
from everydoor.geo.models import AdminUnit, UnitLineage
from everydoor.geo.services import VILLAGE_KINDS

Level = AdminUnit.Level
_LEVEL_ORDER = (Level.PROVINCE, Level.COMMUNE, Level.VILLAGE)  # the higher level wins
_PREFIX_LEVEL = {
    **dict.fromkeys(PROVINCE_PREFIXES, Level.PROVINCE),
    **dict.fromkeys(COMMUNE_PREFIXES, Level.COMMUNE),
    **dict.fromkeys(VILLAGE_KINDS, Level.VILLAGE),
}
_PREFIX_KIND = {**COMMUNE_PREFIXES, **VILLAGE_KINDS}


def area_resolve(text: str) -> AdminUnit:
    """The province, commune or village that `text` names.

    Accepts "Lào Cai", "Mường Bo", "Muong Bo", "Xã Mường Bo", an official code ("15",
    "03043"), and "Commune, Province" (or "Village, Commune, Province"). A bare name that
    is both a province and a commune is the province. Raises EverydoorError NOT_FOUND, or
    AMBIGUOUS listing the candidates with their province.
    """
    parts = [p.strip() for p in (text or "").split(",") if p.strip()]
    if not parts:
        raise EverydoorError(ErrorCode.INVALID_INPUT, "Name an area: a province, commune or village, or its code.")
    within = None
    for part in reversed(parts):
        within = _resolve_one(part, within, text)
    return within


def communes_in(area: AdminUnit) -> QuerySet[AdminUnit]:
    """A province's communes, a commune itself, a village's commune."""
    communes = AdminUnit.objects.filter(level=Level.COMMUNE)
    if area.level == Level.PROVINCE:
        return communes.filter(province_code=area.province_code)
    if area.level == Level.COMMUNE:
        return communes.filter(id=area.id)
    return communes.filter(id=area.parent_id)


def _resolve_one(text: str, within: AdminUnit | None, whole: str) -> AdminUnit:
    units = _scope(AdminUnit.objects.all(), within)
    if text.isdigit() or "-" in text and text.replace("-", "").isdigit():
        found = _by_code(units, text)
        if found is None:
            raise EverydoorError(ErrorCode.NOT_FOUND, f"No administrative unit has the code '{text}'{_in(within)}.")
        return found
    prefix, key = split_unit_prefix(text)
    level = _PREFIX_LEVEL.get(prefix)
    candidates = []
    if prefix == "" or level is not None:
        typed = units.filter(key=PROVINCE_ALIASES.get(key, key) if level in (None, Level.PROVINCE) else key)
        candidates += list(typed.filter(level=level) if level else typed)
    if prefix:  # the prefix word may be part of the name: "Bản Lầu", "Quan Sơn"
        candidates += list(units.filter(key=bare_key(text)))
    if not candidates:
        raise EverydoorError(ErrorCode.NOT_FOUND, _not_found_message(text, prefix, key, within))
    top = next(lvl for lvl in _LEVEL_ORDER if any(c.level == lvl for c in candidates))
    candidates = list({c.id: c for c in candidates if c.level == top}.values())
    if len(candidates) > 1 and prefix in _PREFIX_KIND:
        candidates = [c for c in candidates if c.kind == _PREFIX_KIND[prefix]] or candidates
    if len(candidates) > 1:  # "Văn Lăng" and "Văn Lang" fold alike: the diacritics decide
        form = name_form(text)
        candidates = [c for c in candidates if name_form(c.name) == form] or candidates
    if len(candidates) > 1:
        listed = "; ".join(_labels(candidates))
        raise EverydoorError(
            ErrorCode.AMBIGUOUS,
            f"'{whole}' names {len(candidates)} {top}s: {listed}. Add the province (\"{text}, <province>\") or use the code.",
        )
    return candidates[0]


def _scope(units: QuerySet, within: AdminUnit | None) -> QuerySet:
    if within is None:
        return units
    if within.level == Level.PROVINCE:
        return units.filter(province_code=within.province_code, level__in=[Level.COMMUNE, Level.VILLAGE])
    if within.level == Level.COMMUNE:
        return units.filter(parent=within, level=Level.VILLAGE)
    return units.none()


def _by_code(units: QuerySet, code: str) -> AdminUnit | None:
    tries = [code, code.zfill(2) if len(code) <= 2 else code.zfill(5)]
    found = {u.code: u for u in units.filter(code__in=tries)}
    return next((found[c] for c in tries if c in found), None)


def _in(within: AdminUnit | None) -> str:
    return f" in {within.name}" if within else ""


def _labels(units: list[AdminUnit]) -> list[str]:
    """'Xã Tân Thành (Tỉnh Lạng Sơn) (code 06445)', sorted by province then name."""
    parents = AdminUnit.objects.filter(id__in={u.parent_id for u in units if u.parent_id}).select_related("parent")
    context = {p.id: ", ".join(n for n in (p.name, p.parent.name if p.parent else None) if n) for p in parents}
    units = sorted(units, key=lambda u: (u.province_code, u.name))
    return [f"{u.name} ({context[u.parent_id]}, code {u.code})" if u.parent_id in context else f"{u.name} (code {u.code})"
            for u in units]


def _not_found_message(text: str, prefix: str, key: str, within: AdminUnit | None) -> str:
    message = f"No province, commune or village named '{text}'{_in(within)}."
    legacy = UnitLineage.objects.filter(ward_key__in={key, bare_key(text)}).select_related("commune")
    if prefix in DISTRICT_PREFIXES:
        message += " Districts were abolished on 2025-07-01: name the province or one of today's communes."
    elif legacy_rows := list(legacy[:6]):
        now = "; ".join(sorted({f"{r.legacy_ward}, {r.legacy_district}, {r.legacy_province} -> now {r.commune.name}"
                                for r in legacy_rows}))
        message += f" It is a pre-2025 name: {now}. Use today's name or code."
    else:
        message += " Check the spelling, or use the official code (e.g. '15' for Lào Cai)."
    return message


def short_name(unit: AdminUnit) -> str:
    """The name without its kind: 'Lào Cai' for 'Tỉnh Lào Cai' (kind 'tỉnh'), as registers often write it."""
    kind = f"{unit.kind} " if unit.kind else ""
    return unit.name[len(kind):] if kind and unit.name.casefold().startswith(kind.casefold()) else unit.name


def commune_places() -> list[tuple[int, str, str]]:
    """(commune id, commune name, province short name) of every commune: how extracts name a card's place."""
    provinces = {p.id: short_name(p) for p in AdminUnit.objects.filter(level=AdminUnit.Level.PROVINCE)}
    return [(unit_id, name, provinces.get(parent_id, "")) for unit_id, name, parent_id in
            AdminUnit.objects.filter(level=AdminUnit.Level.COMMUNE).values_list("id", "name", "parent_id")]
