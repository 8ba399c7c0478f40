"""Progress of a campaign at every node from the province down to officers, on a date.

Reads the coverage facts and the campaign's tables only (never the registers): cards gained since the
baseline come from the facts of the latest date on or before the as-of date; visits, households
reached, the funnel, refusals and follow-ups from the visits.

Additive figures add up by construction: they are counted once per (commune, village, officer)
bucket and summed up the tree; what no child holds (a household without a village) is the node's
`outside_children` part, shown when it is not zero. A household's figures (reached, funnel,
follow-ups) go to the officer of its latest visit; visits and refusals to the officer who made them;
an officer who visited a village without a target there appears under it with a target of 0.
Cards gained come from each node's own facts; an officer's share of the village's gain is split by
largest remainder in proportion to the officers' targets. A commune's cards held by none of its
villages (unlinked cards, residents without a village) show as its `cards_gained_outside_children`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
import time
from collections import OrderedDict, defaultdict

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from everydoor.campaign.allocation import allocate
from everydoor.campaign.models import Target
from everydoor.campaign.selectors import campaign_row, target_nodes
from everydoor.campaign.tree import day_end, facts_date, facts_totals
from everydoor.core.dates import today
from everydoor.core.versions import data_version

logger = logging.getLogger(__name__)
REASONS = ("cost", "no_benefit", "distrust", "other")
ADDITIVE = ("target", "visits", "households_reached", "promised", "enrolled", "confirmed",
            *(f"refused_{r}" for r in REASONS), "follow_ups_due", "follow_ups_overdue")
_COUNTS = ADDITIVE[1:]
# The latest reports of this process, by version key. Not Django's cache: unpickling a province's
# report (5,600 nodes) cost more than the rest of a repeated read (61 of 120 ms, measured on PostgreSQL).
RECENT_REPORTS = 16
_recent: OrderedDict[str, dict] = OrderedDict()
_latest: OrderedDict[str, tuple[float, str, dict]] = OrderedDict()  # subject -> (when computed, frame, report)
_refreshing: set[str] = set()  # subjects whose newer report a background thread is computing
_recent_lock = threading.Lock()


def _in(ids) -> str:
    return ", ".join(str(int(i)) for i in ids) or "NULL"


def _visit_buckets(commune_ids: list[int], *, on: dt.date) -> dict[tuple, dict[str, int]]:
    """(commune, village, officer) -> counts, for visits up to the end of `on` in the communes."""
    end = connection.ops.adapt_datetimefield_value(day_end(on))
    day = connection.ops.adapt_datefield_value(on)
    communes = _in(commune_ids)
    refusals = ", ".join(
        f"SUM(CASE WHEN r.outcome = 'refused' AND {cond} THEN 1 ELSE 0 END)" for cond in (
            "r.reason = 'cost'", "r.reason = 'no_benefit'", "r.reason = 'distrust'",
            "r.reason NOT IN ('cost', 'no_benefit', 'distrust')"))
    # One pass over the visits, driven from them (CROSS JOIN keeps SQLite from walking every household of
    # the province by its commune index; "+ 0" keeps the commune filter off that index). Visits and
    # refusals count every row for its own officer; a household counts once, on its latest visit (rn = 1),
    # for that visit's officer, with its follow-up and its members' furthest step over all its visits.
    sql = f"""
WITH ranked AS (
  SELECT v.id, v.household_id, v.officer_id, v.outcome, v.reason, v.follow_up, h.commune_id, h.village_id,
         ROW_NUMBER() OVER (PARTITION BY v.household_id ORDER BY v.visited_at DESC, v.id DESC) AS rn
  FROM campaign_visit v CROSS JOIN registry_household h
  WHERE h.id = v.household_id AND v.visited_at < %s AND h.commune_id + 0 IN ({communes})
), members AS (
  SELECT r.household_id, m.person_id,
         MAX(CASE WHEN r.outcome IN ('promised', 'enrolled') THEN 1 ELSE 0 END) AS promised,
         MAX(CASE WHEN r.outcome = 'enrolled' THEN 1 ELSE 0 END) AS enrolled,
         MAX(CASE WHEN m.confirmed_card_id IS NOT NULL THEN 1 ELSE 0 END) AS confirmed
  FROM campaign_visitmember m JOIN ranked r ON r.id = m.visit_id GROUP BY r.household_id, m.person_id
), steps AS (
  SELECT household_id, SUM(promised) AS promised, SUM(enrolled) AS enrolled, SUM(confirmed) AS confirmed
  FROM members GROUP BY household_id
)
SELECT r.commune_id, r.village_id, r.officer_id, COUNT(*), {refusals},
       SUM(CASE WHEN r.rn = 1 THEN 1 ELSE 0 END), SUM(COALESCE(s.promised, 0)),
       SUM(COALESCE(s.enrolled, 0)), SUM(COALESCE(s.confirmed, 0)),
       SUM(CASE WHEN r.rn = 1 AND r.follow_up = %s THEN 1 ELSE 0 END),
       SUM(CASE WHEN r.rn = 1 AND r.follow_up < %s THEN 1 ELSE 0 END)
