"""GET /api/v1/eligibility: authentication, roles, rate limit, audit, error codes."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from tests import factories as f

from everydoor.accounts.models import AuditEvent, Profile
from everydoor.api.auth import issue_api_token

URL = "/api/v1/eligibility"
PID = "010190000001"


@pytest.fixture(autouse=True)
def clear_cache():
    cache.clear()


def make_user(role, name=None):
    user = get_user_model().objects.create_user(username=name or f"u-{role}", password="x" * 12)
    if role:
        Profile.objects.create(user=user, role=role)
    return user


@pytest.fixture
def card(db):
    return f.card(si_code="1512345678", group_code="HN", level=2, personal_id=PID,
                  valid_from=dt.date(2025, 1, 1), valid_to=dt.date(2025, 12, 31), clinic_code="10001")


@pytest.mark.django_db
def test_anonymous_is_refused(client, card):
    assert client.get(URL, {"id": PID, "on": "2025-06-01"}).status_code == 401
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["officer", "commune_chair", None])
def test_other_roles_are_forbidden(client, card, role):
    client.force_login(make_user(role))
    response = client.get(URL, {"id": PID, "on": "2025-06-01"})
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["clinic", "province"])
def test_session_user_looks_up_and_is_audited(client, card, role):
    user = make_user(role)
    client.force_login(user)
    response = client.get(URL, {"id": card.card_number, "on": "2025-06-01"})
    assert response.status_code == 200
    assert response.json() == {
        "kind": "card_number", "found": True, "valid": True, "valid_from": "2025-01-01", "valid_to": "2025-12-31",
        "group_code": "HN", "benefit_level": 2, "benefit_rate": 1.0, "clinic_code": "10001",
        "next_expiry": "2025-12-31",
    }
    event = AuditEvent.objects.get(action="eligibility_lookup")
    assert (event.user, event.actor, event.object_id, event.detail["valid"]) == (user, user.username,
                                                                                  card.card_number, True)


@pytest.mark.django_db
def test_bearer_token(client, card):
    user = make_user("clinic")
    response = client.get(URL, {"id": PID, "on": "2026-01-01"},
                          headers={"Authorization": f"Bearer {issue_api_token(user)}"})
    assert response.status_code == 200 and response.json()["valid"] is False
    assert client.get(URL, {"id": PID}, headers={"Authorization": "Bearer forged"}).status_code == 401
    user.is_active = False
    user.save()
    assert client.get(URL, {"id": PID}, headers={"Authorization": f"Bearer {issue_api_token(user)}"}
                      ).status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize(("params", "message"), [
    ({"id": "12-34"}, "not a valid"), ({"id": PID, "on": "01/06/2025"}, "on must be YYYY-MM-DD"),
])
def test_bad_input_is_400_with_a_code(client, card, params, message):
    client.force_login(make_user("clinic"))
    response = client.get(URL, params)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input" and message in response.json()["message"]


@pytest.mark.django_db
def test_rate_limit_per_user(client, card, settings, monkeypatch):
    settings.EVERYDOOR_ELIGIBILITY_RATE = 3
    monkeypatch.setattr("everydoor.api.eligibility._current_second", lambda: 1_000_000)
    client.force_login(make_user("clinic"))
    codes = [client.get(URL, {"id": PID, "on": "2025-06-01"}).status_code for _ in range(8)]
    assert codes == [200] * 3 + [429] * 5
    # another user has its own budget
    client.force_login(make_user("province"))
    assert client.get(URL, {"id": PID, "on": "2025-06-01"}).status_code == 200
