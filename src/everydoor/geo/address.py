"""Resolve the commune of register rows: commune codes or names (2025 or pre-2025) and free-text addresses.

Built once from the database (today's units and the lineage), then used in bulk:
`resolve_frame` resolves each DISTINCT (commune, province, address tail) combination —
far fewer than rows — and joins the ids back. Only unique answers are given: when a name
fits several communes and nothing tells them apart, the answer is null, never a guess.
"""

import functools
from collections import defaultdict
from dataclasses import dataclass

import polars as pl

from everydoor.core.text import bare_key, fold, name_form, split_unit_prefix
from everydoor.geo.models import AdminUnit, UnitLineage

PROVINCE_PREFIXES = frozenset({"tinh", "thanh pho"})
COMMUNE_PREFIXES = {"xa": "xã", "phuong": "phường", "dac khu": "đặc khu"}
COMMUNE_PREFIX_SET = frozenset(COMMUNE_PREFIXES)
LEGACY_WARD_PREFIXES = frozenset({"xa", "phuong", "thi tran"})
DISTRICT_PREFIXES = frozenset({"huyen", "quan", "thi xa", "thanh pho"})
# Short forms of province names seen in addresses (keys, after the prefix is taken off).
PROVINCE_ALIASES = {"hcm": "hochiminh", "tphcm": "hochiminh", "sg": "hochiminh", "saigon": "hochiminh",
                    "hn": "hanoi", "hp": "haiphong", "dn": "danang", "brvt": "bariavungtau"}
COUNTRY = {"viet nam", "vietnam", "vn", "nuoc cong hoa xa hoi chu nghia viet nam"}
ADDRESS_PARTS = 3  # province, district, ward: what resolution reads of an address, right to left


@dataclass(frozen=True, slots=True)
class _Commune:
    id: int
    key: str
    form: str
    kind: str
    province_code: str


@dataclass(frozen=True, slots=True)
class _Legacy:
    """A pre-2025 commune (possibly split, then one row per today's commune)."""

    ward: tuple[str, str, str]  # (province key, district key, ward code): the legacy unit
    district_key: str
    ward_prefix: str
    form: str  # name_form of the ward's name: diacritics tell "Minh Quân" from "Minh Quán"
    commune_id: int
    is_default: bool
    province_code: str  # of today's commune


@functools.lru_cache(maxsize=1 << 16)
def _keys(text: str, prefixes: frozenset[str]) -> tuple[str, tuple[str, ...]]:
    """(prefix, keys to try): the key after a fitting prefix, and the whole text as a name."""
    prefix, key = split_unit_prefix(text)
    keys = []
    if not prefix or prefix in prefixes:
        keys.append(key)
    if prefix:
        keys.append(bare_key(text))  # "Bản Lầu", "Quan Sơn": the prefix word is part of the name
    return prefix, tuple(keys)


def _distinct_rows(keys: pl.DataFrame) -> tuple[pl.DataFrame, pl.Series]:
    """(the distinct rows of `keys`, each row's index among them).

    A 64-bit hash of each row finds them with one cheap pass instead of hashing the strings
    twice (unique, then join); every row is then checked against the place it was given, so
    a hash collision can never mix two places up (it falls back to comparing the strings).
    """
    hashes = keys.hash_rows()
    first = hashes.is_first_distinct()
    distinct = keys.filter(first)
    numbered = pl.DataFrame({"h": hashes.filter(first)}).with_row_index("i")
    index = pl.DataFrame({"h": hashes}).join(numbered, on="h", how="left", maintain_order="left")["i"]
    if keys.equals(distinct.select(pl.all().gather(index))):
        return distinct, index
    distinct = keys.unique(maintain_order=True)
    index = keys.join(distinct.with_row_index("i"), on=keys.columns, how="left", nulls_equal=True,
                      maintain_order="left")["i"]
    return distinct, index


