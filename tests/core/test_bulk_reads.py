"""connectorx reads the registers exactly as the database's own readers do (SQLite)."""

import datetime as dt
import sqlite3
import subprocess

import pytest
from django.db import connection

from everydoor.core import bulk_reads
from everydoor.coverage import frames as coverage_frames
from everydoor.lapses import selectors as lapse_selectors
from everydoor.linkage import frames as linkage_frames
from everydoor.linkage.models import Link
from tests import factories as f


@pytest.fixture
def fast(monkeypatch, tmp_path):
    """Switch connectorx on and off; count its reads (child processes). Tests run on an in-memory
    SQLite database, which another process cannot open: there connectorx reads a file copy of it."""
    if connection.vendor != "sqlite":
        pytest.skip("connectorx reads SQLite only")
    state = {"on": False, "reads": 0}
    run = subprocess.run

    def counted(*args, **kwargs):
        state["reads"] += 1
        return run(*args, **kwargs)

    def copied() -> str:
        path = tmp_path / "copy.sqlite3"
        path.unlink(missing_ok=True)
        with sqlite3.connect(path) as target:
            connection.connection.backup(target)
        return "sqlite://" + str(path)

    monkeypatch.setattr(bulk_reads.subprocess, "run", counted)
    monkeypatch.setattr(bulk_reads, "usable", lambda: state["on"])
    monkeypatch.setattr(bulk_reads, "_uri", copied)
    return state


def _registers():
    com = f.commune()
    vil = f.village(com=com)
    plain = f.person(full_name="Giàng A Páo", personal_id="010090123456", com=com, vil=vil)
    f.person(full_name="Lò\x1fThị\nMỷ", com=com, status="moved_out",  # the text reader's separators
             status_date=dt.date(2025, 3, 1))
    linked = f.card(full_name="Giàng A Páo", personal_id="010090123456", com=com, address="Thôn 1")
    f.card(full_name="Lò Thị Mỷ", dob=None, com=None, address="")
    Link.objects.create(card=linked, person=plain, method="personal_id", match_probability=1.0)
    f.household(com, vil, code="HH-1")


@pytest.mark.django_db(transaction=True)  # connectorx reads in another process: the rows must be committed
def test_connectorx_reads_what_the_database_readers_read(fast):
    _registers()
    readers = {
        "coverage registers": coverage_frames.registers_frames,
        "linkage persons": linkage_frames.persons_frame,
        "linkage cards": linkage_frames.cards_frame,
        "linkage links": linkage_frames.links_frame,
        "lapse warnings' households": lapse_selectors.households,
    }
    for name, read in readers.items():
        fast["on"], fast["reads"] = False, 0
        slow = read()
        assert fast["reads"] == 0
        fast["on"] = True
        quick = read()
        assert fast["reads"] > 0, name
        slow = slow if isinstance(slow, dict) else {name: slow}
        quick = quick if isinstance(quick, dict) else {name: quick}
        for table, frame in slow.items():
            key = frame.columns[0]
            assert quick[table].schema == frame.schema, table
            assert quick[table].sort(key).equals(frame.sort(key)), table
            assert frame.height >= 1, table


@pytest.mark.django_db
def test_no_connectorx_inside_a_transaction():
    # Another connection would not see this transaction's rows: the callers read through Django's.
    f.card()
    assert not bulk_reads.usable()
    assert bulk_reads.read_frame("SELECT id FROM registry_card", {"id": int}) is None
    assert linkage_frames.cards_frame().height == 1


def test_an_unreadable_database_falls_back_to_djangos_connection(monkeypatch, caplog, tmp_path):
    damaged = tmp_path / "damaged.sqlite3"
    damaged.write_bytes(b"not a database" * 100)
    monkeypatch.setattr(bulk_reads, "usable", lambda: True)
    monkeypatch.setattr(bulk_reads, "_uri", lambda: f"sqlite://{damaged}")
    assert bulk_reads.read_frame("SELECT 1 AS one", {"one": int}) is None
    assert "could not read" in caplog.text


@pytest.mark.django_db
def test_a_read_meanwhile_inside_a_transaction_runs_at_once_on_this_connection():
    # A second connection would not see this transaction's rows: the read must not go to another one.
    from everydoor.core.side import meanwhile

    seen = []
    got = meanwhile(lambda conn: seen.append(conn) or "read")
    assert seen == [connection] and got() == "read"
