"""Fixtures for end-to-end tests: the real stack (see stack.py) and Chromium driven by Playwright.

Page helpers (screenshot, login) live in tests/e2e/helpers.py.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.e2e.helpers import CHROMIUM_ARGS
from tests.e2e.stack import CHROMIUM, Stack, demo_stack, missing_requirements


def pytest_collection_modifyitems(config, items):
    reason = missing_requirements()
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
            if reason:
                item.add_marker(pytest.mark.skip(reason=f"end-to-end stack unavailable: {reason}"))


@pytest.fixture(scope="session")
def stack(tmp_path_factory) -> Iterator[Stack]:
    with demo_stack(tmp_path_factory.mktemp("stack")) as stack:
        yield stack


@pytest.fixture(scope="session")
def browser() -> Iterator:
    # Playwright's sync API runs an event loop; these tests never touch the ORM in-process.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, stack) -> Iterator:
    context = browser.new_context(
        base_url=stack.site_url, locale="ja-JP", viewport={"width": 1280, "height": 860}
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
