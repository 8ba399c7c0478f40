"""Moving frames into the database fast: COPY on PostgreSQL, batched executemany on SQLite.

Everything here runs inside the caller's transaction; the SQL that differs by dialect lives here.
"""

import contextlib
import contextvars
import io
import logging
import os
import secrets
import shutil
import sqlite3
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import polars as pl
from django.db import DatabaseError, IntegrityError, connection, transaction

from everydoor.core.sqlite_text import sqlite_frame

try:  # Arrow straight into SQLite, in C: several times faster than binding rows from Python
    from adbc_driver_sqlite import dbapi as adbc_sqlite
except ImportError:  # pragma: no cover - optional accelerator; batched executemany does the same, slower
    adbc_sqlite = None
try:  # Arrow into PostgreSQL's binary COPY format, in Rust
    from pgpq import ArrowToPostgresBinaryEncoder
except ImportError:  # pragma: no cover - optional accelerator; CSV COPY does the same, slower
    ArrowToPostgresBinaryEncoder = None

BATCH_ROWS = 50_000
ARROW_ROWS = 20_000  # from this size a frame goes to SQLite through an Arrow scratch database
_ATTACH_LIMIT = 9  # databases attached to one connection besides main and temp: SQLite's limit is 10; one spare
PART_ROWS = 200_000  # rows of a scratch file, at least: a smaller frame takes fewer files (see _insert_batches)
SCRATCH_THREADS = max(1, min(2, os.cpu_count() or 1))  # scratch files written at once (2 cores: 2x faster)
SCRATCH_PARTS = 4  # a large frame's scratch files: each is inserted while the next are written
_SCRATCH_PREFIX = "scratch_"  # of the scratch databases' aliases
INDEX_BUILD_MEMORY = "1GB"  # PostgreSQL's maintenance_work_mem for index rebuilds: they sort in memory
JOIN_MEMORY = "256MB"  # PostgreSQL's work_mem in an import: see join_memory()
# Scratch databases attached during the current bulk_writes() block: (alias, path).
_scratch: contextvars.ContextVar[list | None] = contextvars.ContextVar("everydoor_scratch", default=None)
# Inside bulk_writes() on SQLite, foreign keys are off: references are checked per frame instead.
_references_unchecked: contextvars.ContextVar[bool] = contextvars.ContextVar("everydoor_fk_off", default=False)


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def join_memory(cursor) -> None:
    """PostgreSQL, for the rest of the caller's transaction: joins of staged rows against a register
    hash in memory. With the default work_mem (4MB) the hash of a newer card extract's 133k changed
    periods spilled in 8 batches, and the register's 4.5M rows were written to temporary files and
    read back to meet it: that join took 5.7 s."""
    if is_postgres():
        cursor.execute(f"SET LOCAL work_mem = '{JOIN_MEMORY}'")


def distinct_from() -> str:
    """Null-safe inequality: PostgreSQL spells it IS DISTINCT FROM, SQLite IS NOT."""
    return "IS DISTINCT FROM" if is_postgres() else "IS NOT"


def true() -> str:
    return "TRUE" if is_postgres() else "1"


def false() -> str:
    return "FALSE" if is_postgres() else "0"


_SQL_TYPES = {pl.Int64: "BIGINT", pl.Int32: "INTEGER", pl.Int16: "INTEGER", pl.UInt32: "BIGINT",
              pl.Float64: "DOUBLE PRECISION", pl.Date: "DATE", pl.Boolean: "BOOLEAN"}


def _sql_type(dtype: pl.DataType) -> str:
    return _SQL_TYPES.get(dtype.base_type(), "TEXT") if dtype != pl.String else "TEXT"


def stage(cursor, frame: pl.DataFrame, table: str, *, index_on: tuple[str, ...] = ()) -> None:
    """A temporary table holding the frame; dropped at the end of the transaction (PostgreSQL) or replaced."""
    cursor.execute(f"DROP TABLE IF EXISTS {table}")
    columns = ", ".join(f"{name} {_sql_type(dtype)}" for name, dtype in frame.schema.items())
    cursor.execute(f"CREATE TEMPORARY TABLE {table} ({columns})" + (" ON COMMIT DROP" if is_postgres() else ""))
    insert_rows(cursor, frame, table)
    for column in index_on:
        cursor.execute(f"CREATE INDEX {table}_{column} ON {table} ({column})")
    cursor.execute(f"ANALYZE {table}")


