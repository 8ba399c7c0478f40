"""GET /eligibility: may this card or person be treated on this date, at which level?

Authentication, either of:
- the Django session (a desk user logged in to the web app), or
- `Authorization: Bearer <token>` for a clinic's own software: a token signed with the
  server's SECRET_KEY (`issue_api_token(user)`), valid 90 days, no table needed;
  deactivating the user or rotating SECRET_KEY revokes it.
Only users whose profile role is "clinic" or "province" may look up. Each user may make
EVERYDOOR_ELIGIBILITY_RATE look-ups a second (default 20), counted in Django's cache:
per process with the default local-memory cache, shared once a shared cache is set.
Every look-up is audited by the service.
"""

from __future__ import annotations

import datetime as dt
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.cache import cache
from ninja import Router, Schema, Status
from ninja.security import HttpBearer, django_auth

from everydoor.core.dates import parse_iso, today
from everydoor.core.errors import ErrorCode, EverydoorError
from everydoor.registry.eligibility import eligibility_check

LOOKUP_ROLES = ("clinic", "province")
TOKEN_SALT = "everydoor.api.token"
TOKEN_MAX_AGE_S = 90 * 24 * 3600


def issue_api_token(user) -> str:
    return signing.dumps({"u": user.pk}, salt=TOKEN_SALT)


class SignedBearer(HttpBearer):
    def authenticate(self, request, token):
        try:
            payload = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE_S)
        except signing.BadSignature:
            return None
        user = get_user_model().objects.filter(pk=payload.get("u"), is_active=True).first()
        if user is not None:
            request.user = user
        return user


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


@router.get("/eligibility", auth=[SignedBearer(), django_auth],
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
