"""POST /api/v1/visits and GET /api/v1/worklist through Django's test client: codes, fields, idempotency."""

import datetime as dt
import threading
import uuid

import pytest
from django.db import connection
from django.test import Client
from tests import factories as f
from tests.campaign import world

from everydoor.accounts.models import AuditEvent
from everydoor.api.auth import issue_api_token
from everydoor.campaign.models import FieldReview, OfficerAssignment, Visit, VisitMember
from everydoor.campaign.visits import VisitConflict, VisitInput, visit_record
from everydoor.linkage.models import Link
from everydoor.registry.models import Household

URL = "/api/v1/visits"
pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    w = world.build()
    w.officer = world.officer(villages=[w.village])
    return w


def body(w, **changes):
    data = {"uuid": str(uuid.uuid4()), "household": "HH-A", "visited_at": "2025-10-20T09:30:00+07:00",
            "outcome": "promised", "members": [w.a_son.pk, w.a_wife.pk], "follow_up": "2025-11-05",
            "note": "comes back after the harvest"}
    return data | changes


def post(client, data, user=None):
    headers = {"Authorization": f"Bearer {issue_api_token(user)}"} if user else {}
    return client.post(URL, data, content_type="application/json", headers=headers)


def test_new_retry_conflict(client, w):
    client.force_login(w.officer)
    data = body(w, phone="0912 345 678")
    first = post(client, data)
    assert first.status_code == 201, first.json()
    stored = first.json()
    assert (stored["household"], stored["officer"], stored["members"]) == ("HH-A", "officer1",
                                                                           sorted([w.a_son.pk, w.a_wife.pk]))
    again = post(client, data)
    assert again.status_code == 200 and again.json() == stored
    assert Visit.objects.count() == 1 and VisitMember.objects.count() == 2
    assert Household.objects.get(code="HH-A").phone == "0912345678"
    other = post(client, data | {"note": "different"})
    assert other.status_code == 409
    assert other.json()["code"] == "conflict" and other.json()["visit"] == stored
    assert Visit.objects.count() == 1


def test_bearer_token_and_forbidden_household(client, w):
    assert post(client, body(w)).status_code == 401
    response = post(client, body(w, household="HH-F", members=[w.f_one.pk]), user=w.officer)
    assert response.status_code == 403
    assert (response.json()["code"], response.json()["field"]) == ("not_assigned", "household")
    # assigned only from 2025-11-01: a visit of October is outside
    late = world.officer("officer2", villages=[w.other_village], since=dt.date(2025, 11, 1))
    assert post(client, body(w, household="HH-F", members=[w.f_one.pk]), user=late).status_code == 403
    assert post(client, body(w, household="HH-F", members=[w.f_one.pk], visited_at="2025-11-02T08:00:00+07:00",
                             follow_up=None), user=late).status_code == 201
    assert Visit.objects.count() == 1


@pytest.mark.parametrize(("changes", "field"), [
    ({"outcome": "slept"}, "outcome"),
    ({"outcome": "refused", "follow_up": None}, "reason"),
    ({"reason": "cost"}, "reason"),
    ({"members": [999999]}, "members"),
    ({"follow_up": "2025-10-01"}, "follow_up"),
    ({"outcome": "insured_elsewhere", "card_number": "XX123", "members": [1], "follow_up": None}, "card_number"),
    ({"visited_at": "2099-01-01T08:00:00+07:00", "follow_up": None}, "visited_at"),
    ({"uuid": "not-a-uuid"}, "uuid"),
    ({"household": "HH-NOPE"}, "household"),
    ({"members": "all"}, "members"),  # refused by the schema
    ({"phone": "12"}, "phone"),
    ({"outcome": "moved_away", "members": [], "follow_up": None}, "members"),
])
def test_malformed_visits_name_the_field(client, w, changes, field):
    client.force_login(w.officer)
    response = post(client, body(w, **changes))
    assert response.status_code == 422, response.json()
    assert response.json()["field"] == field and response.json()["code"] == "invalid_input"
    assert field in response.json()["message"]
    assert not Visit.objects.exists()


def test_deceased_resident_is_refused_with_its_code(client, w):
    client.force_login(w.officer)
    w.a_son.field_status, w.a_son.field_status_date = "deceased", dt.date(2025, 10, 1)
    w.a_son.save()
    response = post(client, body(w))
    assert response.status_code == 422 and response.json()["code"] == "resident_deceased"
    assert not Visit.objects.exists()


def test_corrections_go_to_review_and_a_card_seen_becomes_a_field_link(client, w):
    client.force_login(w.officer)
    moved = post(client, body(w, household="HH-D", outcome="moved_away", members=[w.d_one.pk], follow_up=None))
    assert moved.status_code == 201
    review = FieldReview.objects.get()
    assert (review.person, review.kind, review.status) == (w.d_one, "moved_away", "pending")
    card = f.card(group_code="GD", level=4, com=w.commune, full_name=w.a_son.full_name)
    seen = post(client, body(w, outcome="insured_elsewhere", card_number=card.card_number, members=[w.a_son.pk],
                             follow_up=None))
    assert seen.status_code == 201, seen.json()
    link = Link.objects.get(card=card)
    assert (link.person, link.method, link.reviewer) == (w.a_son, "field_verified", w.officer)
    assert AuditEvent.objects.filter(action="link_field_verified", object_id=card.card_number).exists()
    unknown = post(client, body(w, outcome="insured_elsewhere", card_number="GD4151599999999",
                                members=[w.a_wife.pk], follow_up=None))
    assert unknown.status_code == 201 and Link.objects.filter(method="field_verified").count() == 1
    assert Visit.objects.get(uuid=unknown.json()["uuid"]).card_number == "GD4151599999999"


