"""The targets and progress pages: each role's own part, the drill-down adding up, set/lock/unlock and the
allocation through the pages, refusals, and nothing outside the user's scope (404)."""

import datetime as dt

import pytest
from django.contrib.messages import get_messages

from everydoor.accounts.models import AuditEvent
from everydoor.campaign.models import Target
from everydoor.campaign.progress import progress_forget
from everydoor.campaign.targets import targets_allocate
from everydoor.registry.models import Person
from tests.campaign.conftest import visit
from tests.web import world as W

DUE = dt.date(2025, 12, 31)
AS_OF = "2025-11-03"


def _login(client, name):
    assert client.login(username=name, password=W.PW)


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _target(level, **where) -> Target:
    return Target.objects.get(level=level, **where)


@pytest.fixture
def campaign(w):
    """The province's goal allocated on the coverage of 31 October, and a few visits by the officer."""
    progress_forget()
    targets_allocate(area=w["province"], goal_rate="0.965", due=DUE, decision="462/QĐ-BHXH", as_of=W.AS_OF,
                     actor="test")
    officer, a = w["users"]["officer"], w["a"]
    first, second = w["households"][a.pk][:2]  # both in the officer's village
    visit(first, officer, "promised", day=dt.date(2025, 10, 5), members=list(Person.objects.filter(household=first)))
    visit(first, officer, "enrolled", day=dt.date(2025, 10, 20), members=list(Person.objects.filter(household=first))[:1])
    visit(second, officer, "refused", reason="cost", follow_up=dt.date(2025, 10, 25))
    yield w
    progress_forget()


@pytest.mark.parametrize(("name", "subject"), [
    ("leader", "Tỉnh Thử Nghiệm"), ("manager", "BHXH cơ sở Mường Khương"), ("chair", "Xã Mường Bo"),
    ("officer", "Nguyễn Văn An")])
