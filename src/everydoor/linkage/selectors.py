"""Reads of the linkage domain: the review queue and the links export."""

import polars as pl
from django.db.models import QuerySet

from everydoor.linkage.frames import read_sql
from everydoor.linkage.models import Link, ReviewItem
from everydoor.registry.models import Card, Person


def review_list(*, decision: str = ReviewItem.Decision.PENDING, limit: int | None = None) -> list[dict]:
    """Pairs waiting for a reviewer (cards still without a link), most likely first."""
    items: QuerySet = ReviewItem.objects.filter(decision=decision).select_related("card", "person")
    if decision == ReviewItem.Decision.PENDING:
        items = items.filter(card__link__isnull=True, card__present=True)
    items = items.order_by("-match_probability", "id")
    if limit:
        items = items[:limit]
    return [
        {
            "id": item.id, "match_probability": item.match_probability, "decision": item.decision,
            "card_id": item.card_id, "card_number": item.card.card_number, "si_code": item.card.si_code,
            "card_name": item.card.full_name, "card_dob": _dob(item.card), "card_sex": item.card.sex,
            "person_id": item.person_id, "personal_id": item.person.personal_id or "",
            "person_name": item.person.full_name, "person_dob": _dob(item.person), "person_sex": item.person.sex,
        }
        for item in items
    ]


def _dob(record) -> str:
    if record.dob_year is None:
        return ""
    parts = [f"{record.dob_year:04d}"]
    if record.dob_month:
        parts.append(f"{record.dob_month:02d}")
        if record.dob_day:
            parts.append(f"{record.dob_day:02d}")
    return "-".join(parts)


def links_export_frame() -> pl.DataFrame:
    """One row per present card: its linked resident's personal ID (empty if none), method, probability."""
    card, link, person = Card._meta.db_table, Link._meta.db_table, Person._meta.db_table
    frame = read_sql(
        f"SELECT c.card_number, c.si_code, p.personal_id, l.method, l.match_probability "
        f"FROM {card} c LEFT JOIN {link} l ON l.card_id = c.id LEFT JOIN {person} p ON p.id = l.person_id "
        f"WHERE c.present ORDER BY c.id",
        {"card_number": pl.String, "si_code": pl.String, "personal_id": pl.String, "method": pl.String,
         "match_probability": pl.Float64},
    )
    return frame.with_columns(pl.col(pl.String).fill_null(""))