FROM ranked r LEFT JOIN steps s ON s.household_id = r.household_id AND r.rn = 1
GROUP BY 1, 2, 3"""
    names = ("visits", *(f"refused_{r}" for r in REASONS), "households_reached", "promised", "enrolled",
             "confirmed", "follow_ups_due", "follow_ups_overdue")
    buckets: dict[tuple, dict[str, int]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [end, day, day])
        for commune, village, officer, *counts in cursor.fetchall():
            buckets[(commune, village, officer)] = {
                **dict.fromkeys(_COUNTS, 0), **{n: int(c or 0) for n, c in zip(names, counts, strict=True)}}
    return buckets


def _targets(campaign_id: int) -> tuple[dict[int, dict], dict[int, list[int]]]:
    """The campaign's nodes (id -> row) and children (id -> ids), in one query."""
    rows, children = {}, defaultdict(list)
    for (pk, parent, level, area, area_code, area_name, commune, unit_code, unit_name, officer, username,
         full_name, value, baseline) in Target.objects.filter(campaign_id=campaign_id).order_by("pk").values_list(
            "pk", "parent_id", "level", "area_id", "area__code", "area__name", "area__parent_id",
            "agency_unit__code", "agency_unit__name", "officer_id", "officer__username", "officer__profile__full_name",
            "value", "baseline_cards"):
        row = {"level": level, "code": area_code or unit_code, "name": area_name or unit_name, "target": value,
               "baseline_cards": baseline, "_area": area, "_commune": commune, "_officer": officer}
        if level == Target.Level.OFFICER:
            row.update(officer=username, name=full_name or username, village=area_name)
        rows[pk] = row
        children[parent].append(pk)
    return rows, children


def _version(campaign_id: int, day: dt.date) -> tuple[str, str]:
    """What a report is computed from, in a few index reads: its frame (the campaign's targets, the date's
    facts, which each coverage run replaces, the registers: households may change village) and the field
    work (the visits and their members' confirmations)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT COUNT(*) FROM campaign_target WHERE campaign_id = %s), "
            "(SELECT MAX(set_at) FROM campaign_target WHERE campaign_id = %s), "
            "(SELECT MAX(id) FROM core_jobrun WHERE kind = 'coverage'), "
            "(SELECT COUNT(*) FROM campaign_visit), (SELECT MAX(id) FROM campaign_visit), "
            "(SELECT COUNT(*) FROM campaign_visitmember), (SELECT COUNT(confirmed_card_id) FROM campaign_visitmember), "
            "(SELECT MAX(confirmed_at) FROM campaign_visitmember)", [campaign_id, campaign_id])
        counts = cursor.fetchall()[0]
    return f"{day}|{counts[:3]}|{data_version()}", f"{counts[3:]}"


def progress_report(*, area=None, officer=None, as_of: dt.date | None = None, due: dt.date | None = None,
                    max_age: float = 0) -> dict:
    """Progress of an area's or agency unit's node and everything under it, or of an officer.

    Kept in the process under the version of everything it is computed from (_version): a read after
    nothing changed costs the version's few index reads; a new visit, confirmation, target or coverage
    run makes the next read compute it again. With `max_age` (seconds; the pages), a report of the same
    subject computed that recently is returned at once even when visits came since, and the new one is
    computed in the background for the next read: a province's report takes a second or more to compute,
    visits arrive all day, and a manager reads progress by the minute. The report says when it was
    computed. The report returned is shared: callers read it, never change it.
    """
    on = as_of or today()
    nodes = target_nodes(area=area, officer=officer, due=due)
    campaign = nodes[0].campaign
    day = facts_date(on)
    subject = f"{campaign.pk}|" + (f"officer:{officer.pk}" if officer is not None else f"target:{nodes[0].pk}") + f"|{on}"
    frame, work = _version(campaign.pk, day)
    key = "progress:" + hashlib.sha256(f"{subject}|{frame}|{work}".encode()).hexdigest()
    root = _root_subject(campaign, nodes, officer, on)
    with _recent_lock:
        report = _recent.get(key)
        if report is not None:
            _recent.move_to_end(key)
            return report
        # a node of a whole campaign's report kept under the same version: the drill-down reads it from there
        whole = _recent.get("progress:" + hashlib.sha256(f"{root}|{frame}|{work}".encode()).hexdigest()) if root else None
        part = _part(whole, nodes[0]) if whole is not None else None
        if part is not None:
            return part
        latest = _latest.get(subject)
        # only new field work may wait for the background: a changed target or coverage run is shown at once
        if max_age and latest is not None and latest[1] == frame and time.monotonic() - latest[0] <= max_age:
            if subject not in _refreshing:
                _refreshing.add(subject)
                threading.Thread(target=_refresh, args=(subject, key, frame, campaign, nodes, officer, on, day),
                                 daemon=True).start()
            return latest[2]
    return _compute(subject, key, frame, campaign, nodes, officer, on, day)


def _root_subject(campaign, nodes, officer, on: dt.date) -> str | None:
    """The subject of the campaign's whole report, for a node below its root (None: the root, an officer)."""
    if officer is not None or nodes[0].parent_id is None:
        return None
    root = Target.objects.filter(campaign=campaign, parent__isnull=True).values_list("pk", flat=True).first()
    return f"{campaign.pk}|target:{root}|{on}"


