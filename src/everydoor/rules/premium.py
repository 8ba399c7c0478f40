"""Household-based health-insurance premium: who in a household pays what, on a date.

Each monthly amount is rounded to whole VND (half up) and then multiplied by the months
paid, as the agency computes it. The amount is fixed by the date of payment (`on`): a
change of base salary during a prepaid period changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from everydoor.core.errors import ErrorCode, EverydoorError
from everydoor.rules import law
from everydoor.rules.money import whole_vnd

PREPAID_MONTHS = (3, 6, 12)
HOUSEHOLD_GROUP = "household"  # the payer group whose members get the household sequence
PAID_ELSEWHERE = ("employer_employee", "si_fund")  # not a household's bill at all


@dataclass(frozen=True)
class Member:
    """A household member: card group, and support categories claimed beyond the group."""

    group: str
    categories: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> Member:
        """'GD' or 'GD+village_health_worker' (the command-line form)."""
        group, *categories = text.strip().split("+")
        return cls(group.strip().upper(), tuple(c.strip() for c in categories if c.strip()))


@dataclass(frozen=True)
class MemberPremium:
    group: str
    payer_group: str
    position: int | None  # 1-based rank among household-group members; None for others
    household_share: Decimal | None
    monthly_gross: int
    support_share: Decimal
    monthly_support: int
    monthly_net: int
    gross: int
    support: int
    net: int
    source: str


@dataclass(frozen=True)
class HouseholdPremium:
    on: dt.date
    base_salary: int
    hi_rate: Decimal
    months: int
    members: tuple[MemberPremium, ...]
    total_gross: int
    total_support: int
    total_net: int
    sources: tuple[str, ...]


def household_premium(on: dt.date, members: Sequence[str | Member], months: int = 12,
                      province: str | None = None, overrides: Mapping | None = None,
                      already_paying: int = 0) -> HouseholdPremium:
    """Premium of each member and of the household, for `months` paid on `on`.

    `already_paying`: members of the household who already pay as a household this fiscal year; the
    members given here continue the sequence after them (the 2nd member pays 70%, not 100%).
    """
    if already_paying < 0:
        raise EverydoorError(ErrorCode.INVALID_INPUT, f"already_paying must be zero or more, got {already_paying}")
    if months not in PREPAID_MONTHS:
        raise EverydoorError(ErrorCode.INVALID_INPUT, f"months must be 3, 6 or 12, got {months}")
    if not members:
        raise EverydoorError(ErrorCode.INVALID_INPUT, "a household premium needs at least one member")
    salary, rate = law.figure("base_salary", on), law.figure("hi_rate", on)
    shares = law.figure("household_shares", on)
    first_member = Decimal(salary.value) * rate.value  # the full monthly premium
    results, position = [], already_paying
    for raw in members:
        member = raw if isinstance(raw, Member) else Member.parse(raw)
        info = law.group_info(member.group, on, province=province, overrides=overrides)
        support_share, support_source = law.support_share(
            member.group, on, categories=member.categories, province=province, overrides=overrides)
        rank, household_share = None, None
        if info.payer_group in PAID_ELSEWHERE:
            monthly_gross = 0
            support_share = Decimal(0)
        elif info.payer_group == HOUSEHOLD_GROUP:
            position += 1
            rank = position
            household_share = shares.value[min(position, len(shares.value)) - 1]
            monthly_gross = whole_vnd(first_member * household_share)
        else:
            monthly_gross = whole_vnd(first_member)
        monthly_support = whole_vnd(monthly_gross * support_share)
        monthly_net = monthly_gross - monthly_support
        results.append(MemberPremium(
            group=member.group, payer_group=info.payer_group, position=rank,
            household_share=household_share, monthly_gross=monthly_gross, support_share=support_share,
            monthly_support=monthly_support, monthly_net=monthly_net, gross=monthly_gross * months,
            support=monthly_support * months, net=monthly_net * months,
            source="; ".join(s for s in (support_source,) if s),
        ))
    return HouseholdPremium(
        on=on, base_salary=salary.value, hi_rate=rate.value, months=months, members=tuple(results),
        total_gross=sum(m.gross for m in results), total_support=sum(m.support for m in results),
        total_net=sum(m.net for m in results),
        sources=tuple(dict.fromkeys([salary.source, rate.source, shares.source]
                                    + [m.source for m in results if m.source])),
    )
