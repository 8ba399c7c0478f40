"""The officer's phone in chromium (360x740): a village downloaded, visits recorded with the network cut,
a reload while offline, then every visit arrives exactly once; a refused visit needs attention on the
phone and on the manager's page while the others arrive."""

import json
import os
import uuid
from pathlib import Path

import pytest
from django.db import connection

from everydoor.campaign.models import OfficerAssignment, Visit
from everydoor.field.models import RefusedVisit
from tests.field import world
from tests.field.world import PW
from tests.web.browser import chromium_page

PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True, "locale": "vi-VN",
         "timezone_id": "Asia/Ho_Chi_Minh"}
DOCS_SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture
def shots(tmp_path):
    """docs/screenshots when EVERYDOOR_SCREENSHOTS=1 (to refresh the docs), else a scratch folder."""
    folder = DOCS_SHOTS if os.environ.get("EVERYDOOR_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _sign_in(page, base, username):
    page.goto(f"{base}/login/?next=/field/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PW)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/field/")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_function("navigator.serviceWorker.controller !== null")


def _download(page, village):
    from playwright.sync_api import expect

    page.click(f"button.download[data-village='{village.id}']")
    expect(page.locator(f".download-state[data-village='{village.id}']")).to_contain_text("KB")
    kept = json.loads(page.evaluate(f"localStorage.getItem('everydoor-offline-{village.id}')"))
    print(f"\nvillage download: {kept['pages']} pages, {kept['bytes']:,} bytes ({kept['sent']:,} over the network)")
    assert kept["sent"] < kept["bytes"]  # the pages come compressed
    return kept


def _record(page, base, household, outcome, **extra):
    page.goto(f"{base}/field/households/{household.id}/")
    page.check(f"input[name=outcome][value={outcome}]")
    if "reason" in extra:
        page.check(f"input[name=reason][value={extra['reason']}]")
    for member in extra.get("members", ()):
        page.check(f"input[name=members][value='{member.id}']")
    if "follow_up" in extra:
        page.fill("input[name=follow_up]", extra["follow_up"])
    page.click("#visit-form button[type=submit]")
    page.wait_for_selector("#visit-saved:not([hidden])")


def _queued(page):
    return page.evaluate("Outbox.all()")


@pytest.mark.browser
def test_visits_recorded_offline_arrive_exactly_once(live_server, transactional_db, monkeypatch, shots):
    from playwright.sync_api import expect

    monkeypatch.setenv("EVERYDOOR_TODAY", world.TODAY.isoformat())
    field = world.build()
    homes, people, base = field["households"], field["people"], live_server.url
    with chromium_page(**PHONE) as page:
        _sign_in(page, base, "can_bo")
        kept = _download(page, field["villages"][0])
        assert kept["pages"] == 2 + 3 + 3 and kept["bytes"] < 200_000  # my day, the village, 3 households, 3 scripts
        page.screenshot(path=str(shots / "field-day.png"), full_page=True)

        page.context.set_offline(True)
        page.goto(f"{base}/field/villages/{field['villages'][0].id}/")  # from the service worker's cache
        expect(page.locator("#net")).to_have_text("Mất mạng")
        page.goto(f"{base}/field/villages/{field['villages'][1].id}/")  # never downloaded: the network is needed
        expect(page.locator("body")).to_contain_text("not downloaded for offline use")
        _record(page, base, homes[0], "enrolled", members=[people["mai"]])
        page.screenshot(path=str(shots / "field-household.png"), full_page=True)
        _record(page, base, homes[1], "refused", reason="cost", follow_up="2025-11-20")
        # validated in the page: a promise without members or date is not saved
        page.goto(f"{base}/field/households/{homes[2].id}/")
        page.check("input[name=outcome][value=promised]")
        page.click("#visit-form button[type=submit]")
        expect(page.locator("#visit-errors li")).to_have_count(2)
        _record(page, base, homes[2], "not_at_home", follow_up="2025-11-12")
        expect(page.locator("#outbox-count")).to_have_text("3")

        page.reload()  # still offline: the page from the cache, the visits from IndexedDB
        expect(page.locator("#outbox-count")).to_have_text("3")
        expect(page.locator("#waiting-list li")).to_have_count(3)
        queued = _queued(page)
        assert [q["visit"]["household"] for q in queued] == [h.code for h in homes]
        page.goto(f"{base}/field/villages/{field['villages'][0].id}/")
        expect(page.locator("li[data-household] .pending:not([hidden])")).to_have_count(3)
        page.screenshot(path=str(shots / "field-village-offline.png"), full_page=True)
        assert Visit.objects.count() == 0

        page.context.set_offline(False)  # the "online" event sends the queue
        expect(page.locator("#outbox-count")).to_have_text("0", timeout=15_000)
        assert sorted(str(v.uuid) for v in Visit.objects.all()) == sorted(q["uuid"] for q in queued)
        assert Visit.objects.get(household=homes[0]).members.get().person == people["mai"]

        # a retry of one of them (its answer lost on the way): the server keeps one visit
        answer = page.evaluate("""async (visit) => {
            const who = await (await fetch('/field/session.json')).json();
            const r = await fetch('/field/visits', {method: 'POST', body: JSON.stringify(visit),
                headers: {'Content-Type': 'application/json', 'X-CSRFToken': who.csrf}});
            return r.status; }""", queued[1]["visit"])
        assert answer == 200 and Visit.objects.count() == 3


@pytest.mark.browser
def test_a_refused_visit_needs_attention_and_never_blocks_the_others(live_server, transactional_db, monkeypatch, shots):
    from playwright.sync_api import expect

    monkeypatch.setenv("EVERYDOOR_TODAY", world.TODAY.isoformat())
    field = world.build()
    homes, base = field["households"], live_server.url
    nam_cang, ta_phin = field["villages"]
    moved = world.household_in(ta_phin, code="HH-TP-1")
    with chromium_page(**PHONE) as page:
        _sign_in(page, base, "can_bo")
        _download(page, nam_cang)
        _download(page, ta_phin)
        page.context.set_offline(True)
        _record(page, base, homes[0], "not_at_home", follow_up="2025-11-12")
        _record(page, base, moved, "promised", follow_up="2025-11-15",
                members=[moved.members.get()])  # Tả Phìn goes to another officer meanwhile
        _record(page, base, homes[1], "refused", reason="distrust")
        OfficerAssignment.objects.filter(village=ta_phin).update(valid_to=world.TODAY.replace(day=1))
        expect(page.locator("#outbox-count")).to_have_text("3")

        page.context.set_offline(False)
        expect(page.locator("#outbox-count")).to_have_text("0", timeout=15_000)
        expect(page.locator("#attention-count")).to_have_text("1")
        expect(page.locator("#attention-banner")).to_be_visible()
        expect(page.locator("#attention-list li")).to_contain_text("HH-TP-1")
        expect(page.locator("#attention-list li .why")).to_contain_text("403")
        assert sorted(v.household.code for v in Visit.objects.all()) == [homes[0].code, homes[1].code]
        page.goto(f"{base}/field/")
        expect(page.locator("#progress-refused")).to_have_text("1")  # on the phone, not in the progress
        expect(page.locator("#progress")).to_have_attribute("data-visits", "2")
        page.screenshot(path=str(shots / "field-attention.png"), full_page=True)
        refused = RefusedVisit.objects.get()
        assert (refused.status, refused.household, refused.officer) == (403, moved, field["officer"])

        page.context.clear_cookies()
        page.goto(f"{base}/login/?next=/field/attention/")
        page.fill("input[name=username]", "quan_ly")
        page.fill("input[name=password]", PW)
        page.click("button[type=submit]")
        expect(page.locator(f"#refused-{refused.uuid}")).to_contain_text("HH-TP-1")
        page.set_viewport_size({"width": 1000, "height": 500})
        page.screenshot(path=str(shots / "field-manager-refused.png"), full_page=True)
    assert str(refused.uuid) not in {str(v.uuid) for v in Visit.objects.all()}
    assert uuid.UUID(refused.uuid)


@pytest.mark.browser
def test_a_server_error_keeps_the_queue_in_order_and_a_conflict_is_shown(live_server, transactional_db, monkeypatch):
    from playwright.sync_api import expect

    monkeypatch.setenv("EVERYDOOR_TODAY", world.TODAY.isoformat())
    field = world.build()
    homes, base = field["households"], live_server.url
    with chromium_page(**PHONE) as page:
        _sign_in(page, base, "can_bo")
        answered = []

        def busy(route):
            answered.append(503)
            route.fulfill(status=503, body="busy")

        page.route("**/field/visits", busy)  # the server is there but cannot answer: a 5xx
        _record(page, base, homes[0], "not_at_home", follow_up="2025-11-12")
        _record(page, base, homes[1], "refused", reason="cost")
        page.evaluate("Outbox.flush()")
        expect(page.locator("#outbox-count")).to_have_text("2")
        assert answered and not Visit.objects.exists()  # tried, kept, nothing refused
        expect(page.locator("#attention-count")).to_have_text("0")
        first = _queued(page)[0]

        page.unroute("**/field/visits")
        page.evaluate("Outbox.flush()")
        expect(page.locator("#outbox-count")).to_have_text("0")
        arrived = list(Visit.objects.order_by("id").values_list("household__code", flat=True))
        assert arrived == [homes[0].code, homes[1].code]  # in the order recorded

        # the same UUID again with other content: a 409, shown, not merged
        page.evaluate("(item) => Outbox.add({...item.visit, note: 'khác'}, item.label).then(() => Outbox.flush())", first)
        expect(page.locator("#attention-list li .why")).to_contain_text("409")
        expect(page.locator("#attention-list li .why")).to_contain_text("nội dung khác")
        assert Visit.objects.get(uuid=first["uuid"]).note == ""
        assert Visit.objects.count() == 2


@pytest.mark.browser
def test_a_signed_out_phone_keeps_its_visits_until_the_officer_signs_in_again(live_server, transactional_db,
                                                                              monkeypatch):
    from playwright.sync_api import expect

    monkeypatch.setenv("EVERYDOOR_TODAY", world.TODAY.isoformat())
    field = world.build()
    home, base = field["households"][0], live_server.url
    with chromium_page(**PHONE) as page:
        _sign_in(page, base, "can_bo")
        page.goto(f"{base}/field/households/{home.id}/")
        page.context.clear_cookies()  # the session ends with the page open
        page.check("input[name=outcome][value=not_at_home]")
        page.click("#visit-form button[type=submit]")
        page.evaluate("Outbox.flush()")
        expect(page.locator("#signin-banner")).to_be_visible()
        expect(page.locator("#outbox-count")).to_have_text("1")
        expect(page.locator("#attention-count")).to_have_text("0")  # not a refusal
        assert not Visit.objects.exists() and not RefusedVisit.objects.exists()
        connection.close()  # asked inside Playwright's loop: a connection of its own (tests/web/browser.py)
        page.click("#signin-banner a")
        page.fill("input[name=username]", "can_bo")
        page.fill("input[name=password]", PW)
        page.click("button[type=submit]")
        expect(page.locator("#outbox-count")).to_have_text("0", timeout=15_000)
    assert Visit.objects.get().household == home


@pytest.mark.browser
def test_signing_out_clears_the_downloads_but_keeps_unsent_visits(live_server, transactional_db, monkeypatch):
    from playwright.sync_api import expect

    monkeypatch.setenv("EVERYDOOR_TODAY", world.TODAY.isoformat())
    field = world.build()
    base = live_server.url
    with chromium_page(**PHONE) as page:
        _sign_in(page, base, "can_bo")
        _download(page, field["villages"][0])
        page.route("**/field/visits", lambda route: route.fulfill(status=503, body="busy"))
        _record(page, base, field["households"][0], "not_at_home", follow_up="2025-11-12")
        page.evaluate("Outbox.flush()")
        expect(page.locator("#outbox-count")).to_have_text("1")
        page.click("#sign-out")
        page.wait_for_url(f"{base}/login/")
        assert page.evaluate("caches.open('everydoor-field-pages').then(c => c.keys()).then(k => k.length)") == 0
        assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('everydoor-offline-')).length") == 0
        assert page.context.request.get(f"{base}/field/session.json").status == 401  # signed out on the server
        assert len(page.evaluate("""new Promise(ok => { const r = indexedDB.open('everydoor-field', 1);
            r.onsuccess = () => { const q = r.result.transaction('visits').objectStore('visits').getAll();
            q.onsuccess = () => ok(q.result); }; })""")) == 1  # the unsent visit is still there
