"""Shared fixtures: a world of two companies with one user per role each, and a network guard."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass

import pytest
from django.core.cache import cache
from django.test import Client

from accounts.models import Company, Role, User
from tests.factories import CompanyFactory, UserFactory

pytest_plugins = ["tests.plugins.zoom_emulator", "tests.plugins.scheduling"]

LOOPBACK_NAMES = {"localhost", "testserver", ""}


class OutboundNetworkBlocked(RuntimeError):
    """A test tried to reach a host outside this machine without mocking it."""


def _is_loopback(host: object) -> bool:
    if not isinstance(host, str) or host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def block_outbound_network(monkeypatch):
    """Fail any connection to a non-loopback host: unmocked outbound HTTP fails the test."""
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect

    def guarded_getaddrinfo(host, *args, **kwargs):
        if not _is_loopback(host if not isinstance(host, bytes) else host.decode()):
            raise OutboundNetworkBlocked(f"test tried to resolve {host!r}; mock it (responses / emulator)")
        return real_getaddrinfo(host, *args, **kwargs)

    def guarded_connect(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
            raise OutboundNetworkBlocked(f"test tried to connect to {address!r}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", guarded_connect)


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@dataclass
class Tenant:
    company: Company
    admin: User
    recruiter: User
    interviewer: User

    def user(self, role: str) -> User:
        return {Role.ADMIN: self.admin, Role.RECRUITER: self.recruiter, Role.INTERVIEWER: self.interviewer}[
            role
        ]


@dataclass
class World:
    acme: Tenant
    other: Tenant


def _tenant(slug: str, name: str) -> Tenant:
    company = CompanyFactory(slug=slug, name=name)
    return Tenant(
        company=company,
        admin=UserFactory(company=company, role=Role.ADMIN, email=f"admin@{slug}.example.com"),
        recruiter=UserFactory(company=company, role=Role.RECRUITER, email=f"recruiter@{slug}.example.com"),
        interviewer=UserFactory(
            company=company, role=Role.INTERVIEWER, email=f"interviewer@{slug}.example.com"
        ),
    )


@pytest.fixture
def world(db) -> World:
    return World(acme=_tenant("acme", "株式会社アクメ"), other=_tenant("other", "他社株式会社"))


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def as_admin(world) -> Client:
    return client_for(world.acme.admin)


@pytest.fixture
def as_recruiter(world) -> Client:
    return client_for(world.acme.recruiter)


@pytest.fixture
def as_interviewer(world) -> Client:
    return client_for(world.acme.interviewer)
