"""Automated probes over every URL pattern: roles, anonymous access, CSRF.

They walk the URL resolver, so each view added later is probed without writing a new test.
Cross-tenant 404s are covered per app, where the objects are built (see each app's tests).
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.models import Role
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

ALL_ROLES = [Role.ADMIN, Role.RECRUITER, Role.INTERVIEWER]
# Deliberately without CSRF: the vendors cannot send our token. Zoom's webhook signature, Graph's clientState
# and Google's channel token are checked instead (each receiver's own tests).
CSRF_EXEMPT = {
    "zoom_webhook:receive",
    "teams_notifications:notifications",
    "teams_notifications:lifecycle",
    "google_notifications:notifications",
}


def _walk(patterns, namespace="", prefix=""):
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, ns, route)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name}", route, entry.callback


def _regex_sample(group: re.Match) -> str:
    """A value for a regex named group: the first literal alternative, or digits, or a word."""
    body = group.group(2)
    alternatives = body.strip("()").split("|")
    if all(re.fullmatch(r"[\w-]+", alt) for alt in alternatives):
        return alternatives[0]
    return "999999" if "0-9" in body or "\\d" in body else "probe"


def _concrete(route: str) -> str:
    """A path for a route, with placeholder values for its converters (objects need not exist)."""
    route = route.replace("^", "").replace("$", "")
    route = re.sub(r"\(\?P<(\w+)>((?:[^()]|\([^()]*\))*)\)", _regex_sample, route)
    path = re.sub(r"<int:\w+>", "999999", route)
    path = re.sub(r"<uuid:\w+>", "00000000-0000-4000-8000-000000000000", path)
    path = re.sub(r"<(?:str|slug|path):\w+>|<\w+>", "probe", path)
    return "/" + path.lstrip("^").rstrip("$")


def _role_protected_views():
    for name, route, callback in _walk(get_resolver().url_patterns):
        roles = getattr(callback, "allowed_roles", None)
        if roles:
            yield pytest.param(_concrete(route), roles, id=name)


@pytest.mark.parametrize(("path", "roles"), list(_role_protected_views()))
def test_each_role_gets_exactly_the_views_the_matrix_allows(world, path, roles):
    for role in ALL_ROLES:
        client = client_for(world.acme.user(role))
        if role in roles:
            # GET only: a POST by an allowed role would perform the action itself.
            assert client.get(path).status_code != 403, f"{role} GET {path} should be allowed"
            continue
        for method in ("get", "post"):
            status = getattr(client, method)(path).status_code
            assert status == 403, f"{role} {method.upper()} {path} answered {status}"


@pytest.mark.parametrize(("path", "roles"), list(_role_protected_views()))
def test_anonymous_visitors_are_sent_to_login(db, path, roles):
    response = Client().get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def _csrf_probe_views():
    for name, route, _callback in _walk(get_resolver().url_patterns):
        if name.startswith("admin:") or name in CSRF_EXEMPT:
            continue
        yield pytest.param(_concrete(route), id=name)


@pytest.mark.parametrize("path", list(_csrf_probe_views()))
def test_every_form_refuses_a_post_without_csrf_token(world, path):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.acme.admin)
    response = client.post(path, {"name": "x"})
    assert response.status_code == 403
    if response.templates:
        assert response.templates[0].name == "403_csrf.html"


def test_csrf_exempt_views_are_only_the_known_ones():
    exempt = {
        name
        for name, _route, callback in _walk(get_resolver().url_patterns)
        if getattr(callback, "csrf_exempt", False) and not name.startswith("admin:")
    }
    assert exempt <= CSRF_EXEMPT
