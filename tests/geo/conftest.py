"""The real units, imported once for the geo tests (each test still runs in its own rolled-back transaction)."""

import pytest

from everydoor.geo.models import AdminUnit, UnitLineage
from everydoor.geo.services import units_import


@pytest.fixture(scope="package")
def units(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        counts = units_import()
    yield counts
    with django_db_blocker.unblock():  # leave the test database as the other packages expect it
        UnitLineage.objects.all().delete()
        for level in ("village", "commune", "province"):
            AdminUnit.objects.filter(level=level).delete()


@pytest.fixture
def resolver(units, db):
    from everydoor.geo.address import CommuneResolver

    return CommuneResolver.from_db()
