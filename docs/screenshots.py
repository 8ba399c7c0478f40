"""Screenshots of the main pages of the full demo, for the README (synthetic people only).

    .venv/bin/python docs/screenshots.py [--port 8078]

Serves var/ as `everydoor serve` does, signs in as the demo's provincial administrator in Debian's
chromium, and saves docs/screenshots/*.png: the province dashboard, an agency unit, a commune, a
village, a household, the campaign's targets and progress (province, and a village's officers), the lapse
warnings, the audit trail, and the dashboard in English (long pages cut to their top).
"""

import argparse
import http.client
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
MAX_HEIGHT = 1500


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8078)
    args = parser.parse_args()
    url = f"http://127.0.0.1:{args.port}"
    server = subprocess.Popen([str(Path(sys.executable).with_name("everydoor")), "serve", "--port", str(args.port)],
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    OUT.mkdir(parents=True, exist_ok=True)
    try:
        for _ in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", args.port, timeout=1).request("GET", "/login/")
                break
            except OSError:
                time.sleep(0.2)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1360, "height": 900}, device_scale_factor=1)
            page.goto(f"{url}/login/")
            page.screenshot(path=OUT / "login.png")
            page.fill("input[name=username]", "demo")
            page.fill("input[name=password]", "everydoor-demo")
            page.click("#sign-in")
            page.wait_for_selector("#official-rate")
            page.screenshot(path=OUT / "dashboard.png", full_page=True)
            page.click("table#units tbody tr:first-child a")
            page.wait_for_selector("table#communes")
            page.screenshot(path=OUT / "agency-unit.png", full_page=True)
            commune = page.locator("table#communes a", has_text="Mường Bo")
            (commune if commune.count() else page.locator("table#communes tbody a").first).click()
            page.wait_for_selector("table#villages")
            page.screenshot(path=OUT / "commune.png", full_page=True)
            page.locator("table#villages tbody a").first.click()
            page.wait_for_selector("table#households")
            page.screenshot(path=OUT / "village.png", full_page=True)
            page.locator("table#households tr.open a").first.click()
            page.wait_for_selector("table#members")
            page.screenshot(path=OUT / "household.png", full_page=True)
            page.goto(f"{url}/targets/")  # the province's targets, its units' editable, the allocation form
            page.wait_for_selector("table#children")
            page.screenshot(path=OUT / "targets.png", full_page=True)
            page.goto(f"{url}/progress/")
            page.wait_for_selector("table#children")
            page.screenshot(path=OUT / "progress.png", full_page=True)
            for _level in ("agency unit", "commune", "village"):  # down the busiest branch, to a village's officers
                rows = page.locator("table#children tbody tr:has(a)")
                visits = [int(rows.nth(i).locator("td").nth(4).inner_text().replace(".", "").replace(",", "") or 0)
                          for i in range(rows.count())]
                rows.nth(visits.index(max(visits))).locator("a").first.click()
                page.wait_for_selector("table#children")
            page.screenshot(path=OUT / "progress-village.png", full_page=True)
            page.goto(f"{url}/lapses/")  # the province's lapse warnings and year-end forecast
            page.wait_for_selector("#forecast")
            page.screenshot(path=OUT / "lapses.png", full_page=True)
            page.goto(f"{url}/audit/")
            page.screenshot(path=OUT / "audit.png")
            page.goto(f"{url}/")
            page.click("header .lang button[value=en]")
            page.wait_for_selector("#official-rate")
            page.screenshot(path=OUT / "dashboard-en.png", full_page=True)
            page.click("header .lang button[value=vi]")
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    from PIL import Image

    for shot in OUT.glob("*.png"):  # the top of long pages: what a reader sees first
        with Image.open(shot) as image:
            if image.height > MAX_HEIGHT:
                image.crop((0, 0, image.width, MAX_HEIGHT)).save(shot, optimize=True)
    print("\n".join(sorted(str(p.relative_to(ROOT)) for p in OUT.glob("*.png"))))


if __name__ == "__main__":
    main()
