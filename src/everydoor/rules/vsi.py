"""Voluntary social insurance: contribution on a chosen income, state support, net.

Contribution = 22% x the monthly income chosen, between the floor (rural poverty line)
and the ceiling (20 x reference level). State support = share x 22% x rural poverty line
per month, for at most the capped number of months over a participant's life.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from everydoor.core.errors import ErrorCode, EverydoorError
from everydoor.rules import law
from everydoor.rules.money import whole_vnd

VSI_GROUPS = ("poor", "near_poor", "ethnic_minority", "other")


@dataclass(frozen=True)
class VsiContribution:
    on: dt.date
    income: int
    group: str
    months: int
    rate: Decimal
    floor: int
    ceiling: int
    support_share: Decimal
    supported_months: int
    monthly_contribution: int
    monthly_support: int
    contribution: int
    support: int
    net: int
    sources: tuple[str, ...]


def vsi_limits(on: dt.date) -> tuple[int, int]:
    """(floor, ceiling) of the monthly income a participant may choose on a date."""
    floor = law.figure("rural_poverty_line", on).value
    ceiling = law.figure("vsi_ceiling_multiple", on).value * law.reference_level(on)
    return floor, ceiling


def vsi_contribution(on: dt.date, income: int, group: str = "other", months: int = 1,
                     supported_months_before: int = 0) -> VsiContribution:
    """Contribution, support and net for `months` paid on `on` at a monthly `income`."""
    if group not in VSI_GROUPS:
        raise EverydoorError(ErrorCode.INVALID_INPUT,
                             f"group must be one of {', '.join(VSI_GROUPS)}, got {group!r}")
    if months < 1:
        raise EverydoorError(ErrorCode.INVALID_INPUT, f"months must be at least 1, got {months}")
    if supported_months_before < 0:
        raise EverydoorError(ErrorCode.INVALID_INPUT, "months already supported cannot be negative")
    floor, ceiling = vsi_limits(on)
    if income < floor:
        raise EverydoorError(ErrorCode.INVALID_INPUT,
                             f"income {income:,} VND is below the floor of {floor:,} VND "
                             f"(rural poverty line on {on.isoformat()})")
    if income > ceiling:
        raise EverydoorError(ErrorCode.INVALID_INPUT,
                             f"income {income:,} VND is above the ceiling of {ceiling:,} VND "
                             f"(20 x reference level on {on.isoformat()})")
    rate = law.figure("vsi_rate", on)
    support = law.figure("vsi_support", on)
    cap = law.figure("vsi_support_months_cap", on)
    share = support.value[group]
    supported = max(0, min(months, cap.value - supported_months_before))
    monthly_contribution = whole_vnd(rate.value * income)
    monthly_support = whole_vnd(share * rate.value * floor)
    contribution = monthly_contribution * months
    support_total = monthly_support * supported
    return VsiContribution(
        on=on, income=income, group=group, months=months, rate=rate.value, floor=floor,
        ceiling=ceiling, support_share=share, supported_months=supported,
        monthly_contribution=monthly_contribution, monthly_support=monthly_support,
        contribution=contribution, support=support_total, net=contribution - support_total,
        sources=tuple(dict.fromkeys([rate.source, support.source, cap.source,
                                     law.figure("rural_poverty_line", on).source,
                                     law.figure("reference_level", on).source])),
    )
