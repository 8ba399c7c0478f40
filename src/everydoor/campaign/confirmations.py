"""Enrolments claimed at the door, confirmed when the card shows up in a later import of the card register.

A member of an "enrolled" visit is confirmed by a card linked to them that starts at most CONFIRM_WINDOW
days before the visit (paid at the collection point just before the officer came) or after it, and is
valid on or after the visit's date. Set-based: one read of the pending members, one of their cards, a
join in Polars, one bulk update. Runs at the end of each link run and from `everydoor visits confirm`.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
from django.db import transaction
from django.utils import timezone

from everydoor.campaign.models import Visit, VisitMember
from everydoor.registry import card_reads

CONFIRM_WINDOW = dt.timedelta(days=30)
BATCH = 2000


def visits_confirm() -> dict:
    """Fill VisitMember.confirmed_card/confirmed_at where the register now shows the card."""
    pending_rows = (VisitMember.objects.filter(confirmed_card__isnull=True, visit__outcome=Visit.Outcome.ENROLLED)
                    .values_list("id", "person_id", "visit__visited_at"))
    pending = pl.DataFrame([(i, p, timezone.localtime(at).date()) for i, p, at in pending_rows],
                           schema={"member_id": pl.Int64, "person_id": pl.Int64, "day": pl.Date}, orient="row")
    if pending.is_empty():
        return {"pending": 0, "confirmed": 0}
    persons = VisitMember.objects.filter(confirmed_card__isnull=True, visit__outcome=Visit.Outcome.ENROLLED
                                         ).values("person_id")
    cards = pl.DataFrame([(c["person_id"], c["id"], c["valid_from"], c["valid_to"])
                          for c in card_reads.person_cards_from(persons, valid_to_from=pending["day"].min())],
                         schema={"person_id": pl.Int64, "card_id": pl.Int64, "valid_from": pl.Date,
                                 "valid_to": pl.Date}, orient="row")
    found = (pending.join(cards, on="person_id")
             .filter((pl.col("valid_from") >= pl.col("day") - CONFIRM_WINDOW) & (pl.col("valid_to") >= pl.col("day")))
             .sort("valid_from", "card_id").group_by("member_id").first())
    now = timezone.now()
    updates = [VisitMember(id=m, confirmed_card_id=c, confirmed_at=now)
               for m, c in found.select("member_id", "card_id").iter_rows()]
    with transaction.atomic():
        VisitMember.objects.bulk_update(updates, ["confirmed_card", "confirmed_at"], batch_size=BATCH)
    return {"pending": pending.height, "confirmed": len(updates)}