def insert_rows(cursor, frame: pl.DataFrame, table: str, *, references_known: bool = False) -> None:
    """Append the frame's rows to a table whose columns it names (COPY, or batched inserts).

    references_known: every id the rows refer to was just read from its table (see references_check).
    """
    if frame.height == 0:
        return
    if is_postgres():
        _copy(cursor, frame, table)
    else:
        if not references_known:
            references_check(cursor, frame, table)
        _insert_batches(cursor, frame, table)


def references_check(cursor, frame: pl.DataFrame, table: str, *, keys_deferred: bool = False) -> None:
    """The rows `frame` writes into `table` refer only to rows that exist.

    SQLite checks a foreign key per written row, which was most of a bulk insert's time; inside
    bulk_writes() its foreign keys are off and each distinct referenced value is checked here once,
    before anything is written. On PostgreSQL a bulk insert whose foreign keys indexes_deferred()
    puts back unchecked (keys_deferred) is checked the same way. Otherwise the database enforces its
    foreign keys itself and this does nothing.
    """
    if not (keys_deferred or _references_unchecked.get()) or frame.height == 0:
        return
    for column, parent, target in _foreign_keys(cursor, table):
        if column not in frame.columns:
            continue
        values = frame.get_column(column).drop_nulls().unique()
        if values.len() == 0:
            continue
        stage(cursor, values.to_frame("ref"), "stage_references")
        # NOT EXISTS: an anti-join on both databases (PostgreSQL runs NOT IN (subquery) row by row
        # once the subquery outgrows work_mem).
        cursor.execute(f"SELECT ref FROM stage_references r WHERE NOT EXISTS "
                       f"(SELECT 1 FROM {parent} p WHERE p.{target} = r.ref) LIMIT 5")
        missing = [row[0] for row in cursor.fetchall()]
        if missing:
            raise IntegrityError(f"{table}.{column} refers to {parent} rows that do not exist: {missing}")


def _foreign_keys(cursor, table: str) -> list[tuple[str, str, str]]:
    """(column, referenced table, referenced column) of each single-column foreign key of a table."""
    if is_postgres():
        cursor.execute("""
            SELECT a.attname, c.confrelid::regclass::text, fa.attname FROM pg_constraint c
            JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
            JOIN pg_attribute fa ON fa.attrelid = c.confrelid AND fa.attnum = c.confkey[1]
            WHERE c.contype = 'f' AND c.conrelid = %s::regclass AND cardinality(c.conkey) = 1""", [table])
        return cursor.fetchall()
    cursor.execute(f"PRAGMA foreign_key_list({table})")
    return [(column, parent, target) for _, _, parent, column, target, *_ in cursor.fetchall()]


COPY_ROWS = 200_000
# PostgreSQL column types the binary COPY writes, and the frame type each takes.
_BINARY_TYPES = {"smallint": pl.Int16, "integer": pl.Int32, "bigint": pl.Int64, "boolean": pl.Boolean,
                 "date": pl.Date, "double precision": pl.Float64, "text": pl.String, "character varying": pl.String}


def _copy(cursor, frame: pl.DataFrame, table: str) -> None:
    """COPY in blocks; the next block is encoded while the server reads this one.

    Binary COPY (pgpq encodes Arrow in Rust) when every column maps onto its column's type: the
    server then parses no text (the full card register: 23 s against 42 s in CSV); CSV otherwise.
    """
    binary = _binary_frame(cursor, frame, table)
    if binary is not None:
        typed, encoder = binary

        def block(offset: int) -> bytes:
            parts = [encoder.write_header()] if offset == 0 else []  # the encoder's order: header, rows, end
            parts += [encoder.write_batch(b) for b in typed.slice(offset, COPY_ROWS).to_arrow().to_batches()]
            if offset + COPY_ROWS >= typed.height:
                parts.append(encoder.finish())
            return b"".join(parts)
    else:
        def block(offset: int) -> bytes:
            buffer = io.BytesIO()
            frame.slice(offset, COPY_ROWS).write_csv(buffer, include_header=False, null_value="",
                                                     date_format="%Y-%m-%d")
            return buffer.getvalue()

    columns = ", ".join(frame.columns)
    offsets = range(0, frame.height, COPY_ROWS)
    form = "binary" if binary is not None else "csv"
    with (ThreadPoolExecutor(max_workers=1) as writer,
          cursor.copy(f"COPY {table} ({columns}) FROM STDIN (FORMAT {form})") as copy):
        pending = writer.submit(block, offsets[0])
        for following in [*offsets[1:], None]:
            ready = pending.result()
            if following is not None:
                pending = writer.submit(block, following)
            copy.write(ready)


