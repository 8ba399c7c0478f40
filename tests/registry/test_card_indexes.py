"""The cards' commune index, made by database (migration registry/0011)."""

import pytest
from django.db import connection

from everydoor.registry.models import Card
from tests import factories

pytestmark = pytest.mark.django_db


def _columns() -> list[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
                           "AND a.attnum = ANY(i.indkey) WHERE i.indexrelid = 'registry_card_commune'::regclass "
                           "ORDER BY array_position(i.indkey, a.attnum)")
            return [name for (name,) in cursor.fetchall()]
        cursor.execute("PRAGMA index_info('registry_card_commune')")
        return [name for _, _, name in cursor.fetchall()]


def test_postgresql_indexes_the_commune_alone_and_sqlite_the_commune_and_presence():
    expected = ["commune_id"] if connection.vendor == "postgresql" else ["commune_id", "present"]
    assert _columns() == expected


def test_sqlite_counts_an_areas_present_cards_from_the_index_alone():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's plan")
    home = factories.commune()
    factories.card(com=home)
    factories.card(com=home, present=False)
    query = Card.objects.filter(present=True, commune_id__in=[home.id])
    assert query.count() == 1
    sql, params = query.values("id").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN SELECT COUNT(*) FROM ({sql})", params)
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert "COVERING INDEX registry_card_commune" in plan
