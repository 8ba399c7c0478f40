"""Card/ID eligibility look-up: p50/p99 in process and over HTTP, against the current database.

Budget (DESIGN.md): p99 <= 10 ms in process, <= 30 ms over HTTP.

    .venv/bin/python bench/eligibility.py [-n 2000] [--url http://127.0.0.1:8000 [--token T]]

In process: the selector `eligibility_on` (one indexed query). "In-process HTTP stack":
django.test.Client through middleware, auth, the rate limit and the audit write, inside a
transaction rolled back at the end (a temporary clinic user, no rows left behind). Real
HTTP (only with --url): GET /api/v1/eligibility on a running server, paced under the
per-user rate limit, with a bearer token for an existing clinic/province user (or --token).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "everydoor.config.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import transaction  # noqa: E402
from django.db.models import Max, Min  # noqa: E402
from django.test import Client, override_settings  # noqa: E402

from everydoor.accounts.models import Profile  # noqa: E402
from everydoor.api.auth import issue_api_token  # noqa: E402
from everydoor.registry.eligibility import eligibility_on  # noqa: E402
from everydoor.registry.models import Card  # noqa: E402

BUDGET_IN_PROCESS_MS, BUDGET_HTTP_MS = 10.0, 30.0
API_PATH = "/api/v1/eligibility"


def sample_values(n: int, rng: random.Random) -> list[tuple[str, str]]:
    """(identifier, ISO date) pairs: card numbers, SI codes and personal IDs of random cards, plus misses."""
    bounds = Card.objects.aggregate(lo=Min("pk"), hi=Max("pk"))
    if bounds["lo"] is None:
        sys.exit("no cards in the database: import cards or build the demo first")
    values = []
    while len(values) < n:
        row = (Card.objects.filter(pk__gte=rng.randint(bounds["lo"], bounds["hi"]))
               .order_by("pk").values("card_number", "si_code", "personal_id", "valid_from", "valid_to").first())
        if row is None:
            continue
        choices = [v for v in (row["card_number"], row["si_code"], row["personal_id"]) if v]
        value = rng.choice(choices) if rng.random() < 0.9 else f"{rng.randint(0, 10**10 - 1):010d}"  # ~10% misses
        day = row["valid_from"] + (row["valid_to"] - row["valid_from"]) * rng.random() * 1.2
        values.append((value, day.isoformat()))
    return values


def percentiles(times_ms: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(times_ms, n=100, method="inclusive")
    return cuts[49], cuts[98]


def report(label: str, times_ms: list[float], budget: float) -> bool:
    p50, p99 = percentiles(times_ms)
    ok = p99 <= budget
    print(f"{label:<28} n={len(times_ms):>6}  p50={p50:7.2f} ms  p99={p99:7.2f} ms  "
          f"budget p99<={budget:.0f} ms  {'OK' if ok else 'OVER BUDGET'}")
    return ok


def bench_in_process(values) -> list[float]:
    import datetime as dt

    times = []
    for value, day in values:
        on = dt.date.fromisoformat(day)
        start = time.perf_counter()
        eligibility_on(value=value, on=on)
        times.append((time.perf_counter() - start) * 1000)
    return times


def bench_client(values) -> list[float]:
    times = []
    with transaction.atomic(), override_settings(EVERYDOOR_ELIGIBILITY_RATE=10**9):
        user = get_user_model().objects.create_user(username="bench-eligibility-tmp")
        Profile.objects.create(user=user, role="clinic")
        client = Client()
        client.force_login(user)
        for value, day in values:
            start = time.perf_counter()
            response = client.get(API_PATH, {"id": value, "on": day})
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, response.content
        transaction.set_rollback(True)
    return times


def bench_http(values, base_url: str, token: str | None, rate: float) -> list[float]:
    if token is None:
        profile = Profile.objects.filter(role__in=["clinic", "province"], user__is_active=True).first()
        if profile is None:
            sys.exit("no clinic/province user to issue a token for: pass --token")
        token = issue_api_token(profile.user)
    times = []
    for value, day in values:
        url = f"{base_url.rstrip('/')}{API_PATH}?{urllib.parse.urlencode({'id': value, 'on': day})}"
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            sys.exit(f"HTTP {exc.code} from {url}: {exc.read()[:200]!r}")
        elapsed = time.perf_counter() - start
        times.append(elapsed * 1000)
        time.sleep(max(0.0, 1 / rate - elapsed))  # stay under the per-user limit
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=2000, help="look-ups in process (HTTP: n/10)")
    parser.add_argument("--url", help="base URL of a running server, e.g. http://127.0.0.1:8000")
    parser.add_argument("--token", help="bearer token for --url (default: issued for a clinic/province user)")
    parser.add_argument("--rate", type=float, default=18.0, help="HTTP look-ups per second (limit is 20/s)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    print(f"database: {django.db.connection.vendor}, cards: {Card.objects.count():,}")
    values = sample_values(args.n, rng)
    bench_in_process(values[:50])  # warm the connection and the page cache
    ok = report("in process (selector)", bench_in_process(values), BUDGET_IN_PROCESS_MS)
    report("django.test.Client stack", bench_client(values[: max(100, args.n // 4)]), BUDGET_HTTP_MS)
    if args.url:
        ok &= report("real HTTP", bench_http(values[: max(100, args.n // 10)], args.url, args.token, args.rate),
                     BUDGET_HTTP_MS)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
