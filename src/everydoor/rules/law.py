"""The law as dated data: typed accessors over law.toml, loaded once, no database.

Every accessor takes the date the answer is wanted for; a date before the first rule
raises `EverydoorError(INVALID_INPUT)` naming the first date the rules know.

Provincial top-ups (a province paying more than the national minimum) are an optional
JSON file named by the setting or environment variable `EVERYDOOR_RULE_OVERRIDES`:

    {"15": {"CN": [{"share": "1.00", "effective_from": "2025-07-01",
                    "effective_to": null, "source": "Resolution .../NQ-HĐND"}]}}

keys are province codes, then group codes or support categories. The file is read once
per process (restart after editing it); callers may also pass a mapping directly.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from everydoor.core.errors import ErrorCode, EverydoorError

PAYER_GROUPS = ("employer_employee", "si_fund", "state_budget", "budget_supported", "household")


@dataclass(frozen=True)
class Figure:
    """One dated value of the law and the document it comes from."""

    name: str
    value: Any
    effective_from: dt.date
    effective_to: dt.date | None  # inclusive; None = still in force
    source: str

    def applies_on(self, on: dt.date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)


Rule = Figure  # the word for it; a figure is a rule with a value


@dataclass(frozen=True)
class GroupLevel:
    code: str
    level: int
    effective_from: dt.date
    effective_to: dt.date | None
    source: str


@dataclass(frozen=True)
class SupportRule:
    category: str
    groups: tuple[str, ...]
    share: Decimal
    effective_from: dt.date
    effective_to: dt.date | None
    source: str

    def applies_on(self, on: dt.date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)


@dataclass(frozen=True)
class GroupInfo:
    code: str
    payer_group: str
    benefit_level: int | None  # None: the rules give this group no level on that date
    benefit_rate: Decimal | None
    support_share: Decimal  # state (and provincial) support of the HI premium, 0..1
    meaning: str
    source: str


@dataclass(frozen=True)
class Law:
    figures: dict[str, tuple[Figure, ...]]
    group_payer: dict[str, str]
    group_meaning: dict[str, str]
    group_levels: tuple[GroupLevel, ...]
    benefit_rates: dict[int, Decimal]
    support: tuple[SupportRule, ...]
    personal_id: dict[str, Any]
    si_code: dict[str, Any]
    card_number: dict[str, Any]
    entitlements: tuple[dict[str, str], ...]  # in the order they are checked (rules/entitlement.py)
    version: str


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _decimal(value: Any) -> Any:
    if isinstance(value, str):
        return Decimal(value)
    if isinstance(value, list):
        return tuple(_decimal(v) for v in value)
    if isinstance(value, dict):
        return {k: _decimal(v) for k, v in value.items()}
    return value


_FIGURES = (
    "base_salary", "reference_level", "hi_rate", "household_shares", "vsi_rate",
    "rural_poverty_line", "vsi_ceiling_multiple", "vsi_support", "vsi_support_months_cap",
    "declassified_support_months",
)


def parse_law(data: Mapping[str, Any]) -> Law:
    figures = {
        name: tuple(
            Figure(name, _decimal(row["value"]), _date(row["effective_from"]),
                   _date(row.get("effective_to")), row["source"])
            for row in data[name]
        )
        for name in _FIGURES
    }
    group_payer = {code: payer for payer, codes in data["payer_groups"].items() for code in codes}
    levels = tuple(
        GroupLevel(code, row["level"], _date(row["effective_from"]), _date(row.get("effective_to")),
                   row["source"])
        for row in data["group_levels"]
        for code in row["groups"]
    )
    support = tuple(
        SupportRule(row["category"], tuple(row["groups"]), Decimal(row["share"]),
                    _date(row["effective_from"]), _date(row.get("effective_to")), row["source"])
        for row in data["support"]
    )
    return Law(
        figures=figures,
        group_payer=group_payer,
        group_meaning=dict(data["group_meanings"]),
        group_levels=levels,
        benefit_rates={int(k): Decimal(v["rate"]) for k, v in data["benefit_rates"].items()},
        support=support,
        personal_id=data["personal_id"],
        si_code=data["si_code"],
        card_number=data["card_number"],
        entitlements=tuple(dict(row) for row in data["entitlements"]),
        version=data["version"],
    )


@functools.cache
def law() -> Law:
    """The rules shipped with the package, parsed once per process."""
    text = resources.files("everydoor.rules").joinpath("law.toml").read_text(encoding="utf-8")
    return parse_law(tomllib.loads(text))


# ---------------------------------------------------------------- figures


def figure(name: str, on: dt.date) -> Figure:
    rows = law().figures[name]
    for row in rows:
        if row.applies_on(on):
            return row
    first = min(r.effective_from for r in rows)
    raise EverydoorError(
        ErrorCode.INVALID_INPUT,
        f"no {name.replace('_', ' ')} in force on {on.isoformat()}; the rules start on {first.isoformat()}",
    )


def base_salary(on: dt.date) -> int:
    return figure("base_salary", on).value


def reference_level(on: dt.date) -> int:
    return figure("reference_level", on).value


def hi_rate(on: dt.date) -> Decimal:
    return figure("hi_rate", on).value


def household_shares(on: dt.date) -> tuple[Decimal, ...]:
    return figure("household_shares", on).value


def change_dates(name: str) -> list[dt.date]:
    """The dates on which a figure takes a new value (for "what changes next" views)."""
    return sorted({r.effective_from for r in law().figures[name]})


# ---------------------------------------------------------------- groups


def known_group_codes() -> frozenset[str]:
    return frozenset(law().group_payer)


def group_levels_on(on: dt.date) -> dict[str, int]:
    """Group code -> benefit level on a date (groups without a level that day are absent)."""
    return {g.code: g.level for g in law().group_levels
            if g.effective_from <= on and (g.effective_to is None or on <= g.effective_to)}


def group_level_periods() -> list[tuple[dt.date, dt.date | None, dict[str, int]]]:
    """The whole group -> level table as consecutive periods (start, end or None, mapping)."""
    starts = sorted({g.effective_from for g in law().group_levels}
                    | {g.effective_to + dt.timedelta(days=1) for g in law().group_levels if g.effective_to})
    periods = []
    for i, start in enumerate(starts):
        end = starts[i + 1] - dt.timedelta(days=1) if i + 1 < len(starts) else None
        periods.append((start, end, group_levels_on(start)))
    return periods


def benefit_rate(level: int) -> Decimal | None:
    return law().benefit_rates.get(level)


def support_categories() -> frozenset[str]:
    return frozenset(r.category for r in law().support)


def support_share(code: str, on: dt.date, *, categories: tuple[str, ...] = (),
                  province: str | None = None, overrides: Mapping | None = None) -> tuple[Decimal, str]:
    """The highest support share a person qualifies for, and its source.

    National minimums by group and by claimed category, then the province's top-ups.
    """
    unknown = set(categories) - support_categories()
    if unknown:
        raise EverydoorError(ErrorCode.INVALID_INPUT,
                             f"unknown support category {sorted(unknown)}; known: {sorted(support_categories())}")
    best, source = Decimal(0), ""
    for rule in law().support:
        if rule.applies_on(on) and (code in rule.groups or rule.category in categories) and rule.share > best:
            best, source = rule.share, rule.source
    if province:
        table = (overrides if overrides is not None else configured_overrides()).get(province, {})
        keys = (code, *categories, *(r.category for r in law().support if code in r.groups))
        for key in keys:
            for row in table.get(key, ()):
                if _override_applies(row, on) and Decimal(str(row["share"])) > best:
                    best = Decimal(str(row["share"]))
                    source = row.get("source") or f"provincial override ({province})"
    return best, source


def group_info(code: str, on: dt.date, *, province: str | None = None,
               overrides: Mapping | None = None) -> GroupInfo:
    data = law()
    if code not in data.group_payer:
        raise EverydoorError(ErrorCode.INVALID_INPUT,
                             f"unknown group code {code!r}; known codes: {', '.join(sorted(data.group_payer))}")
    level_rule = next((g for g in data.group_levels if g.code == code
                       and g.effective_from <= on and (g.effective_to is None or on <= g.effective_to)), None)
    share, support_source = support_share(code, on, province=province, overrides=overrides)
    sources = [s for s in (level_rule.source if level_rule else "", support_source) if s]
    return GroupInfo(
        code=code,
        payer_group=data.group_payer[code],
        benefit_level=level_rule.level if level_rule else None,
        benefit_rate=data.benefit_rates[level_rule.level] if level_rule else None,
        support_share=share,
        meaning=data.group_meaning.get(code, ""),
        source="; ".join(dict.fromkeys(sources)),
    )


# ---------------------------------------------------------------- provincial overrides


def _override_applies(row: Mapping, on: dt.date) -> bool:
    start = _date(row.get("effective_from")) or dt.date.min
    end = _date(row.get("effective_to")) or dt.date.max
    return start <= on <= end


@functools.cache
def load_overrides(path: str) -> dict[str, dict[str, list[dict]]]:
    """Read a provincial overrides file once; a bad file is a user error naming it."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise EverydoorError(ErrorCode.UNREADABLE_FILE, f"cannot read rule overrides {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise EverydoorError(ErrorCode.INVALID_INPUT, f"rule overrides {path}: expected an object by province code")
    for province, groups in data.items():
        for key, rows in groups.items():
            for row in rows:
                share = Decimal(str(row.get("share")))
                if not Decimal(0) <= share <= Decimal(1):
                    raise EverydoorError(ErrorCode.INVALID_INPUT,
                                         f"rule overrides {path}: {province}/{key} share must be between 0 and 1")
    return data


def configured_overrides() -> Mapping[str, Any]:
    """Overrides named by settings.EVERYDOOR_RULE_OVERRIDES, else the environment; none if unset."""
    path = None
    try:
        from django.conf import settings

        if settings.configured:
            path = getattr(settings, "EVERYDOOR_RULE_OVERRIDES", None)
    except ImportError:  # the rules also run without Django (bulk jobs, notebooks)
        pass
    path = path or os.environ.get("EVERYDOOR_RULE_OVERRIDES")
    return load_overrides(str(path)) if path else {}
