"""Reads of the registers."""

import json

import polars as pl
from django.db.models import QuerySet

from everydoor.geo.models import AdminUnit
from everydoor.geo.selectors import communes_in, short_name
from everydoor.pipeline.cards import ISO, STORED_TEXT, date_text
from everydoor.pipeline.columns import CARD_COLUMNS
from everydoor.registry.models import Card, Household, ImportBatch, Person, QuarantineRow


def card_raw(card: Card) -> dict:
    """The card's fields as received: what the raw record keeps, and the rest read back from the row."""
    kept = json.loads(card.raw or "{}")
    style = kept.pop("date_style", ISO)

    def text(value):
        if value is None or isinstance(value, str):
            return value
        return str(value)

    def date(year, month, day):
        return pl.select(date_text(pl.lit(year, pl.Int32), pl.lit(month, pl.Int32), pl.lit(day, pl.Int32), style)).item()

    read_back = {column: text(getattr(card, column)) for column in STORED_TEXT}
    read_back |= {"date_of_birth": date(card.dob_year, card.dob_month, card.dob_day),
                  "valid_from": date(card.valid_from.year, card.valid_from.month, card.valid_from.day),
                  "valid_to": date(card.valid_to.year, card.valid_to.month, card.valid_to.day),
                  "commune": card.commune.name if card.commune else None,
                  "province": short_name(card.commune.parent) if card.commune and card.commune.parent else None}
    return {column: kept[column] if column in kept else read_back[column] for column in CARD_COLUMNS}


def register_stats(area: AdminUnit) -> dict:
    """Residents (present, resident status), households, cards and quarantined rows of an area."""
    communes = list(communes_in(area).values_list("id", flat=True))
    area_filter = {"village": area} if area.level == AdminUnit.Level.VILLAGE else {"commune_id__in": communes}
    batches = [b.id for b in ImportBatch.objects.only("id", "scope") if set(b.scope) & set(communes)]
    return {
        "area": area.name,
        "code": area.code,
        "level": area.level,
        "residents": Person.objects.filter(present=True, status=Person.Status.RESIDENT, **area_filter).count(),
        "households": Household.objects.filter(**area_filter).count(),
        "cards": Card.objects.filter(present=True, **area_filter).count(),
        "quarantined": QuarantineRow.objects.filter(batch_id__in=batches).values("batch_id", "row_number")
        .distinct().count(),
    }


def quarantine_rows(*, batch_id: int | None = None) -> QuerySet[QuarantineRow]:
    rows = QuarantineRow.objects.all()
    if batch_id is not None:
        if not ImportBatch.objects.filter(id=batch_id).exists():
            from everydoor.core.errors import ErrorCode, EverydoorError

            raise EverydoorError(ErrorCode.NOT_FOUND, f"no import batch {batch_id}")
        rows = rows.filter(batch_id=batch_id)
    return rows.order_by("batch_id", "row_number", "field")


def communes_overview(area: AdminUnit) -> list[dict]:
    """Each commune of an area with its villages, residents, households and cards (one query per count)."""
    from django.db.models import Count

    communes = list(communes_in(area).order_by("name").values("id", "code", "name"))
    ids = [c["id"] for c in communes]

    def per_commune(queryset, field="commune_id"):
        return dict(queryset.filter(**{f"{field}__in": ids}).values_list(field).annotate(n=Count("id")))

    residents = per_commune(Person.objects.filter(present=True, status=Person.Status.RESIDENT))
    households = per_commune(Household.objects.all())
    cards = per_commune(Card.objects.filter(present=True))
    villages = per_commune(AdminUnit.objects.filter(level=AdminUnit.Level.VILLAGE), "parent_id")
    return [{**c, "villages": villages.get(c["id"], 0), "residents": residents.get(c["id"], 0),
             "households": households.get(c["id"], 0), "cards": cards.get(c["id"], 0)} for c in communes]
