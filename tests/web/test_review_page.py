"""The review queue page: area scope, who may decide, final decisions, and one pass in chromium."""

import pytest

from everydoor.accounts.models import AuditEvent, Role
from everydoor.accounts.services import user_upsert
from everydoor.linkage.models import Link, ReviewItem
from tests import factories as f
from tests.web.browser import chromium_page

PW = "pw-123456"


def _world():
    """Two communes of one province, a pair in each, and a pair whose card has no commune but whose resident is in A."""
    prov = f.province(code="98", name="Tỉnh Thử Nghiệm")
    a, b = f.commune("Xã Mường Bo", prov=prov), f.commune("Xã Bản Lầu", prov=prov)
    hh = f.household(a, f.village("Thôn Nậm Cang", com=a), code="HH-MB-001")
    items = {
        "a": _pair(f.card(full_name="Giàng A Pao", com=a, personal_id="098090000001"),
                   f.person(full_name="Giàng A Páo", personal_id="098090000001", hh=hh), 0.8),
        "b": _pair(f.card(full_name="Lò Văn On", com=b), f.person(full_name="Lò Văn Ơn", com=b), 0.6),
        "a_by_resident": _pair(f.card(full_name="Sùng Thi Mai"), f.person(full_name="Sùng Thị Mai", hh=hh), 0.7),
    }
    return prov, a, b, items


def _pair(card, person, probability):
    return ReviewItem.objects.create(card=card, person=person, match_probability=probability)


def _login(client, username, role, area):
    user = user_upsert(username=username, password=PW, role=role, area=area)
    client.login(username=username, password=PW)
    return user


def _shown(response) -> list[int]:
    return [row["id"] for row in response.context["page"].object_list]


@pytest.mark.django_db
def test_the_queue_shows_only_the_users_area_most_likely_first(client, django_assert_max_num_queries):
    prov, a, _, items = _world()
    assert client.get("/review/").status_code == 302  # login first
    user = _login(client, "manager_a", Role.UNIT_MANAGER, a)
    with django_assert_max_num_queries(8):  # session, user, profile, area, count, rows, audit, communes
        response = client.get("/review/")
    assert _shown(response) == [items["a"].id, items["a_by_resident"].id]
    page = response.content.decode()
    for shown in ("Giàng A Pao", "Giàng A Páo", "098090000001", "Xã Mường Bo", "Thôn Nậm Cang", "HH-MB-001"):
        assert shown in page
    assert "Lò Văn Ơn" not in page and 'href="/review/"' in page
    viewed = AuditEvent.objects.get(action="lookup", object_type="review_queue")
    assert (viewed.user, viewed.area_code, viewed.detail["items"]) == (user, a.code, _shown(response))

    _login(client, "boss", Role.PROVINCE, prov)
    assert _shown(client.get("/review/")) == [items["a"].id, items["a_by_resident"].id, items["b"].id]


@pytest.mark.django_db
def test_the_commune_filter_and_the_pages_stay_inside_the_area(client, monkeypatch):
    prov, a, b, items = _world()
    _login(client, "boss", Role.PROVINCE, prov)
    assert _shown(client.get("/review/", {"commune": b.code})) == [items["b"].id]
    monkeypatch.setattr("everydoor.web.views.REVIEW_PAGE_SIZE", 2)
    assert _shown(client.get("/review/", {"page": 2})) == [items["b"].id]
    _login(client, "manager_a", Role.UNIT_MANAGER, a)
    assert _shown(client.get("/review/", {"commune": b.code})) == []


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.COMMUNE_CHAIR, Role.OFFICER, Role.CLINIC])
def test_roles_that_do_not_review_see_no_personal_data_and_decide_nothing(client, role):
    prov, _, _, items = _world()
    _login(client, "someone", role, prov)
    assert 'href="/review/"' not in client.get("/").content.decode()
    response = client.get("/review/")
    assert response.status_code == 404 and "Giàng" not in response.content.decode()  # outside the scope: 404
    assert client.post(f"/review/{items['a'].id}/accept").status_code == 404
    assert ReviewItem.objects.get(id=items["a"].id).decision == "pending"
    assert not Link.objects.exists() and not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_an_item_outside_the_area_cannot_be_decided(client):
    _, a, _, items = _world()
    _login(client, "manager_a", Role.UNIT_MANAGER, a)
    assert client.post(f"/review/{items['b'].id}/accept").status_code == 404
    assert client.post(f"/review/{items['b'].id}/reject").status_code == 404
    assert ReviewItem.objects.get(id=items["b"].id).decision == "pending"
    assert not Link.objects.exists() and not AuditEvent.objects.filter(action="review").exists()
    assert client.post("/review/999999/accept").status_code == 404
    assert client.get(f"/review/{items['a'].id}/accept").status_code == 405  # a decision is a POST


