"""Progress from province to officer: every additive figure of the children adds up to the parent."""

import datetime as dt
import json

import pytest
from django.contrib.auth import get_user_model

from everydoor.campaign.progress import ADDITIVE, progress_report
from everydoor.campaign.targets import targets_allocate
from tests import factories as f
from tests.campaign.conftest import BASELINE, LATER, VILLAGES, facts_write, visit

pytestmark = pytest.mark.django_db
User = get_user_model()
TODAY = dt.date(2025, 11, 3)


def assert_adds_up(node, path=""):
    children = node.get("children", [])
    if not children:
        return
    outside = node.get("outside_children", {})
    for key in ADDITIVE:
        if key == "target":
            assert node[key] == sum(c[key] for c in children), (path, node["name"], key)
        else:
            assert node[key] == sum(c[key] for c in children) + outside.get(key, 0), (path, node["name"], key)
    assert node["cards_gained"] == sum(c["cards_gained"] for c in children) + node.get("cards_gained_outside_children", 0)
    for child in children:
        assert_adds_up(child, f"{path}/{node['name']}")


def find(node, **match):
    if all(node.get(k) == v for k, v in match.items()):
        return node
    for child in node.get("children", []):
        hit = find(child, **match)
        if hit:
            return hit
    return None


@pytest.fixture
def field(world, officers):
    """Allocation on the baseline, a month of visits, and the facts of 31 October (some cards gained)."""
    targets_allocate(area=world["province"], goal_rate="0.965", due=dt.date(2025, 12, 31), decision="462/QĐ-BHXH",
                     as_of=BASELINE, actor="test")
    bo, bt, gp, lau = world["communes"]
    v = world["villages"]
    an, binh, dung = (User.objects.get(username=u) for u in ("vanan", "thibinh", "thidung"))
    hh1 = f.household(bo, v[bo.pk][0])
    a, b = f.person(hh=hh1), f.person(hh=hh1)
    visit(hh1, an, "promised", day=dt.date(2025, 10, 5), members=[a, b])
    visit(hh1, binh, "enrolled", day=dt.date(2025, 10, 12), members=[a], confirmed={a: f.card()})
    visit(f.household(bo, v[bo.pk][1]), an, "refused", reason="cost", follow_up=TODAY)
    visit(f.household(bt, v[bt.pk][1]), binh, "not_at_home", follow_up=dt.date(2025, 10, 20))
    visit(f.household(bt, v[bt.pk][0]), an, "refused", reason="distrust")  # not An's village
    visit(f.household(lau), dung, "refused", reason="other")  # a household without a village
    visit(f.household(gp, v[gp.pk][0]), dung, "promised", day=dt.date(2025, 11, 5))  # after the as-of date
    later = {name: [(r, i, c) for r, i, c in rows] for name, rows in VILLAGES.items()}
    later["Xã Mường Bo"][0] = (400, 310, 320)  # +10 cards in Mường Bo's first village
    later["Xã Gia Phú"][0] = (500, 475, 485)  # +5
    facts_write(world, LATER, later)
    return world


def test_province_progress_adds_up_from_province_to_officer(field):
    report = progress_report(area=field["province"], as_of=TODAY)
    assert (report["facts_date"], report["as_of"]) == (LATER.isoformat(), TODAY.isoformat())
    top = report["progress"]
    assert_adds_up(top)
    assert {k: top[k] for k in ("target", "cards_gained", "visits", "households_reached", "promised", "enrolled",
                                "confirmed", "refused_cost", "refused_no_benefit", "refused_distrust",
                                "refused_other", "follow_ups_due", "follow_ups_overdue")} == {
        "target": 291, "cards_gained": 15, "visits": 6, "households_reached": 5, "promised": 2, "enrolled": 1,
        "confirmed": 1, "refused_cost": 1, "refused_no_benefit": 0, "refused_distrust": 1, "refused_other": 1,
        "follow_ups_due": 1, "follow_ups_overdue": 1}
    bo, bt, _, lau = field["communes"]
    first = find(top, level="village", code=field["villages"][bo.pk][0].code)
    by_officer = {c["officer"]: c for c in first["children"]}
    # the household goes to the officer of its latest visit (Bình); each visit to its own officer
    assert {u: (c["visits"], c["households_reached"], c["enrolled"]) for u, c in by_officer.items()} == {
        "vanan": (1, 0, 0), "thibinh": (1, 1, 1)}
    assert first["cards_gained"] == 10 and sum(c["cards_gained"] for c in first["children"]) == 10
    # An visited a village of Bảo Thắng without a target there: shown under it with a target of 0
    extra = find(top, level="officer", code=field["villages"][bt.pk][0].code, officer="vanan")
    assert (extra["target"], extra["assigned"], extra["refused_distrust"]) == (0, False, 1)
    # Bản Lầu's household without a village is the commune's own, outside its villages
    commune = find(top, level="commune", code=lau.code)
    assert commune["outside_children"] == {"visits": 1, "households_reached": 1, "refused_other": 1}


