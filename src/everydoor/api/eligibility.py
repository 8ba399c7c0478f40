"""GET /eligibility: may this card or person be treated on this date, at which level?

Authentication (api.auth): the Django session (a desk user logged in to the web app), or a
signed bearer token for a clinic's own software.
Only users whose profile role is "clinic" or "province" may look up. Each user may make
EVERYDOOR_ELIGIBILITY_RATE look-ups a second (default 20), counted in Django's cache:
per process with the default local-memory cache, shared once a shared cache is set.
Every look-up is audited by the service.
"""

from __future__ import annotations

import datetime as dt
import time

from django.conf import settings
from django.core.cache import cache
from ninja import Router, Schema, Status

from everydoor.api.auth import user_auth
from everydoor.core.dates import parse_iso, today
from everydoor.core.errors import ErrorCode, EverydoorError
from everydoor.registry.eligibility import eligibility_check

LOOKUP_ROLES = ("clinic", "province")


class EligibilityOut(Schema):
    kind: str
    found: bool
    valid: bool
    valid_from: dt.date | None
    valid_to: dt.date | None
    group_code: str | None
    benefit_level: int | None
    benefit_rate: float | None
    clinic_code: str | None
    next_expiry: dt.date | None


class ErrorOut(Schema):
    code: str
    message: str


router = Router(tags=["eligibility"])


def _current_second() -> int:
    return int(time.time())


def _within_rate(user_id: int) -> bool:
    """A fixed one-second window per user, counted in the cache."""
    limit = getattr(settings, "EVERYDOOR_ELIGIBILITY_RATE", 20)
    key = f"everydoor:eligibility:{user_id}:{_current_second()}"
    cache.add(key, 0, timeout=2)
    try:
        return cache.incr(key) <= limit
    except ValueError:  # the key expired between add and incr: a new second
        return True


@router.get("/eligibility", auth=user_auth(),
            response={200: EligibilityOut, 400: ErrorOut, 403: ErrorOut, 429: ErrorOut})
def eligibility(request, id: str, on: str | None = None):
    """Look up a 12-digit personal ID, 10-digit SI code or 15-character card number on a date (default today)."""
    user = request.auth
    role = getattr(getattr(user, "profile", None), "role", None)
    if role not in LOOKUP_ROLES:
        return Status(403, {"code": ErrorCode.FORBIDDEN, "message": "eligibility look-up is for clinic and province users"})
    if not _within_rate(user.pk):
        return Status(429, {"code": "rate_limited", "message": "too many look-ups; slow down"})
    try:
        day = parse_iso(on, field="on") if on else today()
        return Status(200, eligibility_check(value=id, on=day, actor=user.get_username(), user=user))
    except EverydoorError as exc:
        return Status(400, {"code": exc.code, "message": exc.message})
