"""Reads of the linkage domain: the review queue (whole, or one area's page) and the links export."""

import polars as pl
from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet

from everydoor.core.errors import ErrorCode, EverydoorError
from everydoor.geo.models import AdminUnit
from everydoor.geo.selectors import communes_in
from everydoor.linkage.frames import read_sql
from everydoor.linkage.models import Link, ReviewItem
from everydoor.registry.models import Card, Person


def review_list(*, decision: str = ReviewItem.Decision.PENDING, limit: int | None = None) -> list[dict]:
    """Pairs waiting for a reviewer (cards still without a link), most likely first."""
    items = _review_items(decision)
    if limit:
        items = items[:limit]
    return [_review_row(item) for item in items]


def review_page(*, communes: QuerySet[AdminUnit], commune_code: str | None = None, number=1,
                per_page: int = 50) -> Page:
    """One page of the pending pairs whose card or resident is in one of `communes` (the reviewer's scope).

    A commune code outside them selects nothing. The page's object_list holds review_list rows.
    """
    if commune_code:
        communes = communes.filter(code=commune_code)
    page = Paginator(_in_communes(_review_items(ReviewItem.Decision.PENDING), communes), per_page).get_page(number)
    page.object_list = [_review_row(item) for item in page.object_list]
    return page


def review_item_in_area(*, item_id: int, area: AdminUnit) -> ReviewItem:
    """The review item, if its card's or resident's commune is in `area`: a reviewer decides only there."""
    items = ReviewItem.objects.filter(id=item_id)
    if not items.exists():
        raise EverydoorError(ErrorCode.NOT_FOUND, f"no review item {item_id}")
    item = _in_communes(items, communes_in(area)).first()
    if item is None:
        raise EverydoorError(ErrorCode.FORBIDDEN, f"review item {item_id} is outside {area.name}")
    return item


def _review_items(decision: str) -> QuerySet[ReviewItem]:
    items = ReviewItem.objects.filter(decision=decision).select_related(
        "card__commune", "person__commune", "person__village", "person__household")
    if decision == ReviewItem.Decision.PENDING:
        items = items.filter(card__link__isnull=True, card__present=True)
    return items.order_by("-match_probability", "id")


def _in_communes(items: QuerySet[ReviewItem], communes: QuerySet[AdminUnit]) -> QuerySet[ReviewItem]:
    ids = communes.values("id")
    return items.filter(Q(card__commune__in=ids) | Q(person__commune__in=ids))


def _review_row(item: ReviewItem) -> dict:
    card, person = item.card, item.person
    return {
        "id": item.id, "match_probability": item.match_probability, "decision": item.decision,
        "card_id": item.card_id, "card_number": card.card_number, "si_code": card.si_code,
        "card_personal_id": card.personal_id, "card_name": card.full_name, "card_dob": _dob(card),
        "card_sex": card.sex, "card_commune": card.commune.name if card.commune else "",
        "person_id": item.person_id, "personal_id": person.personal_id or "", "person_name": person.full_name,
        "person_dob": _dob(person), "person_sex": person.sex, "person_commune": person.commune.name,
        "person_village": person.village.name if person.village else "",
        "household": person.household.code if person.household else "",
    }


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