def test_each_role_sees_its_own_part_on_both_pages(client, campaign, name, subject):
    _login(client, name)
    for url in ("/progress/", "/targets/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.context["name"] == subject
        page = response.content.decode()
        assert 'href="/targets/"' in page and 'href="/progress/"' in page  # the header's links
        assert "462/QĐ-BHXH" in page and "31/12/2025" in page  # the campaign, its date in Vietnamese


def test_roles_without_a_part_get_no_links_and_a_404(client, campaign):
    _login(client, "clinic")
    assert 'href="/progress/"' not in client.get("/lookup/").content.decode()
    assert client.get("/progress/").status_code == 404 and client.get("/targets/").status_code == 404


def test_progress_drills_down_to_officers_adding_up_at_every_level(client, campaign, django_assert_max_num_queries):
    _login(client, "leader")
    url, seen = f"/progress/?as_of={AS_OF}", []
    while url:
        with django_assert_max_num_queries(20):
            response = client.get(url)
        assert response.status_code == 200, url
        node, rows = response.context["node"], response.context["rows"]
        seen.append(node.get("level"))
        for key in ("target", "cards_gained", "visits", "households_reached", "enrolled", "follow_ups_overdue"):
            assert node[key] == sum(r[key] for r in rows), (url, key)
        # one click down, through the officer's agency unit, commune and village; the as-of date kept
        below = [r for r in rows if r["url"] and (r["visits"] or r["level"] == "officer")]
        url = below[0]["url"] if below else None
        if url:
            assert f"as_of={AS_OF}" in url
    assert seen == ["province", "agency_unit", "commune", "village", "officer"]
    officer = response.context["node"]
    assert (officer["visits"], officer["households_reached"], officer["promised"], officer["enrolled"],
            officer["refused_cost"], officer["follow_ups_overdue"]) == (3, 2, 3, 1, 1, 1)
    page = response.content.decode()
    assert "Thôn Nậm Cang" in page and 'class="chart"' in page  # its village, the target bar and the funnel


def test_the_progress_page_says_when_there_is_no_campaign_and_sends_managers_to_targets(client, w):
    progress_forget()
    _login(client, "manager")
    page = client.get("/progress/").content.decode()
    assert 'id="no-campaign"' in page and 'href="/targets/"' in page
    _login(client, "chair")
    page = client.get("/progress/").content.decode()
    assert 'id="no-campaign"' in page and 'class="button" href="/targets/"' not in page
    _login(client, "leader")
    page = client.get("/targets/").content.decode()
    assert 'id="allocate"' in page and 'value="0.965"' in page and f'value="{dt.date.today().year}-12-31"' in page


def test_the_province_allocates_from_its_page(client, w):
    _login(client, "leader")
    response = client.post("/targets/allocate", {"goal_rate": "0,965", "due": "2025-12-31", "decision": "462/QĐ-BHXH"},
                           follow=True)
    root = Target.objects.get(level="province", campaign__due=DUE)
    text = " ".join(_messages(response))
    assert f"– → {root.value}" in text and "31/12/2025" in text, text
    assert response.context["node"]["value"] == root.value
    assert AuditEvent.objects.filter(action="targets_allocate").count() == 1  # audited once, by the service
    response = client.post("/targets/allocate", {"goal_rate": "1.5", "due": "2025-12-31"}, follow=True)
    assert "goal-rate" in " ".join(_messages(response))
    _login(client, "manager")
    assert client.post("/targets/allocate", {"goal_rate": "0.965", "due": "2025-12-31"}).status_code == 404


def test_a_unit_manager_sets_locks_and_unlocks_its_communes_targets(client, campaign, django_assert_max_num_queries):
    _login(client, "manager")
    unit = _target("agency_unit", agency_unit=campaign["unit_ab"])
    a, b = _target("commune", area=campaign["a"]), _target("commune", area=campaign["b"])
    with django_assert_max_num_queries(20):
        page = client.get("/targets/")
    assert {r["id"]: r["editable"] for r in page.context["rows"]} == {a.pk: True, b.pk: True}
    assert page.content.decode().count('name="csrfmiddlewaretoken"') >= 5  # language, sign-out, 2 × 2 forms
    response = client.post(f"/targets/{a.pk}/set", {"value": str(unit.value), "next": "/targets/"})
    assert response.status_code == 302 and response["Location"] == "/targets/"
    text = " ".join(_messages(client.get("/targets/")))
    assert f"Xã Mường Bo: {a.value} → {unit.value}" in text, text
    a.refresh_from_db(), b.refresh_from_db(), unit.refresh_from_db()
    assert (a.value, a.locked, b.value, b.locked) == (unit.value, True, 0, False)  # the unit still adds up
    assert AuditEvent.objects.filter(action="target_set", object_id=str(a.pk)).count() == 1
    client.post(f"/targets/{b.pk}/lock", {"next": f"/targets/area/{campaign['b'].code}/"})
    b.refresh_from_db()
    assert b.locked
    response = client.post(f"/targets/{a.pk}/unlock", {"next": "https://elsewhere.example/"}, follow=True)
    assert response.redirect_chain[-1][0] == "/targets/"  # never sent off the site
    a.refresh_from_db()
    assert not a.locked and f"Xã Mường Bo ({unit.value} thẻ): đã khóa → chưa khóa" in " ".join(_messages(response))


def test_a_set_that_locked_targets_cannot_absorb_changes_nothing_and_says_why(client, campaign):
    _login(client, "manager")
    unit = _target("agency_unit", agency_unit=campaign["unit_ab"])
    a, b = _target("commune", area=campaign["a"]), _target("commune", area=campaign["b"])
    client.post(f"/targets/{b.pk}/set", {"value": str(unit.value)})
    before = list(Target.objects.order_by("pk").values_list("value", "locked"))
    response = client.post(f"/targets/{a.pk}/set", {"value": "1", "next": "/targets/"}, follow=True)
    assert list(Target.objects.order_by("pk").values_list("value", "locked")) == before
    text = " ".join(_messages(response))
    assert "không đổi" in text and "locked" in text, text
    response = client.post(f"/targets/{a.pk}/set", {"value": "nhiều"}, follow=True)
    assert list(Target.objects.order_by("pk").values_list("value", "locked")) == before
    assert "không đổi" in " ".join(_messages(response))


@pytest.mark.parametrize("name", ["chair", "officer"])
def test_commune_chairmen_and_officers_read_only(client, campaign, name):
    _login(client, name)
    page = client.get("/targets/")
    assert page.status_code == 200 and "/set\"" not in page.content.decode() and not page.context.get("any_editable")
    for level, where in (("commune", {"area": campaign["a"]}), ("village", {"area": campaign["villages"][campaign["a"].pk][0]}),
                         ("officer", {"officer": campaign["users"]["officer"]})):
        target = _target(level, **where)
        before = (target.value, target.locked)
        for action in ("set", "lock", "unlock"):
            assert client.post(f"/targets/{target.pk}/{action}", {"value": "0"}).status_code == 404, (level, action)
        target.refresh_from_db()
        assert (target.value, target.locked) == before
    assert client.post("/targets/allocate", {"goal_rate": "0.965", "due": "2025-12-31"}).status_code == 404


def test_a_manager_cannot_see_or_touch_another_units_nodes(client, campaign):
    _login(client, "manager")
    c = campaign["c"]
    for url in ("/targets/unit/U2/", f"/targets/area/{c.code}/", f"/progress/area/{c.code}/", "/progress/unit/U2/",
                f"/progress/area/{campaign['villages'][c.pk][0].code}/", "/targets/area/98/", "/progress/area/98/",
                "/progress/officer/leader/", "/targets/officer/nobody/"):
        assert client.get(url).status_code == 404, url
    for target in (_target("commune", area=c), _target("agency_unit", agency_unit=campaign["unit_ab"]),
                   _target("province", area=campaign["province"])):
        assert client.post(f"/targets/{target.pk}/set", {"value": "0"}).status_code == 404
        assert client.post(f"/targets/{target.pk}/lock").status_code == 404
    assert not AuditEvent.objects.filter(action__in=("target_set", "target_lock")).exists()


def test_english_on_request_with_its_own_date_and_number_format(client, campaign):
    _login(client, "leader")
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    root, unit = _target("province", area=campaign["province"]), _target("agency_unit", agency_unit=campaign["unit_ab"])
    response = client.post(f"/targets/{unit.pk}/set", {"value": str(root.value)}, follow=True)
    assert f"BHXH cơ sở Mường Khương: {unit.value} → {root.value} cards, locked." in " ".join(_messages(response))
    page = client.get(f"/progress/?as_of={AS_OF}").content.decode()
    assert "Cards gained" in page and "2025-12-31" in page and 'lang="en"' in page
    client.post("/i18n/setlang/", {"language": "vi", "next": "/"})


def test_targets_past_a_thousand_keep_their_ids_whole(client, w, large_ids):
    """A row's id and its field's label are read by the browser: 1234568, not the figure 1.234.568."""
    targets_allocate(area=w["province"], goal_rate="0.965", due=DUE, decision="462/QĐ-BHXH", as_of=W.AS_OF,
                     actor="test")
    a = _target("commune", area=w["a"])
    assert a.pk > large_ids
    _login(client, "manager")
    page = client.get("/targets/").content.decode()
    assert f'<tr id="target-{a.pk}">' in page and f'for="value-{a.pk}"' in page and f'id="value-{a.pk}"' in page
