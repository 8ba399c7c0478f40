"""Targets allocated down the tree on coverage facts: they add up, locks hold, bad locks are refused."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from everydoor.accounts.models import AuditEvent
from everydoor.campaign.models import Campaign, Target
from everydoor.campaign.selectors import target_one, targets_show
from everydoor.campaign.targets import target_lock, target_set, targets_allocate
from everydoor.core.errors import EverydoorError
from tests import factories as f
from tests.campaign.conftest import BASELINE, VILLAGES, facts_write, visit

pytestmark = pytest.mark.django_db
DUE = dt.date(2025, 12, 31)
User = get_user_model()


def allocate(world, **kwargs):
    return targets_allocate(area=world["province"], goal_rate=kwargs.pop("goal_rate", "0.965"), due=DUE,
                            decision="462/QĐ-BHXH", as_of=kwargs.pop("as_of", BASELINE), actor="test", **kwargs)


def assert_adds_up(campaign):
    targets = list(Target.objects.filter(campaign=campaign))
    children = {}
    for t in targets:
        children.setdefault(t.parent_id, []).append(t)
    assert len(children[None]) == 1
    for t in targets:
        if t.pk in children:
            assert sum(c.value for c in children[t.pk]) == t.value, (t.level, t.value)
        assert t.value >= 0


def test_the_goal_is_split_down_to_officers_and_adds_up_at_every_level(world, officers):
    result = allocate(world)
    residents = sum(v[0] for rows in VILLAGES.values() for v in rows)
    cards = sum(v[2] for rows in VILLAGES.values() for v in rows) + 3 * 4  # +3 commune-level cards each
    goal = -(-residents * 965 // 1000)
    assert (result["residents"], result["cards"], result["goal_cards"], result["target"]) == (
        2970, cards, goal, goal - cards)
    assert result["target"] == 291 and result["baseline_date"] == BASELINE.isoformat()
    campaign = Campaign.objects.get()
    assert (campaign.decision, campaign.due, campaign.baseline_date, campaign.goal_rate, campaign.created_by) == (
        "462/QĐ-BHXH", DUE, BASELINE, Decimal("0.9650"), "test")
    assert_adds_up(campaign)
    root = Target.objects.get(campaign=campaign, parent=None)
    # by uninsured residents: North 320, South 30, Bản Lầu (no unit: under the province) 120 of 470
    # quotas 198.13, 18.57, 74.30 -> 198, 19 (largest remainder), 74
    under = {(t.agency_unit.code if t.agency_unit else t.area.name): t.value
             for t in Target.objects.filter(parent=root).select_related("agency_unit", "area")}
    assert under == {"BHXH-NORTH": 198, "BHXH-SOUTH": 19, "Xã Bản Lầu": 74}
    # officers share their village's target equally; a village without officers is a leaf
    bo = world["communes"][0]
    first = Target.objects.get(campaign=campaign, level="village", area=world["villages"][bo.pk][0])
    shares = sorted(first.children.values_list("value", flat=True))
    assert len(shares) == 2 and sum(shares) == first.value and shares[1] - shares[0] <= 1
    lau = world["communes"][3]
    assert not Target.objects.filter(parent__area=world["villages"][lau.pk][0]).exists()
    assert first.baseline_cards == 310 and first.uninsured == 100
    assert sum(first.children.values_list("baseline_cards", flat=True)) == 310
    assert AuditEvent.objects.filter(action="targets_allocate").count() == 1


def test_set_locks_a_target_and_spreads_its_subtree_and_siblings_again(world, officers):
    allocate(world)
    bt = world["communes"][1]
    node = target_one(area=bt)
    parent_value = node.parent.value
    result = target_set(node, value=150, actor="manager")
    node.refresh_from_db()
    assert (result["old"], result["new"], node.value, node.locked, node.set_by) == (
        result["old"], 150, 150, True, "manager")
    assert node.parent.value == parent_value  # the unit's target is unchanged; Mường Bo takes the rest
    assert Target.objects.get(level="commune", area=world["communes"][0]).value == parent_value - 150
    assert_adds_up(node.campaign)
    event = AuditEvent.objects.get(action="target_set")
    assert event.detail["old"] == result["old"] and event.detail["new"] == 150 and event.actor == "manager"

    # re-allocation keeps the locked target and spreads the rest, on another goal
    again = allocate(world, goal_rate="0.98")
    assert again["locked_kept"] == 1
    assert Target.objects.get(level="commune", area=bt).value == 150
    assert_adds_up(Campaign.objects.get())


def test_locked_children_exceeding_their_parent_are_refused_and_nothing_changes(world, officers):
    allocate(world)
    north = target_one(area=world["units"][0])
    before = dict(Target.objects.values_list("pk", "value"))
    with pytest.raises(EverydoorError) as exc:
        target_set(north, value=400, actor="manager")  # more than the province's 291 with the others
    assert "more than its target of 291" in exc.value.message
    assert dict(Target.objects.values_list("pk", "value")) == before and not Target.objects.filter(locked=True).exists()
    # lock both communes of the unit, then ask the unit for another number
    target_set(target_one(area=world["communes"][0]), value=60, actor="m")
    assert target_one(area=world["communes"][1]).value == 198 - 60
    target_lock(target_one(area=world["communes"][1]), locked=True, actor="m")
    with pytest.raises(EverydoorError, match="every target under BHXH North is locked and they add up to 198, not 150"):
        target_set(target_one(area=world["units"][0]), value=150, actor="m")
    target_lock(target_one(area=world["communes"][1]), locked=False, actor="m")
    target_set(target_one(area=world["units"][0]), value=150, actor="m")
    assert Target.objects.get(level="commune", area=world["communes"][1]).value == 90
    assert_adds_up(Campaign.objects.get())


def test_an_officer_target_is_named_by_village_when_the_officer_has_several(world, officers):
    allocate(world)
    binh = User.objects.get(username="thibinh")
    with pytest.raises(EverydoorError, match="thibinh has targets in 4 villages"):
        target_one(officer=binh)
    village = world["villages"][world["communes"][0].pk][0]
    node = target_one(officer=binh, village=village)
    target_set(node, value=node.parent.value, actor="m")
    assert node.parent.children.exclude(pk=node.pk).get().value == 0
    shown = targets_show(officer=binh)
    assert len(shown["children"]) == 4 and shown["target"]["value"] == sum(r["value"] for r in shown["children"])
    assert shown["campaign"]["decision"] == "462/QĐ-BHXH"


def test_villages_that_convert_get_more_of_their_commune(world, officers):
    bo = world["communes"][0]
    first, second = world["villages"][bo.pk]
    allocate(world)
    before = {t.area_id: t.value for t in Target.objects.filter(level="village", area__in=[first, second])}
    # the second village's visits convert (3 members each), the first's are refused
    an = User.objects.get(username="vanan")
    for _ in range(10):
        hh = f.household(bo, second)
        members = [f.person(hh=hh) for _ in range(3)]
        visit(hh, an, "promised", members=members)
        hh = f.household(bo, first)
        visit(hh, an, "refused", members=[f.person(hh=hh)], reason="cost")
    allocate(world, as_of=dt.date(2025, 10, 20))
    after = {t.area_id: t.value for t in Target.objects.filter(level="village", area__in=[first, second])}
    assert after[second.pk] > before[second.pk] and after[first.pk] < before[first.pk]
    assert_adds_up(Campaign.objects.get())


def test_no_facts_says_to_run_coverage(world):
    with pytest.raises(EverydoorError, match="no coverage facts on or before 2025-01-01: run `everydoor coverage"):
        allocate(world, as_of=dt.date(2025, 1, 1))
    with pytest.raises(EverydoorError, match="between 0 and 1"):
        allocate(world, goal_rate="96.5")


def test_an_area_above_its_goal_needs_nothing(world):
    full = {name: [(r, r, r) for r, _, _ in rows] for name, rows in VILLAGES.items()}
    facts_write(world, dt.date(2025, 10, 31), full)
    result = allocate(world, as_of=dt.date(2025, 10, 31))
    assert result["target"] == 0 and not Target.objects.exclude(value=0).exists()


def test_a_commune_campaign_is_its_own_tree(world, officers):
    bo = world["communes"][0]
    result = targets_allocate(area=bo, goal_rate="0.95", due=DUE, as_of=BASELINE, actor="test")
    # Mường Bo: 650 residents, 555 + 3 cards -> ceil(617.5) - 558 = 60
    assert (result["residents"], result["cards"], result["target"]) == (650, 558, 60)
    assert result["by_level"] == {"province": 0, "agency_unit": 0, "commune": 1, "village": 2, "officer": 3}
    assert_adds_up(Campaign.objects.get(area=bo))
    with pytest.raises(EverydoorError, match="for a province or a commune, not a village"):
        targets_allocate(area=world["villages"][bo.pk][0], goal_rate="0.95", due=DUE, as_of=BASELINE, actor="t")
