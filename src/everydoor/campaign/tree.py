"""The target tree in memory: province -> agency unit -> commune -> village -> officer.

Built from the coverage facts of one date, the agency units' communes and the officers assigned on
that date; spread top-down with campaign.allocation (children add up to their parent exactly).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Max

from everydoor.campaign.allocation import allocate, allocate_locked, smoothed_rate
from everydoor.campaign.models import AgencyUnit, OfficerAssignment, Target
from everydoor.core.errors import ErrorCode, EverydoorError
from everydoor.coverage.models import CoverageFact
from everydoor.geo.models import AdminUnit

Level = Target.Level
CONVERTED = ("enrolled", "promised")


@dataclass(eq=False)
class Node:
    level: str
    area_id: int | None = None
    agency_unit_id: int | None = None
    officer_id: int | None = None
    code: str = ""  # the facts' area code (an AdminUnit's or an AgencyUnit's); the village's for officers
    name: str = ""
    children: list[Node] = field(default_factory=list)
    uninsured: int = 0
    cards: int = 0
    households: int = 0  # visited households, for the conversion rate
    converted: int = 0  # enrolled and promised members of those visits
    weight: float = 0.0
    value: int = 0
    locked: bool = False
    set_by: str = ""
    pk: int | None = None

    @property
    def key(self) -> tuple:
        return (self.level, self.area_id, self.agency_unit_id, self.officer_id)

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


def facts_date(on: dt.date) -> dt.date:
    """The latest date with coverage facts on or before `on`."""
    day = CoverageFact.objects.filter(as_of__lte=on).aggregate(day=Max("as_of"))["day"]
    if day is None:
        raise EverydoorError(ErrorCode.NOT_IMPORTED,
                             f"no coverage facts on or before {on.isoformat()}: run `everydoor coverage --as-of DATE` first")
    return day


def facts_totals(day: dt.date, codes: list[str] | None = None) -> dict[tuple[str, str], tuple[int, int, int]]:
    """(level, area_code) -> (residents, insured_residents, cards) for the date's totals."""
    facts = CoverageFact.objects.filter(as_of=day, dimension="")
    if codes is not None:
        facts = facts.filter(area_code__in=codes)
    return {(level, code): (residents, insured, cards) for level, code, residents, insured, cards in
            facts.values_list("level", "area_code", "residents", "insured_residents", "cards")}


def tree_build(root_area: AdminUnit, *, on: dt.date) -> Node:
    """The tree's shape for a province or a commune, officers as assigned on `on`."""
    if root_area.level == AdminUnit.Level.PROVINCE:
        communes = list(AdminUnit.objects.filter(level="commune", parent=root_area).order_by("code")
                        .values_list("pk", "code", "name"))
    elif root_area.level == AdminUnit.Level.COMMUNE:
        communes = [(root_area.pk, root_area.code, root_area.name)]
    else:
        raise EverydoorError(ErrorCode.INVALID_INPUT,
                             f"targets are allocated for a province or a commune, not a {root_area.level} ({root_area.name})")
    commune_ids = [pk for pk, _, _ in communes]
    villages: dict[int, list[tuple[int, str, str]]] = {}
    for pk, code, name, parent in (AdminUnit.objects.filter(level="village", parent_id__in=commune_ids)
                                   .order_by("code").values_list("pk", "code", "name", "parent_id")):
        villages.setdefault(parent, []).append((pk, code, name))
    officers: dict[int, list[int]] = {}
    for village, officer in (OfficerAssignment.objects.filter(valid_from__lte=on, village__parent_id__in=commune_ids)
                             .exclude(valid_to__lt=on).order_by("village_id", "officer_id")
                             .values_list("village_id", "officer_id").distinct()):
        officers.setdefault(village, []).append(officer)

    usernames = dict(get_user_model().objects.filter(pk__in={o for os in officers.values() for o in os})
                     .values_list("pk", "username"))

    def commune_node(pk: int, code: str, name: str) -> Node:
        node = Node(Level.COMMUNE, area_id=pk, code=code, name=name)
        for village_pk, village_code, village_name in villages.get(pk, []):
            village = Node(Level.VILLAGE, area_id=village_pk, code=village_code, name=village_name)
            village.children = [Node(Level.OFFICER, area_id=village_pk, officer_id=officer, code=village_code,
                                     name=f"{usernames[officer]} ({village_name})")
                                for officer in officers.get(village_pk, [])]
            node.children.append(village)
        return node

    if root_area.level == AdminUnit.Level.COMMUNE:
        return commune_node(*communes[0])
    root = Node(Level.PROVINCE, area_id=root_area.pk, code=root_area.code, name=root_area.name)
    # A commune served by two units hangs under the first by code; one served by none, under the province.
    served: dict[int, AgencyUnit] = {}
    units = list(AgencyUnit.objects.filter(province=root_area).order_by("code"))
    unit_nodes = {u.pk: Node(Level.AGENCY_UNIT, agency_unit_id=u.pk, code=u.code, name=u.name) for u in units}
    for unit_id, commune_id in (AgencyUnit.communes.through.objects.filter(agencyunit__in=units)
                                .order_by("agencyunit__code").values_list("agencyunit_id", "adminunit_id")):
        served.setdefault(commune_id, unit_id)
    root.children = [unit_nodes[u.pk] for u in units]
    for pk, code, name in communes:
        parent = unit_nodes[served[pk]] if pk in served else root
        parent.children.append(commune_node(pk, code, name))
    return root


