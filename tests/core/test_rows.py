"""core.rows: model instances from written-out SQL, converted as the ORM converts them (both databases)."""

import datetime as dt
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from everydoor.campaign.models import Visit
from everydoor.core.rows import columns, fetch_instance
from everydoor.registry.models import Household
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_every_field_converted_as_the_orm_does():
    user = get_user_model().objects.create_user(username="officer", password="x" * 12, is_staff=True,
                                                last_login=timezone.now())
    household = f.household(f.commune())
    visit = Visit.objects.create(uuid=uuid.uuid4(), household=household, officer=user, outcome="promised",
                                 visited_at=dt.datetime(2025, 10, 20, 9, 30, tzinfo=dt.UTC), content_hash="0" * 64,
                                 follow_up=dt.date(2025, 11, 5))
    found, extra = fetch_instance(get_user_model(), f"SELECT {columns(get_user_model())} FROM auth_user WHERE id = %s",
                                  [user.pk])
    assert extra == [()] and (found.is_staff, found.is_superuser, found.is_active) == (True, False, True)
    assert found.last_login == get_user_model().objects.get(pk=user.pk).last_login and found.pk == user.pk
    stored, _ = fetch_instance(Visit, f"SELECT {columns(Visit)} FROM campaign_visit WHERE id = %s", [visit.pk])
    orm = Visit.objects.get(pk=visit.pk)
    assert [getattr(stored, f.attname) for f in Visit._meta.concrete_fields] == [
        getattr(orm, f.attname) for f in Visit._meta.concrete_fields]
    assert isinstance(stored.uuid, uuid.UUID) and not stored._state.adding


def test_some_fields_the_rest_deferred_and_the_values_of_each_row_after():
    household = f.household(f.commune(), code="HH-1")
    names = ("phone", "id", "code")  # listed in any order: selected in the model's
    assert columns(Household, names, alias="h") == "h.id, h.code, h.phone"
    found, extra = fetch_instance(Household, f"SELECT {columns(Household, names)}, 7 FROM registry_household"
                                             " WHERE code = %s", ["HH-1"], names)
    assert (found.pk, found.code, found.phone, extra) == (household.pk, "HH-1", None, [(7,)])
    assert found.get_deferred_fields() == {"commune_id", "village_id"}
    assert found.commune_id == household.commune_id  # read when asked, as with .only()
    assert fetch_instance(Household, f"SELECT {columns(Household)} FROM registry_household WHERE code = %s",
                          ["none"]) is None
    people = [f.person(full_name=name, hh=household) for name in ("Giàng A Páo", "Giàng Thị Mai")]
    joined, extra = fetch_instance(Household, f"SELECT {columns(Household, alias='h')}, p.full_name FROM"
                                              " registry_household h JOIN registry_person p ON p.household_id = h.id"
                                              " ORDER BY p.id", [])
    assert joined.pk == household.pk and extra == [(p.full_name,) for p in people]  # a join: one row a person
    with pytest.raises(ValueError, match="no concrete field village"):
        columns(Household, ["village"])
