"""The targets page: a node of the campaign and its children's targets; managers set, lock and unlock the
targets their scope holds, the province allocates its goal. Thin: the scope decides who may see and
change what (accounts.scope), the campaign's services write and audit (campaign.targets).

A target outside what the user manages is a 404, like the review queue's decisions: commune chairmen
and officers read the page and get no forms.
"""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from everydoor.accounts import scope as scoping
from everydoor.campaign.selectors import target_nodes, target_row, targets_show
from everydoor.campaign.targets import target_lock, target_set, targets_allocate
from everydoor.core.dates import parse_iso, today
from everydoor.core.errors import ErrorCode, EverydoorError
from everydoor.geo.models import AdminUnit
from everydoor.web.subjects import (
    campaign_dates,
    officers_visible,
    page_url,
    subject_get,
    subject_name,
    trail,
)

DEFAULT_GOAL_RATE = "0.965"
# where a form may send the user back to: the targets pages only (no open redirect)
BACK_ROUTES = {"targets", "targets_area", "targets_unit", "targets_officer"}
# what a refused write says: the service's reason (locks that do not fit, no coverage facts yet, a bad rate)
REFUSALS = (ErrorCode.INVALID_INPUT, ErrorCode.NOT_IMPORTED)


def _allocates(scope, subject: dict) -> bool:
    """The province's own page carries the allocation form, for province users."""
    area = subject.get("area")
    return (scope.is_province and isinstance(area, AdminUnit) and area.level == AdminUnit.Level.PROVINCE
            and area.pk == scope.area.pk)


@login_required
def page(request, kind: str | None = None, key: str = ""):
    """The user's own part of the campaign, or the area, agency unit or officer the URL names (kind, key)."""
    scope = scoping.scope_for(request.user)
    subject = subject_get(scope, kind, key)
    context = {"name": subject_name(subject), "subject": subject, "trail": trail(scope, subject, "targets"),
               "manages": scope.manages, "is_officer": "officer" in subject, "back": request.get_full_path()}
    try:
        shown = targets_show(**subject)
    except EverydoorError as exc:
        if exc.code != ErrorCode.NOT_FOUND:
            raise
        shown = None
    if _allocates(scope, subject):
        campaign = shown["campaign"] if shown else {}
        context["allocate"] = {"goal_rate": campaign.get("goal_rate", DEFAULT_GOAL_RATE),
                               "due": campaign.get("due") or dt.date(today().year, 12, 31).isoformat(),
                               "decision": campaign.get("decision", "")}
    if shown is None:
        return render(request, "web/targets.html", {**context, "campaign": None})
    children = shown["children"]
    editable = set(scoping.targets_managed(scope).filter(id__in=[c["id"] for c in children])
                   .values_list("id", flat=True))
    may_open = officers_visible(scope, [c["officer"] for c in children if c["level"] == "officer"])
    for child in children:
        child["editable"] = child["id"] in editable
        child["label"] = child["village"] if "officer" in subject else child["name"]
        opens = child["level"] != "officer" or (child["officer"] in may_open and "officer" not in subject)
        child["url"] = page_url("targets", level=child["level"], code=child["code"],
                                officer=child.get("officer", "")) if opens else None
    context.update(campaign=campaign_dates(shown["campaign"]), node=shown["target"], rows=children,
                   children_sum=sum(c["value"] for c in children),
                   locked=sum(1 for c in children if c["locked"]), any_editable=bool(editable))
    return render(request, "web/targets.html", context)


def _managed(request, target_id: int):
    """The target if the user manages it (its scope holds it), else NOT_FOUND: a 404, never a hint."""
    scope = scoping.scope_for(request.user)
    target = (scoping.targets_managed(scope).filter(pk=target_id)
              .select_related("campaign", "area", "agency_unit", "officer__profile").first())
    if target is None:
        raise scoping.not_found()
    return target


def _label(target) -> str:
    row = target_row(target)
    return f"{row['name']} ({row['village']})" if "village" in row else row["name"]


def _n(value: int) -> str:
    return number_format(value, 0, force_grouping=True)


def _back(request):
    """Back to the targets page the form was on (only a targets page), else the user's own."""
    path = request.POST.get("next", "")
    try:
        if path.startswith("/") and not path.startswith("//") and resolve(path.split("?")[0]).url_name in BACK_ROUTES:
            return redirect(path)
    except Resolver404:
        pass
    return redirect(reverse("targets"))


@login_required
@require_POST
def target_set_view(request, target_id: int):
    target = _managed(request, target_id)
    name = _label(target)
    try:
        value = int(request.POST.get("value", "").strip())
    except ValueError:
        messages.error(request, _("Target of %(name)s not changed: a target is a whole number of cards.")
                       % {"name": name})
        return _back(request)
    try:
        result = target_set(target, value=value, actor=request.user.get_username(), user=request.user)
    except EverydoorError as exc:
        if exc.code not in REFUSALS:
            raise
        messages.error(request, _("Target of %(name)s not changed: %(why)s") % {"name": name, "why": exc.message})
    else:
        text = _("Target of %(name)s: %(old)s → %(new)s cards, locked.") % {
            "name": name, "old": _n(result["old"]), "new": _n(result["new"])}
        if result["others_changed"]:
            text += " " + _("%(n)s other targets were spread again so that they still add up.") % {
                "n": _n(result["others_changed"])}
        messages.success(request, text)
    return _back(request)


@login_required
@require_POST
def target_lock_view(request, target_id: int, locked: bool):
    target = _managed(request, target_id)
    result = target_lock(target, locked=locked, actor=request.user.get_username(), user=request.user)
    text = (_("Target of %(name)s (%(value)s cards): unlocked → locked; a new allocation keeps it.") if locked
            else _("Target of %(name)s (%(value)s cards): locked → unlocked; a new spread may change it."))
    messages.success(request, text % {"name": _label(target), "value": _n(result["value"])})
    return _back(request)


@login_required
@require_POST
def targets_allocate_view(request):
    scope = scoping.scope_for(request.user)
    if not _allocates(scope, {"area": scope.area}):
        raise scoping.not_found()
    province = scope.area
    try:
        due = parse_iso(request.POST.get("due", ""), field="due")
        goal_rate = request.POST.get("goal_rate", "").strip().replace(",", ".")
        try:
            old = target_nodes(area=province, due=due)[0].value
        except EverydoorError:
            old = None
        result = targets_allocate(area=province, goal_rate=goal_rate, due=due,
                                  decision=request.POST.get("decision", "").strip(),
                                  actor=request.user.get_username(), user=request.user)
    except EverydoorError as exc:
        if exc.code not in REFUSALS:
            raise
        messages.error(request, _("Targets not allocated: %(why)s") % {"why": exc.message})
    else:
        text = _("Targets of %(area)s by %(due)s allocated: %(old)s → %(new)s cards; %(kept)s locked targets kept.")
        messages.success(request, text % {"area": province.name, "due": date_format(due, "SHORT_DATE_FORMAT"),
                                          "old": _n(old) if old is not None else "–", "new": _n(result["target"]),
                                          "kept": _n(result["locked_kept"])})
    return redirect(reverse("targets"))