def _binary_frame(cursor, frame: pl.DataFrame, table: str):
    """(the frame in the exact types of the table's columns, its binary encoder), or None when a column
    cannot go in binary (CSV then)."""
    if ArrowToPostgresBinaryEncoder is None:
        return None
    cursor.execute("SELECT attname, format_type(atttypid, NULL) FROM pg_attribute "
                   "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped", [table])
    types = {name: _BINARY_TYPES.get(kind) for name, kind in cursor.fetchall()}
    wanted = {column: types.get(column) for column in frame.columns}
    # Numbers take any numeric column; text, dates and booleans only their own type.
    if not all(target is not None and (dtype.is_numeric() if target.is_numeric() else dtype == target)
               for dtype, target in zip(frame.dtypes, wanted.values(), strict=True)):
        return None
    typed = frame.cast(wanted)
    try:
        return typed, ArrowToPostgresBinaryEncoder(typed.slice(0, 0).to_arrow().schema)
    except (ValueError, TypeError) as exc:  # an Arrow type this pgpq cannot encode
        logger.warning("binary COPY into %s not possible (%s); copying CSV", table, exc)
        return None


# For the length of a bulk write on SQLite: a page cache that holds a whole register (no spills to the
# WAL mid-transaction; index builds sort in memory), sorter threads for the index builds, and no
# checkpoint inside the commit (see _checkpoint_after).
logger = logging.getLogger(__name__)
_BULK_PRAGMAS = {"cache_size": -2_000_000, "threads": 2, "wal_autocheckpoint": 0}


@contextlib.contextmanager
def bulk_writes():
    """Around a bulk writer's transaction (imports, link runs, coverage facts), on SQLite:

    - large inserts go through Arrow scratch databases: one is written by its own connection, then
      attached and read with one INSERT ... SELECT inside the caller's transaction; SQLite detaches
      only outside a transaction, so that happens here, after it;
    - foreign keys are off (SQLite switches them only outside a transaction): insert_rows checks each
      distinct reference once instead (references_check);
    - _BULK_PRAGMAS, and once the transaction has committed, the WAL is copied into the database
      file on a connection of its own (_checkpoint_after).
    """
    if is_postgres():
        yield
        return
    outermost = not connection.in_atomic_block
    with connection.cursor() as cursor:
        if outermost:  # and those a bulk write inside an outer transaction could not detach
            _detach_scratch(cursor)
        cursor.execute("PRAGMA foreign_keys = OFF")  # a no-op inside a transaction: set before it opens
        before = {name: _pragma(cursor, name) for name in _BULK_PRAGMAS}
        for name, value in _BULK_PRAGMAS.items():
            cursor.execute(f"PRAGMA {name} = {int(value)}")
    attached: list[tuple[str, Path]] = []
    token = _scratch.set(attached if adbc_sqlite is not None else None)
    unchecked = _references_unchecked.set(True)
    try:
        yield
    finally:
        _references_unchecked.reset(unchecked)
        _scratch.reset(token)
        with connection.cursor() as cursor:
            if not connection.in_atomic_block:
                _detach_scratch(cursor)
            for _, path in attached:
                path.unlink(missing_ok=True)
            cursor.execute("PRAGMA foreign_keys = ON")
            for name, value in before.items():
                cursor.execute(f"PRAGMA {name} = {int(value)}")
        if outermost and not connection.is_in_memory_db():
            _checkpoint_after(connection.settings_dict["NAME"])


def _detach_scratch(cursor) -> None:
    """Detach every scratch database on the connection (SQLite detaches only outside a transaction)."""
    cursor.execute("PRAGMA database_list")
    for alias in [name for _, name, _ in cursor.fetchall() if name.startswith(_SCRATCH_PREFIX)]:
        cursor.execute(f"DETACH DATABASE {alias}")


def _pragma(cursor, name: str) -> int:
    cursor.execute(f"PRAGMA {name}")
    return cursor.fetchall()[0][0]


# Work that follows a commit in a thread of its own (WAL checkpoints, foreign-key validation).
_background: list[threading.Thread] = []


