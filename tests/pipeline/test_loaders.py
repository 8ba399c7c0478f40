"""SQLite settings around bulk writes, and the WAL checkpoint that follows them."""

import os
import shutil
import sqlite3
import tempfile
from pathlib import Path

import polars as pl
import pytest
from django.db import DatabaseError, connection

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


@pytest.mark.django_db
def test_a_new_sqlite_database_takes_big_pages_and_sorts_through_files():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite settings")
    with connection.cursor() as cursor:  # the test database was created by these settings
        assert (loaders._pragma(cursor, "page_size"), loaders._pragma(cursor, "temp_store")) == (16384, 1)


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


def _foreign_keys_validated(table: str) -> dict[str, bool]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT conname, convalidated FROM pg_constraint WHERE conrelid = %s::regclass "
                       "AND contype = 'f'", [table])
        return dict(cursor.fetchall())


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_bulk_insert_checks_references_first_and_validates_its_foreign_keys_after_the_commit(monkeypatch):
    from django.db import IntegrityError, transaction

    from everydoor.registry import merge
    from everydoor.registry.models import Household
    from tests.factories import commune

    monkeypatch.setattr(merge, "BULK_ROWS", 0)  # every insert counts as bulk: indexes and keys rebuilt
    here = commune()
    households = pl.DataFrame({"code": ["H1", "H2"], "commune_id": [here.id, here.id], "village_id": [None, None]},
                              schema={"code": pl.String, "commune_id": pl.Int64, "village_id": pl.Int64})
    with transaction.atomic(), connection.cursor() as cursor:
        merge.households_merge(cursor, households)
        during = _foreign_keys_validated("registry_household")
    assert during and not any(during.values())  # put back NOT VALID inside the import's transaction
    loaders.background_wait()
    assert all(_foreign_keys_validated("registry_household").values())  # validated after the commit
    assert Household.objects.count() == 2
    # More rows than the table holds: a bulk insert again, and a commune that does not exist.
    stray = pl.DataFrame({"code": ["H3", "H4", "H5"], "commune_id": [here.id, here.id + 10_000, here.id],
                          "village_id": [None, None, None]}, schema=households.schema)
    missing = rf"commune_id refers to geo_adminunit rows that do not exist: \[{here.id + 10_000}\]"
    with pytest.raises(IntegrityError, match=missing), transaction.atomic(), connection.cursor() as cursor:
        merge.households_merge(cursor, stray)
    assert Household.objects.count() == 2


