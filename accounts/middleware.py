from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone

from accounts import two_factor


class CompanyTimezoneMiddleware:
    """Show times in the signed-in user's company time zone (stored in UTC)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        company = getattr(getattr(request, "user", None), "company", None)
        if company is not None:
            timezone.activate(company.tzinfo)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class ContentSecurityPolicyMiddleware:
    """Strict CSP (no inline script) and the remaining security headers Django does not set."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if settings.CONTENT_SECURITY_POLICY and not request.path.startswith("/admin/"):
            response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response


class TwoFactorMiddleware:
    """Keep a user who signed in with a password, but still owes the second step, on the 2段階認証 pages.

    Everything else (the product, /admin/) redirects to the verification page, or to the setup page when
    the company or the operator policy requires 2段階認証 and the user has not set it up yet.
    """

    # The verification and setup pages themselves; nothing else under /accounts/two-factor/ (recovery codes
    # and turning it off need a verified session).
    OPEN_PREFIXES = (
        "/accounts/two-factor/verify/",
        "/accounts/two-factor/setup/",
        "/accounts/logout/",
        "/static/",
        "/i18n/",
        "/healthz",
    )

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(self.OPEN_PREFIXES) or not two_factor.needs_verification(request):
            return self.get_response(request)
        enrolled = two_factor.enrolled_at_sign_in(request)
        target = "accounts:two_factor_verify" if enrolled else "accounts:two_factor_setup"
        query = urlencode({"next": request.get_full_path()}) if request.method == "GET" else ""
        return HttpResponseRedirect(reverse(target) + (f"?{query}" if query else ""))
