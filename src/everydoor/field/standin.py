"""STAND-IN for the campaign's visit service (issue 15, branch `visits`), until it lands on main.

Only what the phone needs from it: record a visit idempotently on the client's UUID (same content:
the first visit again; other content: a conflict), refuse a household outside the officer's
villages, and name the field of a malformed one. Delete this module when campaign.services has
its visit service, and call that instead (field.services.phone_visit_send).
"""

import hashlib
import json
import uuid as uuidlib

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from everydoor.campaign.models import Visit, VisitMember
from everydoor.campaign.selectors import officer_villages
from everydoor.core.dates import parse_iso, today
from everydoor.core.errors import ErrorCode, EverydoorError
from everydoor.registry.models import Household, Person

FIELDS = ("uuid", "household", "visited_at", "outcome", "reason", "members", "note", "follow_up")


class VisitConflict(EverydoorError):
    """The same UUID was recorded with other content."""

    http_status = 409

    def __init__(self, message):
        super().__init__(ErrorCode.INVALID_INPUT, message)


def _invalid(field, message):
    error = EverydoorError(ErrorCode.INVALID_INPUT, f"{field}: {message}")
    error.http_status = 422
    return error


def visit_record(*, officer, payload: dict, source: str = "phone") -> tuple[Visit, bool]:
    try:
        key = uuidlib.UUID(str(payload.get("uuid", "")))
    except ValueError as exc:
        raise _invalid("uuid", "not a UUID") from exc
    content = {f: payload.get(f) for f in FIELDS}
    content_hash = hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()
    first = Visit.objects.filter(uuid=key).first()
    if first is not None:
        if first.content_hash != content_hash:
            raise VisitConflict(f"visit {key} was already recorded with other content")
        return first, False
    household = Household.objects.filter(code=str(payload.get("household") or "")).first()
    if household is None:
        raise _invalid("household", "no such household")
    if not officer_villages(officer, on=today()).filter(id=household.village_id).exists():
        raise EverydoorError(ErrorCode.FORBIDDEN, f"household {household.code} is not in your villages")
    outcome = payload.get("outcome")
    if outcome not in Visit.Outcome.values:
        raise _invalid("outcome", f"one of {', '.join(Visit.Outcome.values)}")
    reason = payload.get("reason") or ""
    if outcome == Visit.Outcome.REFUSED and reason not in Visit.Reason.values:
        raise _invalid("reason", "a refusal needs its reason")
    visited_at = parse_datetime(str(payload.get("visited_at") or "")) or timezone.now()
    follow_up = parse_iso(payload["follow_up"], field="follow_up") if payload.get("follow_up") else None
    if follow_up and follow_up < today():
        raise _invalid("follow_up", "before today")
    member_ids = [int(m) for m in payload.get("members") or []]
    members = list(Person.objects.filter(id__in=member_ids, household=household))
    if len(members) != len(set(member_ids)):
        raise _invalid("members", "not all of this household")
    with transaction.atomic():
        visit = Visit.objects.create(
            uuid=key, household=household, officer=officer, visited_at=visited_at, outcome=outcome,
            reason=reason, note=str(payload.get("note") or "")[:2000], follow_up=follow_up,
            content_hash=content_hash, source=source)
        VisitMember.objects.bulk_create(VisitMember(visit=visit, person=p) for p in members)
    return visit, True