class CommuneResolver:
    """Today's commune of a (commune, province, address) triple; see the module docstring."""

    def __init__(self, provinces: list[tuple[str, str]], communes: list[tuple[int, str, str, str, str]],
                 lineage: list[tuple[str, str, str, str, str, int, bool, str]]):
        """provinces: (code, name); communes: (id, code, name, kind, province code); lineage:
        (province key, district key, ward key, ward name, ward code, commune id, is default, commune's province)."""
        self._province_codes: dict[str, set[str]] = defaultdict(set)  # key of a 2025 or legacy name -> codes
        for code, name in provinces:
            self._province_codes[split_unit_prefix(name)[1]].add(code)
        self._province_set = {code for code, _ in provinces}
        self._by_code: dict[str, _Commune] = {}
        self._communes: dict[str, list[_Commune]] = defaultdict(list)
        for id_, code, name, kind, province_code in communes:
            commune = _Commune(id_, split_unit_prefix(name)[1], name_form(name), kind, province_code)
            self._by_code[code] = commune
            self._communes[commune.key].append(commune)
        self._legacy: dict[str, list[_Legacy]] = defaultdict(list)  # by ward key ('' for island districts)
        self._districts: dict[str, set[str]] = defaultdict(set)  # district key -> today's provinces
        for province_key, district_key, ward_key, ward, ward_code, commune_id, is_default, code in lineage:
            self._province_codes[province_key].add(code)
            self._districts[district_key].add(code)
            self._legacy[ward_key].append(_Legacy(
                (province_key, district_key, ward_code), district_key, split_unit_prefix(ward)[0],
                name_form(ward), commune_id, is_default, code,
            ))

    @classmethod
    def from_db(cls) -> "CommuneResolver":
        provinces = list(AdminUnit.objects.filter(level=AdminUnit.Level.PROVINCE).values_list("code", "name"))
        communes = list(AdminUnit.objects.filter(level=AdminUnit.Level.COMMUNE)
                        .values_list("id", "code", "name", "kind", "province_code"))
        lineage = list(UnitLineage.objects.values_list(
            "province_key", "district_key", "ward_key", "legacy_ward", "legacy_ward_code", "commune_id",
            "is_default", "commune__province_code"))
        return cls(provinces, communes, lineage)

    # ---- bulk -------------------------------------------------------------------------------
    def resolve_frame(self, df: pl.DataFrame, *, commune: str | None = None, province: str | None = None,
                      address: str | None = None) -> pl.Series:
        """Commune ids (Int64, null when unresolvable) for each row of `df`, in row order."""
        def text(column: str | None) -> pl.Expr:
            if column is None:
                return pl.lit(None, dtype=pl.String)
            return pl.col(column).cast(pl.String)

        if commune is None and province is None and address is None:
            return pl.Series("commune_id", [None] * df.height, dtype=pl.Int64)
        keys = df.select(text(commune).alias("c"), text(province).alias("p"), text(address).alias("address"))
        # Rows repeat a few thousand places: each is stripped, cut and resolved once.
        places, index = _distinct_rows(keys)
        places = places.with_columns(pl.col("c", "p", "address").str.strip_chars())
        tail = pl.lit(None, dtype=pl.String)
        if address is not None:
            tail = (
                pl.col("address").str.split(",")
                .list.eval(pl.element().str.strip_chars().filter(pl.element().str.len_chars() > 0))
                .list.eval(pl.element().filter(~pl.element().str.to_lowercase().is_in(list(COUNTRY))))
                .list.tail(ADDRESS_PARTS).list.join(", ")
            )
        places = places.with_columns(tail.alias("a"))
        distinct = places.select("c", "p", "a").unique()
        ids = [self.resolve(commune=c, province=p, address=a) for c, p, a in distinct.iter_rows()]
        place_ids = places.join(distinct.with_columns(pl.Series("id", ids, dtype=pl.Int64)), on=["c", "p", "a"],
                                how="left", nulls_equal=True, maintain_order="left").get_column("id")
        return place_ids.gather(index).alias("commune_id")

    def resolve_address(self, text: str | None) -> AdminUnit | None:
        """Today's commune of one free-text address, or None."""
        id_ = self.resolve(address=text)
        return AdminUnit.objects.get(id=id_) if id_ is not None else None

    # ---- one combination --------------------------------------------------------------------
    def resolve(self, *, commune: str | None = None, province: str | None = None,
                address: str | None = None) -> int | None:
        """The commune id for one combination, or None."""
        parts = [p.strip() for p in (address or "").split(",")]
        parts = [p for p in parts if p and fold(p) not in COUNTRY]
        # An unreadable province column constrains nothing; a readable one always does.
        wanted = (self.provinces(province) or None) if province else None
        if parts and (in_address := self.provinces(parts[-1])):
            parts = parts[:-1]
            wanted = in_address if wanted is None else (wanted & in_address)
            if not wanted:
                return None  # the province column and the address disagree
        if commune:
            found = self._from_commune(commune, wanted, parts)
            if found is not None:
                return found
        return self._from_address(parts, wanted) if parts else None

    def provinces(self, text: str) -> set[str]:
        """Codes of today's provinces that `text` names (a 2025 or legacy name, or a code)."""
        text = text.strip()
        if text.isdigit():
            code = text.zfill(2)
            return {code} if code in self._province_set else set()
        prefix, key = split_unit_prefix(text)
        if prefix and prefix not in PROVINCE_PREFIXES:
            return set()
        key = PROVINCE_ALIASES.get(key, key)
        return set(self._province_codes.get(key, ()))

    def _from_commune(self, text: str, wanted: set[str] | None, context: list[str]) -> int | None:
        text = text.strip()
        if text.isdigit():
            commune = self._by_code.get(text.zfill(5))
            if commune is None or (wanted is not None and commune.province_code not in wanted):
                return None
            return commune.id
        districts = [p for p in context if self._is_district(p, wanted)]
        for district in districts:
            found = self._legacy_ward(text, district, wanted)
            if found is not None:
                return found
        found = self._today(text, wanted)
        return found if found is not None else self._legacy_ward(text, None, wanted)

    def _from_address(self, parts: list[str], wanted: set[str] | None) -> int | None:
        last = parts[-1]
        before = parts[-2] if len(parts) > 1 else None
        if before is not None:
            found = self._legacy_ward(before, last, wanted)
            if found is not None:
                return found
        if split_unit_prefix(last)[0] not in DISTRICT_PREFIXES:
            found = self._today(last, wanted)
            if found is not None:
                return found
        found = self._legacy_ward(last, None, wanted)
        if found is not None:
            return found
        found = self._island_district(last, wanted)
        if found is not None or before is None or self._is_district(last, None):
            return found  # a known district that does not fit the ward: no guess
        # The last part is no district we know (a misspelling?): read the one before it as the commune.
        found = self._today(before, wanted)
        return found if found is not None else self._legacy_ward(before, None, wanted)

    # ---- matching ---------------------------------------------------------------------------
    def _today(self, text: str, wanted: set[str] | None) -> int | None:
        prefix, keys = _keys(text, COMMUNE_PREFIX_SET)
        found = [c for k in keys for c in self._communes.get(k, ())
                 if wanted is None or c.province_code in wanted]
        if len(found) > 1 and prefix in COMMUNE_PREFIXES:
            same_kind = [c for c in found if c.kind == COMMUNE_PREFIXES[prefix]]
            found = same_kind or found
        if len(found) > 1:  # "Văn Lăng" and "Văn Lang" fold alike: the diacritics decide
            form = name_form(text)
            found = [c for c in found if c.form == form] or found
        return found[0].id if len(found) == 1 else None

    def _is_district(self, text: str, wanted: set[str] | None) -> bool:
        prefix, keys = _keys(text, DISTRICT_PREFIXES)
        return any(k in self._districts and (wanted is None or self._districts[k] & wanted) for k in keys)

    def _legacy_ward(self, text: str, district: str | None, wanted: set[str] | None) -> int | None:
        prefix, keys = _keys(text, LEGACY_WARD_PREFIXES)
        rows = [r for k in keys for r in self._legacy.get(k, ()) if wanted is None or r.province_code in wanted]
        if district is not None:
            _, district_keys = _keys(district, DISTRICT_PREFIXES)
            rows = [r for r in rows if r.district_key in district_keys]
        if prefix in LEGACY_WARD_PREFIXES:  # "Thị trấn Lịch Hội Thượng" and "Xã Lịch Hội Thượng" shared a district
            rows = [r for r in rows if r.ward_prefix == prefix] or rows
        if len({r.ward for r in rows}) > 1:  # two old wards that fold alike: the diacritics decide
            form = name_form(text)
            rows = [r for r in rows if r.form == form] or rows
        return self._choose(rows)

    def _island_district(self, text: str, wanted: set[str] | None) -> int | None:
        _, keys = _keys(text, DISTRICT_PREFIXES)
        rows = [r for r in self._legacy.get("", ()) if r.district_key in keys
                and (wanted is None or r.province_code in wanted)]
        return self._choose(rows)

    @staticmethod
    def _choose(rows: list[_Legacy]) -> int | None:
        """The commune of one legacy unit (its default one when it was split), if they all agree."""
        chosen = {r.commune_id for r in rows if r.is_default}
        return chosen.pop() if len(chosen) == 1 else None


def resolve_address(text: str | None) -> AdminUnit | None:
    """Scalar convenience for the UI and tests: builds a resolver from the database (tens of ms)."""
    return CommuneResolver.from_db().resolve_address(text)
