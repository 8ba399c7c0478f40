"""Sign-in throttling, and the audit page of the provincial administrator (filters, CSV, itself audited)."""

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone

from everydoor.accounts.models import AuditEvent
from everydoor.accounts.services import audit_record
from tests.web import world as W


def test_failed_sign_ins_are_throttled_per_user_and_address(client, w, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        response = client.post("/login/", {"username": "leader", "password": "wrong"})
    response = client.post("/login/", {"username": "leader", "password": W.PW})  # right, but locked out now
    assert response.status_code == 429 and "locked" in response.content.decode()
    assert client.get("/").status_code == 302  # not signed in
    other = client.post("/login/", {"username": "chair", "password": W.PW})  # another user is not locked
    assert other.status_code == 302 and other.url == "/"


def test_signing_in_and_out_uses_csrf_protected_forms(w):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/login/", {"username": "leader", "password": W.PW}).status_code == 403
    page = strict.get("/login/")
    token = page.cookies["csrftoken"].value
    response = strict.post("/login/", {"username": "leader", "password": W.PW, "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert strict.post("/logout/").status_code == 403  # without the token
    assert strict.get("/").status_code == 200


def _events(w):
    village = w["villages"][w["a"].pk][0]
    audit_record(actor="chair", action="lookup", object_type="household", object_id="HH1", area_code=village.code)
    audit_record(actor="leader", action="export", object_type="coverage_report", area_code="98")
    old = audit_record(actor="cli:root", action="import", object_type="population")
    AuditEvent.objects.filter(pk=old.pk).update(at=timezone.now() - dt.timedelta(days=40))
    audit_record(actor="someone", action="lookup", area_code="01")  # another province: never shown


def test_the_audit_page_filters_by_who_action_area_and_date(client, w, django_assert_max_num_queries):
    _events(w)
    assert client.login(username="admin", password=W.PW)
    with django_assert_max_num_queries(10):
        page = client.get("/audit/")
    assert [e.actor for e in page.context["page"]] == ["leader", "chair", "cli:root"]
    assert [e.actor for e in client.get("/audit/", {"who": "cha"}).context["page"]] == ["chair"]
    assert [e.actor for e in client.get("/audit/", {"action": "export"}).context["page"]] == ["leader"]
    assert [e.actor for e in client.get("/audit/", {"area": w["a"].code}).context["page"]] == ["chair"]
    since = (timezone.localdate() - dt.timedelta(days=7)).isoformat()
    assert [e.actor for e in client.get("/audit/", {"from": since}).context["page"]] == ["leader", "chair"]
    assert client.get("/audit/", {"from": "last week"}).status_code == 400


def test_the_csv_download_has_the_filtered_events_and_is_audited(client, w):
    _events(w)
    assert client.login(username="admin", password=W.PW)
    response = client.get("/audit.csv", {"action": "lookup"})
    assert response["Content-Disposition"] == 'attachment; filename="audit.csv"'
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [(r["actor"], r["object_id"]) for r in rows] == [("chair", "HH1")]
    export = AuditEvent.objects.get(object_type="audit_csv")
    assert (export.actor, export.detail) == ("admin", {"rows": 1, "action": "lookup"})


@pytest.mark.parametrize("name", ["leader", "manager", "chair", "officer", "clinic"])
def test_only_the_provincial_administrator_reads_the_audit(client, w, name):
    _events(w)
    assert client.login(username=name, password=W.PW)
    assert client.get("/audit/").status_code == 404 and client.get("/audit.csv").status_code == 404
    assert not AuditEvent.objects.filter(object_type="audit_csv").exists()


def test_the_signed_in_user_comes_with_profile_and_places_in_one_query(w, django_assert_num_queries):
    from django.contrib.auth import get_user_model

    from everydoor.accounts.backends import Accounts

    users = get_user_model().objects
    manager, chair = users.get(username="manager"), users.get(username="chair")
    with django_assert_num_queries(1):
        read = Accounts().get_user(manager.pk)
    with django_assert_num_queries(0):  # what every page's scope reads
        assert (read.username, read.profile.role, read.profile.area) == ("manager", "unit_manager", None)
        assert read.profile.agency_unit.province.province_code == w["province"].province_code
        assert read.profile.user is read and read.get_session_auth_hash() == manager.get_session_auth_hash()
    with django_assert_num_queries(1):
        read = Accounts().get_user(chair.pk)
    with django_assert_num_queries(0):
        assert read.profile.area == w["a"] and read.profile.agency_unit is None
    bare = users.create_user("no-profile", password=W.PW)
    with django_assert_num_queries(1):
        read = Accounts().get_user(bare.pk)
    with django_assert_num_queries(0):
        assert not hasattr(read, "profile")  # no profile: the scope refuses, without a query
    users.filter(pk=chair.pk).update(is_active=False)
    assert Accounts().get_user(chair.pk) is None and Accounts().get_user(10**9) is None
