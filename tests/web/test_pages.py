"""Area pages: sign-in, the dashboard from stored facts, drill-down to a household, masking, audit, queries."""

import re

import pytest

from everydoor.accounts.models import AuditEvent
from everydoor.coverage.models import CoverageFact
from tests.web import world as W


def _bare(response, path: str) -> str:
    """The page without its own path and CSRF token (masked anew on every response)."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode()).replace(path, "")


def _login(client, name):
    assert client.login(username=name, password=W.PW)


def test_pages_need_a_sign_in(client, w):
    for url in ("/", f"/area/{w['a'].code}/", "/audit/", f"/household/{w['households'][w['a'].pk][0].pk}/"):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith("/login/"), url


def test_a_user_without_an_area_is_refused(client, db):
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_user(username="nobody", password=W.PW)
    client.login(username="nobody", password=W.PW)
    response = client.get("/")
    assert response.status_code == 403 and "no area" in response.content.decode()


def test_the_province_dashboard_reads_stored_facts_of_the_latest_date(client, w, django_assert_max_num_queries):
    _login(client, "leader")
    total = CoverageFact.objects.get(as_of=W.AS_OF, level="province", area_code="98", dimension="")
    before = CoverageFact.objects.get(as_of=W.YEAR_BEFORE, level="province", area_code="98", dimension="")
    with django_assert_max_num_queries(16):
        response = client.get("/")
    assert response.status_code == 200
    context = response.context
    assert context["as_of"] == W.AS_OF and context["dates"] == [W.AS_OF, W.YEAR_BEFORE]
    assert context["figures"]["cards"] == total.cards and context["facts"]["change"] == total.cards - before.cards
    assert [r["name"] for r in context["communes"]] == ["Phường Cam Đường", "Xã Bản Lầu", "Xã Mường Bo"]
    assert [r["code"] for r in context["units"]] == ["U2", "U1"]  # by name: Cam Đường, Mường Khương
    page = response.content.decode()
    assert "31/10/2025" in page and "<svg" in page and 'href="/area/' in page
    # Vietnamese by default: decimal comma
    rate = context["figures"]["resident_rate"]
    assert f"{rate:.2f}".replace(".", ",") + "%" in page
    # another computed date is shareable in the URL
    response = client.get("/", {"as_of": W.YEAR_BEFORE.isoformat()})
    assert response.context["figures"]["cards"] == before.cards and response.context["facts"]["change"] is None


def test_a_date_without_facts_or_a_bad_date_is_a_clear_400(client, w):
    _login(client, "leader")
    response = client.get("/", {"as_of": "2025-01-01"})
    assert response.status_code == 400 and "2025-10-31" in response.content.decode()
    assert client.get("/", {"as_of": "31/10/2025"}).status_code == 400


def test_the_page_never_computes_coverage(client, w, monkeypatch):
    def refuse(**kwargs):
        raise AssertionError("a page computed coverage")

    monkeypatch.setattr("everydoor.coverage.services.coverage_compute", refuse)
    _login(client, "leader")
    assert client.get(f"/area/{w['a'].code}/").status_code == 200


def test_drill_down_province_unit_commune_village_household(client, w, django_assert_max_num_queries):
    _login(client, "leader")
    a, village = w["a"], w["villages"][w["a"].pk][0]
    unit = client.get("/unit/U1/")
    assert [r["code"] for r in unit.context["communes"]] == sorted([w["a"].code, w["b"].code],
                                                                   key=lambda c: {w["a"].code: 1, w["b"].code: 0}[c])
    with django_assert_max_num_queries(16):
        commune = client.get(f"/area/{a.code}/")
    assert [r["name"] for r in commune.context["villages"]] == ["Thôn Nậm Cang", "Thôn Pạc Tà"]
    assert "BHXH cơ sở Mường Khương" in commune.content.decode()  # the trail names the agency unit
    with django_assert_max_num_queries(16):
        page = client.get(f"/area/{village.code}/")
    rows = page.context["households"]
    assert len(rows) == 2 and all(r["residents"] == 3 for r in rows)
    assert sum(r["insured"] for r in rows) == sum(1 for r in rows for _ in range(r["insured"]))
    hh = w["households"][a.pk][0]
    with django_assert_max_num_queries(16):
        page = client.get(f"/household/{hh.pk}/")
    members = page.context["members"]
    assert len(members) == 3 and members[0]["shown_id"] == members[0]["personal_id"]  # the data office sees IDs
    event = AuditEvent.objects.get(action="lookup", object_type="household")
    assert event.object_id == hh.code and event.detail["members"] == [m["id"] for m in members]


def test_commune_chairman_sees_masked_ids_and_only_the_commune(client, w):
    _login(client, "chair")
    home = client.get("/")
    assert home.context["area"] == w["a"] and "Xã Bản Lầu" not in home.content.decode()
    hh = w["households"][w["a"].pk][0]
    page = client.get(f"/household/{hh.pk}/")
    member = page.context["members"][0]
    assert member["shown_id"] == "********" + member["personal_id"][-4:]
    assert member["personal_id"] not in page.content.decode()


@pytest.mark.parametrize("name", ["chair", "officer", "manager"])
def test_another_areas_pages_are_404_like_pages_that_do_not_exist(client, w, name):
    _login(client, name)
    missing = client.get("/area/99999/")
    other_c = w["c"]  # outside every commune-level user's scope
    for url in (f"/area/{other_c.code}/", f"/area/{w['villages'][other_c.pk][0].code}/",
                f"/household/{w['households'][other_c.pk][0].pk}/", "/area/98/", "/unit/U2/", "/audit/", "/audit.csv"):
        response = client.get(url)
        assert response.status_code == 404, (name, url)
        assert _bare(response, url) == _bare(missing, "/area/99999/")  # no hint that it exists
    assert not AuditEvent.objects.filter(object_type="household").exists()


def test_english_on_request_with_its_own_number_format(client, w):
    _login(client, "leader")
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get("/").content.decode()
    assert "Official rate" in page and "2025-10-31" in page and 'lang="en"' in page
    client.post("/i18n/setlang/", {"language": "vi", "next": "/"})
    page = client.get("/").content.decode()
    assert "Tỷ lệ báo cáo" in page and 'lang="vi"' in page


def test_security_headers(client, w):
    _login(client, "leader")
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert "<script" not in response.content.decode() and " style=" not in response.content.decode()


@pytest.mark.parametrize(("name", "shown", "hidden"), [
    ("officer", 'href="/field/"', 'href="/field/attention/"'),
    ("manager", 'href="/field/attention/"', 'href="/field/"'),
    ("chair", None, 'href="/field/'),
])
def test_the_header_links_officers_to_their_phone_pages_and_managers_to_refused_visits(client, w, name, shown, hidden):
    _login(client, name)
    page = client.get("/", follow=True).content.decode()
    if shown:
        assert shown in page, name
    assert hidden not in page, name


def test_a_drawn_page_is_kept_per_scope_and_drawn_again_after_a_coverage_run(client, w):
    from everydoor.core.models import JobRun

    url = f"/area/{w['a'].code}/"
    _login(client, "leader")
    leader = client.get(url).content.decode()
    client.logout()
    _login(client, "chair")
    chair = client.get(url).content.decode()
    assert 'href="/area/98/' in leader and 'href="/area/98/' not in chair  # the chairman's trail starts at the commune
    assert client.get(url).context.get("figures") is None  # the chairman's own body, kept: not drawn again
    fact = CoverageFact.objects.get(as_of=W.AS_OF, level="commune", area_code=w["a"].code, dimension="")
    fact.cards += 1234
    fact.save()
    assert client.get(url).context.get("figures") is None  # the facts' version has not moved: still kept
    JobRun.objects.create(kind="coverage", status="done", params={"as_of": W.AS_OF.isoformat()})
    response = client.get(url)
    assert response.context["figures"]["cards"] == fact.cards  # a new coverage run: drawn again, new figures
