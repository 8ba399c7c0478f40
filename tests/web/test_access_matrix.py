"""Every page, download and API route, as every role, on another area's objects: 0 leaks.

The routes come from the URL configuration itself: a route added without a line here fails the test.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from everydoor.registry.models import ImportBatch, QuarantineRow
from tests.web import world as W

ROLES = ("admin", "leader", "manager", "chair", "officer", "clinic")
MANAGERS = ("admin", "leader", "manager")
# Routes with no object of their own: they may answer 200, but never show the other area.
LISTS = {"home", "audit", "audit_csv", "lookup", "search", "field:day", "field:service_worker", "field:session",
         "field:attention", "imports", "quality", "review", "login", "set_language", "targets", "progress", "lapses",
         "targets_allocate",  # the province user's own province only (tests/web/test_campaign_pages.py)
         "logout", "api:health", "api:api-root", "api:openapi-json", "api:openapi-view"}


def _route_names() -> set[str]:
    names = set()

    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + (f"{p.namespace}:" if p.namespace else ""))
            elif isinstance(p, URLPattern) and p.name:
                names.add(prefix + p.name)

    walk(get_resolver().url_patterns)
    return names


def _other_campaign(w) -> dict:
    """The other province's campaign: a target at each level, down to an officer of its own."""
    import datetime as dt

    from everydoor.accounts.models import Role
    from everydoor.accounts.services import user_upsert
    from everydoor.campaign.models import Campaign, Target

    o = w["other"]
    officer = user_upsert(username="ngoai", password=W.PW, role=Role.OFFICER, area=o["province"], agency_unit=o["unit"])
    officer.profile.full_name = W.OTHER_NAMES[3]
    officer.profile.save()
    campaign = Campaign.objects.create(area=o["province"], goal_rate="0.965", due=dt.date(2025, 12, 31),
                                       decision="99/QĐ-NGOAI", baseline_date=W.AS_OF, baseline_cards=1,
                                       baseline_residents=1, created_by="test")
    parent, ids = None, []
    for level, where in (("province", {"area": o["province"]}), ("agency_unit", {"agency_unit": o["unit"]}),
                         ("commune", {"area": o["commune"]}), ("village", {"area": o["village"]}),
                         ("officer", {"area": o["village"], "officer": officer})):
        parent = Target.objects.create(campaign=campaign, parent=parent, level=level, value=7, set_by="test", **where)
        ids.append(parent.pk)
    return {"officer": officer.username, "targets": ids}


def _targets(w, batch_id: int) -> dict[str, list[tuple[str, str, dict]]]:
    """route name -> (method, url, data) asking for the other province's objects."""
    o = w["other"]
    c = _other_campaign(w)
    pages = {f"{page}_{kind}": [("get", f"/{page}/{kind}/{key}/", {}) for key in keys]
             for page in ("targets", "progress") for kind, keys in (
                 ("area", (o["province"].code, o["commune"].code, o["village"].code)), ("unit", (o["unit"].code,)),
                 ("officer", (c["officer"],)))}
    writes = {name: [("post", f"/targets/{pk}/{action}", {"value": "0"}) for pk in c["targets"]]
              for name, action in (("target_set", "set"), ("target_lock", "lock"), ("target_unlock", "unlock"))}
    return {**pages, **writes,
        "area": [("get", f"/area/{o['province'].code}/", {}), ("get", f"/area/{o['commune'].code}/", {}),
                 ("get", f"/area/{o['village'].code}/", {})],
        "unit": [("get", f"/unit/{o['unit'].code}/", {})],
        "lapses_area": [("get", f"/lapses/area/{o['province'].code}/", {}), ("get", f"/lapses/area/{o['commune'].code}/", {}),
                        ("get", f"/lapses/area/{o['village'].code}/", {})],
        "lapses_unit": [("get", f"/lapses/unit/{o['unit'].code}/", {})],
        "household": [("get", f"/household/{o['household'].pk}/", {})],
        "quarantine_csv": [("get", f"/imports/{batch_id}/quarantine.csv", {})],
        "quality_csv": [("get", f"/quality/{name}.csv", {}) for name in
                        ("unlinked_cards", "missing_id_or_dob", "several_valid_cards", "id_contradictions")],
        "report": [("get", "/report/", {"area": o["commune"].code, "format": "xlsx"}),
                   ("get", "/report/", {"unit": o["unit"].code, "format": "xlsx"})],
        "review_accept": [("post", f"/review/{o['review_item'].pk}/accept", {})],
        "review_reject": [("post", f"/review/{o['review_item'].pk}/reject", {})],
        "api:eligibility": [("get", "/api/v1/eligibility", {"id": W.OTHER_NAMES[4]})],
        "field:village": [("get", f"/field/villages/{o['village'].pk}/", {})],
        "field:village_offline": [("get", f"/field/villages/{o['village'].pk}/offline.json", {})],
        "field:household": [("get", f"/field/households/{o['household'].pk}/", {})],
        "field:visit_send": [("post_json", "/field/visits", {
            "uuid": "6f1f2a3b-0000-4000-8000-000000000002", "household": o["household"].code,
            "visited_at": "2025-10-30T09:00:00+07:00", "outcome": "not_at_home"})],
        "api:targets": [("get", "/api/v1/targets", {"area": o["commune"].code}),
                        ("get", "/api/v1/targets", {"area": o["unit"].code})],
        "api:progress": [("get", "/api/v1/progress", {"area": o["commune"].code}),
                         ("get", "/api/v1/progress", {"area": o["province"].code})],
        "api:worklist": [("get", "/api/v1/worklist", {"village": o["village"].code})],
        "api:visits": [("post_json", "/api/v1/visits", {
            "uuid": "6f1f2a3b-0000-4000-8000-000000000001", "household": o["household"].code,
            "visited_at": "2025-10-30T09:00:00+07:00", "outcome": "not_at_home"})],
    }


