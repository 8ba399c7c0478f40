import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rolled-back tests give the next test's rows the same ids: a work list kept in the cache from
    one test would answer the next."""
    cache.clear()
    yield
    cache.clear()
