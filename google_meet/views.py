"""The Google Meet pages: the admin's page (/web-interview/google/: 利用開始 / 連携解除, every host's grant),
each user's connect page (/web-interview/google/connect/), the OAuth callback, and the Calendar push
receiver (/google/notifications/)."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import AuthenticatedHttpRequest, admin_required, member_required, public_view
from accounts.tenancy import request_company
from google_meet import changes, oauth, selectors, services
from google_meet.client import GoogleError
from google_meet.models import GrantStatus

logger = logging.getLogger(__name__)


@member_required
@require_GET
def google_service(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The Google Meet page (管理者): state, 利用開始 / 連携解除, every host's Google account. Other users
    (the Web面接連携サービス list links here for 採用担当 too) are sent to their own connect page."""
    if not request.user.is_company_admin:
        return redirect("google_meet:connect")
    overview = selectors.google_overview(request_company(request))
    return render(request, "google_meet/google.html", {"google": overview})


@admin_required
@require_POST
def enable(request: AuthenticatedHttpRequest) -> HttpResponse:
    """利用開始: Google Meet 連携中 for the company; hosts then connect their own accounts."""
    try:
        services.enable_link(company=request_company(request), actor=request.user, request=request)
    except services.AuthorizationFailed as exc:
        messages.error(request, exc.message)
        return redirect("google_meet:google")
    messages.success(
        request, _("Google Meetの利用を開始しました。ホストは各自のGoogleアカウントを連携してください。")
    )
    return redirect("google_meet:google")


@admin_required
@require_POST
def unlink(request: AuthenticatedHttpRequest) -> HttpResponse:
    try:
        services.unlink(company=request_company(request), actor=request.user, request=request)
    except GoogleError as exc:
        messages.error(request, exc.message)
        return redirect("google_meet:google")
    messages.success(request, _("Google Meet連携を解除しました。"))
    return redirect("google_meet:google")


@member_required
@require_GET
def connect(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Googleアカウントを連携: the signed-in user's own grant (any role)."""
    company = request_company(request)
    overview = selectors.google_overview(company, with_grants=False)
    grant = selectors.user_grant(request.user)
    response = render(request, "google_meet/connect.html", {"google": overview, "grant": grant})
    _allow_form_to_google(response)
    return response


@member_required
@require_POST
def authorize(request: AuthenticatedHttpRequest) -> HttpResponse:
    try:
        services.usable_link(request_company(request))
    except GoogleError as exc:
        messages.error(request, exc.message)
        return redirect("google_meet:connect")
    return redirect(oauth.begin(request))


@member_required
@never_cache
@require_GET
def callback(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Google's redirect back: check the state, exchange the code (PKCE), store the user's grant."""
    error = request.GET.get("error")
    try:
        verifier = oauth.consume_connect(request, state=request.GET.get("state"))
    except oauth.CallbackRejected as exc:
        if error:
            return _callback_failed(request, _refusal(error))
        logger.warning("google: callback rejected for company %s: bad state", request.user.company_id)
        return _callback_failed(request, exc.message)
    if error:
        return _callback_failed(request, _refusal(error))
    code = request.GET.get("code", "")
    if not code:
        return _callback_failed(
            request, _("Googleから認可コードが返されませんでした。もう一度お試しください。")
        )
    try:
        grant = services.complete_connect(
            user=request.user, code=code, code_verifier=verifier, request=request
        )
    except services.AuthorizationFailed as exc:
        return _callback_failed(request, exc.message)
    messages.success(
        request, _("Googleアカウント（%(email)s）を連携しました。") % {"email": grant.google_email or "-"}
    )
    return redirect("google_meet:connect")


@member_required
@require_POST
def disconnect(request: AuthenticatedHttpRequest) -> HttpResponse:
    grant = selectors.user_grant(request.user)
    if grant is None or grant.status == GrantStatus.RELEASED:
        messages.error(request, _("Googleアカウントは連携されていません。"))
        return redirect("google_meet:connect")
    services.disconnect(grant=grant, actor=request.user, request=request)
    messages.success(request, _("Googleアカウントの連携を解除しました。"))
    return redirect("google_meet:connect")


@public_view
@csrf_exempt
@require_POST
def notifications(request: HttpRequest) -> HttpResponse:
    """Calendar push messages (empty body, X-Goog-* headers): 200 for a known channel with its token,
    404 otherwise (Google then stops sending to a channel we do not know)."""
    received = changes.receive(
        channel_id=request.headers.get("X-Goog-Channel-ID", ""),
        token=request.headers.get("X-Goog-Channel-Token", ""),
        state=request.headers.get("X-Goog-Resource-State", ""),
    )
    return HttpResponse(status=200 if received.accepted else 404)


def _callback_failed(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "google_meet/callback_error.html", {"message": message}, status=400)


def _refusal(error: str) -> str:
    if error in ("access_denied", "consent_required", "login_required"):
        return _(
            "Googleで連携がキャンセルされました。連携する場合は、もう一度「Googleアカウントを連携」から"
            "許可してください。"
        )
    return _("Googleが認可を完了しませんでした（%(error)s）。もう一度お試しください。") % {
        "error": error[:100]
    }


def _allow_form_to_google(response: HttpResponse) -> None:
    """Let the connect form's redirect reach Google's sign-in origin (CSP form-action covers redirects)."""
    policy = settings.CONTENT_SECURITY_POLICY
    parts = urlsplit(settings.GOOGLE_OAUTH_BASE_URL)
    if not policy or not parts.scheme or not parts.netloc:
        return
    origin = f"{parts.scheme}://{parts.netloc}"
    directives = [d.strip() for d in policy.split(";") if d.strip()]
    for index, directive in enumerate(directives):
        sources = directive.split()
        if sources[0].lower() != "form-action":
            continue
        if origin in sources or (parts.scheme == "https" and "https:" in sources):
            return
        directives[index] = f"{directive} {origin}"
        response.headers["Content-Security-Policy"] = "; ".join(directives)
        return
