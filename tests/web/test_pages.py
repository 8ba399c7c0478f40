"""Pages: login, area scope, and the communes page in a real browser (Debian's chromium)."""

import pytest
from django.contrib.auth import get_user_model

from everydoor.accounts.models import Role
from everydoor.accounts.services import user_upsert
from tests import factories as f
from tests.web.browser import chromium_page


def _world():
    prov = f.province(code="98", name="Tỉnh Thử Nghiệm")
    muong_bo, ban_lau = f.commune("Xã Mường Bo", prov=prov), f.commune("Xã Bản Lầu", prov=prov)
    hh = f.household(muong_bo, f.village("Thôn Nậm Cang", com=muong_bo))
    f.person(full_name="Giàng A Páo", hh=hh)
    f.person(full_name="Sùng Thị Mai", hh=hh)
    f.person(full_name="Lò Văn Ơn", com=ban_lau)
    f.card(com=muong_bo)
    return prov, muong_bo, ban_lau


@pytest.mark.django_db
def test_pages_need_a_login_and_show_only_the_users_area(client):
    prov, muong_bo, _ = _world()
    assert client.get("/").status_code == 302
    user_upsert(username="chair", password="pw-123456", role=Role.COMMUNE_CHAIR, area=muong_bo)
    client.login(username="chair", password="pw-123456")
    page = client.get("/").content.decode()
    assert "Xã Mường Bo" in page and "Xã Bản Lầu" not in page
    user_upsert(username="boss", password="pw-123456", role=Role.PROVINCE, area=prov)
    client.login(username="boss", password="pw-123456")
    page = client.get("/").content.decode()
    assert "Xã Mường Bo" in page and "Xã Bản Lầu" in page


@pytest.mark.django_db
def test_a_user_without_an_area_is_refused(client):
    get_user_model().objects.create_user(username="nobody", password="pw-123456")
    client.login(username="nobody", password="pw-123456")
    response = client.get("/")
    assert response.status_code == 403 and "no area" in response.content.decode()


@pytest.mark.browser
def test_login_and_communes_in_chromium(live_server, transactional_db):
    prov, _, _ = _world()
    user_upsert(username="boss", password="pw-123456", role=Role.PROVINCE, area=prov)
    with chromium_page() as page:
        page.goto(f"{live_server.url}/")
        page.fill("input[name=username]", "boss")
        page.fill("input[name=password]", "pw-123456")
        page.click("button[type=submit]")
        page.wait_for_selector("table#communes")
        rows = page.locator("table#communes tbody tr")
        assert rows.count() == 2
        text = page.locator("table#communes").inner_text()
        assert "Xã Mường Bo" in text and "Xã Bản Lầu" in text
        assert page.locator("h1").inner_text() == "Tỉnh Thử Nghiệm"