def _key_constraints(table: str) -> list[tuple]:
    """The table's primary key and the foreign keys that refer to it: (table, name, definition, valid)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), convalidated "
                       "FROM pg_constraint WHERE (conrelid = %s::regclass AND contype = 'p') "
                       "OR (confrelid = %s::regclass AND contype = 'f') ORDER BY 1, 2", [table, table])
        return cursor.fetchall()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_first_load_into_an_empty_table_rebuilds_its_primary_key_and_the_keys_that_refer_to_it(monkeypatch):
    from django.db import IntegrityError, transaction

    from everydoor.registry import merge
    from everydoor.registry.models import Household
    from tests.factories import commune

    monkeypatch.setattr(merge, "BULK_ROWS", 0)  # every insert counts as bulk
    before = _key_constraints("registry_household")
    assert any(kind == "registry_person" for kind, *_ in before)  # a resident refers to a household
    here = commune()
    schema = {"code": pl.String, "commune_id": pl.Int64, "village_id": pl.Int64}
    with transaction.atomic(), connection.cursor() as cursor:
        merge.households_merge(cursor, pl.DataFrame({"code": ["H1", "H2"], "commune_id": [here.id, here.id],
                                                     "village_id": [None, None]}, schema=schema))
        assert _key_constraints("registry_household") == before  # back before the commit, all valid
    assert _key_constraints("registry_household") == before
    loaders.background_wait()
    first = Household.objects.order_by("id").first()
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:  # the key holds
        cursor.execute("INSERT INTO registry_household (id, code, commune_id) VALUES (%s, 'H9', %s)",
                       [first.id, here.id])
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:  # and refers
        cursor.execute("INSERT INTO registry_householdcertificate (household_id, kind, valid_from, number) "
                       "VALUES (%s, 'poor', '2025-01-01', '')", [first.id + 1_000_000])
    # A table that holds rows keeps its primary key through a bulk insert.
    with (transaction.atomic(), connection.cursor() as cursor, pytest.raises(ValueError, match="empty table"),
          loaders.indexes_deferred(cursor, "registry_household", defer=True, primary=True)):
        pass
    with transaction.atomic(), connection.cursor() as cursor:
        merge.households_merge(cursor, pl.DataFrame({"code": ["H3", "H4", "H5"], "commune_id": [here.id] * 3,
                                                     "village_id": [None] * 3}, schema=schema))
    assert _key_constraints("registry_household") == before
    assert Household.objects.count() == 5


@pytest.mark.postgres
@pytest.mark.django_db
def test_copy_goes_binary_when_every_column_maps_and_gives_back_every_value():
    import datetime as dt

    frame = pl.DataFrame({
        "name": ['Lò "Văn" \\ Ơn', "", None, "a,b\nc"], "level": [1, None, 5, -3],
        "code": [2**40, None, 7, 0], "day": [dt.date(1990, 5, 17), None, dt.date(2025, 12, 31), dt.date(1900, 1, 1)],
        "present": [True, False, None, True], "share": [0.25, None, 1e-9, -2.5]},
        schema={"name": pl.String, "level": pl.Int16, "code": pl.Int64, "day": pl.Date, "present": pl.Boolean,
                "share": pl.Float64})
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE copy_check (name text, level smallint, code bigint, day date, "
                       "present boolean, share double precision)")
        assert loaders._binary_frame(cursor, frame, "copy_check") is not None  # the binary path is taken
        loaders.insert_rows(cursor, frame, "copy_check")
        cursor.execute("SELECT name, level, code, day, present, share FROM copy_check")
        assert sorted(cursor.fetchall(), key=str) == sorted(frame.rows(), key=str)  # nulls and '' kept apart
        def refuses(schema):
            raise ValueError("TypeNotSupported")

        with pytest.MonkeyPatch.context() as patch:  # an encoder that cannot take the frame: CSV instead
            patch.setattr(loaders, "ArrowToPostgresBinaryEncoder", refuses)
            loaders.insert_rows(cursor, frame, "copy_check")
        cursor.execute("SELECT count(*), count(DISTINCT name), count(day) FROM copy_check")
        assert cursor.fetchall() == [(8, 3, 6)]
        cursor.execute("CREATE TEMPORARY TABLE copy_times (name text, at timestamptz)")
        timed = pl.DataFrame({"name": ["x"], "at": ["2025-10-31 08:00:00+00:00"]})
        assert loaders._binary_frame(cursor, timed, "copy_times") is None  # no binary form for it: CSV
        loaders.insert_rows(cursor, timed, "copy_times")
        cursor.execute("SELECT name, at FROM copy_times")
        assert cursor.fetchall() == [("x", dt.datetime(2025, 10, 31, 8, tzinfo=dt.UTC))]


@pytest.mark.django_db(transaction=True)  # outside a transaction, as imports run: scratch files are detached
def test_sqlite_bulk_insert_goes_through_scratch_files_and_keeps_the_row_order(monkeypatch):
    if connection.vendor != "sqlite" or loaders.adbc_sqlite is None:
        pytest.skip("SQLite's Arrow path")
    monkeypatch.setattr(loaders, "ARROW_ROWS", 10)
    monkeypatch.setattr(loaders, "PART_ROWS", 10)
    monkeypatch.setattr(loaders, "SCRATCH_THREADS", 2)
    frame = pl.DataFrame({"k": range(55, 0, -1), "v": [f"Lò Văn {i}" if i % 7 else None for i in range(55)]})
    with loaders.bulk_writes(), connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE scratch_check (k integer, v text)")
        cursor.execute("PRAGMA database_list")
        before = len(cursor.fetchall())
        loaders.insert_rows(cursor, frame, "scratch_check")
        cursor.execute("PRAGMA database_list")
        files = [Path(path) for _, name, path in cursor.fetchall() if name.startswith(loaders._SCRATCH_PREFIX)]
        assert len(files) == loaders.SCRATCH_PARTS  # each inserted while the next were written
        memory = loaders.scratch_folder(frame.estimated_size())
        assert {f.parent for f in files} == {Path(memory or tempfile.gettempdir())}
        cursor.execute("SELECT k, v FROM scratch_check ORDER BY rowid")
        assert cursor.fetchall() == frame.rows()  # every row, in the frame's order
        # Files stay attached to the end of the transaction: later frames take the places left (a 25-row
        # frame 2 of them), then, when none is left, go row by row; every row arrives all the same.
        for rows, attached in ((25, 6), (55, 9), (55, 9)):
            loaders.insert_rows(cursor, frame.head(rows), "scratch_check")
            cursor.execute("PRAGMA database_list")
            assert sum(name.startswith(loaders._SCRATCH_PREFIX) for _, name, _ in cursor.fetchall()) == attached
        cursor.execute("SELECT COUNT(*) FROM scratch_check")
        assert cursor.fetchall() == [(55 + 25 + 55 + 55,)]
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA database_list")
        assert len(cursor.fetchall()) == before  # detached once the writes are over
    assert not any(f.exists() for f in files)  # and removed


@pytest.mark.django_db(transaction=True)
def test_a_failed_bulk_insert_leaves_no_scratch_file_behind(tmp_path, monkeypatch):
    if connection.vendor != "sqlite" or loaders.adbc_sqlite is None:
        pytest.skip("SQLite's Arrow path")
    monkeypatch.setattr(loaders, "ARROW_ROWS", 10)
    monkeypatch.setattr(loaders, "PART_ROWS", 10)
    monkeypatch.setattr(loaders, "scratch_folder", lambda size: str(tmp_path))
    written = []
    monkeypatch.setattr(loaders, "_scratch_write", lambda part, folder, write=loaders._scratch_write:
                        written.append(write(part, folder)) or written[-1])
    frame = pl.DataFrame({"k": range(55)})
    with pytest.raises(DatabaseError, match="no such table"), loaders.bulk_writes(), connection.cursor() as cursor:
        loaders.insert_rows(cursor, frame, "no_such_table")  # the first part's insert fails
    assert len(written) == loaders.SCRATCH_PARTS and all(path.parent == tmp_path for path in written)
    assert list(tmp_path.iterdir()) == []  # the parts written meanwhile, and the one attached, are gone


def test_scratch_files_go_to_memory_only_while_it_has_room(tmp_path, monkeypatch):
    monkeypatch.setattr(loaders, "MEMORY_FOLDER", tmp_path)
    memory = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    free = min(shutil.disk_usage(tmp_path).free, memory)
    assert loaders.scratch_folder(free // (4 * loaders.MEMORY_HEADROOM)) == str(tmp_path)
    assert loaders.scratch_folder(10 * max(memory, shutil.disk_usage(tmp_path).free)) is None  # the temporary folder
    monkeypatch.setattr(loaders, "MEMORY_FOLDER", tmp_path / "absent")  # no such file system: macOS, Windows
    assert loaders.scratch_folder(1) is None
    written = loaders._scratch_write(pl.DataFrame({"k": [1, 2]}), str(tmp_path))
    assert written.parent == tmp_path
    with sqlite3.connect(written) as scratch:
        assert scratch.execute("SELECT k FROM rows").fetchall() == [(1,), (2,)]


def _hash_batches(cursor, sql: str) -> int:
    """How many batches the hash join of a query ran in (1: it stayed in memory)."""
    cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
    nodes, batches = [cursor.fetchall()[0][0][0]["Plan"]], []
    while nodes:
        node = nodes.pop()
        batches += [node["Hash Batches"]] if "Hash Batches" in node else []
        nodes += node.get("Plans", [])
    assert len(batches) == 1, "one hash join"
    return batches[0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # its own transaction, whose end the setting must not outlive
def test_joins_of_staged_rows_hash_in_memory_for_the_rest_of_the_transaction_only():
    from django.db import transaction

    keys = pl.DataFrame({"k": [f"record-{i:06d}" for i in range(20_000)], "v": ["x" * 40] * 20_000})
    join = "SELECT * FROM stage_a a JOIN stage_b b ON b.k = a.k"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '64kB'")  # a server whose default is small next to the rows
        cursor.execute("SET LOCAL enable_mergejoin = off")
        cursor.execute("SET LOCAL enable_nestloop = off")
        loaders.stage(cursor, keys, "stage_a")
        loaders.stage(cursor, keys, "stage_b")
        spilled = _hash_batches(cursor, join)
        loaders.join_memory(cursor)
        in_memory = _hash_batches(cursor, join)
    assert spilled > 1 and in_memory == 1
    with connection.cursor() as cursor:
        cursor.execute("SHOW work_mem")
        assert cursor.fetchall()[0][0] != loaders.JOIN_MEMORY  # the setting went with the transaction


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_large_read_comes_through_copy_with_every_value_and_an_error_stops_it():
    from django.db import transaction
    from psycopg import errors

    schema = {"id": pl.Int64, "key": pl.String, "present": pl.Boolean}
    rows = pl.DataFrame({"id": range(50_000), "key": [f"k,{i}\n\"" if i % 7 else None for i in range(50_000)],
                         "present": [i % 3 == 0 for i in range(50_000)]}, schema=schema)
    with transaction.atomic(), connection.cursor() as cursor:
        loaders.stage(cursor, rows, "stage_read")
        read = loaders.fetch_frame(cursor, "SELECT id, key, present FROM stage_read WHERE id >= %s ORDER BY id",
                                   [0], schema=schema)
        assert read.equals(rows)  # commas, quotes, line ends, nulls and booleans all come back
        empty = loaders.fetch_frame(cursor, "SELECT id, key, present FROM stage_read WHERE id < 0", schema=schema)
        assert empty.height == 0 and empty.schema == schema
    with pytest.raises(errors.DivisionByZero), transaction.atomic(), connection.cursor() as cursor:
        loaders.fetch_frame(cursor, "SELECT 1 / (id - 5) AS id FROM generate_series(1, 10) id", schema={"id": pl.Int64})
    with connection.cursor() as cursor:  # the connection goes on after the failed transaction
        cursor.execute("SELECT 1")
        assert cursor.fetchall() == [(1,)]


@pytest.mark.django_db(transaction=True)
def test_a_whole_register_read_inside_the_import_transaction_keeps_every_value():
    """fetch_frame(blank_as_null=True): on SQLite the rows come as one formatted text (core.sqlite_text);
    a value holding its separators sends the read back to fetchall, with the same result."""
    import datetime as dt

    from django.db import transaction

    schema = {"id": pl.Int64, "record_key": pl.String, "row_hash": pl.Int64, "present": pl.Boolean,
              "day": pl.Date}
    rows = pl.DataFrame({"id": [1, 2, 3], "record_key": ["GD4|2025-01-01", "1000000255|2024-10-01", "x,\"y\""],
                         "row_hash": [-2**63, 2**63 - 1, None], "present": [True, False, True],
                         "day": [dt.date(1990, 5, 17), None, dt.date(2025, 12, 31)]}, schema=schema)
    sql = "SELECT id, record_key, row_hash, present, day FROM stage_existing ORDER BY id"
    with transaction.atomic(), connection.cursor() as cursor:
        loaders.stage(cursor, rows, "stage_existing")
        assert loaders.fetch_frame(cursor, sql, schema=schema, blank_as_null=True).equals(rows)
        separated = rows.with_columns(pl.lit("a\x1fb\nc").alias("record_key"))
        loaders.stage(cursor, separated, "stage_existing")
        assert loaders.fetch_frame(cursor, sql, schema=schema, blank_as_null=True).equals(separated)
