"""Card reads for the field: the card periods that concern a set of residents, in one query each.

Kept in one place so that the work list, visits and confirmations do not spell out the card table:
a later split of it (identity + periods) changes this module only.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection

from everydoor.core.dates import as_date
from everydoor.core.rows import among
from everydoor.linkage.models import Link, ReviewItem
from everydoor.pipeline.cards import record_key_range
from everydoor.registry.models import Card

CARD_FIELDS = ("id", "card_number", "si_code", "personal_id", "group_code", "payer_group", "valid_from",
               "valid_to", "commune_id", "commune__province_code")


def _row(values: dict) -> dict:
    values["province_code"] = values.pop("commune__province_code")
    return values


# Plain SQL: a village's few thousand card periods are read without the ORM's per-value conversions (a
# third of the work list's time on the biggest village). The residents come through their households.
_VILLAGE_RESIDENTS = ("SELECT p.id FROM registry_person p JOIN registry_household h ON h.id = p.household_id "
                      "WHERE h.village_id IN ({villages})")
_CARD_COLUMNS = ("c.id, c.card_number, c.group_code, c.valid_from, c.valid_to, c.commune_id, a.province_code")


def _rows(sql: str, params: list) -> list[dict]:
    names = ("person_id", "personal_id", "id", "card_number", "group_code", "valid_from", "valid_to", "commune_id",
             "province_code")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    out = [dict(zip(names, row, strict=True)) for row in rows]
    if out and isinstance(out[0]["valid_from"], str):  # SQLite's text: every row alike
        for values in out:
            values["valid_from"], values["valid_to"] = as_date(values["valid_from"]), as_date(values["valid_to"])
    return out


def linked_cards(*, village_ids: Sequence[int]) -> list[dict]:
    """Every period of the cards linked to residents of these villages' households (present in the card
    register), with person_id."""
    villages = ", ".join(["%s"] * len(village_ids))
    return _rows(f"SELECT l.person_id, NULL, {_CARD_COLUMNS} FROM linkage_link l "
                 f"JOIN registry_card c ON c.id = l.card_id LEFT JOIN geo_adminunit a ON a.id = c.commune_id "
                 f"WHERE l.person_id IN ({_VILLAGE_RESIDENTS.format(villages=villages)}) AND c.present = %s",
                 [*village_ids, True])


def unlinked_cards(*, person_ids: Sequence[int]) -> list[dict]:
    """Cards no link holds that carry the personal ID of one of these residents (person_id None: the caller
    matches the personal ID), or that a pending review pairs with one of them: the resident may well be
    insured, the register does not know it yet."""
    if not person_ids:
        return []
    people, ids = among("p.id", person_ids)
    by_id = _rows(f"SELECT NULL, c.personal_id, {_CARD_COLUMNS} FROM registry_card c "
                  f"LEFT JOIN geo_adminunit a ON a.id = c.commune_id "
                  f"WHERE c.personal_id IN (SELECT p.personal_id FROM registry_person p WHERE {people}) "
                  f"AND c.present = %s AND NOT EXISTS (SELECT 1 FROM linkage_link l WHERE l.card_id = c.id)",
                  [*ids, True])
    people, ids = among("r.person_id", person_ids)
    reviewed = _rows(f"SELECT r.person_id, NULL, {_CARD_COLUMNS} FROM linkage_reviewitem r "
                     f"JOIN registry_card c ON c.id = r.card_id LEFT JOIN geo_adminunit a ON a.id = c.commune_id "
                     f"WHERE {people} AND r.decision = %s AND c.present = %s",
                     [*ids, ReviewItem.Decision.PENDING.value, True])
    return by_id + reviewed


def _linked_rows(queryset) -> list[dict]:
    names = ("person_id", *CARD_FIELDS[:-1], "province_code")
    return [dict(zip(names, row, strict=True))
            for row in queryset.values_list("person_id", *(f"card__{f}" for f in CARD_FIELDS))]


def card_by_number(card_number: str) -> dict | None:
    """The latest period of a card number, or None when the register does not hold it."""
    low, high = record_key_range(card_number)
    row = (Card.objects.filter(record_key__gte=low, record_key__lt=high)
           .order_by("-valid_from").values(*CARD_FIELDS).first())
    return _row(row) if row else None


def person_cards_from(persons, *, valid_to_from) -> list[dict]:
    """Linked card periods of these residents (a queryset of person ids) that end on or after a date."""
    return _linked_rows(Link.objects.filter(person_id__in=persons, card__valid_to__gte=valid_to_from))
