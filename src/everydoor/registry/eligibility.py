"""Eligibility look-up: is this card, SI code or personal ID covered on a date?

One indexed query per look-up (card number, SI code or personal ID), the rows of one
person only, decided in Python. A card number is found through the record key, which
starts with it (no index of its own to build on every import). It also finds the person's
renewals under other card numbers through the SI code it contains, so a changed group does
not hide a valid card. Cards no longer listed by the latest extract (present=False) are ignored.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from everydoor.accounts.services import audit_record
from everydoor.core.errors import ErrorCode, EverydoorError
from everydoor.pipeline.cards import record_key_range
from everydoor.registry.models import Card
from everydoor.rules import identifiers, law

_FIELDS = ("card_number", "si_code", "group_code", "benefit_level", "valid_from", "valid_to", "clinic_code")


def _rows_for(check: identifiers.IdCheck) -> list[dict]:
    if check.kind == identifiers.CARD_NUMBER:
        low, high = record_key_range(check.value)
        where = Q(record_key__gte=low, record_key__lt=high) | Q(si_code=check.parts["si_code"])
    elif check.kind == identifiers.SI_CODE:
        where = Q(si_code=check.value)
    else:
        where = Q(personal_id=check.value)
    return list(Card.objects.filter(where, present=True).values(*_FIELDS))


def _coverage_end(rows: list[dict], card: dict) -> dt.date:
    """The last day of uninterrupted cover from `card` on, following renewals."""
    end = card["valid_to"]
    for row in sorted(rows, key=lambda r: r["valid_from"]):
        if row["valid_from"] <= end + dt.timedelta(days=1) and row["valid_to"] > end:
            end = row["valid_to"]
    return end


def eligibility_on(*, value: str, on: dt.date) -> dict:
    """The answer a clinic desk needs; an unreadable identifier is a user error."""
    check = identifiers.check_identifier(value, on=on)
    # a level that disagrees with the rules still names a real card: look it up anyway
    blocking = [code for code in check.errors if code != identifiers.LEVEL_MISMATCH]
    if check.kind == identifiers.UNKNOWN or blocking:
        raise EverydoorError(ErrorCode.INVALID_INPUT,
                             f"{check.value!r} is not a valid 12-digit personal ID, 10-digit SI code "
                             f"or 15-character card number ({', '.join(check.errors)})")
    rows = _rows_for(check)
    answer = {"kind": check.kind, "found": bool(rows), "valid": False, "valid_from": None, "valid_to": None,
              "group_code": None, "benefit_level": None, "benefit_rate": None, "clinic_code": None,
              "next_expiry": None}
    if not rows:
        return answer
    covering = [r for r in rows if r["valid_from"] <= on <= r["valid_to"]]
    # the covering card with the latest start; else the latest card, to say when it ended
    card = max(covering or rows, key=lambda r: (r["valid_from"], r["valid_to"]))
    level = card["benefit_level"]
    if level is None and card["group_code"]:
        level = law.group_levels_on(on).get(card["group_code"])
    rate = law.benefit_rate(level) if level is not None else None
    answer.update(
        valid=bool(covering), valid_from=card["valid_from"], valid_to=card["valid_to"],
        group_code=card["group_code"] or None, benefit_level=level,
        benefit_rate=float(rate) if rate is not None else None, clinic_code=card["clinic_code"] or None,
        next_expiry=_coverage_end(rows, card) if covering else None,
    )
    return answer


def eligibility_check(*, value: str, on: dt.date, actor: str, user=None) -> dict:
    """Look up and audit: every look-up of personal data is recorded, found or not."""
    answer = eligibility_on(value=value, on=on)
    audit_record(actor=actor, user=user, action="eligibility_lookup", object_type=answer["kind"],
                 object_id=identifiers.clean(value).upper(),
                 detail={"on": on.isoformat(), "found": answer["found"], "valid": answer["valid"]})
    return answer