def _in_background(work, name: str) -> None:
    thread = threading.Thread(target=work, name=name)
    thread.start()
    _background[:] = [t for t in _background if t.is_alive()] + [thread]  # a web process runs many


def background_wait() -> None:
    """Wait for the work bulk writes left running after their commit (benchmarks time it apart; tests
    and the process's exit wait for it)."""
    while _background:
        _background.pop().join()


def _checkpoint_after(path: str) -> None:
    """Copy the WAL a bulk write left into the database file, in a thread, on a connection of its own.

    Inside the commit this copy took the import of the full card register 7.5 s (2 GB written twice,
    to the WAL then to the file). A passive checkpoint blocks neither readers nor writers, so the
    next step (the link run, the next import) goes on meanwhile.
    """
    def checkpoint():
        try:
            with contextlib.closing(sqlite3.connect(path, timeout=60)) as conn:
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error as exc:  # nothing is lost: SQLite checkpoints again on a later commit
            logger.warning("WAL checkpoint after a bulk write failed: %s", exc)

    _in_background(checkpoint, "everydoor-wal-checkpoint")


def _validate_after_commit(table: str, names: list[str]) -> None:
    """PostgreSQL: validate foreign keys that a bulk insert put back NOT VALID, after its commit.

    The rows were checked before the insert (references_check, each distinct value once); rows
    written since are checked by the constraint itself. VALIDATE CONSTRAINT re-reads the table
    under a lock that blocks neither reads nor writes, so the import does not wait for it.
    """
    def validate():
        try:
            with connection.cursor() as cursor:  # this thread's own connection
                for name in names:
                    cursor.execute(f'ALTER TABLE {table} VALIDATE CONSTRAINT "{name}"')
        except DatabaseError as exc:
            logger.warning("validating the foreign keys of %s after a bulk insert failed: %s", table, exc)
        finally:
            connection.close()

    _in_background(validate, f"everydoor-validate-{table}")


MEMORY_FOLDER = Path("/dev/shm")  # a file system in memory (tmpfs), on Linux
MEMORY_HEADROOM = 4  # scratch files go there while it has this many times their frames' size free


