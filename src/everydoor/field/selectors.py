"""Reads for the officer's phone: the day, a village's households, one household, the refusals.

Every read is scoped: an officer reaches only the villages assigned to them on the day
(campaign.selectors.officer_villages); anything else is NOT_FOUND, as if it did not exist.
"""

import datetime as dt

from django.db.models import Count, Exists, OuterRef, Q, Sum

from everydoor.accounts.models import Role
from everydoor.accounts.selectors import user_area
from everydoor.campaign.models import Target, Visit
from everydoor.campaign.selectors import officer_villages
from everydoor.core.dates import age_on
from everydoor.core.errors import ErrorCode, EverydoorError
from everydoor.field.models import RefusedVisit
from everydoor.geo.models import AdminUnit, AreaStatus
from everydoor.geo.selectors import communes_in
from everydoor.linkage.models import Link
from everydoor.registry.models import Card, Household, HouseholdCertificate, Person
from everydoor.rules.entitlement import Period, entitlement
from everydoor.rules.premium import Member, household_premium

EXPIRING_DAYS = 30  # a card ending within this many days is worth a visit now
# Outcomes after which a household leaves the list; refused, promised and not at home come back.
FINAL_OUTCOMES = (Visit.Outcome.ENROLLED, Visit.Outcome.INSURED_ELSEWHERE, Visit.Outcome.MOVED_AWAY,
                  Visit.Outcome.DECEASED, Visit.Outcome.NEVER_LIVED_HERE)


def _residents():
    return Person.objects.filter(status=Person.Status.RESIDENT, present=True, field_status__isnull=True)


def _insured(on: dt.date) -> Exists:
    return Exists(Link.objects.filter(person=OuterRef("pk"), card__valid_from__lte=on, card__valid_to__gte=on))


def _done(on: dt.date) -> Exists:
    return Exists(Visit.objects.filter(household=OuterRef("household_id"), outcome__in=FINAL_OUTCOMES,
                                       visited_at__date__lte=on))


def officer_village(officer, village_id: int, *, on: dt.date) -> AdminUnit:
    village = officer_villages(officer, on=on).filter(id=village_id).select_related("parent").first()
    if village is None:
        raise EverydoorError(ErrorCode.NOT_FOUND, "no such village among yours")
    return village


def officer_household(officer, household_id: int, *, on: dt.date) -> Household:
    household = (Household.objects.filter(id=household_id, village__in=officer_villages(officer, on=on))
                 .select_related("village", "commune").first())
    if household is None:
        raise EverydoorError(ErrorCode.NOT_FOUND, "no such household among your villages")
    return household


def follow_ups_due(officer, *, on: dt.date) -> list[dict]:
    """Households whose latest visit by anyone asked to come back on or before `on`, oldest first."""
    later = Visit.objects.filter(household=OuterRef("household_id"), visited_at__gt=OuterRef("visited_at"))
    rows = (Visit.objects.filter(household__village__in=officer_villages(officer, on=on), follow_up__lte=on)
            .exclude(Exists(later)).order_by("follow_up", "household__code")
            .values("household_id", "household__code", "household__village__name", "follow_up", "outcome"))
    return [{**r, "overdue": r["follow_up"] < on} for r in rows]


def officer_day(officer, *, on: dt.date) -> dict:
    """My day: follow-ups, my villages with the households left to visit, my visits against my target."""
    villages = list(officer_villages(officer, on=on).select_related("parent").order_by("name"))
    left = dict(_residents().filter(household__village__in=villages).annotate(insured=_insured(on), done=_done(on))
                .filter(insured=False, done=False).values_list("household__village_id")
                .annotate(n=Count("household_id", distinct=True)))
    households = dict(Household.objects.filter(village__in=villages).values_list("village_id")
                      .annotate(n=Count("id")))
    mine = Visit.objects.filter(officer=officer)
    progress = mine.aggregate(visits=Count("id"), enrolled=Count("id", filter=Q(outcome=Visit.Outcome.ENROLLED)),
                              households=Count("household_id", distinct=True))
    target = Target.objects.filter(officer=officer, level=Target.Level.OFFICER,
                                   campaign__due__gte=on).aggregate(v=Sum("value"))["v"]
    return {
        "follow_ups": follow_ups_due(officer, on=on),
        "villages": [{"village": v, "households": households.get(v.id, 0), "left": left.get(v.id, 0)}
                     for v in villages],
        "progress": {**progress, "target": target},
    }


