"""The unit manager's review of residents the field did not find (moved away, deceased, never lived here).

Accepting marks the resident (Person.field_status / field_status_date = the visit's date); nothing is
deleted, and coverage stops counting the resident from that date (coverage.engine.resident_condition),
`change` showing it as its own part. Rejecting leaves the register as it was.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from everydoor.accounts.services import audit_record
from everydoor.campaign.models import FieldReview, Visit
from everydoor.core.errors import ErrorCode, EverydoorError
from everydoor.core.versions import data_changed
from everydoor.geo.models import AdminUnit
from everydoor.geo.selectors import communes_in
from everydoor.linkage.models import Link
from everydoor.registry.models import Person


def _in_area(area: AdminUnit | None, prefix: str) -> Q:
    if area is None:
        return Q()
    if area.level == AdminUnit.Level.VILLAGE:
        return Q(**{f"{prefix}village": area})
    return Q(**{f"{prefix}commune__in": communes_in(area)})


def field_reviews(*, area: AdminUnit | None = None, status: str | None = FieldReview.Status.PENDING) -> list[dict]:
    """Reviews of the area (all areas when None), oldest visit first."""
    reviews = FieldReview.objects.filter(_in_area(area, "visit__household__"))
    if status:
        reviews = reviews.filter(status=status)
    rows = reviews.order_by("visit__visited_at", "id").values(
        "id", "kind", "status", "person_id", "person__full_name", "person__personal_id", "visit__uuid",
        "visit__visited_at", "visit__household__code", "visit__household__village__name", "visit__officer__username",
        "decided_at", "note")
    return [{"id": r["id"], "kind": r["kind"], "status": r["status"], "person_id": r["person_id"],
             "name": r["person__full_name"], "personal_id": r["person__personal_id"], "visit": str(r["visit__uuid"]),
             "visited_on": timezone.localtime(r["visit__visited_at"]).date(), "household": r["visit__household__code"],
             "village": r["visit__household__village__name"], "officer": r["visit__officer__username"],
             "decided_at": r["decided_at"], "note": r["note"]} for r in rows]


def unmatched_cards(*, area: AdminUnit | None = None) -> list[dict]:
    """Card numbers seen at the door ("insured elsewhere") that the card register does not hold, or holds
    linked to nobody yet: for the data office to chase."""
    visits = (Visit.objects.filter(_in_area(area, "household__"), outcome=Visit.Outcome.INSURED_ELSEWHERE)
              .exclude(card_number="").order_by("visited_at"))
    linked = set(Link.objects.filter(method=Link.Method.FIELD_VERIFIED, card__card_number__in=visits.values(
        "card_number")).values_list("card__card_number", flat=True))
    return [{"visit": str(v["uuid"]), "card_number": v["card_number"], "household": v["household__code"],
             "visited_on": timezone.localtime(v["visited_at"]).date()}
            for v in visits.values("uuid", "card_number", "household__code", "visited_at")
            if v["card_number"] not in linked]


def field_review_decide(*, review_id: int, accept: bool, actor: str, user=None, note: str = "") -> dict:
    """Accept or reject a pending review, in one transaction; accepting marks the resident from the visit's date."""
    with transaction.atomic():
        review = (FieldReview.objects.select_for_update().select_related("visit", "person")
                  .filter(pk=review_id).first())
        if review is None:
            raise EverydoorError(ErrorCode.NOT_FOUND, f"no field review has the id {review_id}")
        if review.status != FieldReview.Status.PENDING:
            raise EverydoorError(ErrorCode.INVALID_INPUT, f"field review {review_id} is already {review.status}")
        day = timezone.localtime(review.visit.visited_at).date()
        if accept:
            # update(), not save(): only these two columns change; the columnar copy is told explicitly.
            Person.objects.filter(pk=review.person_id).update(field_status=review.kind, field_status_date=day)
            data_changed()
        review.status = FieldReview.Status.ACCEPTED if accept else FieldReview.Status.REJECTED
        review.reviewer, review.decided_at, review.note = user, timezone.now(), note[:500]
        review.save(update_fields=["status", "reviewer", "decided_at", "note"])
        audit_record(actor=actor, user=user, action="field_review", object_type="person",
                     object_id=review.person_id, area_code=review.person.commune.code if review.person.commune_id else "",
                     detail={"review": review.pk, "kind": review.kind, "decision": review.status,
                             "from": day.isoformat()})
    return {"id": review.pk, "status": review.status, "person_id": review.person_id, "kind": review.kind,
            "field_status_date": day if accept else None}
