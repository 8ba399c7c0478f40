"""POST /visits (what an officer recorded at a door) and GET /worklist (the signed-in officer's households).

Any 4xx answer to a visit is final (the phone shows it as "needs attention" and never retries it); a
5xx or a network failure is retried with the same UUID, which returns the first visit (200).
Errors are {code, field, message}: 403 not_assigned, 409 conflict (with the stored visit), 422 naming the field.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import replace

from ninja import Router, Schema, Status

from everydoor.api.auth import user_auth
from everydoor.campaign.visits import VisitConflict, VisitInput, visit_out, visit_record
from everydoor.core.dates import parse_iso, today
from everydoor.core.errors import ErrorCode, EverydoorError

router = Router(tags=["field work"])
STATUS = {ErrorCode.NOT_ASSIGNED: 403, ErrorCode.FORBIDDEN: 403, ErrorCode.CONFLICT: 409,
          ErrorCode.NOT_FOUND: 404}


class VisitIn(Schema):
    uuid: uuid.UUID | str  # made by the client when the visit is recorded; a retry sends the same
    household: str  # household code
    visited_at: dt.datetime | str  # ISO 8601, with its offset (+07:00)
    outcome: str  # enrolled, promised, refused, not_at_home, moved_away, deceased, never_lived_here, insured_elsewhere, wrong_data
    reason: str = ""  # refusals only: cost, no_benefit, distrust, other
    members: list[int] = []  # resident ids (person_id of the work list) the visit concerns
    card_number: str = ""  # insured elsewhere (or enrolled): the card seen
    note: str = ""
    phone: str = ""  # the household's, if given at the door
    follow_up: dt.date | str | None = None


class VisitOut(Schema):
    uuid: str
    id: int
    household: str
    officer: str
    visited_at: dt.datetime
    outcome: str
    reason: str
    members: list[int]
    card_number: str
    note: str
    phone: str
    follow_up: dt.date | None
    source: str
    created_at: dt.datetime


class CardOut(Schema):
    number: str
    group: str
    valid_from: dt.date
    valid_to: dt.date
    province_code: str | None


class EntitlementOut(Schema):
    key: str  # under_6, poor_household, ..., household (rules/law.toml)
    group: str
    state_paid: bool
    support_share: float
    until: dt.date | None
    paperwork: str
    source: str


class MemberOut(Schema):
    person_id: int  # what a visit's members name
    name: str
    personal_id: str | None
    dob: str  # YYYY-MM-DD, or the year alone
    sex: str
    relation: str
    standing: str  # insured, expiring, uninsured, settled (by a visit, till the registers show it)
    reason: str | None  # never_enrolled, lapsed, expiring, other_province, not_linked, support_ends, settled
    reason_date: dt.date | None
    reason_text: str | None
    card: CardOut | None
    entitlement: EntitlementOut | None


class PremiumMemberOut(Schema):
    person_id: int
    group: str
    position: int | None
    net: int


class PremiumOut(Schema):
    months: int
    total_gross: int
    total_support: int
    total_net: int  # whole VND the household pays for those members
    already_paying: int
    sources: list[str]
    members: list[PremiumMemberOut]


class LastVisitOut(Schema):
    at: dt.datetime
    outcome: str
    reason: str


class HouseholdOut(Schema):
    household_id: int
    code: str  # what a visit's household names
    phone: str | None
    uninsured: int
    expiring: int
    visits: int
    last_visit: LastVisitOut | None
    follow_up: dt.date | None
    follow_up_due: bool
    members: list[MemberOut]
    premium: PremiumOut | None


class VillageOut(Schema):
    code: str
    name: str
    uninsured: int
    expiring: int
    households: list[HouseholdOut]  # in visiting order


class WorklistOut(Schema):
    scope: str
    as_of: dt.date
    lang: str
    households: int
    uninsured: int
    expiring: int
    villages: list[VillageOut]


class ErrorOut(Schema):
    code: str
    field: str | None = None
    message: str


class ConflictOut(ErrorOut):
    visit: VisitOut


def error(exc: EverydoorError) -> Status:
    return Status(STATUS.get(exc.code, 422), {"code": exc.code, "field": exc.field, "message": exc.message})


@router.post("/visits", auth=user_auth(), url_name="visits",
             response={200: VisitOut, 201: VisitOut, 403: ErrorOut, 409: ConflictOut, 422: ErrorOut})
def visit_post(request, payload: VisitIn):
    """Record a visit. 201: recorded; 200: the same UUID and content again (a retry); 409: the UUID was used
    for other content; 403: the household is not in your villages on the visit's date; 422: a field is wrong."""
    data = VisitInput(**{**payload.dict(), "uuid": str(payload.uuid)})
    try:
        visit, created = visit_record(data=data, officer=request.auth, source="api")
    except VisitConflict as exc:
        return Status(409, {"code": exc.code, "field": exc.field, "message": exc.message, "visit": visit_out(exc.visit)})
    except EverydoorError as exc:
        return error(exc)
    # The members are the ones sent: validated for a new visit, and a retry's content (members included)
    # hashed the same as its first post's. The answer is built from what the service wrote, in the schema's
    # types: constructed, not validated again (ninja validating a dict field by field was ~8% of a post).
    return Status(201 if created else 200, VisitOut.model_construct(**visit_out(visit, members=payload.members)))


@router.get("/worklist", auth=user_auth(), url_name="worklist",
            response={200: WorklistOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut})
def worklist_get(request, village: str | None = None, as_of: str | None = None, lang: str = "vi"):
    """The signed-in officer's work list (all their villages on the date, or one by its code): households,
    members, reasons, entitlements and premium, in visiting order. The read is audited."""
    from everydoor.campaign.worklist import worklist_scope
    from everydoor.campaign.worklist_export import worklist_export

    try:
        day = parse_iso(as_of, field="as_of") if as_of else today()
        scope = worklist_scope(officer=request.auth, on=day)
        if village is not None:
            chosen = [v for v in scope.villages if v.code == village]
            if not chosen:
                raise EverydoorError(ErrorCode.NOT_ASSIGNED, f"village {village} is not yours on {day}", field="village")
            scope = replace(scope, villages=tuple(chosen), area_code=village)
        return worklist_export(scope=scope, as_of=day, lang=lang, actor=request.auth.get_username(),
                               user=request.auth)
    except EverydoorError as exc:
        return error(exc)
