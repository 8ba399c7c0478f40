"""Area pages: the dashboard of a province, agency unit, commune or village, and a household's page.

Thin: the scope decides what may be seen (accounts.scope), stored coverage facts give the figures
(coverage.stored: nothing is computed over the registers while the user waits), and the page says
which date the figures are of. Every URL carries its area and date, so it can be shared.
"""

import datetime as dt
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from everydoor.accounts import scope as scoping
from everydoor.accounts.models import Role
from everydoor.accounts.services import audit_record
from everydoor.campaign.models import AgencyUnit
from everydoor.core.errors import ErrorCode, EverydoorError
from everydoor.core.versions import data_version
from everydoor.coverage import stored
from everydoor.coverage.change import PARTS
from everydoor.coverage.digest import change_parts
from everydoor.coverage.report import PART_LABELS
from everydoor.geo.models import AdminUnit
from everydoor.registry.households import household_members, village_households
from everydoor.web import svg
from everydoor.web.boundaries import commune_boundaries
from everydoor.web.masking import mask_id

# format, language, label: the labels name the language in itself, the same in both interfaces
REPORT_LINKS = (("xlsx", "vi", "XLSX · Tiếng Việt"), ("pdf", "vi", "PDF · Tiếng Việt"),
                ("xlsx", "en", "XLSX · English"), ("pdf", "en", "PDF · English"))
BODY_SECONDS = 3600  # a drawn page body is kept this long at most, though its key changes with every new version


def _as_of(request, dates: list[dt.date]) -> dt.date | None:
    """The date asked for (one coverage was computed for), else the latest."""
    asked = request.GET.get("as_of")
    if not asked:
        return dates[0] if dates else None
    try:
        day = dt.date.fromisoformat(asked)
    except ValueError:
        raise EverydoorError(ErrorCode.INVALID_INPUT, _("as_of must be a date YYYY-MM-DD")) from None
    if day not in dates:
        raise EverydoorError(ErrorCode.INVALID_INPUT, _("No coverage was computed for %(day)s; computed: %(dates)s")
                             % {"day": day.isoformat(), "dates": ", ".join(d.isoformat() for d in dates)})
    return day


def _url(name: str, code: str, as_of: dt.date | None) -> str:
    return reverse(name, args=[code]) + (f"?{urlencode({'as_of': as_of.isoformat()})}" if as_of else "")


@login_required
def home(request):
    scope = scoping.scope_for(request.user)
    if scope.role == Role.CLINIC:
        return redirect("lookup")
    area = scoping.home_area(scope)
    if area is None:
        return render(request, "web/no_area.html", status=200)
    return _dashboard(request, scope, area)


@login_required
def area_page(request, code: str):
    scope = scoping.scope_for(request.user)
    return _dashboard(request, scope, scoping.area_get(scope, code))


@login_required
def unit_page(request, code: str):
    scope = scoping.scope_for(request.user)
    return _dashboard(request, scope, scoping.agency_unit_get(scope, code))


def _trail(scope, area, as_of) -> list[dict]:
    """Province -> agency unit -> commune -> village: the levels above the area the user may open."""
    trail = []
    province = commune = None
    if isinstance(area, AgencyUnit):
        province = area.province
    elif area.level == AdminUnit.Level.COMMUNE:
        province, commune = area.parent, area
    elif area.level == AdminUnit.Level.VILLAGE:
        commune = area.parent
        province = commune.parent if commune else None
    if province is not None and scope.is_province:
        trail.append({"name": province.name, "url": _url("area", province.code, as_of)})
    if commune is not None:
        unit = scoping.agency_units(scope).filter(communes=commune).first()
        if unit is not None:
            trail.append({"name": unit.name, "url": _url("unit", unit.code, as_of)})
        if area.level == AdminUnit.Level.VILLAGE and commune.id in scope.commune_ids:
            trail.append({"name": commune.name, "url": _url("area", commune.code, as_of)})
    return trail


def _dashboard(request, scope, area):
    dates, version = stored.fact_dates(scope.province_code)
    as_of = _as_of(request, dates)
    level = stored.level_of(area)
    # The page's body is drawn once per version of what it shows (the coverage facts; a village's households
    # also the registers), area, date, language and what the scope lets its user see: two users of one area
    # see the same page, and a reload costs the few reads above (the header, with its CSRF token, is per request).
    registers = data_version() if level == "village" else ""
    key = ":".join(str(part) for part in (
        "web:area", version, registers, type(area).__name__, area.pk, as_of, get_language(), scope.role,
        hash(scope.commune_ids), hash(scope.village_ids)))
    body = cache.get(key)
    if body is None:
        body = render_to_string("web/_area.html", _dashboard_context(scope, area, level, as_of, dates), request)
        cache.set(key, body, BODY_SECONDS)
    return render(request, "web/area.html", {"area": area, "body": body})


