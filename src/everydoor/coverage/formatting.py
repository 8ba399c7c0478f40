"""Numbers, percentages and dates as Vietnamese (1.475.810; 88,21%) or English readers expect."""

import calendar
import datetime as dt


def number(value, lang: str = "vi") -> str:
    if value is None:
        return "-"
    text = f"{int(value):,}"
    return text.replace(",", ".") if lang == "vi" else text


def percent(value, lang: str = "vi", digits: int = 2) -> str:
    if value is None:
        return "-"
    text = f"{value:.{digits}f}%"
    return text.replace(".", ",") if lang == "vi" else text


def signed(value, lang: str = "vi") -> str:
    return ("+" if value > 0 else "−" if value < 0 else "") + number(abs(value), lang)


def is_month_end(day: dt.date) -> bool:
    return day.day == calendar.monthrange(day.year, day.month)[1]


def month_ends(day: dt.date, count: int) -> list[dt.date]:
    """The `count` month-ends up to `day` (the last is `day` itself), oldest first."""
    out, year, month = [day], day.year, day.month
    for _ in range(count - 1):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        out.append(dt.date(year, month, calendar.monthrange(year, month)[1]))
    return sorted(out)


def as_of_phrase(day: dt.date, lang: str = "vi") -> str:
    if lang == "vi":
        return f"Tính đến hết tháng {day.month}/{day.year}" if is_month_end(day) else \
            f"Tính đến ngày {day.day:02d}/{day.month:02d}/{day.year}"
    return f"By the end of {day:%B %Y}" if is_month_end(day) else f"As of {day.isoformat()}"


def date_label(day: dt.date, lang: str = "vi") -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year}" if lang == "vi" else day.isoformat()


def date_text(value, lang: str = "vi") -> str:
    """A date, or an ISO date as text (YYYY-MM-DD), as date_label writes it; anything else (a year alone, a
    blank) as it is."""
    if isinstance(value, str) and len(value) == 10:
        value = dt.date.fromisoformat(value)
    return date_label(value, lang) if isinstance(value, dt.date) else (value or "")
