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

        # the commune chairman on a phone: the page fits the screen, its menu and sign-out in view
        phone = page.context.browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
        _sign_in(phone, url, "chair")
        expect(phone.locator("h1")).to_have_text(a.name)
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
        for control in ("header nav >> text=Tổng quan", "header button >> text=Đăng xuất"):
            box = phone.locator(control).bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, (control, box)


def test_a_unit_manager_sets_and_locks_a_target_then_follows_progress_down_to_an_officer(live_server,
                                                                                          transactional_db):
    import datetime as dt

    from playwright.sync_api import expect

    from everydoor.campaign.models import Target
    from everydoor.campaign.progress import progress_forget
    from everydoor.campaign.targets import targets_allocate
    from tests.campaign.conftest import visit

    w = W.build()
    users = W.users(w)
    targets_allocate(area=w["province"], goal_rate="0.965", due=dt.date(2025, 12, 31), decision="462/QĐ-BHXH",
                     as_of=W.AS_OF, actor="test")
    visit(w["households"][w["a"].pk][0], users["officer"], "refused", reason="cost", day=dt.date(2025, 10, 20))
    progress_forget()
    unit = Target.objects.get(level="agency_unit", agency_unit=w["unit_ab"])
    a, b = (Target.objects.get(level="commune", area=w[k]) for k in ("a", "b"))
    with chromium_page() as page:
        _sign_in(page, live_server.url, "manager")
        page.click("header nav >> text=Chỉ tiêu")
        expect(page.locator("h1")).to_have_text("Chỉ tiêu · BHXH cơ sở Mường Khương")
        row = page.locator(f"#target-{a.pk}")
        row.locator("input[name=value]").fill(str(unit.value))
        row.locator("button", has_text="Đặt và khóa").click()
        expect(page.locator("ul.messages")).to_contain_text(f"Chỉ tiêu của Xã Mường Bo: {a.value} → {unit.value} thẻ")
        expect(page.locator(f"#target-{a.pk} .state")).to_have_text("đã khóa")
        expect(page.locator(f"#target-{b.pk} td.value")).to_have_text("0")  # the unit still adds up
        page.locator(f"#target-{b.pk} button.secondary").click()
        expect(page.locator("ul.messages")).to_contain_text("Xã Bản Lầu (0 thẻ): chưa khóa → đã khóa")
        expect(page.locator(f"#target-{b.pk} .state")).to_have_text("đã khóa")

        page.click("header nav >> text=Tiến độ")
        expect(page.locator("h1")).to_have_text("Tiến độ · BHXH cơ sở Mường Khương")
        expect(page.locator("#target .value")).to_have_text(str(unit.value))
        page.click("table#children >> text=Xã Mường Bo")
        expect(page.locator("h1")).to_have_text("Tiến độ · Xã Mường Bo")
        page.click("table#children >> text=Thôn Nậm Cang")
        expect(page.locator("h1")).to_have_text("Tiến độ · Thôn Nậm Cang")
        page.click("table#children >> text=Nguyễn Văn An")
        expect(page.locator("h1")).to_have_text("Tiến độ · Nguyễn Văn An")
        expect(page.locator("#refusals")).to_contain_text("Chi phí")
        assert page.locator("svg.chart").count() == 2  # the target bar and the funnel
        trail = page.locator("nav.trail").inner_text()
        assert "BHXH cơ sở Mường Khương" in trail and "Tỉnh Thử Nghiệm" not in trail  # the manager's levels only


def test_lapse_warnings_from_the_province_to_a_commune_and_on_the_chairmans_phone(live_server, transactional_db):
    from playwright.sync_api import expect

    from everydoor.lapses.prepare import prepare

    w = W.build()
    W.users(w)
    prepare(as_of=W.AS_OF, province="98")
    url = live_server.url
    with chromium_page() as page:
        _sign_in(page, url, "leader")
        page.click("header nav >> text=Cảnh báo hết hạn thẻ")
        expect(page.locator("h1")).to_have_text("Cảnh báo hết hạn thẻ · Tỉnh Thử Nghiệm")
        expect(page.locator("#lapsing .label")).to_have_text("Thẻ sắp hết hạn")
        expect(page.locator("#forecast #band")).to_contain_text("–")
        expect(page.locator("#forecast #plan")).to_contain_text("42")
        page.click(f"table#children >> text={w['a'].name}")
        expect(page.locator("h1")).to_have_text(f"Cảnh báo hết hạn thẻ · {w['a'].name}")
        assert "Tỉnh Thử Nghiệm" in page.locator("nav.trail").inner_text()
        assert page.locator("table#children tbody tr").count() >= 1  # its villages

        phone = page.context.browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
        _sign_in(phone, url, "chair")
        phone.click("header nav >> text=Cảnh báo hết hạn thẻ")
        expect(phone.locator("h1")).to_have_text(f"Cảnh báo hết hạn thẻ · {w['a'].name}")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
