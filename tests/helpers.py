"""Shared test helpers: a world of two companies with one user per role each, logged-in clients, and the
network guard's pieces. The fixtures built on them live in tests/conftest.py."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from django.test import Client

from accounts.models import Company, Role, User
from tests.factories import CompanyFactory, UserFactory

LOOPBACK_NAMES = {"localhost", "testserver", ""}


class OutboundNetworkBlocked(RuntimeError):
    """A test tried to reach a host outside this machine without mocking it."""


def is_loopback(host: object) -> bool:
    if not isinstance(host, str) or host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


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


def make_world() -> World:
    """Two companies, acme and other, each with an admin, a recruiter and an interviewer (needs the db)."""
    return World(acme=_tenant("acme", "株式会社アクメ"), other=_tenant("other", "他社株式会社"))


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client
