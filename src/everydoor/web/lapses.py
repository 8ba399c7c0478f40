"""The lapse page: how many cards lapse before the year ends in an area, where and why, and where the year
will end against the plan. For the province, agency unit managers and commune chairmen, each in their own
area. Reads the area's LapseDigest only (computed by `everydoor lapses prepare`), never the registers.
"""

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy

from everydoor.accounts import scope as scoping
from everydoor.accounts.models import Role
from everydoor.campaign.models import AgencyUnit
from everydoor.coverage import columnar
from everydoor.geo.models import AdminUnit
from everydoor.lapses.models import LapseDigest
from everydoor.web.subjects import trail

ROLES = (Role.PROVINCE, Role.UNIT_MANAGER, Role.COMMUNE_CHAIR)
REASONS = {
    "card_ends": gettext_lazy("The card ends, no renewal known"),
    "turns_6": gettext_lazy("Turns 6: the under-6 card ends"),
    "certificate_ends": gettext_lazy("The household's poor or near-poor certificate ends"),
    "commune_leaves_list": gettext_lazy("The commune leaves the especially-difficult list"),
    "declassified_support_ends": gettext_lazy("The 36 months of support after leaving the list end"),
}
PAYERS = {
    "state_budget": gettext_lazy("State budget"),
    "budget_supported": gettext_lazy("Household, supported by the state budget"),
    "household": gettext_lazy("Household"),
    "employer_employee": gettext_lazy("Employer and employee"),
    "si_fund": gettext_lazy("Social insurance fund"),
}


def _area(scope, kind: str | None, key: str):
    if scope.role not in ROLES:
        raise scoping.not_found()
    if kind == "unit":
        return scoping.agency_unit_get(scope, key)
    area = scoping.area_get(scope, key) if kind == "area" else scoping.home_area(scope)
    if area is None or (isinstance(area, AdminUnit) and area.level == AdminUnit.Level.VILLAGE):
        raise scoping.not_found()
    return area


def _children(scope, area, summary: dict) -> tuple[str, list[dict]]:
    """The communes of a province or agency unit (each linked to its own page), or a commune's villages."""
    if isinstance(area, AdminUnit) and area.level == AdminUnit.Level.COMMUNE:
        return "village", [{**row, "label": row["village"]} for row in summary["by_village"]]
    rows = []
    for row in summary["by_commune"]:
        url = reverse("lapses_area", args=[row["commune_code"]]) if row["commune_id"] in scope.commune_ids else None
        rows.append({**row, "label": row["commune"], "url": url})
    return "commune", rows


@login_required
def page(request, kind: str | None = None, key: str = ""):
    scope = scoping.scope_for(request.user)
    area = _area(scope, kind, key)
    level = "agency_unit" if isinstance(area, AgencyUnit) else area.level
    digest = LapseDigest.objects.filter(level=level, area_code=area.code).first()
    context = {"name": area.name, "digest": digest, "trail": trail(scope, {"area": area}, "lapses")}
    if digest is not None:
        summary, forecast = digest.summary, digest.forecast or {}
        child_level, children = _children(scope, area, summary)
        context |= {
            "total": summary["total"],
            "reasons": [{**r, "label": REASONS.get(r["reason"], r["reason"])} for r in summary["by_reason"]],
            "payers": [{**r, "label": PAYERS.get(r["payer_group"], r["payer_group"])}
                       for r in summary["by_payer_group"]],
            "child_level": child_level, "children": children,
            "forecast": forecast, "at": dt.date.fromisoformat(forecast["at"]) if forecast else None,
            "plan": forecast.get("plan"),
            "stale": digest.version != columnar.version_key(),
        }
    return render(request, "web/lapses.html", context)