@pytest.mark.django_db
def test_accept_links_the_pair_and_records_the_reviewer(client):
    _, a, _, items = _world()
    user = _login(client, "manager_a", Role.UNIT_MANAGER, a)
    item = items["a_by_resident"]  # in the area through its resident only
    response = client.post(f"/review/{item.id}/accept", {"commune": a.code, "page": "1"})
    assert response.status_code == 302 and response.url == f"/review/?commune={a.code}&page=1"
    link = Link.objects.get(card_id=item.card_id)
    assert (link.person_id, link.method, link.reviewer) == (item.person_id, "manual", user)
    item.refresh_from_db()
    assert (item.decision, item.reviewer) == ("accepted", user)
    audit = AuditEvent.objects.get(action="review")
    assert (audit.user, audit.object_id, audit.detail["decision"]) == (user, str(item.id), "accepted")
    page = client.get(response.url)
    assert _shown(page) == [items["a"].id] and f"Đã chấp nhận cặp {item.id}" in page.content.decode()


@pytest.mark.django_db
def test_a_rejection_is_final_and_a_second_decision_is_a_message_not_an_error(client):
    _, a, _, items = _world()
    user = _login(client, "manager_a", Role.UNIT_MANAGER, a)
    item = items["a"]
    client.post(f"/review/{item.id}/reject")
    item.refresh_from_db()
    assert (item.decision, item.reviewer) == ("rejected", user) and not Link.objects.exists()
    page = client.post(f"/review/{item.id}/accept", follow=True)
    assert page.status_code == 200 and f"Cặp {item.id} đã được quyết định trước đó: review item {item.id} was already rejected" in page.content.decode()
    item.refresh_from_db()
    assert item.decision == "rejected" and not Link.objects.exists()
    assert AuditEvent.objects.filter(action="review").count() == 1


@pytest.mark.browser
def test_accept_a_pair_in_chromium(live_server, transactional_db):
    from playwright.sync_api import expect

    prov, _, _, items = _world()
    user_upsert(username="boss", password=PW, role=Role.PROVINCE, area=prov)
    with chromium_page() as page:
        page.goto(f"{live_server.url}/review/")
        page.fill("input[name=username]", "boss")
        page.fill("input[name=password]", PW)
        page.click("#sign-in")
        pair = page.locator(f"#item-{items['a'].id}")
        expect(pair).to_contain_text("Giàng A Páo")
        pair.locator("button.accept").click()
        expect(page.locator("ul.messages")).to_contain_text(f"Đã chấp nhận cặp {items['a'].id}")
        expect(pair).to_have_count(0)
        assert page.locator("section.pair").count() == 2
    assert Link.objects.get(card_id=items["a"].card_id).method == "manual"


@pytest.mark.django_db
def test_a_pair_past_a_thousand_keeps_its_anchor_whole(client, large_ids):
    prov, a, _, items = _world()
    assert items["a"].pk > large_ids
    _login(client, "lanh_dao", Role.PROVINCE, prov)
    page = client.get("/review/").content.decode()
    assert f'id="item-{items["a"].pk}"' in page
