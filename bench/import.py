"""Budget: import population or cards at >= 250k rows/s on PostgreSQL, >= 150k rows/s on SQLite (issue 19),
validation and merge included; baseline: a bare COPY of the same CSV into a bare table (ratio >= 0.4 on
PostgreSQL). SQLite's own bare load (the file read as text and ingested through ADBC into a table of text
columns, the fastest path SQLite has) is measured in the same run, and its ratio printed, not judged.

    .venv/bin/python bench/import.py [--scale 1.0 | --files DIR] [--db sqlite|postgresql]
                                     [--pg postgres://postgres@127.0.0.1:5432/test]

Each database runs in a child process (Django settings are per process) on a fresh database.
The bare COPY baseline runs in the same invocation, right after the imports. Each first load is
followed by the floor its table's shape sets (on SQLite: its rows inserted again into a table of the same
definition, in key order, and its indexes built there; sqlite_table_floor). On PostgreSQL (table_floor), its rows COPYed again into
a bare table of the same columns, and its indexes built there; and by the floor of the least table a
register could be (MINIMAL: the received fields, and the indexes look-ups need), printed under it,
not judged; for the card register also by the floor of its split into identities, periods and the raw
records that keep a field (SPLIT, issue 19). An import returns when its transaction commits; what follows the commit in a thread
(pipeline.loaders: the WAL checkpoint on SQLite, the validation of foreign keys put back NOT VALID on
PostgreSQL) is printed apart.

Then each register takes a newer extract (newer_extracts: derived from the same files, the next
month's changes), as an agency imports every month: a few percent of the records changed, some gone,
some new. It is judged by the same budget, against a bare COPY of that newer file, and its rows/s
against the first load's (at least as fast, issue 19). On PostgreSQL each timed import starts after a
CHECKPOINT, so that none pays for the writes of the step before it.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _postgres import fresh_pg_database  # bench/ is on sys.path when run as a script

ROOT = Path(__file__).resolve().parent.parent
BUDGET = {"sqlite": 150_000, "postgresql": 250_000}
RATIO = 0.4  # of the bare COPY's rows/s, PostgreSQL


AS_OF, NEWER_AS_OF = "2025-10-31", "2025-11-30"


def newer_extracts(files: Path, out: Path) -> None:
    """The next month's extracts, derived row by row (deterministic): residents, every 50th moved out and
    every 200th gone; card periods, every 33rd with another clinic, every 100th gone and every 50th renewed
    by a period ten years on (no clash with the two years of history)."""
    import polars as pl

    def nth(step: int, offset: int = 0) -> pl.Expr:
        return pl.col("_i") % step == offset

    people = pl.read_csv(files / "population.csv", infer_schema=False).with_row_index("_i")
    people.filter(~nth(200, 1)).with_columns(
        pl.when(nth(50)).then(pl.lit("Chuyển đi")).otherwise("status").alias("status"),
        pl.when(nth(50)).then(pl.lit("2025-11-15")).otherwise("status_date").alias("status_date"),
    ).drop("_i").write_csv(out / "population.csv")
    cards = pl.read_csv(files / "cards.csv", infer_schema=False).with_row_index("_i")
    later = {c: pl.col(c).str.replace(r"202(\d)$", "203${1}").str.replace(r"^202(\d)-", "203${1}-")
             for c in ("valid_from", "valid_to")}
    pl.concat([
        cards.filter(~nth(100, 1)).with_columns(
            pl.when(nth(33)).then(pl.lit("99999")).otherwise("clinic_code").alias("clinic_code")),
        cards.filter(nth(50, 2)).with_columns(**later),
    ]).drop("_i").write_csv(out / "cards.csv")


def _timed_import(service, path: Path, as_of: str) -> dict:
    import datetime as dt

    from django.db import connection

    from everydoor.pipeline.loaders import background_wait

    if connection.vendor == "postgresql":
        # The floors measured before it wrote gigabytes: flushed first, so that an import does not pay
        # for the step before it (a newer extract timed in the checkpoint the floors set off: 20 -> 26 s).
        with connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")
    started = time.perf_counter()
    batch = service(path=path, as_of=dt.date.fromisoformat(as_of), actor="bench")
    seconds = time.perf_counter() - started
    # Work after the commit, in a thread (loaders): shown apart, and waited for so that the next
    # import does not run beside it.
    committed = time.perf_counter()
    background_wait()
    return {"rows": batch.rows_read, "seconds": round(seconds, 2), "rows_per_s": round(batch.rows_read / seconds),
            "after_commit_s": round(time.perf_counter() - committed, 1),
            "changes": f"{batch.rows_inserted:,} new, {batch.rows_updated:,} changed, {batch.rows_absent:,} gone"}


def child(db: str, files: Path, newer: Path) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "everydoor.config.settings"
    import django

    django.setup()
    from django.core.management import call_command

    from everydoor.geo.services import units_import
    from everydoor.registry.services import cards_import, population_import

    call_command("migrate", interactive=False, verbosity=0)
    units_import()
    services = {"population": population_import, "cards": cards_import}
    tables = {"population": "registry_person", "cards": "registry_card"}
    result = {}
    for kind, service in services.items():
        result[kind] = _timed_import(service, files / f"{kind}.csv", AS_OF)
        if os.environ["DATABASE_URL"].startswith("postgres"):
            result[kind]["floor"] = table_floor(result[kind]["rows"], tables[kind])
            result[kind]["least floor"] = table_floor(result[kind]["rows"], tables[kind], minimal=True)
            if kind == "cards":
                result[kind]["split floor"] = split_floor(result[kind]["rows"])
        else:
            result[kind]["floor"] = sqlite_table_floor(result[kind]["rows"], tables[kind])
    for kind, service in services.items():
        result[f"{kind}, newer"] = _timed_import(service, newer / f"{kind}.csv", NEWER_AS_OF)
    print(json.dumps(result))


# The least a register table could be: the fields a file brings (the derived ones, the raw record, the
# flags, presence and row hash left out), its key, and only the indexes that look-ups cannot do without
# (an eligibility check by personal ID or SI code, DESIGN.md: p99 <= 10 ms; linkage by personal ID).
MINIMAL = {
    "registry_person": (("id", "record_key", "personal_id", "full_name", "dob_year", "dob_month", "dob_day", "sex",
                         "ethnicity", "household_id", "relation_to_head", "commune_id", "village_id", "address",
                         "status", "status_date", "batch_id"), {"record_key", "personal_id"}),
    "registry_card": (("id", "record_key", "card_number", "si_code", "personal_id", "full_name", "dob_year",
                       "dob_month", "dob_day", "sex", "group_code", "benefit_level", "valid_from", "valid_to",
                       "commune_id", "address", "clinic_code", "batch_id"), {"record_key", "personal_id", "si_code"}),
}


def _copy_again(cursor, select: str, table: str) -> tuple[float, int]:
    """The rows of `select` written again by binary COPY into `table`: (seconds of the COPY in, rows).
    Read out first, so that only the writing is timed."""
    import io

    out = io.BytesIO()
    with cursor.copy(f"COPY ({select}) TO STDOUT (FORMAT binary)") as copy:
        for block in copy:
            out.write(block)
    started = time.perf_counter()
    with cursor.copy(f"COPY {table} FROM STDIN (FORMAT binary)") as copy:
        for offset in range(0, out.tell(), 1 << 22):
            copy.write(out.getbuffer()[offset:offset + (1 << 22)])
    return time.perf_counter() - started, cursor.rowcount


def table_floor(rows_read: int, table: str, *, minimal: bool = False) -> dict:
    """PostgreSQL: what the register table's shape alone costs, whatever the import does before it.

    Its rows, just imported, are written again by binary COPY into a bare table of the same columns
    and storage settings, and the table's primary key and other indexes are then built there (as a
    first load does, pipeline.loaders.indexes_deferred); the import also reads, validates and merges, so it cannot beat this.
    `minimal`: the same for the least such a table could be (MINIMAL).
    """
    import re

    from django.db import connection, transaction

    from everydoor.pipeline.loaders import INDEX_BUILD_MEMORY

    columns, indexed = MINIMAL[table] if minimal else (None, None)
    selected = ", ".join(columns) if columns else "*"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table])
        indexes = [(name, definition) for name, definition in cursor.fetchall() if not name.endswith("_pkey") and (
            indexed is None or set(re.search(r"\((.*)\)", definition)[1].split(", ")) <= indexed)]
        cursor.execute("SELECT array_to_string(reloptions, ', ') FROM pg_class WHERE relname = %s", [table])
        options = cursor.fetchall()[0][0]  # the register's storage settings (fillfactor)
        storage = f" WITH ({options})" if options else ""
        if columns:  # the same types and collations, no rows
            cursor.execute(f"CREATE TABLE bench_floor{storage} AS SELECT {selected} FROM {table} WITH NO DATA")
        else:  # and its NOT NULL constraints too
            cursor.execute(f"CREATE TABLE bench_floor (LIKE {table}){storage}")
        copy_s, _ = _copy_again(cursor, f"SELECT {selected} FROM {table}", "bench_floor")
        cursor.execute(f"SET LOCAL maintenance_work_mem = '{INDEX_BUILD_MEMORY}'")  # as the import's rebuild
        started = time.perf_counter()
        cursor.execute("ALTER TABLE bench_floor ADD PRIMARY KEY (id)")
        for name, definition in indexes:
            cursor.execute(definition.replace(f" {name} ON", f" floor_{name} ON")
                           .replace(f"public.{table} ", "public.bench_floor "))
        index_s = time.perf_counter() - started
        transaction.set_rollback(True)  # the floor table goes with the transaction
    seconds = copy_s + index_s
    return {"seconds": round(seconds, 2), "copy_s": round(copy_s, 2), "index_s": round(index_s, 2),
            "rows_per_s": round(rows_read / seconds), "indexes": len(indexes) + 1}


# The card register split in three (issue 19, part 2): a card's identity once (1.9M rows on the full
# demo), its validity periods narrow (4.7M rows) under a compact key (identity, first day), and the raw
# record in a side table, only where it keeps a field (the extract's date style moves to the import: 1.3M).
SPLIT = {
    "bench_holder": ("SELECT DISTINCT ON (holder_id) holder_id AS id, si_code, card_number, personal_id, full_name, "
                     "name_key, dob, dob_year, dob_month, dob_day, sex, address, batch_id, row_hash FROM keyed "
                     "ORDER BY holder_id, valid_from DESC",
                     ("si_code", "personal_id", "card_number")),
    "bench_period": ("SELECT id, holder_id, valid_from, valid_to, group_code, payer_group, benefit_level, commune_id, "
                     "clinic_code, present, flags, batch_id, row_hash FROM keyed",
                     ("holder_id, valid_from", "commune_id")),
    "bench_raw": ("SELECT id AS period_id, raw FROM keyed WHERE raw NOT LIKE '{\"date_style\":%%}' "
                  "AND raw NOT IN ('', '{}')", ()),
}


def split_floor(rows_read: int) -> dict:
    """PostgreSQL: the floor of the card register split (SPLIT), measured as table_floor measures the
    register's own: each table's rows written by binary COPY into a bare table, then its primary key and
    other indexes built; the three tables together, in one transaction."""
    from django.db import connection, transaction

    from everydoor.pipeline.loaders import INDEX_BUILD_MEMORY

    keyed = ("CREATE TEMPORARY TABLE keyed AS SELECT c.*, dense_rank() OVER "
             "(ORDER BY COALESCE(NULLIF(card_number, ''), si_code)) AS holder_id FROM registry_card c")
    copy_s = index_s = 0.0
    counts = {}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(keyed)
        for table, (select, indexed) in SPLIT.items():
            cursor.execute(f"CREATE TABLE {table} AS {select} WITH NO DATA")
            seconds, counts[table] = _copy_again(cursor, select, table)
            copy_s += seconds
            cursor.execute(f"SET LOCAL maintenance_work_mem = '{INDEX_BUILD_MEMORY}'")
            started = time.perf_counter()
            cursor.execute(f"ALTER TABLE {table} ADD PRIMARY KEY ({'period_id' if table == 'bench_raw' else 'id'})")
            for i, columns in enumerate(indexed):
                unique = "UNIQUE " if table == "bench_period" and i == 0 else ""
                cursor.execute(f"CREATE {unique}INDEX {table}_{i} ON {table} ({columns})")
            index_s += time.perf_counter() - started
        transaction.set_rollback(True)  # the floor tables go with the transaction
    seconds = copy_s + index_s
    return {"seconds": round(seconds, 2), "copy_s": round(copy_s, 2), "index_s": round(index_s, 2),
            "rows_per_s": round(rows_read / seconds), "indexes": sum(len(i) + 1 for _, i in SPLIT.values()),
            "rows": counts}


def sqlite_table_floor(rows_read: int, table: str) -> dict:
    """SQLite: what the register table's shape alone costs. Its rows, just imported, are inserted again
    (one INSERT ... SELECT, in key order, as the import inserts them) into a table of the same definition,
    under the import's bulk settings (loaders.bulk_writes), and its indexes are then built there."""
    from django.db import connection, transaction

    from everydoor.pipeline.loaders import bulk_writes

    with bulk_writes(), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                       "AND sql IS NOT NULL", [table])
        indexes = cursor.fetchall()
        cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = %s", [table])
        cursor.execute(cursor.fetchall()[0][0].replace(f'"{table}"', '"bench_floor"', 1))
        started = time.perf_counter()
        cursor.execute(f"INSERT INTO bench_floor SELECT * FROM {table} ORDER BY record_key")
        copy_s = time.perf_counter() - started
        started = time.perf_counter()
        for name, definition in indexes:
            cursor.execute(definition.replace(f'"{name}"', f'"floor_{name}"').replace(f'ON "{table}"',
                                                                                      'ON "bench_floor"'))
        index_s = time.perf_counter() - started
        transaction.set_rollback(True)  # the floor table goes with the transaction
    seconds = copy_s + index_s
    return {"seconds": round(seconds, 2), "copy_s": round(copy_s, 2), "index_s": round(index_s, 2),
            "rows_per_s": round(rows_read / seconds), "indexes": len(indexes) + 1}


