"""Card reads for the field: the card periods that concern a set of residents, in one query each.

Kept in one place so that the work list, visits and confirmations do not spell out the card table:
a later split of it (identity + periods) changes this module only.
"""

from __future__ import annotations

from django.db.models import QuerySet

from everydoor.linkage.models import Link, ReviewItem
from everydoor.pipeline.cards import record_key_range
from everydoor.registry.models import Card, Person

CARD_FIELDS = ("id", "card_number", "si_code", "personal_id", "group_code", "payer_group", "valid_from",
               "valid_to", "commune_id", "commune__province_code")


def _row(values: dict) -> dict:
    values["province_code"] = values.pop("commune__province_code")
    return values


def linked_cards(persons: QuerySet[Person]) -> list[dict]:
    """Every period of the cards linked to these residents (present in the register), with person_id."""
    fields = [f"card__{f}" for f in CARD_FIELDS]
    rows = (Link.objects.filter(person__in=persons.values("id"), card__present=True)
            .values("person_id", *fields))
    return [_row({"person_id": r["person_id"], **{f: r[f"card__{f}"] for f in CARD_FIELDS}}) for r in rows]


def unlinked_cards(persons: QuerySet[Person]) -> list[dict]:
    """Cards no link holds that carry one of these residents' personal IDs, or that a pending review pairs
    with one of them: the resident may well be insured, the register does not know it yet."""
    by_id = (Card.objects.filter(personal_id__in=persons.exclude(personal_id=None).values("personal_id"),
                                 present=True, link__isnull=True).values("personal_id", *CARD_FIELDS))
    rows = [_row(dict(r)) for r in by_id]
    reviewed = (ReviewItem.objects.filter(person__in=persons.values("id"), decision=ReviewItem.Decision.PENDING,
                                          card__present=True)
                .values("person_id", *(f"card__{f}" for f in CARD_FIELDS)))
    rows += [_row({"person_id": r["person_id"], **{f: r[f"card__{f}"] for f in CARD_FIELDS}}) for r in reviewed]
    return rows


def card_by_number(card_number: str) -> dict | None:
    """The latest period of a card number, or None when the register does not hold it."""
    low, high = record_key_range(card_number)
    row = (Card.objects.filter(record_key__gte=low, record_key__lt=high)
           .order_by("-valid_from").values(*CARD_FIELDS).first())
    return _row(row) if row else None


def person_cards_from(person_ids: list[int] | QuerySet, *, valid_to_from) -> list[dict]:
    """Linked card periods of these residents that end on or after a date (for confirmations)."""
    rows = (Link.objects.filter(person_id__in=person_ids, card__valid_to__gte=valid_to_from)
            .values("person_id", *(f"card__{f}" for f in CARD_FIELDS)))
    return [_row({"person_id": r["person_id"], **{f: r[f"card__{f}"] for f in CARD_FIELDS}}) for r in rows]
