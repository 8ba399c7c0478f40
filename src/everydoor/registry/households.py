"""Reads of one village's households and one household's members with their cards (small, indexed)."""

import datetime as dt

from django.db.models import Count, Q, QuerySet

from everydoor.linkage.models import Link
from everydoor.registry.models import Card, Household, Person

HEAD = ("Chủ hộ", "chủ hộ", "Chu ho", "head")  # how registers name the head of a household


def village_households(households: QuerySet[Household], *, on: dt.date) -> list[dict]:
    """Each household (of an already scoped queryset, one village's) with its residents and insured residents
    on a date: three indexed queries whatever the number of households."""
    rows = list(households.order_by("code").values("id", "code", "phone"))
    ids = [r["id"] for r in rows]
    present = Q(present=True, status=Person.Status.RESIDENT, field_status__isnull=True)
    residents = dict(Person.objects.filter(present, household_id__in=ids).values_list("household_id")
                     .annotate(n=Count("id")))
    insured = dict(Person.objects.filter(present, household_id__in=ids, links__card__present=True,
                                         links__card__valid_from__lte=on, links__card__valid_to__gte=on)
                   .values_list("household_id").annotate(n=Count("id", distinct=True)))
    heads = dict(Person.objects.filter(present, household_id__in=ids, relation_to_head__in=HEAD)
                 .values_list("household_id", "full_name"))
    return [{**r, "residents": residents.get(r["id"], 0), "insured": insured.get(r["id"], 0),
             "uninsured": residents.get(r["id"], 0) - insured.get(r["id"], 0), "head": heads.get(r["id"], "")}
            for r in rows]


def household_members(household: Household, *, on: dt.date) -> list[dict]:
    """The household's residents (present in the register) with their latest card and whether it is valid."""
    members = list(Person.objects.filter(household=household, present=True).order_by("dob_year", "id").values(
        "id", "personal_id", "full_name", "dob", "dob_year", "sex", "relation_to_head", "status", "field_status"))
    links = dict(Link.objects.filter(person_id__in=[m["id"] for m in members]).values_list("card_id", "person_id"))
    cards: dict[int, dict] = {}
    for card in Card.objects.filter(id__in=list(links), present=True).values(
            "id", "card_number", "group_code", "valid_from", "valid_to"):
        holder = links[card["id"]]
        best = cards.get(holder)
        # the card valid on the date, else the one that ended last
        rank = (card["valid_from"] <= on <= card["valid_to"], card["valid_to"])
        if best is None or rank > (best["valid_from"] <= on <= best["valid_to"], best["valid_to"]):
            cards[holder] = card
    for member in members:
        card = cards.get(member["id"])
        member["card"] = card
        member["insured"] = bool(card and card["valid_from"] <= on <= card["valid_to"])
    return members