def facts_attach(root: Node, day: dt.date) -> None:
    """Uninsured residents and cards of every node from the date's facts; officers share their village's."""
    facts = facts_totals(day)
    for node in root.walk():
        if node.level == Level.OFFICER:
            continue
        residents, insured, cards = facts.get((node.level, node.code), (0, 0, 0))
        node.uninsured, node.cards = max(residents - insured, 0), cards
        officers = [c for c in node.children if c.level == Level.OFFICER]
        if officers:
            for officer, share in zip(officers, allocate(node.uninsured, [1] * len(officers)), strict=True):
                officer.uninsured = int(share)


def _conversions(on: dt.date, *, by_officer: bool) -> dict[tuple, tuple[int, int]]:
    officer, group = ("v.officer_id", "h.village_id, v.officer_id") if by_officer else ("NULL", "h.village_id")
    sql = (f"SELECT h.village_id, {officer}, COUNT(DISTINCT v.household_id), "
           "COUNT(DISTINCT CASE WHEN v.outcome IN ('enrolled', 'promised') THEN m.person_id END) "
           "FROM campaign_visit v JOIN registry_household h ON h.id = v.household_id "
           f"LEFT JOIN campaign_visitmember m ON m.visit_id = v.id WHERE v.visited_at < %s GROUP BY {group}")
    with connection.cursor() as cursor:
        cursor.execute(sql, [connection.ops.adapt_datetimefield_value(day_end(on))])
        return {(village, officer): (households, converted)
                for village, officer, households, converted in cursor.fetchall()}


def visits_attach(root: Node, *, on: dt.date) -> None:
    """Visited households and converted members up to `on`, per village and per officer in a village."""
    by_village, by_officer = _conversions(on, by_officer=False), _conversions(on, by_officer=True)
    for node in root.walk():
        if node.level == Level.VILLAGE:
            node.households, node.converted = by_village.get((node.area_id, None), (0, 0))
        elif node.level == Level.OFFICER:
            node.households, node.converted = by_officer.get((node.area_id, node.officer_id), (0, 0))
    _sum_up(root)


def _sum_up(node: Node) -> None:
    if node.level in (Level.VILLAGE, Level.OFFICER):
        return
    for child in node.children:
        _sum_up(child)
    node.households = sum(c.households for c in node.children)
    node.converted = sum(c.converted for c in node.children)


def day_end(on: dt.date) -> dt.datetime:
    from django.utils import timezone

    """The first instant after the day, where the campaign's clock is (settings.TIME_ZONE)."""
    return timezone.make_aware(dt.datetime.combine(on + dt.timedelta(days=1), dt.time.min))


def weights_set(root: Node) -> None:
    """Each node's weight: its uninsured residents (an officer: 1, an equal share of the village), times
    its smoothed conversion rate when the area has visits that converted (allocation.smoothed_rate)."""
    root_rate = root.converted / root.households if root.households else 0.0

    def visit(node: Node, parent_rate: float) -> None:
        rate = smoothed_rate(node.converted, node.households, parent_rate) if root_rate > 0 else 1.0
        base = 1.0 if node.level == Level.OFFICER else float(node.uninsured)
        node.weight = base * rate
        for child in node.children:
            visit(child, rate)

    visit(root, root_rate)


def spread(node: Node) -> None:
    """Children's values from the node's, top-down; locked children keep theirs."""
    if not node.children:
        return
    values = allocate_locked(node.value, [c.weight for c in node.children],
                             [c.value if c.locked else None for c in node.children], name=node.name or node.code)
    for child, value in zip(node.children, values, strict=True):
        child.value = int(value)
        spread(child)
