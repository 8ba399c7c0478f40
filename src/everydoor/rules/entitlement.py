"""Which card a resident without one may hold on a date, who pays how much of it, until when.

Pure: the caller passes what the registers say (age parts, ethnicity, the household's
certificates, the commune's list statuses) as plain values. The order of the checks and the
paperwork are data (law.toml `[[entitlements]]`); shares come from the dated support rules
(law.support_share), so a provincial top-up applies here too. Work lists (what the officer
offers), lapse warnings (what a resident faces once a support ends) and scenarios call this.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from everydoor.rules import law

UNDER_6_YEARS = 6
PUPIL_AGES = range(6, 18)  # school age: pupils join through the school
MAJORITY_ETHNICITY = "kinh"  # everyone else counts as an ethnic minority
DIFFICULT_STATUSES = ("especially_difficult", "island")


@dataclass(frozen=True)
class Period:
    """A dated state: a certificate (kind = poor, near_poor, average_living_standard) or a list status."""

    kind: str
    start: dt.date
    end: dt.date | None = None  # inclusive; None = open

    def covers(self, on: dt.date) -> bool:
        return self.start <= on and (self.end is None or on <= self.end)


@dataclass(frozen=True)
class Entitlement:
    key: str  # the law.toml entitlement that applies: under_6, poor_household, ..., household
    group: str  # the card group the resident would join as
    categories: tuple[str, ...]  # support categories claimed beyond the group (premium.Member)
    support_share: Decimal  # of the premium, 0..1
    state_paid: bool  # the state pays it all: nothing for the household to pay
    until: dt.date | None  # the last day this entitlement holds, when the registers tell
    paperwork_vi: str
    paperwork_en: str
    source: str

    def paperwork(self, lang: str = "vi") -> str:
        return self.paperwork_en if lang == "en" else self.paperwork_vi


def sixth_birthday_eve(dob_year: int, dob_month: int | None, dob_day: int | None) -> dt.date:
    """The last day of the under-6 card: the day before the 6th birthday (29 February -> 28th;
    an unknown month/day counts as 1 July, as core.dates.age_on)."""
    month, day = dob_month or 7, dob_day or 1
    try:
        birthday = dt.date(dob_year + UNDER_6_YEARS, month, day)
    except ValueError:  # born on 29 February
        birthday = dt.date(dob_year + UNDER_6_YEARS, month, 28) + dt.timedelta(days=1)
    return birthday - dt.timedelta(days=1)


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    for last in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month + 1, last)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _age(dob_year: int, dob_month: int | None, dob_day: int | None, on: dt.date) -> int:
    month, day = dob_month or 7, dob_day or 1
    return on.year - dob_year - ((on.month, on.day) < (month, day))


def _covering(periods: Iterable[Period], kinds: tuple[str, ...], on: dt.date) -> Period | None:
    """The covering period of one of `kinds` that lasts longest (open-ended first)."""
    found = [p for p in periods if p.kind in kinds and p.covers(on)]
    return max(found, key=lambda p: p.end or dt.date.max) if found else None


def _declassified_until(statuses: Iterable[Period], on: dt.date) -> dt.date | None:
    """The last day of the support after the commune left the list, if `on` falls within it."""
    months = next((f.value for f in law.law().figures["declassified_support_months"] if f.applies_on(on)), None)
    if months is None:
        return None
    ends = [p.end for p in statuses if p.kind in DIFFICULT_STATUSES and p.end is not None and p.end < on]
    for end in sorted(ends, reverse=True):
        until = _add_months(end, int(months))
        if on <= until:
            return until
    return None


def entitlement(*, on: dt.date, dob_year: int | None, dob_month: int | None = None, dob_day: int | None = None,
                ethnicity: str = "", certificates: Iterable[Period] = (), commune_statuses: Iterable[Period] = (),
                province: str | None = None) -> Entitlement:
    """The card a resident may hold on `on`: the first entitlement of law.toml that applies."""
    certificates, statuses = tuple(certificates), tuple(commune_statuses)
    minority = bool(ethnicity) and ethnicity.strip().casefold() != MAJORITY_ETHNICITY
    age = _age(dob_year, dob_month, dob_day, on) if dob_year else None
    difficult = _covering(statuses, DIFFICULT_STATUSES, on)
    declassified_until = _declassified_until(statuses, on) if minority else None
    applies: dict[str, tuple[bool, dt.date | None]] = {
        "under_6": (age is not None and 0 <= age < UNDER_6_YEARS,
                    sixth_birthday_eve(dob_year, dob_month, dob_day) if dob_year else None),
        "poor_household": _certificate(certificates, "poor", on),
        "especially_difficult_minority": (difficult is not None and minority, difficult.end if difficult else None),
        "especially_difficult_resident": (difficult is not None, difficult.end if difficult else None),
        "near_poor_household": _certificate(certificates, "near_poor", on),
        "ethnic_minority_declassified": (declassified_until is not None, declassified_until),
        "pupil": (age is not None and age in PUPIL_AGES, None),
        "average_living_standard": _certificate(certificates, "average_living_standard", on),
        "household": (True, None),
    }
    for row in law.law().entitlements:
        holds, until = applies[row["key"]]
        if not holds:
            continue
        categories = (row["category"],) if row.get("category") else ()
        share, source = law.support_share(row["group"], on, categories=categories, province=province)
        return Entitlement(key=row["key"], group=row["group"], categories=categories, support_share=share,
                           state_paid=share >= Decimal(1), until=until, paperwork_vi=row["paperwork_vi"],
                           paperwork_en=row["paperwork_en"], source=source)
    raise AssertionError("law.toml must end with the household entitlement")


def may_end_between(start: dt.date, end: dt.date, *, dob_year: int | None, dob_month: int | None = None,
                    dob_day: int | None = None, certificates: Iterable[Period] = (),
                    commune_statuses: Iterable[Period] = ()) -> bool:
    """Whether entitlement(on=start, ...).until can fall between start and end: one of the dates it takes
    `until` from (the 6th-birthday eve, a certificate's or a list status's end, the end of the support after
    a commune left the list) does. False settles it without the rules' walk; True asks entitlement()."""
    def within(day: dt.date | None) -> bool:
        return day is not None and start <= day <= end

    if dob_year and within(sixth_birthday_eve(dob_year, dob_month, dob_day)):
        return True
    if any(within(p.end) for p in certificates):
        return True
    statuses = tuple(commune_statuses)
    if any(within(p.end) for p in statuses):
        return True
    months = next((f.value for f in law.law().figures["declassified_support_months"] if f.applies_on(start)), None)
    return months is not None and any(within(_add_months(p.end, int(months))) for p in statuses
                                      if p.kind in DIFFICULT_STATUSES and p.end is not None)


def _certificate(certificates: tuple[Period, ...], kind: str, on: dt.date) -> tuple[bool, dt.date | None]:
    found = _covering(certificates, (kind,), on)
    return found is not None, found.end if found else None
