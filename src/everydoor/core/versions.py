"""Versions of groups of tables, for derived copies that must know when they are stale."""

import uuid

from everydoor.core.models import DataVersion

REGISTERS = "registers"  # persons, cards and links: what coverage reads


def data_changed(name: str = REGISTERS) -> str:
    """Call in the transaction that writes the tables: a new token, committed (or rolled back) with them."""
    token = uuid.uuid4().hex
    DataVersion.objects.update_or_create(name=name, defaults={"token": token})
    return token


def data_version(name: str = REGISTERS) -> str:
    """The current token (one is made on first use)."""
    row = DataVersion.objects.filter(name=name).values_list("token", flat=True).first()
    return row or data_changed(name)
