"""SQLite settings around bulk writes, and the WAL checkpoint that follows them."""

import sqlite3

import pytest
from django.db import connection

from everydoor.pipeline import loaders


@pytest.mark.django_db
def test_bulk_writes_sets_sqlite_up_for_bulk_work_and_puts_it_back():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite settings")
    with connection.cursor() as cursor:
        before = {name: loaders._pragma(cursor, name) for name in loaders._BULK_PRAGMAS}
        with loaders.bulk_writes():
            during = {name: loaders._pragma(cursor, name) for name in loaders._BULK_PRAGMAS}
        after = {name: loaders._pragma(cursor, name) for name in loaders._BULK_PRAGMAS}
    assert during == loaders._BULK_PRAGMAS != before
    assert after == before


def test_the_wal_left_by_a_bulk_write_is_copied_into_the_database_file(tmp_path):
    path = tmp_path / "db.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA wal_autocheckpoint = 0")  # as inside bulk_writes
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
        conn.executemany("INSERT INTO t (v) VALUES (?)", [("x" * 100,)] * 20_000)
        conn.commit()
        size_before = path.stat().st_size
        loaders._checkpoint_after(str(path))
        loaders.background_wait()
        assert path.stat().st_size > size_before + 2_000_000  # the rows are in the file now
        assert conn.execute("SELECT COUNT(*) FROM t").fetchall() == [(20_000,)]
