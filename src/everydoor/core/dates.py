"""Dates: ISO on every interface; partial dates of birth kept as year/month/day parts."""

import datetime as dt

from everydoor.core.errors import ErrorCode, EverydoorError


def parse_iso(value: str, *, field: str = "date") -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise EverydoorError(ErrorCode.INVALID_INPUT, f"{field} must be YYYY-MM-DD, got {value!r}") from exc


def as_date(value) -> dt.date | None:
    """A date as a raw cursor returns it: SQLite may give ISO text, PostgreSQL a date."""
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def age_on(dob_year: int, dob_month: int | None, dob_day: int | None, on: dt.date) -> int:
    """Completed years on a date; an unknown month/day counts as 1 July (mid-year)."""
    month, day = dob_month or 7, dob_day or 1
    return on.year - dob_year - ((on.month, on.day) < (month, day))


TODAY_SETTING = "today"


def today() -> dt.date:
    """The working day: EVERYDOOR_TODAY if set, else the database's own clock setting, else the calendar.

    The demo's registers stop on 2025-10-31 and its field work runs in the weeks around it, so the demo
    database carries a clock of its own (core.SiteSetting "today"); a real installation has none and
    follows the calendar (Asia/Ho_Chi_Minh). Follow-ups "due today", default as-of dates and the
    eligibility look-up's default date all read this.
    """
    import os

    from django.db import DatabaseError
    from django.utils import timezone

    from everydoor.core.models import SiteSetting

    text = os.environ.get("EVERYDOOR_TODAY")
    if not text:
        try:
            text = SiteSetting.objects.filter(name=TODAY_SETTING).values_list("value", flat=True).first()
        except DatabaseError:  # no tables yet (`everydoor rules` on a new machine): no clock of its own
            text = None
    return parse_iso(text, field="EVERYDOOR_TODAY") if text else timezone.localdate()


def today_set(day: dt.date | None) -> None:
    """Give the database a clock of its own (None: back to the calendar)."""
    from everydoor.core.models import SiteSetting

    if day is None:
        SiteSetting.objects.filter(name=TODAY_SETTING).delete()
    else:
        SiteSetting.objects.update_or_create(name=TODAY_SETTING, defaults={"value": day.isoformat()})
