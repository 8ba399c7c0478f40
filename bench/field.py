"""The officer's phone: what downloading a village for offline use costs, and how fast its pages render.

Budget (DESIGN.md §7): one village's work list <= 150 ms and small enough for a phone.

    EVERYDOOR_TODAY=2025-11-10 .venv/bin/python bench/field.py [--villages 5] [--households 40]

(EVERYDOOR_TODAY: a demo database built before it carried its own clock.) On the current database (the full demo: copy it into your var/ first, see COMMON.md). Takes the
villages with the most households, assigns them to a temporary officer inside a transaction rolled
back at the end (no rows left behind), and drives the real pages through django.test.Client:
- the download: every path of /field/villages/<id>/offline.json fetched as the phone does, its bytes
  summed (raw, and gzip-compressed as a compressing proxy would send them);
- the render time of each village page with its work list computed (the cache emptied first), of the
  same page from the cached list, of a sample of household pages, and of my day (p50/p95).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "everydoor.config.settings")

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.db import transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client, override_settings  # noqa: E402

from everydoor.accounts.models import Role  # noqa: E402
from everydoor.accounts.services import user_upsert  # noqa: E402
from everydoor.campaign.models import OfficerAssignment  # noqa: E402
from everydoor.core.dates import today  # noqa: E402
from everydoor.geo.models import AdminUnit  # noqa: E402
from everydoor.registry.models import Household  # noqa: E402

BUDGET_MS = 150.0
# What a village's download may send over a weak mobile signal (the pages come gzip-compressed,
# views.gzip_page); the phone keeps them uncompressed, a few MiB of its storage.
PHONE_LIMIT_BYTES = 5 * 1024 * 1024


class Rollback(Exception):
    pass


def _timed(client: Client, path: str) -> tuple[float, bytes]:
    start = time.perf_counter()
    response = client.get(path)
    elapsed = (time.perf_counter() - start) * 1000
    if response.status_code != 200:
        sys.exit(f"{path}: HTTP {response.status_code}")
    body = response.content if not response.streaming else b"".join(response.streaming_content)
    return elapsed, body


def _p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def run(villages: int, households: int) -> None:
    biggest = list(Household.objects.filter(village__isnull=False).values("village_id")
                   .annotate(n=Count("id")).order_by("-n")[:villages])
    if not biggest:
        sys.exit("no households in the database: build the demo first")
    on = today()
    print(f"on {on}; the {len(biggest)} villages with the most households "
          f"({', '.join(str(b['n']) for b in biggest)})")
    times = {"village (list computed)": [], "village (list cached)": [], "household": [], "day": []}
    try:
        with transaction.atomic():
            officer = user_upsert(username="bench-field-officer", password="bench-only-" + "x" * 8,
                                  role=Role.OFFICER, area=AdminUnit.objects.get(id=biggest[0]["village_id"]).parent)
            OfficerAssignment.objects.bulk_create(OfficerAssignment(officer=officer, village_id=b["village_id"],
                                                                    valid_from=on - dt.timedelta(days=1))
                                                  for b in biggest)
            client = Client()
            client.force_login(officer)
            for b in biggest:
                cache.clear()
                times["village (list computed)"].append(_timed(client, f"/field/villages/{b['village_id']}/")[0])
                listing = client.get(f"/field/villages/{b['village_id']}/offline.json").json()
                raw = packed = 0
                for path in listing["paths"]:
                    elapsed, body = _timed(client, path)
                    raw += len(body)
                    packed += len(gzip.compress(body, compresslevel=6))
                    if path.startswith("/field/villages/"):
                        times["village (list cached)"].append(elapsed)
                    elif path.startswith("/field/households/") and len(times["household"]) < households * villages:
                        times["household"].append(elapsed)
                verdict = "ok" if packed <= PHONE_LIMIT_BYTES else "TOO BIG"
                print(f"village {b['village_id']} {listing['name']}: {listing['households']} households, "
                      f"download {len(listing['paths'])} pages, {packed / 1024:,.0f} KiB sent (gzip), "
                      f"{raw / 1024:,.0f} KiB kept [{verdict}: <= {PHONE_LIMIT_BYTES // 1024:,} KiB sent]")
            for _ in range(5):
                times["day"].append(_timed(client, "/field/")[0])  # every village's list in the cache
            raise Rollback
    except Rollback:
        pass
    for name, values in times.items():
        verdict = "ok" if _p(values, 95) <= BUDGET_MS else "OVER"
        print(f"{name:24} page: p50 {statistics.median(values):6.1f} ms, p95 {_p(values, 95):6.1f} ms "
              f"over {len(values)} [{verdict}: budget {BUDGET_MS:.0f} ms]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--villages", type=int, default=5)
    parser.add_argument("--households", type=int, default=40, help="household pages timed per village at most")
    args = parser.parse_args()
    with override_settings(ALLOWED_HOSTS=["testserver"]):
        run(args.villages, args.households)


if __name__ == "__main__":
    main()
