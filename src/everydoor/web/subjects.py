"""What the targets and progress pages share: the part of the campaign a URL names, the levels above it
the user may open, and the URL of each child one click down.

A page names an area or agency unit by code, an officer by username; without a name it shows the user's
own part (accounts.scope.campaign_subject). The scope decides what may be seen: anything else is a 404.
"""

import datetime as dt
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.formats import number_format

from everydoor.accounts import scope as scoping
from everydoor.campaign.models import AgencyUnit
from everydoor.geo.models import AdminUnit

KINDS = {"area": "area_code", "unit": "unit_code", "officer": "username"}


def subject_get(scope, kind: str | None = None, key: str = "") -> dict:
    """The subject named by the URL (kind: area, unit or officer), else the user's own; NOT_FOUND outside."""
    if kind is None:
        subject = scoping.campaign_subject(scope)
        if subject is None:
            raise scoping.not_found()
        return subject
    return scoping.campaign_subject_get(scope, **{KINDS[kind]: key})


def campaign_dates(row: dict) -> dict:
    """The campaign as the selectors give it, with its dates as dates (the templates format them per
    language) and its goal as a percentage in the language's format."""
    return {**row, **{k: dt.date.fromisoformat(row[k]) for k in ("due", "baseline_date")},
            "goal_percent": number_format(100 * row["goal_rate"], 1) + "%"}


def subject_name(subject: dict) -> str:
    officer = subject.get("officer")
    if officer is None:
        return subject["area"].name
    profile = getattr(officer, "profile", None)
    return (profile.full_name if profile else "") or officer.username


def page_url(page: str, *, level: str, code: str = "", officer: str = "", query: dict | None = None) -> str:
    """/targets/… or /progress/… of one node (page: "targets" or "progress")."""
    if level == "officer":
        url = reverse(f"{page}_officer", args=[officer])
    elif level == "agency_unit":
        url = reverse(f"{page}_unit", args=[code])
    else:
        url = reverse(f"{page}_area", args=[code])
    return url + (f"?{urlencode(query)}" if query else "")


def officers_visible(scope, usernames) -> set[str]:
    """Which of these officers the user may open (one query): a village's officers are listed to its
    commune chairman, whose own page stops there."""
    if not usernames:
        return set()
    officers = get_user_model().objects.filter(username__in=set(usernames)).select_related("profile")
    return {o.username for o in officers if scoping.subject_visible(scope, officer=o)}


def trail(scope, subject: dict, page: str, query: dict | None = None) -> list[dict]:
    """Province -> agency unit -> commune: the levels above the subject the user may open."""
    area, officer = subject.get("area"), subject.get("officer")
    province = unit = commune = None
    if officer is not None:
        profile = getattr(officer, "profile", None)
        unit = getattr(profile, "agency_unit", None)
        province = unit.province if unit is not None else None
    elif isinstance(area, AgencyUnit):
        province = area.province
    elif area.level in (AdminUnit.Level.COMMUNE, AdminUnit.Level.VILLAGE):
        commune = area if area.level == AdminUnit.Level.COMMUNE else area.parent
        province = AdminUnit.objects.filter(level=AdminUnit.Level.PROVINCE,
                                            province_code=commune.province_code).first()
        unit = AgencyUnit.objects.filter(communes=commune).order_by("code").first()
        if area.level == AdminUnit.Level.COMMUNE:
            commune = None
    steps = []
    for place in (province, unit, commune):
        if place is not None and scoping.subject_visible(scope, area=place):
            level = "agency_unit" if isinstance(place, AgencyUnit) else place.level
            steps.append({"name": place.name, "url": page_url(page, level=level, code=place.code, query=query)})
    return steps