def _leaks(body: bytes) -> list[str]:
    text = body.decode("utf-8", "replace")
    return [name for name in W.OTHER_NAMES if name in text]


@pytest.mark.slow
def test_no_route_shows_another_areas_objects_to_any_role(client, w):
    batch = ImportBatch.objects.create(kind="population", file_name="other.csv", file_sha256="f" * 64,
                                       as_of=W.AS_OF, status="done", scope=[w["other"]["commune"].pk])
    QuarantineRow.objects.create(batch=batch, file_name="other.csv", row_number=1, field="full_name",
                                 reason="missing", message="-", raw=f'{{"full_name": "{W.OTHER_NAMES[3]}"}}')
    from everydoor.lapses.prepare import prepare

    for province in ("98", "97"):  # lapse pages with figures: the other province's name its communes
        prepare(as_of=W.AS_OF, province=province)
    targets = _targets(w, batch.pk)
    assert _route_names() == set(targets) | LISTS, "every route is in the access matrix"
    answered = 0
    for role in ROLES:
        client.logout()
        assert client.login(username=role, password=W.PW)
        for name, asks in targets.items():
            for method, url, data in asks:
                if method == "post_json":
                    response = client.post(url, data, content_type="application/json")
                else:
                    response = getattr(client, method)(url, data)
                body = b"".join(response.streaming_content) if response.streaming else response.content
                if name == "api:eligibility" and role in ("clinic", "admin", "leader"):
                    # the clinic desk's look-up is national by design (patients come from anywhere):
                    # validity and benefit level only, never a name, a place or a household
                    assert response.status_code == 200 and _leaks(body) == [W.OTHER_NAMES[4]] or not _leaks(body)
                    assert b"full_name" not in body and W.OTHER_NAMES[3].encode() not in body
                    continue
                # the API answers 403 with a code the phone shows (not_assigned); pages answer 404
                expected = (403, 404) if name.startswith(("api:", "field:visit_send")) else (404,)
                if name == "quality_csv" and role in MANAGERS:
                    expected = (200,)  # the lists of the manager's own communes: none of the other's rows
                assert response.status_code in expected, (role, url, response.status_code)
                assert _leaks(body) == [], (role, url)
                answered += 1
        for url in ("/", "/audit/", "/audit.csv", "/imports/", "/quality/", "/review/", "/lookup/", "/field/",
                    "/targets/", "/progress/", "/lapses/",
                    "/field/attention/", "/field/session.json",
                    f"/search/?q={W.OTHER_NAMES[1]}", f"/search/?q={W.OTHER_NAMES[4]}",
                    f"/search/?q={W.OTHER_NAMES[3]}&commune={w['other']['commune'].code}"):
            response = client.get(url)
            body = b"".join(response.streaming_content) if response.streaming else response.content
            assert response.status_code in (200, 302, 403, 404), (role, url)
            # the audit trail records what this province's users asked, including an ID a clinic looked up
            allowed = {W.OTHER_NAMES[4]} if url.startswith("/audit") else set()
            if url.startswith("/search/"):  # the search box shows back what was typed: not a finding
                body = body.decode().replace(url.split("q=")[1].split("&")[0], "").encode()
            assert set(_leaks(body)) <= allowed, (role, url, _leaks(body))
    assert answered > 60
    from everydoor.campaign.models import Target, Visit

    assert set(Target.objects.values_list("value", "locked")) == {(7, False)}  # no write went through

    assert not Visit.objects.filter(household=w["other"]["household"]).exists()
