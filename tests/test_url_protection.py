"""Every product URL is behind a role helper unless it is deliberately public."""

from django.urls import URLPattern, URLResolver, get_resolver

# Views that must answer without a signed-in company user, and why.
PUBLIC_VIEWS = {
    "accounts:login",
    "accounts:logout",
    "accounts:password_reset",
    "accounts:password_reset_done",
    "accounts:password_reset_confirm",
    "accounts:password_reset_complete",
    "accounts:password_change",  # login_required by Django's view itself
    "healthz",
    "set_language",
    "admin_login",  # redirects to accounts:login
    # 2段階認証: every signed-in user, operators included (login_required by each view)
    "accounts:two_factor",
    "accounts:two_factor_setup",
    "accounts:two_factor_verify",
    "accounts:two_factor_recovery_codes",
    "accounts:two_factor_regenerate_codes",
    "accounts:two_factor_disable",
}
EXTRA_PUBLIC_PREFIXES = ("admin:",)  # Django admin guards itself (is_staff)


def _walk(patterns, namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or ""
            yield from _walk(entry.url_patterns, f"{namespace}{ns}:" if ns else namespace)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name}", entry.callback


def test_every_view_declares_its_roles_or_is_public():
    unprotected = []
    for name, callback in _walk(get_resolver().url_patterns):
        if name in PUBLIC_VIEWS or name.startswith(EXTRA_PUBLIC_PREFIXES):
            continue
        if getattr(callback, "public_view", False):
            continue
        if not getattr(callback, "allowed_roles", None):
            unprotected.append(name)
    assert unprotected == []
