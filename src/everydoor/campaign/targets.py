"""Writes of the target tree: allocate a campaign's goal, set, lock and unlock one node's target.

Every write keeps children adding up to their parent exactly (campaign.allocation) and is audited
with the old and new values.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from everydoor.accounts.services import audit_record
from everydoor.campaign.allocation import allocate
from everydoor.campaign.models import Campaign, Target
from everydoor.campaign.tree import (
    Level,
    Node,
    facts_attach,
    facts_date,
    facts_totals,
    spread,
    tree_build,
    visits_attach,
    weights_set,
)
from everydoor.core.dates import today
from everydoor.core.errors import ErrorCode, EverydoorError
from everydoor.geo.models import AdminUnit

_DEPTH = {Level.PROVINCE: 0, Level.AGENCY_UNIT: 1, Level.COMMUNE: 2, Level.VILLAGE: 3, Level.OFFICER: 4}


def goal_rate_parse(value) -> Decimal:
    try:
        rate = Decimal(str(value))
    except InvalidOperation as exc:
        raise EverydoorError(ErrorCode.INVALID_INPUT, f"--goal-rate must be a number, got {value!r}") from exc
    if not Decimal(0) < rate <= Decimal(1):
        raise EverydoorError(ErrorCode.INVALID_INPUT,
                             f"--goal-rate is a share of residents between 0 and 1 (0.965 = 96.5%), got {value}")
    return rate


def cards_needed(goal_rate: Decimal, residents: int, cards: int) -> int:
    """Cards still needed to reach the goal on the official basis (cards / residents), never below 0."""
    return max(math.ceil(goal_rate * residents) - cards, 0)


def targets_allocate(*, area: AdminUnit, goal_rate, due: dt.date, decision: str = "", as_of: dt.date | None = None,
                     actor: str, user=None) -> dict:
    """Allocate (or re-allocate) the area's goal by `due` over its tree, on the latest coverage facts.

    A re-allocation of the same area and due date keeps every locked target and spreads the rest.
    """
    rate = goal_rate_parse(goal_rate)
    on = as_of or today()
    day = facts_date(on)
    root = tree_build(area, on=on)
    totals = facts_totals(day, [root.code]).get((root.level, root.code))
    if totals is None:
        raise EverydoorError(ErrorCode.NOT_IMPORTED,
                             f"no coverage facts for {area.name} on {day.isoformat()}: run `everydoor coverage --as-of {day.isoformat()}`")
    residents, _, cards = totals
    facts_attach(root, day)
    visits_attach(root, on=on)
    weights_set(root)
    campaign = Campaign.objects.filter(area=area, due=due).first()
    kept = _locked_keep(campaign, root)
    if not root.locked:
        root.value = cards_needed(rate, residents, cards)
    spread(root)
    _officer_baselines(root)
    with transaction.atomic():
        old = {"goal_rate": str(campaign.goal_rate), "baseline_date": campaign.baseline_date.isoformat(),
               "target": Target.objects.filter(campaign=campaign, parent__isnull=True).values_list(
                   "value", flat=True).first()} if campaign else None
        if campaign is None:
            campaign = Campaign(area=area, due=due, created_by=actor)
        campaign.goal_rate, campaign.decision = rate, decision or campaign.decision
        campaign.baseline_date, campaign.baseline_cards, campaign.baseline_residents = day, cards, residents
        campaign.save()
        with connection.cursor() as cursor:  # the whole tree at once: no cascade to collect row by row
            cursor.execute(f"DELETE FROM {Target._meta.db_table} WHERE campaign_id = %s", [campaign.pk])
        written = _targets_write(campaign, root, actor=actor)
        result = {"campaign": campaign.pk, "area": area.name, "goal_rate": float(rate), "due": due.isoformat(),
                  "decision": campaign.decision, "baseline_date": day.isoformat(), "residents": residents,
                  "cards": cards, "goal_cards": math.ceil(rate * residents), "target": root.value,
                  "targets": written, "locked_kept": kept,
                  "by_level": {str(level): sum(1 for n in root.walk() if n.level == level) for level in _DEPTH}}
        audit_record(actor=actor, user=user, action="targets_allocate", object_type="campaign",
                     object_id=campaign.pk, area_code=area.code, detail={"old": old, "new": result})
    return result


def _locked_keep(campaign: Campaign | None, root: Node) -> int:
    """Locked targets of the campaign's previous tree, by node, onto the new tree."""
    if campaign is None:
        return 0
    locked = {(level, area, unit, officer): (value, set_by) for level, area, unit, officer, value, set_by in
              Target.objects.filter(campaign=campaign, locked=True).values_list(
                  "level", "area_id", "agency_unit_id", "officer_id", "value", "set_by")}
    kept = 0
    for node in root.walk():
        if node.key in locked:
            node.value, node.set_by = locked[node.key]
            node.locked, kept = True, kept + 1
    return kept


def _officer_baselines(root: Node) -> None:
    """An officer's baseline cards: the village's, split in proportion to the officers' targets."""
    for node in root.walk():
        officers = [c for c in node.children if c.level == Level.OFFICER]
        if officers:
            for officer, cards in zip(officers, allocate(node.cards, [o.value for o in officers]), strict=True):
                officer.cards = int(cards)


