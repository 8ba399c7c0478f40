import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rolled-back tests give the next test's rows the same ids: a work list kept in the cache from
    one test would answer the next."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _patient_expectations(request):
    """The phone's queue works in the background (a page's online event, a flush): on a loaded two-core
    machine it may take longer than Playwright's default 5 s to show."""
    if "browser" not in request.keywords:
        yield
        return
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)
    yield
    expect.set_options(timeout=5_000)