def test_session_posts_need_the_csrf_token(w):
    client = Client(enforce_csrf_checks=True)
    client.force_login(w.officer)
    assert post(client, body(w)).status_code == 403
    assert not Visit.objects.exists()


def test_worklist_of_the_signed_in_officer(client, w):
    client.force_login(w.officer)
    response = client.get("/api/v1/worklist", {"as_of": "2025-11-03"})
    assert response.status_code == 200
    document = response.json()
    assert [v["code"] for v in document["villages"]] == [w.village.code]
    assert document["uninsured"] == 7
    first = document["villages"][0]["households"][0]
    assert first["code"] == "HH-A" and {m["person_id"] for m in first["members"]} == {
        w.a_head.pk, w.a_wife.pk, w.a_son.pk, w.a_child.pk}
    assert first["premium"]["total_net"] > 0
    assert client.get("/api/v1/worklist", {"village": w.other_village.code, "as_of": "2025-11-03"}).status_code == 403
    assert AuditEvent.objects.filter(object_type="worklist", user=w.officer).count() == 1


def test_openapi_documents_the_routes(client):
    spec = client.get("/api/v1/openapi.json").json()
    paths = spec["paths"]
    assert {"post"} <= set(paths["/api/v1/visits"]) and "get" in paths["/api/v1/worklist"]
    assert {"WorklistOut", "MemberOut", "VisitIn", "VisitOut"} <= set(spec["components"]["schemas"])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_of_one_uuid_leave_one_row():
    w = world.build()
    officer = world.officer(villages=[w.village])
    data = VisitInput(uuid=str(uuid.uuid4()), household="HH-A", visited_at="2025-10-20T09:30:00+07:00",
                      outcome="enrolled", members=[w.a_son.pk])
    results, start = [], threading.Barrier(8)

    def send():
        start.wait()
        try:
            results.append(visit_record(data=data, officer=officer)[1])
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 7 + [True]
    assert Visit.objects.count() == 1 and VisitMember.objects.count() == 1


def test_a_retry_is_answered_after_reassignment_and_death(client, w):
    """The UUID is looked up only when a visit is refused: a retry still gets its first answer."""
    data = body(w)
    first = post(client, data, user=w.officer)
    assert first.status_code == 201
    OfficerAssignment.objects.filter(officer=w.officer).update(valid_to=dt.date(2025, 10, 1))
    w.a_son.field_status, w.a_son.field_status_date = "deceased", dt.date(2025, 10, 25)
    w.a_son.save()
    again = post(client, data, user=w.officer)
    assert again.status_code == 200 and again.json() == first.json()
    assert post(client, data | {"note": "changed"}, user=w.officer).status_code == 409
    refused = post(client, body(w, members=[w.a_wife.pk]), user=w.officer)  # a new UUID: refused, not stored
    assert refused.status_code == 403 and refused.json()["field"] == "household"
    assert Visit.objects.count() == 1 and VisitMember.objects.count() == 2


def test_a_new_visit_costs_a_few_queries(client, w, django_assert_num_queries):
    """The hot path (bench/visits.py): the user, the household with the officer's assignment and the members
    named, then the writes. PostgreSQL writes the visit and its members in one statement, without a
    transaction; SQLite in two, in a transaction (here a savepoint in the test's)."""
    token = {"Authorization": f"Bearer {issue_api_token(w.officer)}"}
    for changes, members in (({}, [w.a_son.pk, w.a_wife.pk]), ({"outcome": "not_at_home", "members": []}, [])):
        # SQLite: the savepoint, its release and the members' own insert besides
        with django_assert_num_queries(3 if connection.vendor == "postgresql" else 6 if members else 5):
            response = client.post(URL, body(w, **changes), content_type="application/json", headers=token)
        assert response.status_code == 201 and response.json()["members"] == sorted(members)
        assert sorted(VisitMember.objects.filter(visit__uuid=response.json()["uuid"])
                      .values_list("person_id", flat=True)) == sorted(members)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_first_posts_of_one_uuid_with_other_content():
    """Eight first posts of one UUID at once, two contents: one insert wins; the others' inserts wait for it,
    write nothing, and read it (a retry of it: 200; the other content: 409 carrying the winner)."""
    w = world.build()
    officer = world.officer(villages=[w.village])
    key = str(uuid.uuid4())
    contents = [VisitInput(uuid=key, household="HH-A", visited_at="2025-10-20T09:30:00+07:00", outcome=outcome,
                           members=[w.a_son.pk]) for outcome in ("enrolled", "promised")]
    results, start = [], threading.Barrier(8)

    def send(data):
        start.wait()
        try:
            visit, created = visit_record(data=data, officer=officer)
            results.append((data.outcome, created, visit.outcome))
        except VisitConflict as exc:
            results.append((data.outcome, "conflict", exc.visit.outcome))
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(contents[i % 2],)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stored = Visit.objects.get(uuid=key)
    assert [r for r in results if r[1] is True] == [(stored.outcome, True, stored.outcome)]
    assert sorted(r[1] for r in results if r[0] == stored.outcome) == [False, False, False, True]
    assert [r[1:] for r in results if r[0] != stored.outcome] == [("conflict", stored.outcome)] * 4
    assert VisitMember.objects.filter(visit=stored).count() == 1 and Visit.objects.count() == 1
