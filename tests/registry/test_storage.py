"""How PostgreSQL stores the registers (migrations registry/0005 and 0007); SQLite has neither setting."""

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL storage settings")


def test_identifiers_compare_byte_by_byte():
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT c.relname || '.' || a.attname, coalesce(co.collname, '') FROM pg_attribute a
            JOIN pg_class c ON c.oid = a.attrelid LEFT JOIN pg_collation co ON co.oid = a.attcollation
            WHERE c.relname IN ('registry_card', 'registry_person', 'registry_household')
              AND a.attname IN ('record_key', 'card_number', 'si_code', 'personal_id', 'code')""")
        collations = dict(cursor.fetchall())
    assert collations == {name: "C" for name in [
        "registry_card.record_key", "registry_card.card_number", "registry_card.si_code",
        "registry_card.personal_id", "registry_person.record_key", "registry_person.personal_id",
        "registry_household.code"]}


def test_register_pages_keep_room_for_updates():
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname, reloptions FROM pg_class WHERE relname IN ('registry_card', 'registry_person')")
        options = dict(cursor.fetchall())
    assert options == {"registry_card": ["fillfactor=90"], "registry_person": ["fillfactor=90"]}


def test_a_card_period_leaving_the_extract_is_rewritten_in_place():
    """Marking a period gone changes `present` only; no index holds it (migration registry/0011), so
    PostgreSQL rewrites the row in place without new index entries (a heap-only tuple)."""
    from tests import factories

    card = factories.card(com=factories.commune())
    with connection.cursor() as cursor:
        cursor.execute("UPDATE registry_card SET present = FALSE, batch_id = batch_id WHERE id = %s", [card.id])
        cursor.execute("SELECT pg_stat_get_xact_tuples_updated(%s::regclass), "
                       "pg_stat_get_xact_tuples_hot_updated(%s::regclass)", ["registry_card"] * 2)
        assert cursor.fetchall() == [(1, 1)]
