"""Writes of the field app: a visit a phone sends, and the refusals kept for the manager."""

from django.db import transaction
from django.db.models import F

from everydoor.campaign.models import Visit
from everydoor.campaign.selectors import officer_villages
from everydoor.campaign.visits import VisitInput, visit_record
from everydoor.core.dates import today
from everydoor.core.errors import ErrorCode, EverydoorError
from everydoor.field.models import RefusedVisit
from everydoor.registry.models import Household

# As POST /api/v1/visits answers: the phone treats every 4xx as final and never re-sends it.
_STATUS = {ErrorCode.NOT_ASSIGNED: 403, ErrorCode.FORBIDDEN: 403, ErrorCode.CONFLICT: 409, ErrorCode.NOT_FOUND: 404}
SOURCE = "web"  # campaign.visits.SOURCES: the phone's pages are the web's


def refusal_status(error: EverydoorError) -> int:
    return _STATUS.get(error.code, 422)


def _visit_input(payload: dict) -> VisitInput:
    """The phone's JSON as the campaign's visit service takes it; a field of the wrong shape is a 422."""
    known = {f: payload[f] for f in VisitInput.__dataclass_fields__ if f in payload}
    missing = [f for f in ("uuid", "household", "visited_at", "outcome") if f not in known]
    if missing:
        raise EverydoorError(ErrorCode.INVALID_INPUT, f"{missing[0]}: missing", field=missing[0])
    if not isinstance(known.get("members", []), list):
        raise EverydoorError(ErrorCode.INVALID_INPUT, "members: must be a list of resident ids", field="members")
    return VisitInput(**known)


def phone_visit_send(*, officer, payload: dict) -> tuple[Visit, bool]:
    """Record a visit a phone sent (True when new). A refusal is kept for the manager, then raised."""
    try:
        return visit_record(data=_visit_input(payload), officer=officer, source=SOURCE)
    except EverydoorError as error:
        refusal_record(officer=officer, payload=payload, error=error)
        raise


def refusal_record(*, officer, payload: dict, error: EverydoorError) -> RefusedVisit | None:
    """Keep what the server refused; a phone re-sending the same visit counts one more attempt."""
    key = str(payload.get("uuid") or "")[:64]
    if not key:  # nothing to key it on: the phone always sends one, so this is not a phone
        return None
    household = Household.objects.filter(code=str(payload.get("household") or "")).first()
    # filed under a commune the officer works, so that the officer's own manager sees it even when the
    # household went to another commune (a reassignment); else under the household's
    worked = list(officer_villages(officer, on=today()).values_list("parent_id", flat=True).distinct())
    if household and (household.commune_id in worked or not worked):
        commune_id = household.commune_id
    else:
        commune_id = worked[0] if worked else None
    with transaction.atomic():
        refusal, created = RefusedVisit.objects.get_or_create(uuid=key, defaults={
            "officer": officer, "household": household, "commune_id": commune_id,
            "status": refusal_status(error), "code": str(error.code), "message": error.message[:500],
            "payload": payload})
        if not created:
            RefusedVisit.objects.filter(id=refusal.id).update(attempts=F("attempts") + 1)
    return refusal