def _part(whole: dict, target) -> dict | None:
    """A node's report taken from its campaign's whole report: the same figures its own computation gives (each
    node's are built from its own subtree's buckets and facts), without a second computation."""
    code = target.agency_unit.code if target.agency_unit_id else target.area.code

    def find(node: dict) -> dict | None:
        if node["level"] == target.level and node.get("code") == code:
            return node
        return next((hit for child in node.get("children", ()) if (hit := find(child)) is not None), None)

    node = find(whole["progress"])
    return {**whole, "progress": node} if node is not None else None


def _compute(subject: str, key: str, frame: str, campaign, nodes, officer, on: dt.date, day: dt.date) -> dict:
    started = time.monotonic()
    report = _report(campaign, nodes, officer=officer, on=on, day=day)
    report["computed_at"] = timezone.now().isoformat(timespec="seconds")
    with _recent_lock:
        _recent[key] = report
        while len(_recent) > RECENT_REPORTS:
            _recent.popitem(last=False)
        _latest[subject] = (started, frame, report)
        while len(_latest) > RECENT_REPORTS:
            _latest.popitem(last=False)
    return report


def _refresh(subject: str, key: str, *args) -> None:
    """(A background thread.) The newer report, for the next read; its own database connection is closed."""
    try:
        _compute(subject, key, *args)
    except Exception:  # the next read computes it in the foreground and shows the error there
        logger.exception("progress: background refresh of %s failed", subject)
    finally:
        with _recent_lock:
            _refreshing.discard(subject)
        connection.close()


def progress_forget() -> None:
    """Drop the reports this process keeps (the next read of each computes it)."""
    with _recent_lock:
        _recent.clear()
        _latest.clear()


def _report(campaign, nodes, *, officer, on: dt.date, day: dt.date) -> dict:
    rows, children = _targets(campaign.pk)
    top = [n.pk for n in nodes] if officer is not None else [nodes[0].pk]
    if officer is None:
        subtree = list(_walk(top[0], children))
    else:  # the officer's villages are built whole (the officer's share of the gain needs the others')
        subtree = [pk for village in {n.parent_id for n in nodes} for pk in _walk(village, children)]
    commune_ids = {rows[pk]["_area"] for pk in subtree if rows[pk]["level"] == Target.Level.COMMUNE}
    commune_ids |= {rows[pk]["_commune"] for pk in subtree if rows[pk]["level"] == Target.Level.VILLAGE}
    if officer is not None:  # and the officer may have visited elsewhere: those communes' visits are counted too
        commune_ids |= _visited_communes(officer.pk, on=on)
    buckets = _visit_buckets(sorted(commune_ids), on=on)
    facts = facts_totals(day, sorted({rows[pk]["code"] for pk in subtree}))
    builder = _Builder(rows, children, buckets, facts)
    if officer is None:
        node = builder.node(top[0])
        node.pop("_officer")
    else:  # each of the officer's villages is built whole: the officer's share of its gain needs the others'
        leaves = [next(k for k in builder.node(nodes_parent)["children"] if k.get("officer") == officer.username
                       and k.get("assigned", True)) for nodes_parent in (n.parent_id for n in nodes)]
        leaves += builder.officer_elsewhere(officer.pk, {rows[pk]["_area"] for pk in top}, commune_ids)
        profile = getattr(officer, "profile", None)
        node = {"level": "officer", "officer": officer.username,
                "name": (profile.full_name if profile else "") or officer.username,
                **_sum(leaves, ADDITIVE + ("baseline_cards", "cards_gained")), "children": leaves}
    return {"campaign": campaign_row(campaign), "as_of": on.isoformat(), "facts_date": day.isoformat(),
            "progress": node}


def _visited_communes(officer_id: int, *, on: dt.date) -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT h.commune_id FROM campaign_visit v JOIN registry_household h "
                       "ON h.id = v.household_id WHERE v.officer_id = %s AND v.visited_at < %s",
                       [officer_id, connection.ops.adapt_datetimefield_value(day_end(on))])
        return {commune for (commune,) in cursor.fetchall()}


