"""Fault drills: the whole product (gunicorn, Celery worker and beat, PostgreSQL, a private Redis, the Zoom
emulator over HTTP, an SMTP sink) started once per session, broken on purpose by each drill.

Marked ``drill`` (and ``e2e``): ``pytest -m "not drill"`` leaves them out. Skipped with the reason where
PostgreSQL or redis-server is missing. On a failure the last lines of every process's log are attached
to the report.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from tests.drills.harness import Database, DrillStack, Site, Zoom, missing_requirements

_stack: DrillStack | None = None


def pytest_configure(config):
    config.addinivalue_line("markers", "drill: fault drills against the real stack (slow, minutes)")


def pytest_collection_modifyitems(config, items):
    reason = missing_requirements()
    for item in items:
        if "tests/drills/" in str(item.fspath):
            item.add_marker(pytest.mark.drill)
            item.add_marker(pytest.mark.e2e)
            if reason:
                item.add_marker(pytest.mark.skip(reason=f"fault drills need the real stack: {reason}"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed and _stack is not None and "tests/drills/" in str(item.fspath):
        report.sections.append(("drill stack logs", _stack.logs()))


@pytest.fixture(scope="session")
def drill_stack(tmp_path_factory) -> Iterator[DrillStack]:
    global _stack
    stack = DrillStack(tmp=tmp_path_factory.mktemp("drill-stack"))
    try:
        started = time.monotonic()
        stack.start()
        stack.create_company()
        print(f"drill stack up in {time.monotonic() - started:.1f}s")
        _stack = stack
        yield stack
    finally:
        _stack = None
        stack.shutdown()


@pytest.fixture
def stack(drill_stack: DrillStack) -> Iterator[DrillStack]:
    """The session's stack, whole again before each drill (a failed drill may have left Redis or the
    worker down)."""
    if not drill_stack.redis_running():
        drill_stack.start_redis()
    if not drill_stack.alive("worker"):
        drill_stack.start_worker()
    if not drill_stack.alive("beat"):
        drill_stack.start_beat()
    yield drill_stack


@pytest.fixture
def db_(stack: DrillStack) -> Iterator[Database]:
    database = Database(stack.database_url)
    yield database
    database.close()


@pytest.fixture
def zoom(stack: DrillStack) -> Zoom:
    """The emulator back to its seeded account (no meetings, no installation) for each drill."""
    emulator = Zoom(stack.emulator_url, f"{stack.site_url}/zoom/webhook/")
    emulator.reset()
    return emulator


@pytest.fixture
def admin_site(stack: DrillStack, zoom: Zoom) -> Site:
    """The company's admin, signed in (Zoom not linked again yet)."""
    browser = Site(stack.site_url)
    browser.login()
    return browser


@pytest.fixture
def site(admin_site: Site, zoom: Zoom) -> Site:
    """The company's admin, signed in, with Zoom linked (連携中) to the freshly reset emulator."""
    admin_site.link_zoom(zoom)
    return admin_site


@pytest.fixture
def first_day() -> date:
    """Slots go a week ahead: in the future, and within Zoom's horizon."""
    return date.today() + timedelta(days=7)