def _dashboard_context(scope, area, level: str, as_of: dt.date | None, dates: list[dt.date]) -> dict:
    context = {"area": area, "level": level, "as_of": as_of, "dates": dates, "trail": _trail(scope, area, as_of),
               "sees_ids": scope.sees_ids, "may_report": scope.manages and level != "village",
               "report_links": REPORT_LINKS}
    if as_of is None:
        return context
    facts = stored.area_facts(area, as_of, dates)
    context.update(facts=facts, figures=facts["now"], trend_svg=svg.trend(facts["trend"]),
                   waterfall_svg=_waterfall(area, level, as_of, facts))
    if level in ("province", "agency_unit"):
        rows = _commune_rows(scope, area, level, as_of)
        context.update(communes=rows, lagging=stored.lagging(rows),
                       map_svg=svg.province_map(rows, commune_boundaries([r["code"] for r in rows])))
        if level == "province":
            context["units"] = _unit_rows(scope, as_of)
    elif level == "commune":
        rows = _village_rows(scope, area, as_of)
        context.update(villages=rows, lagging=stored.lagging(rows))
    else:
        households = village_households(scoping.households(scope).filter(village=area), on=as_of)
        for row in households:
            row["url"] = reverse("household", args=[row["id"]]) + f"?{urlencode({'as_of': as_of.isoformat()})}"
        context["households"] = households
    return context


def _commune_rows(scope, area, level: str, as_of: dt.date) -> list[dict]:
    communes = scoping.communes(scope)
    if level == "agency_unit":
        communes = communes.filter(agency_units=area)
    places = {c["code"]: c for c in communes.values("code", "name", "lat", "lon")}
    rows = stored.children("commune", {code: c["name"] for code, c in places.items()}, as_of)
    for row in rows:
        row.update(url=_url("area", row["code"], as_of), lat=places[row["code"]]["lat"], lon=places[row["code"]]["lon"])
    return rows


def _unit_rows(scope, as_of: dt.date) -> list[dict]:
    rows = stored.children("agency_unit", dict(scoping.agency_units(scope).values_list("code", "name")), as_of)
    for row in rows:
        row["url"] = _url("unit", row["code"], as_of)
    return rows


def _village_rows(scope, area, as_of: dt.date) -> list[dict]:
    rows = stored.children("village", dict(scoping.villages(scope).filter(parent=area).values_list("code", "name")),
                           as_of)
    for row in rows:
        row["url"] = _url("area", row["code"], as_of)
    return rows


def _waterfall(area, level: str, as_of: dt.date, facts: dict):
    """The change on the year by part, as materialised when coverage was computed (None when it was not)."""
    if level == "village" or not facts["now"] or not facts["before"]:
        return None
    parts = change_parts(level, area.code, as_of)
    if not parts:
        return None
    labels = PART_LABELS.get(get_language()[:2], PART_LABELS["vi"])
    ordered = [(labels[p], parts[p]) for p in PARTS if parts.get(p)]
    start = _("Valid cards on %(day)s") % {"day": date_format(facts["before_date"], "SHORT_DATE_FORMAT")}
    end = _("Valid cards on %(day)s") % {"day": date_format(as_of, "SHORT_DATE_FORMAT")}
    return svg.waterfall(facts["before"]["cards"], ordered, facts["now"]["cards"], start, end)


@login_required
def household_page(request, household_id: int):
    scope = scoping.scope_for(request.user)
    household = scoping.household_get(scope, household_id)
    dates, _version = stored.fact_dates(scope.province_code)
    from everydoor.core.dates import today

    on = _as_of(request, dates) if request.GET.get("as_of") else today()
    members = household_members(household, on=on)
    for member in members:
        member["shown_id"] = member["personal_id"] if scope.sees_ids else mask_id(member["personal_id"])
    # residents' personal data: every look-up is audited
    audit_record(actor=request.user.get_username(), user=request.user, action="lookup", object_type="household",
                 object_id=household.code, area_code=(household.village or household.commune).code,
                 detail={"members": [m["id"] for m in members], "on": on.isoformat()})
    village = household.village
    trail = _trail(scope, village or household.commune, on if on in dates else None)
    if village is not None:
        trail.append({"name": village.name, "url": _url("area", village.code, on if on in dates else None)})
    return render(request, "web/household.html", {"household": household, "members": members, "on": on,
                                                  "trail": trail})
