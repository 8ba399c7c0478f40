"""Dates: ISO on every interface; partial dates of birth kept as year/month/day parts."""

import datetime as dt

from everydoor.core.errors import ErrorCode, EverydoorError


def parse_iso(value: str, *, field: str = "date") -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise EverydoorError(ErrorCode.INVALID_INPUT, f"{field} must be YYYY-MM-DD, got {value!r}") from exc


def age_on(dob_year: int, dob_month: int | None, dob_day: int | None, on: dt.date) -> int:
    """Completed years on a date; an unknown month/day counts as 1 July (mid-year)."""
    month, day = dob_month or 7, dob_day or 1
    return on.year - dob_year - ((on.month, on.day) < (month, day))
