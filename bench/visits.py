"""Recording visits over HTTP: 50 concurrent clients against a served instance, with retries.

Budget (DESIGN.md): >= 200 visits/s with 50 clients on PostgreSQL, 0 lost, 0 duplicated; on SQLite the
single writer sets the limit (its figure is printed).

    .venv/bin/python bench/visits.py [--clients 50] [--visits 40] [--retry 0.2] [--workers 2] [--threads 8]
                                     [--pg postgres://postgres@127.0.0.1:5432/postgres] [--no-pg] [--no-sqlite]

For each database: a fresh one (PostgreSQL: <db>_bench_visits, dropped after; SQLite: a temporary
var/), migrated, seeded with one commune, one village and 40 households of 4 residents per client, and
one officer per client (bearer tokens). `everydoor serve` (gunicorn, its defaults unless --workers or
--threads) serves it on a free port. Each client is a phone: a thread with its own kept-alive HTTP
connection (opened again after a network failure, and the post re-sent with its UUID), posting its
visits one after another (new UUID each, 1-3 members) and re-posting a share of them (the phone did not
hear the answer: same UUID, same content, expected 200). Afterwards the database is counted: every UUID
sent must be there exactly once (lost = sent - stored; duplicated = rows - UUIDs).

The clients run on the same 2 cores as the server and the database: the CPU they used is printed, with
the load average before the run (other work on the machine lowers the figure).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))
BUDGET_PER_S = 200.0
HOUSEHOLDS, RESIDENTS = 40, 4
EVERYDOOR = str(ROOT / ".venv" / "bin" / "everydoor")


def _django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "everydoor.config.settings")
    import django

    django.setup()


def seed(clients: int) -> dict:
    """(In a child process, on the target database.) The officers, villages, households and residents."""
    _django()
    import datetime as dt

    from django.contrib.auth import get_user_model

    from everydoor.accounts.models import Profile
    from everydoor.api.auth import issue_api_token
    from everydoor.campaign.models import OfficerAssignment
    from everydoor.core.text import fold
    from everydoor.geo.models import AdminUnit
    from everydoor.registry.models import Household, ImportBatch, Person

    province = AdminUnit.objects.create(code="15", name="Tỉnh Lào Cai", key="laocai", level="province",
                                        province_code="15")
    commune = AdminUnit.objects.create(code="02647", name="Xã Bench", key="bench", level="commune", parent=province,
                                       province_code="15")
    batch = ImportBatch.objects.create(kind="population", file_name="bench", file_sha256="0" * 64,
                                       as_of=dt.date(2025, 10, 31), status="done")
    out = []
    for c in range(clients):
        village = AdminUnit.objects.create(code=f"02647-{c + 1}", name=f"Thôn {c + 1}", key=f"thon{c + 1}",
                                           level="village", parent=commune, province_code="15")
        user = get_user_model().objects.create_user(username=f"bench{c}", password="bench-password")
        Profile.objects.create(user=user, role="officer")
        OfficerAssignment.objects.create(officer=user, village=village, valid_from=dt.date(2025, 1, 1))
        households = Household.objects.bulk_create(
            [Household(code=f"B{c:03d}-{h:03d}", commune=commune, village=village) for h in range(HOUSEHOLDS)])
        people = Person.objects.bulk_create([
            Person(record_key=f"b{c}-{h}-{r}", full_name=f"Người {c} {h} {r}", name_key=fold(f"Nguoi {c} {h} {r}"),
                   dob_year=1980 + r, household=hh, commune=commune, village=village, batch=batch)
            for h, hh in enumerate(households) for r in range(RESIDENTS)])
        members = {}
        for p in people:
            members.setdefault(p.household.code, []).append(p.pk)
        out.append({"token": issue_api_token(user), "households": members})
    return {"clients": out}


def count(uuids_file: str) -> dict:
    """(In a child process.) Rows stored, distinct UUIDs among them, and the UUIDs sent that are missing."""
    _django()
    from django.db.models import Count

    from everydoor.campaign.models import Visit

    sent = set(Path(uuids_file).read_text().split())
    stored = list(Visit.objects.values_list("uuid", flat=True))
    per_uuid = Visit.objects.values("uuid").annotate(n=Count("id")).filter(n__gt=1).count()
    return {"rows": len(stored), "distinct": len({str(u) for u in stored}), "repeated_uuids": per_uuid,
            "lost": len(sent - {str(u) for u in stored})}


def _child(env: dict, *args: str) -> dict:
    result = subprocess.run([sys.executable, __file__, *args], env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.exit(f"bench child {args[0]} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(port: int, server: subprocess.Popen) -> None:
    for _ in range(300):
        if server.poll() is not None:
            sys.exit(f"the server exited: {server.stderr.read()[-2000:] if server.stderr else ''}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/api/v1/health")
            if connection.getresponse().status == 200:
                connection.close()
                return
        except (OSError, http.client.HTTPException):
            time.sleep(0.2)
    sys.exit("the server did not answer in 60 s")


def _cpu_by_process(belongs) -> dict[int, float]:
    """CPU seconds used so far by each process for which belongs(pgrp, command line) holds; empty where
    /proc is not there."""
    ticks, found = os.sysconf("SC_CLK_TCK"), {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            command = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # the process ended meanwhile
            continue
        if belongs(int(fields[2]), command):  # fields: state, ppid, pgrp, ..., utime (11), stime (12)
            found[int(stat.parent.name)] = (int(fields[11]) + int(fields[12])) / ticks
    return found


def _cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


class Phone:
    """One client: a kept-alive connection, as a phone's browser keeps one; a network failure (refused,
    reset, a connection the server closed) opens a new one and posts again with the same UUID."""

    def __init__(self, port: int, token: str):
        self.port, self.connection = port, None
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def post(self, body: bytes) -> tuple[int, float]:
        """(status, milliseconds); status 0 when five attempts failed on the network."""
        started = time.perf_counter()
        for attempt in range(5):
            try:
                if self.connection is None:
                    self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                self.connection.request("POST", "/api/v1/visits", body=body, headers=self.headers)
                response = self.connection.getresponse()
                response.read()
                return response.status, (time.perf_counter() - started) * 1000
            except (OSError, http.client.HTTPException):
                self.close()
                time.sleep(0.05 * (attempt + 1))
        return 0, (time.perf_counter() - started) * 1000

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def run(label: str, env: dict, args) -> None:
    subprocess.run([EVERYDOOR, "migrate"], env=env, check=True, capture_output=True)
    world = _child(env, "_seed", str(args.clients))
    port = _free_port()
    command = [EVERYDOOR, "serve", "--port", str(port)]
    command += [f"--workers={args.workers}"] if args.workers else []
    command += [f"--threads={args.threads}"] if args.threads else []
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                              start_new_session=True)
    try:
        _wait(port, server)
        latencies, statuses, sent, lock = [], {}, [], threading.Lock()
        start = threading.Barrier(args.clients + 1)

        def client(i: int, data: dict) -> None:
            rng = random.Random(i)
            phone = Phone(port, data["token"])
            codes = list(data["households"])
            mine_lat, mine_status, mine_sent = [], {}, []
            start.wait()
            for n in range(args.visits):
                code = codes[n % len(codes)]
                key = str(uuid.uuid4())
                outcome = rng.choice(["promised", "refused", "not_at_home", "enrolled"])
                body = {"uuid": key, "household": code, "visited_at": "2025-10-20T09:30:00+07:00",
                        "outcome": outcome, "reason": "cost" if outcome == "refused" else "",
                        "members": rng.sample(data["households"][code], rng.randint(1, 3)) if outcome != "not_at_home"
                        else [], "note": f"bench {i}/{n}"}
                payload = json.dumps(body).encode()
                tries = 2 if rng.random() < args.retry else 1
                for t in range(tries):
                    status, ms = phone.post(payload)
                    mine_lat.append(ms)
                    mine_status[(t > 0, status)] = mine_status.get((t > 0, status), 0) + 1
                mine_sent.append(key)
            phone.close()
            with lock:
                latencies.extend(mine_lat)
                sent.extend(mine_sent)
                for k, v in mine_status.items():
                    statuses[k] = statuses.get(k, 0) + v

        threads = [threading.Thread(target=client, args=(i, d)) for i, d in enumerate(world["clients"])]
        for t in threads:
            t.start()
        load = os.getloadavg()[0]
        start.wait()
        # the server's arbiter and workers, and PostgreSQL's backends serving the bench's database
        database = env.get("DATABASE_URL", "").rsplit("/", 1)[-1]
        ours = {"server": lambda group, command: group == server.pid,
                "database": lambda group, command: bool(database) and command.startswith("postgres: ")
                and f" {database} " in command}
        cpu_before = {k: _cpu_by_process(belongs) for k, belongs in ours.items()}
        began, client_cpu = time.perf_counter(), time.process_time()
        for t in threads:
            t.join()
        elapsed, client_cpu = time.perf_counter() - began, time.process_time() - client_cpu
        cpu = {k: _cpu_used(cpu_before[k], _cpu_by_process(belongs)) for k, belongs in ours.items()}
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
        handle.write("\n".join(sent))
    counted = _child(env, "_count", handle.name)
    os.unlink(handle.name)
    latencies.sort()
    posts = len(latencies)
    p95 = latencies[int(0.95 * (posts - 1))]
    rate = len(sent) / elapsed
    firsts = {s: n for (retry, s), n in statuses.items() if not retry}
    retries = {s: n for (retry, s), n in statuses.items() if retry}
    duplicated = counted["rows"] - counted["distinct"]
    verdict = ("ok" if rate >= BUDGET_PER_S else "UNDER") if label == "postgresql" else "single writer: no budget"
    server_shape = f"{args.workers or 'default'} workers x {args.threads or 'default'} threads"
    print(f"visits over HTTP ({label}, {args.clients} clients, `everydoor serve` {server_shape}): "
          f"{len(sent):,} visits + {posts - len(sent):,} retries in {elapsed:.1f} s = {rate:.0f} visits/s "
          f"({posts / elapsed:.0f} posts/s); p50 {statistics.median(latencies):.0f} ms, p95 {p95:.0f} ms "
          f"(budget >= {BUDGET_PER_S:.0f}/s on PostgreSQL: {verdict})")
    print(f"  answers: first posts {firsts}, retries {retries}; in the database: {counted['rows']:,} rows, "
          f"lost {counted['lost']}, duplicated {duplicated}")
    database = f", PostgreSQL's backends {cpu['database'] / posts * 1000:.1f}" if label == "postgresql" else ""
    print(f"  CPU a post: the server {cpu['server'] / posts * 1000:.1f} ms{database}, the clients "
          f"{client_cpu / posts * 1000:.1f} ms ({client_cpu / elapsed:.0%} of one core); load average before the "
          f"run {load:.1f} on {os.cpu_count()} cores (other work on the machine lowers the rate)")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_seed":
        print(json.dumps(seed(int(sys.argv[2]))))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "_count":
        print(json.dumps(count(sys.argv[2])))
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--visits", type=int, default=40, help="visits per client")
    parser.add_argument("--retry", type=float, default=0.2, help="share of visits posted twice")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: everydoor serve's)")
    parser.add_argument("--threads", type=int, help="threads per worker (default: everydoor serve's)")
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432/postgres"),
                        help="a PostgreSQL server URL (a database <name>_bench_visits is made on it)")
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "EVERYDOOR_VAR")}
    base |= {"EVERYDOOR_FAST_HASHER": "1", "PYTHONPATH": str(ROOT / "src")}
    if not args.no_pg:
        from _postgres import fresh_pg_database

        name = f"{args.pg.rsplit('/', 1)[-1]}_bench_visits"
        url = fresh_pg_database(args.pg, name)
        with tempfile.TemporaryDirectory() as var:
            run("postgresql", base | {"DATABASE_URL": url, "EVERYDOOR_VAR": var}, args)
        import psycopg

        with psycopg.connect(args.pg, autocommit=True) as con:
            con.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as var:
            run("sqlite", base | {"EVERYDOOR_VAR": var}, args)


if __name__ == "__main__":
    main()
