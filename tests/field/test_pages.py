"""The field pages and the endpoint the phones send visits to: scope, answers, refusals kept."""

import json
import uuid

import pytest

from everydoor.accounts.models import AuditEvent
from everydoor.campaign.models import OfficerAssignment, Visit
from everydoor.field.models import RefusedVisit
from tests.field import world


@pytest.fixture
def field(monkeypatch):
    monkeypatch.setenv("EVERYDOOR_TODAY", world.TODAY.isoformat())
    return world.build()


def _signed_in(client, user):
    client.force_login(user)
    return client


def _visit(household, **changes):
    body = {"uuid": str(uuid.uuid4()), "household": household.code, "visited_at": "2025-11-10T09:30:00+07:00",
            "outcome": "not_at_home", "reason": "", "members": [], "note": "", "follow_up": "2025-11-12"}
    return {**body, **changes}


def _send(client, body):
    return client.post("/field/visits", json.dumps(body), content_type="application/json")


@pytest.mark.django_db
def test_my_day_lists_my_villages_follow_ups_and_progress(client, field):
    home = field["households"][1]
    Visit.objects.create(uuid=uuid.uuid4(), household=home, officer=field["officer"], visited_at="2025-11-01T10:00Z",
                         outcome="promised", follow_up=world.TODAY, content_hash="x")
    page = _signed_in(client, field["officer"]).get("/field/").content.decode()
    nam_cang, ta_phin = field["villages"]
    assert "Thôn Nậm Cang" in page and "Thôn Tả Phìn" in page and "Thôn Xa" not in page
    assert f'href="/field/households/{home.id}/"' in page  # the follow-up due today
    # Nậm Cang: three of its four households hold someone without a valid card; none is done
    assert "3 / 4" in page and f'data-offline="/field/villages/{nam_cang.id}/offline.json"' in page
    assert 'lang="vi"' in page and "Ngày làm việc" in page  # Vietnamese by default
    progress = _signed_in(client, field["officer"]).get("/field/").context["progress"]  # campaign.progress
    assert (progress["target"], progress["visits"], progress["households_reached"]) == (6, 1, 1)


@pytest.mark.django_db
def test_a_household_page_names_who_lacks_a_card_the_state_paid_and_the_premium(client, field):
    home = field["households"][0]
    response = _signed_in(client, field["officer"]).get(f"/field/households/{home.id}/")
    page = response.content.decode()
    assert 'href="tel:0912345678"' in page
    row = response.context["row"]  # the campaign's work list row
    standing = {m["name"]: (m["standing"], m["reason"], (m["entitlement"] or {}).get("key")) for m in row["members"]}
    assert standing == {"Giàng A Páo": ("insured", None, None), "Sùng Thị Mai": ("uninsured", "lapsed", "household"),
                        "Giàng A Lử": ("uninsured", "never_enrolled", "under_6")}
    for member in row["members"][1:]:
        assert member["reason_text"] in page and member["entitlement"]["paperwork"] in page
    lapsed = next(m for m in row["members"] if m["reason"] == "lapsed")  # dates as a Vietnamese reader writes them
    assert lapsed["reason_text"] == f"Thẻ hết hạn ngày {lapsed['reason_date']:%d/%m/%Y}"
    year, month, day = row["members"][0]["dob"].split("-")
    assert f"{day}/{month}/{year}" in page and row["members"][0]["dob"] not in page
    assert f"{day}/{month}/{year} · {dict(M='Nam', F='Nữ')[row['members'][0]['sex']]}" in page
    premium = row["premium"]
    # Mai pays as the household's second member (Páo already pays as a household): 70% of the first
    assert premium["members"][0]["position"] == 2 and premium["total_net"] > 0
    assert premium["sources"] and premium["sources"][0] in page
    assert f"{premium['total_net']:,} ₫".replace(",", ".") in page  # 884.520 ₫
    looked = AuditEvent.objects.get(action="lookup", object_type="household")
    assert looked.object_id == home.code and looked.user == field["officer"]