def _walk(pk: int, children: dict[int, list[int]]):
    yield pk
    for child in children.get(pk, []):
        yield from _walk(child, children)


def _sum(nodes: list[dict], keys) -> dict[str, int]:
    return {key: sum(n[key] for n in nodes) for key in keys}


class _Builder:
    """Turns target rows, visit buckets and facts into the nested progress figures."""

    def __init__(self, rows, children, buckets, facts):
        self.rows, self.children, self.buckets, self.facts = rows, children, buckets, facts
        self.names: dict[int, tuple[str, str]] = {}
        # the buckets by village (officer -> counts) and, for households without one, by commune
        self.by_village: dict[int, dict[int, dict]] = defaultdict(dict)
        self.no_village: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(_COUNTS, 0))
        for (commune, village, officer), counts in buckets.items():
            if village is None:
                total = self.no_village[commune]
                for name, value in counts.items():
                    total[name] += value
            else:
                self.by_village[village][officer] = counts

    def node(self, pk: int) -> dict:
        row = self.rows[pk]
        out = {k: v for k, v in row.items() if not k.startswith("_")}
        kids = [self.node(c) for c in self.children.get(pk, [])]
        outside = dict.fromkeys(_COUNTS, 0)
        if row["level"] == Target.Level.VILLAGE:  # every visit has an officer: all of it is in the officers'
            kids += self._unassigned(row, {k["_officer"] for k in kids})
        elif row["level"] == Target.Level.COMMUNE:
            outside = dict(self.no_village.get(row["_area"], outside))
        elif row["level"] == Target.Level.OFFICER:
            outside = dict(self.by_village.get(row["_area"], {}).get(row["_officer"], outside))
        cards = self.facts.get((row["level"], row["code"]), (0, 0, None))[2] if row["level"] != "officer" else None
        out["cards_gained"] = 0 if cards is None else cards - row["baseline_cards"]
        if row["level"] == Target.Level.VILLAGE:
            self._officers_gain(out["cards_gained"], kids)
        figures = {key: sum(k[key] for k in kids) + outside[key] for key in _COUNTS}
        out.update(figures)
        if kids:
            out["children"] = [{k: v for k, v in kid.items() if not k.startswith("_")} for kid in kids]
            gained_below = sum(k["cards_gained"] for k in kids)
            if gained_below != out["cards_gained"]:
                out["cards_gained_outside_children"] = out["cards_gained"] - gained_below
            if any(outside.values()):
                out["outside_children"] = {k: v for k, v in outside.items() if v}
        out["_officer"] = row["_officer"]
        return out

    def _unassigned(self, village: dict, officers: set[int]) -> list[dict]:
        """Officers who visited the village without a target there."""
        found = sorted(o for o in self.by_village.get(village["_area"], {}) if o not in officers)
        return [self._extra(village["_commune"], village["_area"], village["code"], village["name"], officer)
                for officer in found]

    def _extra(self, commune, village, code, village_name, officer) -> dict:
        username, name = self._name(officer)
        counts = dict(self.buckets[(commune, village, officer)])
        return {"level": "officer", "code": code, "name": name, "officer": username, "village": village_name,
                "target": 0, "baseline_cards": 0, "cards_gained": 0, "assigned": False, **counts, "_officer": officer}

    def _name(self, officer: int) -> tuple[str, str]:
        if officer not in self.names:
            user = get_user_model().objects.filter(pk=officer).select_related("profile").first()
            profile = getattr(user, "profile", None)
            self.names[officer] = (user.username, (profile.full_name if profile else "") or user.username)
        return self.names[officer]

    @staticmethod
    def _officers_gain(gained: int, officers: list[dict]) -> None:
        assigned = [o for o in officers if o.get("assigned", True)] or officers
        shares = allocate(gained, [o["target"] for o in assigned])
        for officer, share in zip(assigned, shares, strict=True):
            officer["cards_gained"] = int(share)
            officer["baseline_cards"] = officer.get("baseline_cards", 0)

    def officer_elsewhere(self, officer: int, villages: set[int], commune_ids: set[int]) -> list[dict]:
        """An officer's visits in villages of the campaign where the officer has no target."""
        from everydoor.geo.models import AdminUnit

        keys = [k for k in self.buckets if k[2] == officer and k[1] is not None and k[1] not in villages]
        places = {pk: (code, name) for pk, code, name in
                  AdminUnit.objects.filter(pk__in=[k[1] for k in keys]).values_list("pk", "code", "name")}
        return [{k: v for k, v in self._extra(c, v, *places[v], officer).items() if not k.startswith("_")}
                for c, v, _ in keys]

