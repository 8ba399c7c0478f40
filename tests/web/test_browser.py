"""The web app in Debian's chromium: each role signs in, the drill-down from province to household, the
report download, the language switch, and a commune chairman refused another commune's pages (404)."""

import pytest

from tests.web import world as W
from tests.web.browser import chromium_page

pytestmark = pytest.mark.browser


def _sign_in(page, url: str, name: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{url}/login/")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", W.PW)
    page.click("#sign-in")
    page.wait_for_load_state()


def test_each_role_drill_down_report_and_refusals(live_server, transactional_db):
    from playwright.sync_api import expect

    w = W.build()
    W.users(w)
    a, c = w["a"], w["c"]
    village = w["villages"][a.pk][0]
    household = w["households"][a.pk][0]
    url = live_server.url
    with chromium_page() as page:
        # the provincial leader: province -> agency unit -> commune -> village -> household, one click each
        _sign_in(page, url, "leader")
        expect(page.locator("h1")).to_have_text("Tỉnh Thử Nghiệm")
        expect(page.locator("#official-rate")).to_contain_text("%")
        assert page.locator("svg.chart").count() >= 3  # trend, waterfall, map
        page.click("table#units >> text=BHXH cơ sở Mường Khương")
        expect(page.locator("h1")).to_have_text("BHXH cơ sở Mường Khương")
        page.click(f"table#communes >> text={a.name}")
        expect(page.locator("h1")).to_have_text(a.name)
        assert "as_of=2025-10-31" in page.url  # shareable: the date is in the URL
        page.click(f"table#villages >> text={village.name}")
        expect(page.locator("h1")).to_have_text(village.name)
        page.click(f"table#households >> text={household.code}")
        expect(page.locator("h1")).to_contain_text(household.code)
        assert page.locator("table#members tbody tr").count() == 3
        trail = page.locator("nav.trail").inner_text()
        assert all(x in trail for x in ("Tỉnh Thử Nghiệm", "BHXH cơ sở Mường Khương", a.name, village.name))

        # the monthly report of the commune, downloaded from its page
        page.goto(f"{url}/area/{a.code}/")
        with page.expect_download() as download:
            page.click("#report >> text=XLSX · Tiếng Việt")
        assert download.value.suggested_filename == f"coverage-{a.code}-2025-10-31-vi.xlsx"

        # English on request, Vietnamese again
        page.click("header .lang button[value=en]")
        expect(page.locator("#official-rate .label")).to_have_text("Official rate")
        page.click("header .lang button[value=vi]")
        expect(page.locator("#official-rate .label")).to_have_text("Tỷ lệ báo cáo")

        # the commune chairman: its commune only; another commune's village or household is a 404
        _sign_in(page, url, "chair")
        expect(page.locator("h1")).to_have_text(a.name)
        for path in (f"/area/{w['villages'][c.pk][0].code}/", f"/household/{w['households'][c.pk][0].pk}/",
                     f"/area/{c.code}/", "/area/98/"):
            response = page.goto(f"{url}{path}")
            assert response.status == 404, path
            expect(page.locator("h1")).to_have_text("Không tìm thấy")

        # the unit manager lands on its agency unit; the officer on its village; the clinic on the look-up
        _sign_in(page, url, "manager")
        expect(page.locator("h1")).to_have_text("BHXH cơ sở Mường Khương")
        _sign_in(page, url, "officer")
        expect(page.locator("h1")).to_have_text(village.name)
        _sign_in(page, url, "clinic")
        expect(page.locator("h1")).to_have_text("Tra cứu thẻ")
        _sign_in(page, url, "admin")
        page.click("header nav >> text=Nhật ký")
        expect(page.locator("table#events")).to_contain_text("household")