@pytest.mark.django_db
def test_a_settled_household_leaves_the_village_list_at_once(client, field):
    nam_cang, home = field["villages"][0], field["households"][0]
    _signed_in(client, field["officer"])
    listed = [h["code"] for h in client.get(f"/field/villages/{nam_cang.id}/").context["households"]]
    assert sorted(listed) == ["HH-NC-1", "HH-NC-2", "HH-NC-3"]  # HH-NC-9: everyone insured
    assert _send(client, _visit(home, outcome="enrolled", members=[field["people"]["mai"].id],
                                follow_up=None)).status_code == 201
    listed = [h["code"] for h in client.get(f"/field/villages/{nam_cang.id}/").context["households"]]
    assert "HH-NC-1" in listed  # Mai enrolled; the child still needs a (free) card
    assert _send(client, _visit(home, outcome="enrolled", members=[field["people"]["child"].id],
                                follow_up=None)).status_code == 201
    listed = [h["code"] for h in client.get(f"/field/villages/{nam_cang.id}/").context["households"]]
    assert "HH-NC-1" not in listed and len(listed) == 2  # the cached list was keyed on the village's visits
    page = client.get(f"/field/households/{home.id}/")
    assert page.context["row"] is None and "Không có trong danh sách" in page.content.decode()
    assert [r["name"] for r in page.context["residents"]][:1] == ["Giàng A Páo"]


@pytest.mark.django_db
def test_pages_stay_inside_the_officers_villages(client, field):
    _signed_in(client, field["officer"])
    far_home = field["people"]["far"].household
    assert client.get(f"/field/villages/{field['far'].id}/").status_code == 404
    assert client.get(f"/field/households/{far_home.id}/").status_code == 404
    assert client.get(f"/field/villages/{field['far'].id}/offline.json").status_code == 404
    _signed_in(client, field["manager"])
    assert client.get("/field/").status_code == 404
    assert client.get(f"/field/households/{field['households'][0].id}/").status_code == 404


@pytest.mark.django_db
def test_the_offline_list_names_every_page_of_the_village(client, field):
    nam_cang = field["villages"][0]
    listing = _signed_in(client, field["officer"]).get(f"/field/villages/{nam_cang.id}/offline.json").json()
    paths = listing["paths"]
    assert listing["households"] == 3 and f"/field/villages/{nam_cang.id}/" in paths
    assert {f"/field/households/{h.id}/" for h in field["households"]} <= set(paths)
    assert f"/field/households/{field['insured_home'].id}/" not in paths  # nobody to insure there
    assert all(client.get(p).status_code == 200 for p in paths if p.startswith("/field/"))
    assert AuditEvent.objects.filter(action="download", object_type="village_offline").count() == 1


@pytest.mark.django_db
def test_visits_are_recorded_once_and_refusals_kept_for_the_manager(client, field):
    _signed_in(client, field["officer"])
    home = field["households"][0]
    body = _visit(home, outcome="enrolled", members=[field["people"]["mai"].id], follow_up=None)
    assert _send(client, body).status_code == 201
    assert _send(client, body).status_code == 200  # a retry: the first visit again
    assert Visit.objects.filter(uuid=body["uuid"]).count() == 1
    conflict = _send(client, {**body, "note": "other content"})
    assert conflict.status_code == 409 and conflict.json()["message"]
    assert _send(client, _visit(home, outcome="refused")).json()["message"].startswith("reason")
    far = _visit(field["people"]["far"].household)
    assert _send(client, far).status_code == 403
    assert _send(client, far).status_code == 403  # re-sent: one refusal, two attempts
    not_json = client.post("/field/visits", "[1", content_type="application/json")
    assert not_json.status_code == 400
    assert Visit.objects.count() == 1
    refused = {r.uuid: r for r in RefusedVisit.objects.all()}
    assert len(refused) == 3 and refused[far["uuid"]].attempts == 2 and refused[body["uuid"]].status == 409
    # filed under the officer's commune: the officer's manager sees it, not the far commune's
    assert refused[far["uuid"]].commune == field["commune"]

    page = _signed_in(client, field["manager"]).get("/field/attention/").content.decode()
    assert f'id="refused-{far["uuid"]}"' in page and "HH-X-1" in page
    assert "HH-X-1" not in _signed_in(client, field["other_manager"]).get("/field/attention/").content.decode()
    assert _signed_in(client, field["officer"]).get("/field/attention/").status_code == 404


