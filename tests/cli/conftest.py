"""The real administrative units for this package's tests."""

import pytest

from tests.conftest import load_units


@pytest.fixture(scope="package")
def units(django_db_setup, django_db_blocker):
    yield from load_units(django_db_blocker)
