import pytest

from tests.web import world as W


@pytest.fixture(scope="module")
def world_module(django_db_setup, django_db_blocker):
    """The test province built once per module (coverage computed for two dates takes seconds), kept outside
    the tests' transactions: each test's own writes are rolled back, the world stays."""
    with django_db_blocker.unblock():
        data = W.build()
        data["users"] = W.users(data)
    yield data
    with django_db_blocker.unblock():
        W.remove()


@pytest.fixture
def w(world_module, db):
    return world_module
