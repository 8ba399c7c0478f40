"""Reads of the campaign domain: which villages an officer works, and who works a village."""

import datetime as dt

from django.db.models import Q, QuerySet

from everydoor.campaign.models import OfficerAssignment
from everydoor.geo.models import AdminUnit


def _current(on: dt.date) -> Q:
    return Q(valid_from__lte=on) & (Q(valid_to__isnull=True) | Q(valid_to__gte=on))


def officer_villages(officer, *, on: dt.date) -> QuerySet[AdminUnit]:
    """The villages assigned to an officer on a date."""
    villages = OfficerAssignment.objects.filter(_current(on), officer=officer).values("village_id")
    return AdminUnit.objects.filter(id__in=villages)


def village_officers(village: AdminUnit, *, on: dt.date) -> list[int]:
    """Ids of the officers assigned to a village on a date."""
    return list(OfficerAssignment.objects.filter(_current(on), village=village)
                .order_by("officer_id").values_list("officer_id", flat=True).distinct())


# --- targets --------------------------------------------------------------------------------------

def _campaigns(due: dt.date | None):
    from everydoor.campaign.models import Campaign

    campaigns = Campaign.objects.order_by("-due", "-pk")
    return campaigns.filter(due=due) if due else campaigns


def target_nodes(*, area=None, officer=None, village=None, due: dt.date | None = None) -> list:
    """The targets of a subject in its latest campaign (or the one due on `due`): an administrative
    unit's or agency unit's one node, or an officer's one node per village (one village with `village`)."""
    from everydoor.campaign.models import AgencyUnit, Target
    from everydoor.core.errors import ErrorCode, EverydoorError

    if officer is not None:
        found = Target.objects.filter(level=Target.Level.OFFICER, officer=officer)
        if village is not None:
            found = found.filter(area=village)
        label = f"officer {officer.username}" + (f" in {village.name}" if village is not None else "")
    elif isinstance(area, AgencyUnit):
        found, label = Target.objects.filter(level=Target.Level.AGENCY_UNIT, agency_unit=area), area.name
    else:
        found, label = Target.objects.filter(level=area.level, area=area), area.name
    for campaign in _campaigns(due):
        nodes = list(found.filter(campaign=campaign).select_related("campaign", "area", "agency_unit", "officer")
                     .order_by("area__name", "pk"))
        if nodes:
            return nodes
    raise EverydoorError(ErrorCode.NOT_FOUND,
                         f"no target for {label}" + (f" in a campaign due {due.isoformat()}" if due else "")
                         + ": allocate one with `everydoor targets allocate`")


def target_one(*, area=None, officer=None, village=None, due: dt.date | None = None):
    """One node to set, lock or unlock; an officer working several villages must name one."""
    from everydoor.core.errors import ErrorCode, EverydoorError

    nodes = target_nodes(area=area, officer=officer, village=village, due=due)
    if len(nodes) > 1:
        villages = ", ".join(n.area.name for n in nodes[:8])
        raise EverydoorError(ErrorCode.AMBIGUOUS,
                             f"{officer.username} has targets in {len(nodes)} villages ({villages}): name one with --village")
    return nodes[0]


def target_row(target) -> dict:
    """One node as the CLI, the API and the pages show it."""
    row = {"id": target.pk, "level": target.level, "value": target.value, "uninsured": target.uninsured,
           "weight": round(target.weight, 3), "baseline_cards": target.baseline_cards, "locked": target.locked,
           "set_by": target.set_by, "set_at": target.set_at.isoformat()}
    if target.level == target.Level.OFFICER:
        profile = getattr(target.officer, "profile", None)
        row.update(officer=target.officer.username, name=(profile.full_name if profile else "") or target.officer.username,
                   village=target.area.name, code=target.area.code)
    elif target.agency_unit_id:
        row.update(name=target.agency_unit.name, code=target.agency_unit.code)
    else:
        row.update(name=target.area.name, code=target.area.code)
    return row


def campaign_row(campaign) -> dict:
    return {"id": campaign.pk, "area": campaign.area.name, "goal_rate": float(campaign.goal_rate),
            "due": campaign.due.isoformat(), "decision": campaign.decision,
            "baseline_date": campaign.baseline_date.isoformat(), "baseline_cards": campaign.baseline_cards,
            "baseline_residents": campaign.baseline_residents, "created_by": campaign.created_by,
            "created_at": campaign.created_at.isoformat()}


def targets_show(*, area=None, officer=None, due: dt.date | None = None) -> dict:
    """A subject's target and its children's (an officer: one row per village), with the campaign."""
    from everydoor.campaign.models import Target

    nodes = target_nodes(area=area, officer=officer, due=due)
    campaign = nodes[0].campaign
    if officer is not None:
        rows = [target_row(n) for n in nodes]
        profile = getattr(officer, "profile", None)
        node = {"level": "officer", "officer": officer.username, "name": (profile.full_name if profile else "")
                or officer.username, "value": sum(r["value"] for r in rows),
                "uninsured": sum(r["uninsured"] for r in rows), "locked": all(r["locked"] for r in rows)}
        return {"campaign": campaign_row(campaign), "target": node, "children": rows}
    children = (Target.objects.filter(parent=nodes[0]).select_related("area", "agency_unit", "officer__profile")
                .order_by("level", "pk"))
    return {"campaign": campaign_row(campaign), "target": target_row(nodes[0]),
            "children": [target_row(c) for c in children]}