_COLUMNS = ("campaign_id", "parent_id", "level", "area_id", "agency_unit_id", "officer_id", "value", "uninsured",
            "weight", "baseline_cards", "locked", "set_by", "set_at")


def _targets_write(campaign: Campaign, root: Node, *, actor: str) -> int:
    """The tree's rows, one insert per level (a level's rows need their parents' ids, read back in
    insertion order: the ids of one session's inserts only grow). Plain executemany: the ORM's
    bulk_create spent 4 s of a 5 s allocation preparing 5,600 rows."""
    table = Target._meta.db_table
    insert = (f"INSERT INTO {table} ({', '.join(_COLUMNS)}) VALUES ({', '.join(['%s'] * len(_COLUMNS))})")
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    level_nodes, parents, written, last = [root], {root: None}, 0, 0
    with connection.cursor() as cursor:
        while level_nodes:
            cursor.executemany(insert, [
                (campaign.pk, parents[n].pk if parents[n] else None, str(n.level), n.area_id, n.agency_unit_id,
                 n.officer_id, n.value, n.uninsured, n.weight, n.cards, n.locked, n.set_by or actor, now)
                for n in level_nodes])
            cursor.execute(f"SELECT id FROM {table} WHERE campaign_id = %s AND id > %s ORDER BY id",
                           [campaign.pk, last])
            for node, (pk,) in zip(level_nodes, cursor.fetchall(), strict=True):
                node.pk = last = pk
            written += len(level_nodes)
            following = []
            for node in level_nodes:
                for child in node.children:
                    parents[child] = node
                    following.append(child)
            level_nodes = following
    return written


# --- one node: set, lock, unlock ----------------------------------------------------------------

def tree_load(campaign: Campaign) -> dict[int, Node]:
    """The campaign's stored tree as nodes by id (children in id order: the order they were spread in)."""
    nodes: dict[int, Node] = {}
    parents: dict[int, int | None] = {}
    for (pk, parent, level, area, unit, officer, value, weight, locked, set_by, area_name, unit_name,
         username) in (Target.objects.filter(campaign=campaign).order_by("pk").values_list(
            "pk", "parent_id", "level", "area_id", "agency_unit_id", "officer_id", "value", "weight", "locked",
            "set_by", "area__name", "agency_unit__name", "officer__username")):
        name = f"{username} ({area_name})" if username else area_name or unit_name or level
        nodes[pk] = Node(level, area_id=area, agency_unit_id=unit, officer_id=officer, name=name, value=value,
                         weight=weight, locked=locked, set_by=set_by, pk=pk)
        parents[pk] = parent
    for pk, parent in parents.items():
        if parent is not None:
            nodes[parent].children.append(nodes[pk])
    return nodes


def target_set(target: Target, *, value: int, actor: str, user=None) -> dict:
    """Give one node a target and lock it; its subtree and its unlocked siblings are spread again so
    that its parent still adds up. Refused, changing nothing, when locked targets cannot fit."""
    if value < 0:
        raise EverydoorError(ErrorCode.INVALID_INPUT, f"a target is a number of cards, zero or more; got {value}")
    with transaction.atomic():
        nodes = tree_load(target.campaign)
        node = nodes[target.pk]
        before = {pk: (n.value, n.locked) for pk, n in nodes.items()}
        node.value, node.locked, node.set_by = value, True, actor
        spread(nodes[target.parent_id] if target.parent_id else node)
        changed = [n for pk, n in nodes.items() if (n.value, n.locked) != before[pk]]
        now = timezone.now()  # bulk_update does not touch auto_now fields: progress reads set_at as a version
        Target.objects.bulk_update([Target(pk=n.pk, value=n.value, locked=n.locked, set_by=n.set_by or actor,
                                           set_at=now) for n in changed],
                                   ["value", "locked", "set_by", "set_at"], batch_size=1000)
        result = {"target": target.pk, "name": node.name, "level": node.level, "old": before[node.pk][0],
                  "new": value, "locked": True, "others_changed": len(changed) - (node in changed)}
        audit_record(actor=actor, user=user, action="target_set", object_type="target", object_id=target.pk,
                     detail={**result, "changes": {n.pk: [before[n.pk][0], n.value] for n in changed}})
    return result


def target_lock(target: Target, *, locked: bool, actor: str, user=None) -> dict:
    """Lock a target (re-allocation keeps it) or unlock it (the next spread may change it)."""
    with transaction.atomic():
        old = target.locked
        Target.objects.filter(pk=target.pk).update(locked=locked, set_by=actor, set_at=timezone.now())
        result = {"target": target.pk, "level": target.level, "value": target.value, "locked": locked, "was_locked": old}
        audit_record(actor=actor, user=user, action="target_lock" if locked else "target_unlock",
                     object_type="target", object_id=target.pk, detail=result)
    return result


def officer_resolve(username: str):
    user = get_user_model().objects.filter(username=username).select_related("profile").first()
    if user is None:
        raise EverydoorError(ErrorCode.NOT_FOUND, f"no user {username!r}")
    return user