def bare_sqlite_load(path: Path) -> dict:
    """SQLite's bare load: the CSV read as text (Polars) and ingested into a table of text columns in a
    fresh file (ADBC, in C), no validation, no merge, no index."""
    import polars as pl
    from adbc_driver_sqlite import dbapi

    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        frame = pl.read_csv(path, infer_schema=False)
        with dbapi.connect(f"{tmp}/bare.sqlite3", autocommit=True) as con, con.cursor() as cursor:
            cursor.adbc_ingest("bare", frame.to_arrow(compat_level=pl.CompatLevel.oldest()), mode="create")
        seconds = time.perf_counter() - started
    return {"rows": frame.height, "seconds": round(seconds, 2), "rows_per_s": round(frame.height / seconds)}


def bare_copy(pg_url: str, path: Path) -> dict:
    """The floor: COPY of the same file into a table of text columns, no validation, no merge."""
    import psycopg

    header = path.open(encoding="utf-8").readline().strip().split(",")
    with psycopg.connect(pg_url, autocommit=True) as con:
        con.execute("DROP TABLE IF EXISTS bench_bare")
        con.execute("CREATE UNLOGGED TABLE bench_bare (" + ", ".join(f'"c{i}" text' for i in range(len(header))) + ")")
        started = time.perf_counter()
        with con.cursor().copy("COPY bench_bare FROM STDIN (FORMAT csv, HEADER true)") as copy, path.open("rb") as f:
            while block := f.read(1 << 22):
                copy.write(block)
        seconds = time.perf_counter() - started
        rows = con.execute("SELECT COUNT(*) FROM bench_bare").fetchall()[0][0]
        con.execute("DROP TABLE bench_bare")
    return {"rows": rows, "seconds": round(seconds, 2), "rows_per_s": round(rows / seconds)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432/test")
    parser.add_argument("--files", type=Path, default=None, help="folder with population.csv and cards.csv")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], action="append",
                        help="only this database (repeatable); default both")
    parser.add_argument("--child", choices=["sqlite", "postgresql"])
    parser.add_argument("--newer", type=Path, help=argparse.SUPPRESS)  # the child's newer extracts
    args = parser.parse_args()
    files = args.files or ROOT / "var" / f"bench-demo-{args.scale}"
    if args.child:
        child(args.child, files, args.newer)
        return
    if not (files / "manifest.json").exists():
        sys.path.insert(0, str(ROOT / "src"))
        from everydoor.demo.generate import generate

        print(f"generating demo files at scale {args.scale} into {files} …", file=sys.stderr)
        generate(files, scale=args.scale)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        newer = Path(tmp) / "newer"
        newer.mkdir()
        newer_extracts(files, newer)
        envs = {"sqlite": {"DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3", "EVERYDOOR_VAR": tmp},
                # named after --pg's database: two people's runs on one server do not drop each other's
                "postgresql": {"DATABASE_URL": fresh_pg_database(args.pg, args.pg.rsplit("/", 1)[1] + "_bench")}
                if not args.db or "postgresql" in args.db else {}}
        for db, extra in envs.items():
            if args.db and db not in args.db:
                continue
            print(f"importing into {db} …", file=sys.stderr, flush=True)
            out = subprocess.run([sys.executable, __file__, "--child", db, "--files", str(files),
                                  "--newer", str(newer)], env={**os.environ, **extra}, capture_output=True,
                                 text=True, check=True)
            results[db] = json.loads(out.stdout.strip().splitlines()[-1])
        sources = {kind: files / f"{kind}.csv" for kind in ("population", "cards")}
        sources |= {f"{kind}, newer": newer / f"{kind}.csv" for kind in ("population", "cards")}
        baseline = {kind: bare_copy(args.pg, path) for kind, path in sources.items()}
        sqlite_baseline = {kind: bare_sqlite_load(path) for kind, path in sources.items()} if "sqlite" in results else {}
    print("The machine may be shared: figures measured while others work are noisy; say so next to them.")
    print(f"{'database':<11} {'register':<18} {'rows':>10} {'seconds':>8} {'rows/s':>9} {'budget':>8} "
          f"{'bare COPY rows/s':>17} {'ratio':>6}  then")
    met = True
    for db, kinds in results.items():
        for kind, r in kinds.items():
            ratio = r["rows_per_s"] / baseline[kind]["rows_per_s"]
            ok = r["rows_per_s"] >= BUDGET[db] and (db != "postgresql" or ratio >= RATIO)
            met &= ok
            print(f"{db:<11} {kind:<18} {r['rows']:>10,} {r['seconds']:>8} {r['rows_per_s']:>9,} "
                  f"{BUDGET[db]:>8,} {baseline[kind]['rows_per_s']:>17,} {ratio:>6.2f} {'pass' if ok else 'FAIL'}"
                  + (f"  after the commit {r['after_commit_s']} s" if r.get("after_commit_s") else "")
                  + (f"  ({r['changes']})" if "newer" in kind else ""))
            if db == "sqlite":
                bare = sqlite_baseline[kind]
                print(f"{'':<11} {'  SQLite bare load':<18} {'':>10} {bare['seconds']:>8} {bare['rows_per_s']:>9,} "
                      f"{'':>8} {'':>17} {r['rows_per_s'] / bare['rows_per_s']:>6.2f}  "
                      "import / SQLite's own bare load of the file (text columns, ADBC)")
            for label, key in (("  its table", "floor"), ("  least table", "least floor"),
                               ("  split in three", "split floor")):
                if floor := r.get(key):
                    own = baseline[kind] if db == "postgresql" else sqlite_baseline[kind]
                    print(f"{'':<11} {label:<18} {'':>10} {floor['seconds']:>8} {floor['rows_per_s']:>9,} "
                          f"{'':>8} {'':>17} {floor['rows_per_s'] / own['rows_per_s']:>6.2f}  "
                          f"floor: {'COPY' if db == 'postgresql' else 'INSERT'} {floor['copy_s']} s + "
                          f"{floor['indexes']} indexes {floor['index_s']} s, nothing else; the import runs at "
                          f"{r['rows_per_s'] / floor['rows_per_s']:.2f} of it")
    for db, kinds in results.items():
        for kind in ("population", "cards"):
            if f"{kind}, newer" in kinds:  # the monthly extract, row for row, against the first load
                speed = kinds[f"{kind}, newer"]["rows_per_s"] / kinds[kind]["rows_per_s"]
                met &= speed >= 1
                print(f"{db:<11} {kind + ', newer':<18} {speed:.2f}x the first load's rows/s "
                      f"{'pass' if speed >= 1 else 'FAIL'} (at least as fast)")
    print(f"budget (>= {BUDGET['sqlite']:,} rows/s SQLite, >= {BUDGET['postgresql']:,} rows/s and ratio >= {RATIO} "
          f"PostgreSQL; a newer extract at least as fast as the first load): {'pass' if met else 'FAIL'}")


if __name__ == "__main__":
    main()
