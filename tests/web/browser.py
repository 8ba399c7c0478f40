"""A page in Debian's chromium for the browser-marked tests."""

import os
import shutil
from contextlib import contextmanager
from unittest import mock


@contextmanager
def chromium_page(**page_options):
    """Create the test's rows before entering: ORM calls made inside Playwright's event loop get a
    connection of their own that outlives the test (PostgreSQL then cannot drop the test database)."""
    from playwright.sync_api import sync_playwright

    assert shutil.which("chromium"), "Debian's chromium is needed: `make browser` installs it"
    # Playwright's loop runs beside the live server's ORM
    with mock.patch.dict(os.environ, {"DJANGO_ALLOW_ASYNC_UNSAFE": "true"}), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"])
        yield browser.new_page(**page_options)  # e.g. a phone's viewport
        browser.close()
