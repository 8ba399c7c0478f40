"""Shared fixtures. Markers: postgres, browser, spark, slow (all run in CI)."""

import os

import pytest
from django.conf import settings


def pytest_collection_modifyitems(config, items):
    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    skip_pg = pytest.mark.skip(reason="needs DATABASE_URL pointing at PostgreSQL")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip_pg)
        if "browser" in item.keywords:
            item.add_marker(pytest.mark.flaky(reruns=2))


os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")


@pytest.fixture(autouse=True, scope="session")
def _own_var_dir(tmp_path_factory):
    """What the code writes beside the database (the columnar copy) goes to a temporary folder."""
    previous = settings.VAR_DIR
    settings.VAR_DIR = tmp_path_factory.mktemp("var")
    yield
    settings.VAR_DIR = previous


@pytest.fixture(autouse=True)
def _background_work_done():
    """Work a bulk write left running after its commit (pipeline.loaders) ends with the test that started it."""
    yield
    from everydoor.pipeline.loaders import background_wait

    background_wait()


def load_units(django_db_blocker):
    """The real administrative units, loaded for one test package and removed after it.

    A package's conftest wraps this in its own package-scoped fixture: pytest finalises a
    package fixture with the package that defines it.
    """
    from everydoor.geo.models import AdminUnit, UnitLineage
    from everydoor.geo.services import units_import

    with django_db_blocker.unblock():
        counts = units_import()
    yield counts
    with django_db_blocker.unblock():
        UnitLineage.objects.all().delete()
        for level in ("village", "commune", "province"):
            AdminUnit.objects.filter(level=level).delete()


@pytest.fixture(autouse=True)
def _caches_cleared():
    """Caches keyed by row ids and counts (a village's work list, a progress report) start empty in each
    test: a rolled-back test's ids come back in the next one, with other rows behind them."""
    from django.core.cache import cache

    from everydoor.campaign import progress
    from everydoor.coverage import stored

    cache.clear()
    progress.progress_forget()
    stored._dates_kept.clear()
    yield


def ids_past(start: int) -> None:
    """Every table's next id past `start` (its sequence on PostgreSQL, sqlite_sequence on SQLite)."""
    from django.apps import apps
    from django.db import connection
    from django.db.models import AutoField, BigAutoField

    with connection.cursor() as cursor:
        for model in apps.get_models():
            pk, table = model._meta.pk, model._meta.db_table
            if not isinstance(pk, AutoField | BigAutoField) or model._meta.proxy or not model._meta.managed:
                continue
            if connection.vendor == "postgresql":
                cursor.execute("SELECT setval(pg_get_serial_sequence(%s, %s), %s)", [table, pk.column, start])
            else:
                cursor.execute("DELETE FROM sqlite_sequence WHERE name = %s", [table])
                cursor.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, start])


@pytest.fixture(autouse=True, scope="session")
def _ids_past_a_thousand(django_db_setup, django_db_blocker):
    """Every test's rows get ids past 1,000, as a province's registers do: a page that writes an id where a
    program reads it (an attribute, a form value) must not group its digits as Vietnamese figures are
    (1.234), and tests on ids below 1,000 would not see it."""
    with django_db_blocker.unblock():
        ids_past(1_000)


@pytest.fixture
def large_ids(db):
    """Ids past a million within one test."""
    start = 1_234_567
    ids_past(start)
    return start
