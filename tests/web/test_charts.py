"""The server-drawn charts: what a reader sees on them (dates that do not overlap, every point drawn)."""

import datetime as dt
import itertools
import re

from django.utils import translation

from everydoor.web import svg


def _points(days: list[dt.date]) -> list[dict]:
    return [{"as_of": d, "official_rate": 88.0 + i / 10, "resident_rate": 86.0 + i / 10} for i, d in enumerate(days)]


def _labels(drawn: str) -> list[tuple[float, str]]:
    return [(float(x), text) for x, text in re.findall(r'<text x="([\d.]+)" y="[\d.]+"[^>]*>(\d\d/\d\d/\d{4})</text>',
                                                       drawn)]


def test_the_trend_writes_dates_that_do_not_overlap_and_always_the_last():
    month_ends = [dt.date(2024, 10, 31), dt.date(2024, 11, 30), dt.date(2024, 12, 31)] + [
        dt.date(2025, m + 1, 1) - dt.timedelta(days=1) for m in range(1, 11)]
    with translation.override("vi"):
        drawn = str(svg.trend(_points(month_ends)))
        close = str(svg.trend(_points([dt.date(2024, 10, 31), dt.date(2025, 9, 30), dt.date(2025, 10, 31)])))
    labels = _labels(drawn)
    assert drawn.count("<circle") == 2 * len(month_ends)  # every point is drawn, labelled or not
    assert labels[0][1] == "31/10/2024" and labels[-1][1] == "31/10/2025"
    assert 5 <= len(labels) < len(month_ends)
    # the first written rightwards from its point, the last leftwards, the others centred: none overlaps
    ends = [(x, x + svg.DATE_LABEL_PX) if i == 0 else (x - svg.DATE_LABEL_PX, x) if i == len(labels) - 1
            else (x - svg.DATE_LABEL_PX / 2, x + svg.DATE_LABEL_PX / 2) for i, (x, _) in enumerate(labels)]
    assert all(right + svg.LABEL_GAP_PX <= left for (_, right), (left, _) in itertools.pairwise(ends))
    # a month apart on a year's axis: the last date is written, the one before it is not
    assert [text for _, text in _labels(close)] == ["31/10/2024", "31/10/2025"]
