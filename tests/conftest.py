"""Shared fixtures: a world of two companies with one user per role each, and a network guard.

Plain helpers (client_for, World, Tenant, OutboundNetworkBlocked) live in tests/helpers.py.
"""

from __future__ import annotations

import socket

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.utils import translation

from tests.helpers import OutboundNetworkBlocked, World, client_for, is_loopback, make_world

pytest_plugins = ["tests.plugins.zoom_emulator", "tests.plugins.scheduling"]

SUMMARY_LINES = pytest.StashKey[list[str]]()


def pytest_configure(config):
    config.stash[SUMMARY_LINES] = []


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Figures a test wants in the run's summary (e.g. how many inputs the hostile-input sweep tried)."""
    for line in config.stash.get(SUMMARY_LINES, []):
        terminalreporter.write_line(line)


@pytest.fixture
def summary_line(request):
    """``summary_line(text)``: print ``text`` in the summary at the end of the run, passed or not."""
    return request.config.stash[SUMMARY_LINES].append


@pytest.fixture(autouse=True)
def block_outbound_network(monkeypatch):
    """Fail any connection to a non-loopback host: unmocked outbound HTTP fails the test."""
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect

    def guarded_getaddrinfo(host, *args, **kwargs):
        if not is_loopback(host if not isinstance(host, bytes) else host.decode()):
            raise OutboundNetworkBlocked(f"test tried to resolve {host!r}; mock it (responses / emulator)")
        return real_getaddrinfo(host, *args, **kwargs)

    def guarded_connect(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not is_loopback(address[0]):
            raise OutboundNetworkBlocked(f"test tried to connect to {address!r}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", guarded_connect)


@pytest.fixture(autouse=True)
def _japanese_first():
    """Each test starts in the site's language: a request in English must not leave English active for the
    tests after it (LocaleMiddleware activates a request's language on the thread and leaves it there)."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(db) -> World:
    return make_world()


@pytest.fixture
def as_admin(world) -> Client:
    return client_for(world.acme.admin)


@pytest.fixture
def as_recruiter(world) -> Client:
    return client_for(world.acme.recruiter)


@pytest.fixture
def as_interviewer(world) -> Client:
    return client_for(world.acme.interviewer)
