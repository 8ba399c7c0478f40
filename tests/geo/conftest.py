"""The real units, imported once for the geo tests (each test still runs in its own rolled-back transaction)."""

import pytest

from tests.conftest import load_units


@pytest.fixture(scope="package")
def units(django_db_setup, django_db_blocker):
    yield from load_units(django_db_blocker)


@pytest.fixture
def resolver(units, db):
    from everydoor.geo.address import CommuneResolver

    return CommuneResolver.from_db()
