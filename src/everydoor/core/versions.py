"""Versions of groups of tables, for derived copies that must know when they are stale."""

import uuid

from django.db import connection

from everydoor.core.models import DataVersion

REGISTERS = "registers"  # persons, cards and links: what coverage reads


def data_changed(name: str = REGISTERS) -> str:
    """Call in the transaction that writes the tables: a new token, committed (or rolled back) with them."""
    token = uuid.uuid4().hex
    DataVersion.objects.update_or_create(name=name, defaults={"token": token})
    return token


def data_version(name: str = REGISTERS) -> str:
    """The current token (one is made on first use)."""
    with connection.cursor() as cursor:  # a village's page asks on every request: no ORM compiling
        cursor.execute(f"SELECT token FROM {DataVersion._meta.db_table} WHERE name = %s", [name])
        row = cursor.fetchone()
    return row[0] if row else data_changed(name)
