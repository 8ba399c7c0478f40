"""Reads for the officer's phone: the day, a village's work list, one household, the refusals.

The work list itself is the campaign's (campaign.worklist): who lacks a card and why, the entitlements,
the household premium, the visiting order. A phone downloading a village asks for one page per
household, so the village's list is kept in the cache for a few minutes, keyed by what changes it
(visits in the village, imports, link runs, field reviews): a new visit is on the next page at once.

Every read is scoped: an officer reaches only the villages assigned to them on the day
(campaign.selectors.officer_villages); anything else is NOT_FOUND, as if it did not exist.
"""

import datetime as dt

from django.core.cache import cache
from django.db.models import Count, Max

from everydoor.accounts.models import Role
from everydoor.accounts.selectors import user_area
from everydoor.campaign.models import FieldReview, Visit
from everydoor.campaign.progress import progress_report
from everydoor.campaign.selectors import officer_villages
from everydoor.campaign.worklist import worklist, worklist_scope
from everydoor.core.errors import ErrorCode, EverydoorError
from everydoor.field.models import RefusedVisit
from everydoor.geo.models import AdminUnit
from everydoor.geo.selectors import communes_in
from everydoor.linkage.models import Link
from everydoor.registry.models import Household, ImportBatch, Person

CACHE_SECONDS = 600  # bounds how stale a list can be if something the key misses changes it


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


def _version(village: AdminUnit) -> str:
    """What a village's work list depends on beyond the date: its visits, the registers, links, reviews."""
    visits = Visit.objects.filter(household__village=village).aggregate(n=Count("id"), last=Max("id"))
    batch = ImportBatch.objects.aggregate(last=Max("id"))["last"]
    link = Link.objects.aggregate(last=Max("id"))["last"]
    review = FieldReview.objects.aggregate(last=Max("decided_at"))["last"]
    return f"{visits['n']}.{visits['last']}.{batch}.{link}.{review.isoformat() if review else ''}"


def village_worklist(village: AdminUnit, *, on: dt.date, lang: str = "vi") -> dict:
    """The campaign's work list of one village ({code, name, households: [...], uninsured, expiring})."""
    key = f"everydoor:field:worklist:{village.id}:{on.isoformat()}:{lang}:{_version(village)}"
    found = cache.get(key)
    if found is None:
        found = worklist(scope=worklist_scope(village=village, on=on), as_of=on, lang=lang)["villages"][0]
        cache.set(key, found, CACHE_SECONDS)
    return found


def officer_day(officer, *, on: dt.date, lang: str = "vi") -> dict:
    """My day: follow-ups due, my villages with the households left to visit, my visits against my target."""
    villages = list(officer_villages(officer, on=on).select_related("parent").order_by("name"))
    households = dict(Household.objects.filter(village__in=villages).values_list("village_id")
                      .annotate(n=Count("id")))
    rows, follow_ups = [], []
    for village in villages:
        listed = village_worklist(village, on=on, lang=lang)["households"]
        rows.append({"village": village, "households": households.get(village.id, 0), "left": len(listed)})
        follow_ups += [{"household_id": h["household_id"], "code": h["code"], "village": village.name,
                        "follow_up": h["follow_up"], "overdue": h["follow_up"] < on}
                       for h in listed if h["follow_up_due"]]
    return {"follow_ups": sorted(follow_ups, key=lambda f: (f["follow_up"], f["code"])), "villages": rows,
            "progress": officer_progress(officer, on=on)}


def officer_progress(officer, *, on: dt.date) -> dict | None:
    """The campaign's progress of the officer (campaign.progress): target, visits, households reached,
    promised, enrolled, confirmed, cards gained; None before a target is set or coverage has run."""
    try:
        return progress_report(officer=officer, as_of=on)["progress"]
    except EverydoorError as error:
        if error.code in (ErrorCode.NOT_FOUND, ErrorCode.NOT_IMPORTED):
            return None
        raise


def household_page(household: Household, *, on: dt.date, lang: str = "vi") -> dict:
    """The household's row of its village's work list (None when it is not on it: everyone insured, or
    settled), the residents to tick on the visit form, and the visits so far."""
    listed = village_worklist(household.village, on=on, lang=lang)["households"]
    row = next((h for h in listed if h["household_id"] == household.id), None)
    if row is not None:
        residents = [{"id": m["person_id"], "name": m["name"]} for m in row["members"]]
    else:
        residents = [{"id": i, "name": n} for i, n in Person.objects.filter(
            household=household, status=Person.Status.RESIDENT, present=True).order_by("dob_year", "id")
            .values_list("id", "full_name")]
    visits = list(Visit.objects.filter(household=household).order_by("-visited_at")
                  .select_related("officer")[:20])
    return {"row": row, "residents": residents, "visits": visits}


def manager_communes(user):
    """The communes whose refused visits a manager follows: the agency unit's, else the user's area's."""
    profile = getattr(user, "profile", None)
    if getattr(profile, "role", None) not in (Role.UNIT_MANAGER, Role.PROVINCE):
        raise EverydoorError(ErrorCode.NOT_FOUND, "refused visits are for unit managers and the province")
    if profile.agency_unit_id:
        return profile.agency_unit.communes.all()
    return communes_in(user_area(user))


def refused_visits(communes) -> list[RefusedVisit]:
    """Visits the server refused from the phones, in these communes, latest first."""
    return list(RefusedVisit.objects.filter(commune__in=communes).order_by("-last_at")
                .select_related("officer", "household", "commune")[:500])
