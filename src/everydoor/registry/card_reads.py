"""Card reads for the field: the card periods that concern a set of residents, in one query each.

Kept in one place so that the work list, visits and confirmations do not spell out the card table:
a later split of it (identity + periods) changes this module only.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from everydoor.linkage.models import Link, ReviewItem
from everydoor.pipeline.cards import record_key_range
from everydoor.registry.models import Card

CHUNK = 5000  # ids per query: well under SQLite's variable limit
CARD_FIELDS = ("id", "card_number", "si_code", "personal_id", "group_code", "payer_group", "valid_from",
               "valid_to", "commune_id", "commune__province_code")


def _row(values: dict) -> dict:
    values["province_code"] = values.pop("commune__province_code")
    return values


def _chunks(values: Sequence) -> Iterator[Sequence]:
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


def _linked_rows(queryset) -> list[dict]:
    names = ("person_id", *CARD_FIELDS[:-1], "province_code")
    return [dict(zip(names, row, strict=True))
            for row in queryset.values_list("person_id", *(f"card__{f}" for f in CARD_FIELDS))]


def linked_cards(person_ids: Sequence[int]) -> list[dict]:
    """Every period of the cards linked to these residents (present in the register), with person_id."""
    return [row for ids in _chunks(person_ids)
            for row in _linked_rows(Link.objects.filter(person_id__in=ids, card__present=True))]


def unlinked_cards(person_ids: Sequence[int], personal_ids: Sequence[str]) -> list[dict]:
    """Cards no link holds that carry one of these personal IDs, or that a pending review pairs with one of
    these residents: the resident may well be insured, the register does not know it yet. The first have
    no person_id (the caller matches the personal ID)."""
    rows = []
    for ids in _chunks(personal_ids):
        rows += [_row(dict(r)) for r in Card.objects.filter(personal_id__in=ids, present=True, link__isnull=True)
                 .values("personal_id", *CARD_FIELDS)]
    for ids in _chunks(person_ids):
        rows += _linked_rows(ReviewItem.objects.filter(person_id__in=ids, decision=ReviewItem.Decision.PENDING,
                                                       card__present=True))
    return rows


def card_by_number(card_number: str) -> dict | None:
    """The latest period of a card number, or None when the register does not hold it."""
    low, high = record_key_range(card_number)
    row = (Card.objects.filter(record_key__gte=low, record_key__lt=high)
           .order_by("-valid_from").values(*CARD_FIELDS).first())
    return _row(row) if row else None


def person_cards_from(persons, *, valid_to_from) -> list[dict]:
    """Linked card periods of these residents (a queryset of person ids) that end on or after a date."""
    return _linked_rows(Link.objects.filter(person_id__in=persons, card__valid_to__gte=valid_to_from))