def scratch_folder(size: int) -> str | None:
    """Where scratch files of about `size` bytes go: in memory when the machine has room there, so that
    they never reach the disk (the full card register's import on SQLite: 81.7 -> 68.5 s, the writes
    of its scratch files no longer competing with the database's own on a 250 MB/s disk); else the
    system's temporary folder (None). A small or full /dev/shm (64 MB in a default container) is skipped,
    and so is a machine short of free memory (tmpfs pages are memory that nothing can reclaim)."""
    try:
        free = min(shutil.disk_usage(MEMORY_FOLDER).free, os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (OSError, ValueError, AttributeError):  # no such folder, or no sysconf (Windows)
        return None
    return str(MEMORY_FOLDER) if free > MEMORY_HEADROOM * size and os.access(MEMORY_FOLDER, os.W_OK) else None


def _scratch_write(frame: pl.DataFrame, folder: str | None = None) -> Path:
    """A scratch SQLite file holding the frame as table `rows` (ADBC, in C, outside the GIL)."""
    handle, name = tempfile.mkstemp(prefix="everydoor-", suffix=".sqlite3", dir=folder)
    with open(handle, "wb"):
        pass  # SQLite takes the empty file for an empty database
    # No journal, no sync: a scratch file that outlives nothing.
    with adbc_sqlite.connect(name, autocommit=True) as scratch, scratch.cursor() as writer:
        writer.execute("PRAGMA journal_mode = OFF")
        writer.execute("PRAGMA synchronous = OFF")
        writer.adbc_ingest("rows", frame.to_arrow(compat_level=pl.CompatLevel.oldest()), mode="create")
    return Path(name)


def _insert_via_arrow(cursor, frame: pl.DataFrame, table: str, attached: list, parts: int) -> None:
    """Scratch files written SCRATCH_THREADS at a time (in one thread the full card register's took
    17 s), each read as soon as it is written, in order, by one INSERT ... SELECT inside the caller's
    transaction, while the next are written (the full card register in four parts: 21.8 -> 16.7 s)."""
    size = -(-frame.height // parts)
    slices = [frame.slice(offset, size) for offset in range(0, frame.height, size)]
    folder = scratch_folder(frame.estimated_size())
    columns = ", ".join(frame.columns)
    with ThreadPoolExecutor(max_workers=min(len(slices), SCRATCH_THREADS)) as pool:
        pending = [pool.submit(_scratch_write, part, folder) for part in slices]
        try:
            for written in pending:
                path = written.result()
                alias = f"{_SCRATCH_PREFIX}{secrets.token_hex(4)}"  # unique: inside an outer transaction earlier ones stay attached
                attached.append((alias, path))  # removed when the bulk write ends
                cursor.execute(f"ATTACH DATABASE %s AS {alias}", [str(path)])
                cursor.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {alias}.rows")
        finally:  # a failed insert: the files still being written are removed here
            kept = {path for _, path in attached}
            for written in pending:
                if written.exception() is None and (path := written.result()) not in kept:
                    path.unlink(missing_ok=True)


def _insert_batches(cursor, frame: pl.DataFrame, table: str) -> None:
    # Dates as the ISO text Django stores, on both paths (ADBC's own date conversion is slower).
    text = frame.with_columns(pl.col(c).dt.strftime("%Y-%m-%d") for c, t in frame.schema.items() if t == pl.Date)
    attached = _scratch.get()
    if attached is not None and frame.height >= ARROW_ROWS:
        cursor.execute("PRAGMA database_list")
        # Scratch files stay attached until the transaction ends: a small frame uses few of the places
        # (one import writes households, the references' stage, then persons; when none was left, the
        # 1.7M persons went row by row: 35 s).
        room = _ATTACH_LIMIT - sum(name not in ("main", "temp") for _, name, _ in cursor.fetchall())
        if room > 0:
            parts = max(1, min(room, SCRATCH_PARTS, frame.height // PART_ROWS))
            _insert_via_arrow(cursor, text, table, attached, parts)
            return
    # sqlite3's own executemany: Django's wrapper would re-format every parameter list.
    raw = cursor.cursor if hasattr(cursor, "cursor") else cursor
    placeholders = ", ".join("?" for _ in frame.columns)
    sql = f"INSERT INTO {table} ({', '.join(frame.columns)}) VALUES ({placeholders})"
    for offset in range(0, text.height, BATCH_ROWS):
        raw.executemany(sql, text.slice(offset, BATCH_ROWS).rows())


def _typed(name: str, dtype: pl.DataType) -> pl.Expr:
    """A column read as text (or a number) in its schema's type; dates are ISO text on both databases."""
    return pl.col(name).str.to_date("%Y-%m-%d") if dtype == pl.Date else pl.col(name).cast(dtype)


def fetch_frame(cursor, sql: str, params=(), *, schema: dict[str, pl.DataType] | None = None,
                blank_as_null: bool = False) -> pl.DataFrame:
    """A query's result as a frame; with a schema, large results come fast (COPY TO on PostgreSQL).

    blank_as_null: the caller reads no text that may be empty, so SQLite may format the rows into one
    text for Polars to parse (where an empty string and NULL look alike) rather than fetch them.
    """
    if schema is not None and is_postgres():
        query = cursor.mogrify(sql, params) if params else sql
        buffer = io.BytesIO()
        with cursor.copy(f"COPY ({query}) TO STDOUT (FORMAT csv)") as copy:
            for block in copy:
                buffer.write(block)
        if buffer.tell() == 0:
            return pl.DataFrame(schema=schema)
        buffer.seek(0)
        text = {name: pl.String for name in schema}  # booleans come as t/f: parsed below
        frame = pl.read_csv(buffer, has_header=False, new_columns=list(schema), schema_overrides=text)
        return frame.with_columns(
            (pl.col(n) == "t") if t == pl.Boolean else _typed(n, t) for n, t in schema.items())
    if blank_as_null and schema is not None and not params and hasattr(cursor, "db"):  # SQLite, Django's cursor
        # SQLite formats the rows into one text that Polars parses (core.sqlite_text), on this connection:
        # fetchall built a Python object per value (the 4.7M card periods an import compares with, 5.8 s).
        as_text = {name: pl.Int8 if dtype == pl.Boolean else dtype for name, dtype in schema.items()}
        try:
            frame = sqlite_frame(cursor.db, sql, as_text)
        except DatabaseError:  # a text over SQLite's limit for one value (1 GB): row by row below
            frame = None
        if frame is not None:
            return frame.with_columns(_typed(n, t) for n, t in schema.items())
    cursor.execute(sql, params)
    names = [d[0] for d in cursor.description]
    frame = pl.DataFrame(cursor.fetchall(), schema=names, orient="row")
    if schema is None:
        return frame
    if frame.height == 0:
        return pl.DataFrame(schema=schema)
    return frame.with_columns(pl.col(n).cast(t) for n, t in schema.items())


@contextlib.contextmanager
def indexes_deferred(cursor, table: str, *, defer: bool, unique: bool = False, references_checked: bool = False,
                     primary: bool = False):
    """Drop a table's secondary indexes around a bulk insert and rebuild them after.

    Building an index from sorted data once is several times cheaper than keeping it up to date
    row by row; worth it when the insert is large next to the table (a first load). With `unique`,
    unique constraints go too, for callers that insert keys known to be new and distinct (their
    rebuild checks it all the same). On PostgreSQL foreign keys go
    too; with `references_checked` (the caller ran references_check with keys_deferred, or wrote
    only ids it had just read from their tables) they come back NOT VALID and are validated after the
    commit (_validate_after_commit); otherwise they are checked here, over the whole table.

    The primary key stays, except with `primary` on PostgreSQL, for an insert into an empty table: then it
    and the foreign keys that refer to it go too (no row refers to an empty table, so those come back
    valid at no cost). Kept, it cost the first load of the full card register 7 s of a 30 s COPY
    (4.7M look-ups in a growing index); rebuilt from the table, 2.1-2.6 s.
    """
    if not defer:
        yield
        return
    if is_postgres():  # the rebuilds below sort in memory (for the rest of the caller's transaction)
        cursor.execute(f"SET LOCAL maintenance_work_mem = '{INDEX_BUILD_MEMORY}'")
    with (_primary_key_deferred(cursor, table, defer=primary and is_postgres()),
          _secondary_deferred(cursor, table, unique=unique, references_checked=references_checked)):
        yield


@contextlib.contextmanager
def _primary_key_deferred(cursor, table: str, *, defer: bool):
    """PostgreSQL: without the primary key of an empty table (and the foreign keys that refer to it) while
    rows go in; both put back after, in one statement each. Raises if the table holds a row."""
    if not defer:
        yield
        return
    cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {table})")
    if cursor.fetchall()[0][0]:
        raise ValueError(f"{table}: the primary key is deferred only for an insert into an empty table")
    cursor.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                   "WHERE conrelid = %s::regclass AND contype = 'p'", [table])
    primary = cursor.fetchall()
    cursor.execute("SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
                   "WHERE confrelid = %s::regclass AND contype = 'f'", [table])
    referring = cursor.fetchall()
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # altering tables needs their pending checks done
    for other, name, _ in referring:
        cursor.execute(f'ALTER TABLE {other} DROP CONSTRAINT "{name}"')
    for name, _ in primary:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    yield
    for name, definition in primary:
        cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    for other, name, definition in referring:
        # Nothing refers to the rows just written: the check reads the referring table once.
        cursor.execute(f'ALTER TABLE {other} ADD CONSTRAINT "{name}" {definition}')
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")


@contextlib.contextmanager
def _secondary_deferred(cursor, table: str, *, unique: bool, references_checked: bool):
    constraints = []
    if is_postgres():
        cursor.execute("""
            SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s
            AND indexname NOT IN (SELECT conname FROM pg_constraint)""", [table])
        indexes = cursor.fetchall()
        # Deferred foreign keys queue one check per inserted row until commit (and forbid CREATE
        # INDEX meanwhile); added back after the insert, each is checked by one query over the table.
        cursor.execute("""
            SELECT conname, pg_get_constraintdef(oid), contype FROM pg_constraint
            WHERE conrelid = %s::regclass AND contype = ANY(%s)""",
                       [table, ["f", "u"] if unique else ["f"]])
        constraints = cursor.fetchall()
    else:
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                       "AND sql IS NOT NULL AND (%s OR sql NOT LIKE 'CREATE UNIQUE%%')", [table, unique])
        indexes = cursor.fetchall()
    if constraints:
        # Altering a table, or the tables it references, needs their pending checks done first.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    for name, _, _ in constraints:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    yield
    for _, sql in indexes:
        cursor.execute(sql)
    unvalidated = []
    for name, definition, kind in constraints:
        later = kind == "f" and references_checked
        cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}' + (" NOT VALID" if later else ""))
        if later:
            unvalidated.append(name)
    if constraints:
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    if unvalidated:
        transaction.on_commit(lambda: _validate_after_commit(table, unvalidated))