@pytest.mark.django_db
def test_a_visit_about_a_resident_already_deceased_is_refused_naming_the_field(client, field):
    from tests import factories as f

    home = field["households"][2]
    gone = f.person(full_name="Vàng Thị Mất", hh=home, status="deceased")
    _signed_in(client, field["officer"])
    response = _send(client, _visit(home, outcome="promised", members=[gone.id]))
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == ("resident_deceased", "members")
    assert _send(client, _visit(home, outcome="not_at_home", reason="cost")).json()["field"] == "reason"
    assert _send(client, {"uuid": str(uuid.uuid4()), "household": home.code}).json()["field"] == "visited_at"
    assert not Visit.objects.exists()
    assert sorted(RefusedVisit.objects.values_list("code", flat=True)) == [
        "invalid_input", "invalid_input", "resident_deceased"]


@pytest.mark.django_db
def test_a_reassigned_household_is_refused(client, field):
    _signed_in(client, field["officer"])
    OfficerAssignment.objects.filter(village=field["villages"][0]).update(valid_to=world.TODAY.replace(day=1))
    response = _send(client, _visit(field["households"][0]))
    assert response.status_code == 403 and not Visit.objects.exists()
    assert RefusedVisit.objects.get().household == field["households"][0]


@pytest.mark.django_db
def test_the_service_worker_covers_the_field_pages_and_the_session_says_who(client, field):
    worker = client.get("/field/sw.js")
    assert worker.status_code == 200 and worker["Content-Type"].startswith("text/javascript")
    assert worker["Service-Worker-Allowed"] == "/field/" and b"caches.open" in worker.content
    assert client.get("/field/session.json").status_code == 401
    assert client.post("/field/visits", "{}", content_type="application/json").status_code == 401
    answer = _signed_in(client, field["officer"]).get("/field/session.json").json()
    assert answer["user"] == "can_bo" and answer["csrf"]


@pytest.mark.django_db
def test_ids_past_a_thousand_reach_the_phone_and_come_back_whole(client, large_ids, monkeypatch):
    """Vietnamese groups a figure's digits with dots (1.234.567): ids written into the pages for field.js
    (a village to download, the members of an enrolment) stay plain numbers, and the visit the phone builds
    from them names the residents it showed."""
    import re

    monkeypatch.setenv("EVERYDOOR_TODAY", world.TODAY.isoformat())
    field = world.build()
    nam_cang = field["villages"][0]
    assert nam_cang.id > large_ids
    _signed_in(client, field["officer"])
    day = client.get("/field/").content.decode()
    assert f'data-village="{nam_cang.id}"' in day and f'id="village-{nam_cang.id}"' in day
    home = field["households"][0]
    page = client.get(f"/field/households/{home.id}/").content.decode()
    shown = re.findall(r'name="members" value="([^"]*)"', page)
    assert field["people"]["mai"].id > large_ids and str(field["people"]["mai"].id) in shown
    members = [int(value) for value in shown]  # what field.js sends: Number(value)
    assert _send(client, _visit(home, outcome="enrolled", members=members, follow_up=None)).status_code == 201
    assert set(Visit.objects.get().members.values_list("person_id", flat=True)) == set(members)
