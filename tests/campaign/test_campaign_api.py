"""GET /api/v1/targets and /api/v1/progress: each role sees its own part, 404 outside it."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from everydoor.accounts.models import Role
from everydoor.accounts.services import user_upsert
from everydoor.api.auth import issue_api_token
from everydoor.campaign.targets import targets_allocate
from tests import factories as f
from tests.campaign.conftest import BASELINE

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def campaign(world, officers):
    targets_allocate(area=world["province"], goal_rate="0.965", due=dt.date(2025, 12, 31), as_of=BASELINE,
                     actor="test")
    return world


def get(client, user, path, **params):
    return client.get(f"/api/v1/{path}", params, HTTP_AUTHORIZATION=f"Bearer {issue_api_token(user)}")


def test_each_role_sees_its_own_part_and_nothing_else(client, campaign):
    w = campaign
    leader = user_upsert(username="leader", password="x" * 12, role=Role.PROVINCE, area=w["province"])
    manager = user_upsert(username="north", password="x" * 12, role=Role.UNIT_MANAGER, area=w["province"],
                          agency_unit=w["units"][0])
    chair = user_upsert(username="chair", password="x" * 12, role=Role.COMMUNE_CHAIR, area=w["communes"][2])
    officer = User.objects.get(username="thidung")
    assert get(client, leader, "progress", as_of="2025-11-03").json()["progress"]["target"] == 291
    mine = get(client, manager, "targets").json()
    assert mine["target"]["code"] == "BHXH-NORTH"
    assert get(client, manager, "progress", area=w["communes"][0].code).status_code == 200
    assert get(client, manager, "progress", officer="vanan").status_code == 200
    # outside the unit: another unit's commune, its officer, the province, a commune of another province
    other = f.commune(name="Xã Khác", prov=f.province(code="01", name="Thành phố Hà Nội"))
    for params in ({"area": w["communes"][2].code}, {"officer": "thidung"}, {"area": "15"}, {"area": other.code}):
        response = get(client, manager, "progress", **params)
        assert response.status_code == 404 and response.json()["code"] == "not_found", params
    assert get(client, leader, "targets", area=other.code).status_code == 404
    assert get(client, officer, "progress").json()["progress"]["officer"] == "thidung"
    assert get(client, officer, "progress", officer="vanan").status_code == 404
    assert get(client, officer, "targets", area="15").status_code == 404
    assert get(client, chair, "targets").json()["target"]["code"] == w["communes"][2].code
    assert get(client, chair, "targets", area=w["communes"][0].code).status_code == 404
    assert client.get("/api/v1/progress").status_code == 401
    assert get(client, leader, "progress", as_of="3/11/2025").status_code == 400