def test_officer_progress_and_an_earlier_date(field):
    binh = User.objects.get(username="thibinh")
    report = progress_report(officer=binh, as_of=TODAY)["progress"]
    assert report["officer"] == "thibinh" and len(report["children"]) == 4
    assert (report["visits"], report["households_reached"], report["follow_ups_overdue"]) == (2, 2, 1)
    assert report["target"] == sum(c["target"] for c in report["children"])
    an = progress_report(officer=User.objects.get(username="vanan"), as_of=TODAY)["progress"]
    assert an["visits"] == 3 and any(c.get("assigned") is False for c in an["children"])
    before = progress_report(area=field["province"], as_of=dt.date(2025, 10, 1))
    assert (before["facts_date"], before["progress"]["visits"], before["progress"]["cards_gained"]) == (
        BASELINE.isoformat(), 0, 0)


def test_unit_and_village_progress(field):
    unit = progress_report(area=field["units"][0], as_of=TODAY)
    assert unit["progress"]["code"] == "BHXH-NORTH"
    assert_adds_up(unit["progress"])
    village = field["villages"][field["communes"][0].pk][0]
    assert progress_report(area=village, as_of=TODAY)["progress"]["cards_gained"] == 10


def test_progress_from_the_command_line(field):
    from typer.testing import CliRunner

    from everydoor.cli.app import app

    runner = CliRunner()
    result = runner.invoke(app, ["progress", "--area", "Lào Cai", "--as-of", TODAY.isoformat(), "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["progress"]["visits"] == 6 and document["campaign"]["decision"] == "462/QĐ-BHXH"
    text = runner.invoke(app, ["progress", "--officer", "thibinh", "--as-of", TODAY.isoformat()])
    assert text.exit_code == 0 and "Lò Thị Bình" in text.output
    bad = runner.invoke(app, ["progress", "--area", "Lào Cai", "--officer", "thibinh", "--json"])
    assert bad.exit_code == 1 and bad.stdout == "" and "name exactly one of" in bad.output


def test_a_new_visit_or_target_change_shows_at_the_next_read(field):
    from everydoor.campaign.selectors import target_one
    from everydoor.campaign.targets import target_set

    first = progress_report(area=field["province"], as_of=TODAY)["progress"]
    bo = field["communes"][0]
    visit(f.household(bo, field["villages"][bo.pk][1]), User.objects.get(username="vanan"), "refused",
          reason="no_benefit", day=dt.date(2025, 11, 1))
    second = progress_report(area=field["province"], as_of=TODAY)["progress"]
    assert (second["visits"], second["refused_no_benefit"]) == (first["visits"] + 1, 1)
    target_set(target_one(area=field["units"][1]), value=30, actor="m")
    third = progress_report(area=field["province"], as_of=TODAY)["progress"]
    assert find(third, code="BHXH-SOUTH")["target"] == 30 and third["target"] == 291
    assert_adds_up(third)


@pytest.mark.django_db(transaction=True)  # the background thread reads through its own connection
def test_pages_read_a_recent_report_at_once_while_the_newer_one_is_computed(field):
    import time

    from everydoor.campaign import progress
    from everydoor.campaign.selectors import target_one
    from everydoor.campaign.targets import target_set

    first = progress_report(area=field["province"], as_of=TODAY, max_age=60)
    bo = field["communes"][0]
    visit(f.household(bo, field["villages"][bo.pk][1]), User.objects.get(username="vanan"), "refused",
          reason="no_benefit", day=dt.date(2025, 11, 1))
    assert progress_report(area=field["province"], as_of=TODAY, max_age=60) is first  # at once, as it was
    for _ in range(200):  # the newer report, computed in the background
        if not progress._refreshing:
            break
        time.sleep(0.05)
    newer = progress_report(area=field["province"], as_of=TODAY, max_age=60)
    assert newer["progress"]["visits"] == first["progress"]["visits"] + 1 and newer["computed_at"]
    assert progress_report(area=field["province"], as_of=TODAY)["progress"]["visits"] == newer["progress"]["visits"]
    target_set(target_one(area=field["units"][1]), value=30, actor="m")  # a target changed: never the old one
    assert find(progress_report(area=field["province"], as_of=TODAY, max_age=60)["progress"],
                code="BHXH-SOUTH")["target"] == 30


def test_a_node_read_after_its_campaign_is_taken_from_the_whole_report_with_the_same_figures(field):
    from everydoor.campaign import progress
    from everydoor.campaign.models import Target

    below = list(Target.objects.exclude(level__in=["province", "officer"]).select_related("area", "agency_unit"))
    own = {}
    for target in below:  # each counted on its own first
        subject = {"area": target.agency_unit or target.area}
        own[target.pk] = progress_report(**subject, as_of=TODAY)["progress"]
    progress.progress_forget()
    whole = progress_report(area=field["province"], as_of=TODAY)
    for target in below:
        part = progress_report(area=target.agency_unit or target.area, as_of=TODAY)
        assert part["computed_at"] == whole["computed_at"]  # taken from the whole report, not counted again
        assert part["progress"] == own[target.pk], target
