"""Budget: dashboard and area pages p95 <= 150 ms with 20 concurrent clients (DESIGN.md section 6).

    .venv/bin/python bench/web.py [--clients 20] [--seconds 20] [--port 8077] [--workers 2] [--threads 8]

Serves the database of var/ (or DATABASE_URL) exactly as `everydoor serve` does, in a child process,
signs in as the demo's provincial user ("demo", the full demo of `everydoor demo`), then runs
--clients threads, each with its own keep-alive connection and session, asking in turn for the
province dashboard, a commune page (Mường Bo) and a village page (Mường Bo's first village) for
--seconds after a warm-up. Prints p50/p95/p99 per page and overall, and the requests served per second.
No baseline: the budget is absolute. The clients run on the same 2-core machine as the server: their
own cost is inside the figures (an upper bound on what a browser would wait).
"""

import argparse
import http.client
import os
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUDGET_MS = 150.0
PASSWORD = "everydoor-demo"


def _session(port: int, user: str) -> tuple[http.client.HTTPConnection, str]:
    """A keep-alive connection signed in as `user` (through the login form, CSRF token included)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", "/login/")
    response = connection.getresponse()
    page = response.read().decode()
    cookies = {m.group(1): m.group(2) for m in re.finditer(r"(\w+)=([^;]+);", response.getheader("Set-Cookie", ""))}
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode({"username": user, "password": PASSWORD, "csrfmiddlewaretoken": token})
    connection.request("POST", "/login/", body=body, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={cookies['csrftoken']}",
        "Referer": f"http://127.0.0.1:{port}/login/"})
    response = connection.getresponse()
    response.read()
    session = re.search(r"sessionid=([^;]+);", response.getheader("Set-Cookie", ""))
    if response.status != 302 or not session:
        raise SystemExit(f"sign-in as {user} failed ({response.status}): build the demo with `everydoor demo`")
    return connection, f"sessionid={session.group(1)}"


def _get(connection: http.client.HTTPConnection, cookie: str, path: str) -> tuple[int, bytes]:
    for attempt in (1, 2):
        try:
            connection.request("GET", path, headers={"Cookie": cookie})
            response = connection.getresponse()
            return response.status, response.read()
        except (http.client.RemoteDisconnected, ConnectionError):
            connection.close()  # the server closed an idle keep-alive connection: open a new one, as browsers do
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _pages(port: int) -> dict[str, str]:
    """The three pages: the province dashboard, Mường Bo's page and its first village's (links followed)."""
    connection, cookie = _session(port, "demo")
    status, body = _get(connection, cookie, "/")
    if status != 200:
        raise SystemExit(f"the dashboard answered {status}")
    communes = dict(re.findall(r'<a href="(/area/\d+/\?as_of=[\d-]+)">([^<]+)</a>', body.decode()))
    commune = next((link for link, name in communes.items() if name == "Xã Mường Bo"), next(iter(communes)))
    status, body = _get(connection, cookie, commune)
    village = re.search(r'<a href="(/area/[\d-]+/\?as_of=[\d-]+)">', body.decode().split('id="villages"', 1)[1]).group(1)
    connection.close()
    return {"dashboard": "/", "commune": commune, "village": village}


def _client(session, pages: dict[str, str], start: threading.Barrier | None, until: list[float],
            samples: dict[str, list[float]], errors: list) -> None:
    connection, cookie = session
    names = list(pages)
    if start is not None:
        start.wait()
    i = 0
    while time.perf_counter() < until[0]:
        name = names[i % len(names)]
        started = time.perf_counter()
        status, _ = _get(connection, cookie, pages[name])
        elapsed = (time.perf_counter() - started) * 1000
        if status != 200:
            errors.append((name, status))
        samples[name].append(elapsed)
        i += 1


def _percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--port", type=int, default=8077)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    everydoor = str(Path(sys.executable).with_name("everydoor"))
    server = subprocess.Popen([everydoor, "serve", "--port", str(args.port), "--workers", str(args.workers),
                               "--threads", str(args.threads)], cwd=ROOT, env=os.environ.copy(),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", args.port, timeout=1).request("GET", "/login/")
                break
            except OSError:
                if server.poll() is not None:
                    raise SystemExit(f"everydoor serve stopped: {server.stderr.read()}") from None
                time.sleep(0.2)
        pages = _pages(args.port)
        # signed in first (a password hash is slow by design: not what the budget measures)
        sessions = [_session(args.port, "demo") for _ in range(args.clients)]
        warm = {name: [] for name in pages}
        for session in sessions[:4]:  # each worker's first pages: templates compiled, caches filled
            _client(session, pages, None, [time.perf_counter() + 1.5], warm, [])
        samples: dict[str, list[float]] = {name: [] for name in pages}
        errors: list = []
        until = [float("inf")]
        start = threading.Barrier(args.clients + 1)
        threads = [threading.Thread(target=_client, args=(session, pages, start, until, samples, errors))
                   for session in sessions]
        for t in threads:
            t.start()
        until[0] = time.perf_counter() + args.seconds
        started = time.perf_counter()
        start.wait()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
    database = "PostgreSQL" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "SQLite"
    every = [v for values in samples.values() for v in values]
    print(f"web pages, {database}, {args.clients} clients, {args.seconds:.0f} s, gunicorn {args.workers} workers x "
          f"{args.threads} threads: {len(every)} requests, {len(every) / elapsed:.0f}/s, {len(errors)} errors")
    for name, values in [*samples.items(), ("all", every)]:
        path = pages.get(name, "")
        print(f"  {name:10s} n={len(values):5d}  p50 {_percentile(values, 50):6.1f} ms  "
              f"p95 {_percentile(values, 95):6.1f} ms  p99 {_percentile(values, 99):6.1f} ms  {path}")
    p95 = _percentile(every, 95)
    print(f"p95 {p95:.1f} ms (budget {BUDGET_MS:.0f} ms): {'within' if p95 <= BUDGET_MS else 'OVER'} budget")
    if errors:
        raise SystemExit(f"{len(errors)} requests failed, e.g. {errors[:3]}")


if __name__ == "__main__":
    main()
