"""The progress page: a node of the campaign (the user's own, or one named in the URL) against its target,
the funnel from the door to the card, refusals, follow-ups, and its children one click down.

Reads campaign.progress.progress_report only (never the registers); the scope decides what may be seen.
"""

import datetime as dt

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from everydoor.accounts import scope as scoping
from everydoor.campaign.progress import REASONS, progress_report
from everydoor.core.dates import parse_iso, today
from everydoor.core.errors import ErrorCode, EverydoorError
from everydoor.web import svg
from everydoor.web.subjects import (
    campaign_dates,
    officers_visible,
    page_url,
    subject_get,
    subject_name,
    trail,
)

REASON_LABELS = {"cost": gettext_lazy("Cost"), "no_benefit": gettext_lazy("Sees no benefit"),
                 "distrust": gettext_lazy("Distrust"), "other": gettext_lazy("Other reason")}


def _as_of(request) -> dt.date:
    asked = request.GET.get("as_of")
    return parse_iso(asked, field="as_of") if asked else today()


def _expected(target: int, campaign: dict, on: dt.date) -> int:
    """Cards the node should have gained by `on` if it gains them evenly from the baseline to the due date."""
    days = (campaign["due"] - campaign["baseline_date"]).days
    if days <= 0:
        return target
    return round(target * min(max((on - campaign["baseline_date"]).days / days, 0), 1))


@login_required
def page(request, kind: str | None = None, key: str = ""):
    """The user's own part of the campaign, or the area, agency unit or officer the URL names (kind, key)."""
    scope = scoping.scope_for(request.user)
    subject = subject_get(scope, kind, key)
    on = _as_of(request)
    query = {"as_of": on.isoformat()} if request.GET.get("as_of") else None
    context = {"name": subject_name(subject), "subject": subject, "as_of": on,
               "trail": trail(scope, subject, "progress", query), "manages": scope.manages,
               "is_officer": "officer" in subject}
    try:
        report = progress_report(**subject, as_of=on, max_age=settings.EVERYDOOR_PROGRESS_MAX_AGE_S)
    except EverydoorError as exc:
        if exc.code != ErrorCode.NOT_FOUND:  # no coverage facts yet, a bad date: the error page says which
            raise
        return render(request, "web/progress.html", {**context, "campaign": None})
    node, campaign = report["progress"], campaign_dates(report["campaign"])
    context.update(campaign=campaign, node=node, facts_date=dt.date.fromisoformat(report["facts_date"]),
                   computed_at=dt.datetime.fromisoformat(report["computed_at"]),
                   percent=_percent(node), rows=_rows(scope, node, subject, query),
                   bar_svg=svg.target_bar(node["cards_gained"], node["target"],
                                          _expected(node["target"], campaign, on)),
                   funnel_svg=svg.funnel([(_("Households reached"), node["households_reached"], None),
                                          (_("Residents who promised"), node["promised"], None),
                                          (_("Residents enrolled"), node["enrolled"], node["promised"]),
                                          (_("Confirmed by a card"), node["confirmed"], node["enrolled"])]),
                   refusals=[(REASON_LABELS[r], node[f"refused_{r}"]) for r in REASONS],
                   refused=sum(node[f"refused_{r}"] for r in REASONS))
    return render(request, "web/progress.html", context)


def _percent(row: dict) -> float | None:
    return 100 * row["cards_gained"] / row["target"] if row["target"] else None


def _rows(scope, node: dict, subject: dict, query: dict | None) -> list[dict]:
    """The node's children, each with the link one level down when the user may open it, and what no
    child holds (households or cards without a village) as a row of its own, so the table adds up."""
    children = node.get("children", [])
    may_open = officers_visible(scope, [c["officer"] for c in children if c["level"] == "officer"])
    rows = []
    for child in children:
        officer = child.get("officer", "")
        opens = child["level"] != "officer" or (officer in may_open and "officer" not in subject)
        rows.append({**child, "percent": _percent(child),
                     "label": child["village"] if "officer" in subject else child["name"],
                     "url": page_url("progress", level=child["level"], code=child.get("code", ""), officer=officer,
                                     query=query) if opens else None})
    outside = node.get("outside_children", {})
    if outside or node.get("cards_gained_outside_children"):
        rows.append({"label": _("Outside the villages (households or cards without a village)"), "target": 0,
                     "cards_gained": node.get("cards_gained_outside_children", 0), "percent": None,
                     "url": None, "outside": True,
                     **{k: outside.get(k, 0) for k in ("visits", "households_reached", "enrolled",
                                                        "follow_ups_overdue")}})
    return rows
