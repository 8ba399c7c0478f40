"""The lapse page: each manager's own area from its digest (computed by `lapses prepare`), the areas adding
up to the province, drill-down to the communes in scope, and nothing for the roles it is not for."""

import pytest

from everydoor.lapses.models import LapseDigest
from everydoor.lapses.prepare import prepare
from everydoor.lapses.services import lapse_list
from everydoor.registry.models import Card
from tests.web import world as W


@pytest.fixture
def prepared(w):
    W.users(w)
    prepare(as_of=W.AS_OF, province="98")
    return w


def _get(client, user: str, url: str):
    client.logout()
    assert client.login(username=user, password=W.PW)
    return client.get(url)


def test_the_province_page_shows_the_lapse_list_summary_and_the_forecast(client, prepared, django_assert_max_num_queries):
    w = prepared
    expected = lapse_list(area=w["province"], as_of=W.AS_OF, until=LapseDigest.objects.get(level="province").until)
    total = expected["summary"]["total"]
    assert total["cards_lapsing"] > 0
    client.login(username="leader", password=W.PW)
    with django_assert_max_num_queries(8):
        response = client.get("/lapses/")
    page = response.content.decode()
    assert response.status_code == 200 and "Cảnh báo hết hạn thẻ · Tỉnh Thử Nghiệm" in page
    assert f'<span class="value">{total["cards_lapsing"]}</span>' in page
    children = response.context["children"]
    assert [c["label"] for c in children] == [c["commune"] for c in expected["summary"]["by_commune"]]
    assert all(c["url"] for c in children)  # the province opens each of its communes
    forecast = response.context["forecast"]
    assert forecast["cards"]["low"] <= forecast["cards"]["expected"] <= forecast["cards"]["high"]
    assert forecast["plan"]["cards"] == 42 and 'id="plan"' in page
    assert "Thẻ hết hạn, chưa thấy gia hạn" in page  # the reason in the reader's language


def test_the_areas_add_up_to_the_province(prepared):
    w = prepared
    digests = {(d.level, d.area_code): d for d in LapseDigest.objects.filter(province_code="98")}
    assert len(digests) == 1 + 2 + 3  # the province, its agency units, its communes
    measures = ("cards_lapsing", "people", "households", "premium")
    communes = [digests[("commune", c.code)].summary["total"] for c in (w["a"], w["b"], w["c"])]
    province = digests[("province", "98")].summary["total"]
    unit = digests[("agency_unit", w["unit_ab"].code)].summary["total"]
    assert all(province[m] == sum(c[m] for c in communes) for m in measures)
    assert all(unit[m] == communes[0][m] + communes[1][m] for m in measures)
    forecasts = [digests[("commune", c.code)].forecast["parts"]["due"] for c in (w["a"], w["b"], w["c"])]
    assert digests[("province", "98")].forecast["parts"]["due"] == sum(forecasts)


def test_each_manager_sees_its_own_area_and_nothing_outside(client, prepared):
    w = prepared
    unit = _get(client, "manager", "/lapses/")
    assert unit.status_code == 200 and unit.context["name"] == w["unit_ab"].name
    assert {c["label"] for c in unit.context["children"]} <= {w["a"].name, w["b"].name}
    chair = _get(client, "chair", "/lapses/")
    assert chair.status_code == 200 and chair.context["name"] == w["a"].name and chair.context["child_level"] == "village"
    for url in (f"/lapses/area/{w['c'].code}/", f"/lapses/area/{w['province'].code}/", f"/lapses/unit/{w['unit_ab'].code}/",
                f"/lapses/area/{w['villages'][w['a'].pk][0].code}/"):
        assert _get(client, "chair", url).status_code == 404, url
    assert _get(client, "manager", f"/lapses/area/{w['c'].code}/").status_code == 404
    for role in ("officer", "clinic"):
        assert _get(client, role, "/lapses/").status_code == 404


def test_without_a_digest_the_page_says_how_to_compute_it_and_a_changed_register_is_flagged(client, prepared):
    w = prepared
    LapseDigest.objects.filter(level="commune", area_code=w["a"].code).delete()
    page = _get(client, "chair", "/lapses/").content.decode()
    assert "Chưa tính cảnh báo hết hạn thẻ cho Xã Mường Bo" in page and "everydoor lapses prepare" in page
    assert 'id="stale"' not in _get(client, "leader", "/lapses/").content.decode()
    card = Card.objects.filter(commune=w["a"]).first()
    card.valid_to = card.valid_to.replace(year=2026)
    card.save()  # an edit of the registers: the digest is from before it
    assert 'id="stale"' in _get(client, "leader", "/lapses/").content.decode()
