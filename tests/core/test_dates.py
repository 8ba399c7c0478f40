"""The working day: the environment, the database's own clock, else the calendar."""

import datetime as dt

import pytest
from django.utils import timezone

from everydoor.core.dates import today, today_set
from everydoor.core.errors import EverydoorError


@pytest.mark.django_db
def test_today_follows_the_calendar_then_the_databases_clock_then_the_environment(monkeypatch):
    monkeypatch.delenv("EVERYDOOR_TODAY", raising=False)
    assert today() == timezone.localdate()
    today_set(dt.date(2025, 11, 3))
    assert today() == dt.date(2025, 11, 3)
    monkeypatch.setenv("EVERYDOOR_TODAY", "2025-12-01")
    assert today() == dt.date(2025, 12, 1)
    monkeypatch.setenv("EVERYDOOR_TODAY", "01/12/2025")
    with pytest.raises(EverydoorError, match="EVERYDOOR_TODAY must be YYYY-MM-DD"):
        today()
    monkeypatch.delenv("EVERYDOOR_TODAY")
    today_set(None)
    assert today() == timezone.localdate()
