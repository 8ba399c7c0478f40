"""One village's work list on the current database (the full demo): p50/p95/max over many villages.

Budget (DESIGN.md): one village's work list <= 150 ms (p95).

    .venv/bin/python bench/worklist.py [-n 300] [--as-of 2025-11-03]

Times campaign.worklist.worklist for villages drawn at random (every village equally likely, so the big
towns' streets weigh as much as hamlets), after one warm-up read; the service's queries (households,
residents, their cards, certificates, statuses, visits) and the rules per household are all inside.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "everydoor.config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from everydoor.campaign.worklist import worklist, worklist_scope  # noqa: E402
from everydoor.geo.models import AdminUnit  # noqa: E402

BUDGET_MS = 150.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=300, help="villages to read")
    parser.add_argument("--as-of", default="2025-11-03")
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    day = dt.date.fromisoformat(args.as_of)
    villages = list(AdminUnit.objects.filter(level="village").order_by("id"))
    if not villages:
        sys.exit("no villages: build the demo first")
    chosen = random.Random(args.seed).sample(villages, min(args.n, len(villages)))
    worklist(scope=worklist_scope(village=chosen[0], on=day), as_of=day)  # warm-up: caches, rules, statements
    times, cpu, households, members = [], [], [], []
    for village in chosen:
        started, started_cpu = time.perf_counter(), time.process_time()
        result = worklist(scope=worklist_scope(village=village, on=day), as_of=day)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        households.append(result["households"])
        members.append(sum(len(h["members"]) for h in result["villages"][0]["households"]))
    times.sort()
    cpu.sort()
    p95 = times[int(0.95 * (len(times) - 1))]
    print(f"work list of one village ({connection.vendor}, {len(times)} villages, as of {day}): "
          f"p50 {statistics.median(times):.1f} ms, p95 {p95:.1f} ms, max {times[-1]:.1f} ms "
          f"(budget p95 <= {BUDGET_MS:.0f} ms: {'ok' if p95 <= BUDGET_MS else 'OVER'})")
    # On a shared machine the wall time includes waiting for a core; the process's own CPU time does not
    # (it includes SQLite's work, in process, but not PostgreSQL's).
    print(f"  CPU time of this process: p50 {statistics.median(cpu):.1f} ms, p95 {cpu[int(0.95 * (len(cpu) - 1))]:.1f} ms; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"  households listed per village: median {statistics.median(households):.0f}, max {max(households)}; "
          f"members shown: median {statistics.median(members):.0f}, max {max(members)}")


if __name__ == "__main__":
    main()