def village_households(village: AdminUnit, *, on: dt.date) -> list[dict]:
    """The village's households, those with residents to insure first, each with its latest visit."""
    uninsured = dict(_residents().filter(household__village=village).annotate(insured=_insured(on))
                     .filter(insured=False).values_list("household_id").annotate(n=Count("id")))
    residents = dict(_residents().filter(household__village=village).values_list("household_id")
                     .annotate(n=Count("id")))
    heads = dict(_residents().filter(household__village=village, relation_to_head__in=("Chủ hộ", "head"))
                 .values_list("household_id", "full_name"))
    latest = {}
    for v in (Visit.objects.filter(household__village=village).order_by("household_id", "visited_at")
              .values("household_id", "outcome", "visited_at", "follow_up")):
        latest[v["household_id"]] = v  # ordered: the last one wins
    rows = [{"id": h.id, "code": h.code, "phone": h.phone, "head": heads.get(h.id, ""),
             "residents": residents.get(h.id, 0), "uninsured": uninsured.get(h.id, 0), "last_visit": latest.get(h.id)}
            for h in Household.objects.filter(village=village).order_by("code")]
    return sorted(rows, key=lambda r: (r["uninsured"] == 0, -r["uninsured"], r["code"]))


def to_visit(row: dict) -> bool:
    """A household of the work list: someone to insure and no final outcome yet, or a follow-up set."""
    last = row["last_visit"]
    if last and last["follow_up"]:
        return True
    return row["uninsured"] > 0 and (last is None or last["outcome"] not in FINAL_OUTCOMES)


def _card_state(card: dict | None, on: dt.date) -> tuple[str, dt.date | None]:
    if card is None:
        return "none", None
    if card["valid_from"] <= on <= card["valid_to"]:
        return ("expiring" if card["valid_to"] <= on + dt.timedelta(days=EXPIRING_DAYS) else "valid"), card["valid_to"]
    return ("lapsed", card["valid_to"]) if card["valid_to"] < on else ("future", card["valid_from"])


def household_detail(household: Household, *, on: dt.date) -> dict:
    """Members with their card and what they may hold, the premium of those the household pays for,
    and the visits so far."""
    members = list(_residents().filter(household=household).order_by("dob_year", "id"))
    cards: dict[int, dict] = {}
    for c in (Card.objects.filter(link__person__in=members).order_by("valid_to")
              .values("link__person_id", "card_number", "group_code", "valid_from", "valid_to")):
        held = cards.get(c["link__person_id"])
        if held is None or not (held["valid_from"] <= on <= held["valid_to"]):
            cards[c["link__person_id"]] = c  # the valid one, else the latest
    certificates = [Period(kind, start, end) for kind, start, end in HouseholdCertificate.objects.filter(
        household=household).values_list("kind", "valid_from", "valid_to")]
    statuses = [Period(kind, start, end) for kind, start, end in AreaStatus.objects.filter(
        commune_id=household.commune_id).values_list("status", "effective_from", "effective_to")]
    rows, to_pay, paying = [], [], 0
    for p in members:
        card = cards.get(p.id)
        state, until = _card_state(card, on)
        right = entitlement(on=on, dob_year=p.dob_year, dob_month=p.dob_month, dob_day=p.dob_day,
                            ethnicity=p.ethnicity, certificates=certificates, commune_statuses=statuses)
        if state in ("valid", "expiring") and card["group_code"] == "GD":
            paying += 1
        elif state not in ("valid", "expiring") and not right.state_paid:
            to_pay.append(Member(right.group, right.categories))
        rows.append({"person": p, "age": age_on(p.dob_year, p.dob_month, p.dob_day, on), "card": card,
                     "state": state, "until": until, "entitlement": right})
    premium = household_premium(on, to_pay, already_paying=paying) if to_pay else None
    visits = list(Visit.objects.filter(household=household).order_by("-visited_at")
                  .select_related("officer").prefetch_related("members__person")[:20])
    return {"members": rows, "premium": premium, "visits": visits}



def manager_communes(user):
    """The communes whose refused visits a manager follows: the agency unit's, else the user's area's."""
    profile = getattr(user, "profile", None)
    if getattr(profile, "role", None) not in (Role.UNIT_MANAGER, Role.PROVINCE):
        raise EverydoorError(ErrorCode.FORBIDDEN, "refused visits are for unit managers and the province")
    if profile.agency_unit_id:
        return profile.agency_unit.communes.all()
    return communes_in(user_area(user))


def refused_visits(communes) -> list[RefusedVisit]:
    """Visits the server refused from the phones, in these communes, latest first."""
    return list(RefusedVisit.objects.filter(commune__in=communes).order_by("-last_at")
                .select_related("officer", "household", "commune")[:500])
