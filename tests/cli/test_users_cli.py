"""`everydoor user create|password`: accounts with a role and an area, audited; clear one-line errors."""

import json

import pytest
from django.contrib.auth import authenticate
from typer.testing import CliRunner

from everydoor.accounts.models import AuditEvent, Profile
from everydoor.campaign.models import AgencyUnit
from everydoor.cli.app import app
from everydoor.geo.models import AdminUnit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("units")]
runner = CliRunner()


def run(*args, stdin: str | None = None):
    return runner.invoke(app, list(args), input=stdin, catch_exceptions=False)


def test_create_users_of_each_kind_by_area_name_without_diacritics():
    result = run("user", "create", "chair", "--role", "commune_chair", "--area", "Muong Bo", "--full-name",
                 "Giàng A Páo", "--password-stdin", "--json", stdin="a-long-password\n")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"user": "chair", "role": "commune_chair", "area": "Xã Mường Bo",
                                         "unit": None, "staff": False}
    profile = Profile.objects.select_related("area").get(user__username="chair")
    assert (profile.role, profile.area.name, profile.full_name) == ("commune_chair", "Xã Mường Bo", "Giàng A Páo")
    assert authenticate(username="chair", password="a-long-password") == profile.user
    event = AuditEvent.objects.get(action="user_create")
    assert (event.object_id, event.area_code, event.actor.startswith("cli:")) == ("chair", profile.area.code, True)

    province = AdminUnit.objects.get(level="province", code="15")
    unit = AgencyUnit.objects.create(code="BT", name="BHXH Bảo Thắng", province=province)
    result = run("user", "create", "boss", "--role", "province", "--area", "Lào Cai", "--staff",
                 "--password-stdin", stdin="a-long-password\n")
    assert result.exit_code == 0 and Profile.objects.get(user__username="boss").user.is_staff
    result = run("user", "create", "mgr", "--role", "unit_manager", "--unit", "BT", "--password-stdin",
                 stdin="a-long-password\n")
    assert result.exit_code == 0 and Profile.objects.get(user__username="mgr").agency_unit == unit


def test_set_a_password_for_an_existing_user():
    run("user", "create", "officer1", "--role", "officer", "--area", "Muong Bo", "--password-stdin",
        stdin="first-password\n")
    result = run("user", "password", "officer1", "--password-stdin", stdin="second-password\n")
    assert result.exit_code == 0
    assert authenticate(username="officer1", password="second-password") is not None
    assert authenticate(username="officer1", password="first-password") is None
    assert AuditEvent.objects.filter(action="user_password", object_id="officer1").count() == 1


@pytest.mark.parametrize(("args", "stdin", "message"), [
    (["create", "x", "--role", "mayor", "--area", "Muong Bo"], "a-long-password", "--role must be one of"),
    (["create", "x", "--role", "province", "--area", "Muong Bo"], "a-long-password", "must be a province"),
    (["create", "x", "--role", "commune_chair", "--area", "Lào Cai"], "a-long-password", "must be a commune"),
    (["create", "x", "--role", "officer"], "a-long-password", "--area"),
    (["create", "x", "--role", "officer", "--area", "Nowhere Town"], "a-long-password", "Nowhere Town"),
    (["create", "x", "--role", "unit_manager", "--unit", "ZZ"], "a-long-password", "no agency unit with code 'ZZ'"),
    (["create", "x", "--role", "officer", "--area", "Muong Bo"], "short", "password for 'x'"),
    (["password", "ghost"], "a-long-password", "no user 'ghost'"),
])
def test_bad_input_is_one_line_and_exit_1(args, stdin, message):
    result = run("user", *args, "--password-stdin", stdin=stdin + "\n")
    assert result.exit_code == 1
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not Profile.objects.filter(user__username="x").exists()


def test_an_existing_user_is_not_created_twice():
    run("user", "create", "chair", "--role", "commune_chair", "--area", "Muong Bo", "--password-stdin",
        stdin="a-long-password\n")
    result = run("user", "create", "chair", "--role", "commune_chair", "--area", "Muong Bo", "--password-stdin",
                 stdin="other-password\n")
    assert result.exit_code == 1 and "everydoor user password chair" in result.stderr
    assert authenticate(username="chair", password="a-long-password") is not None
