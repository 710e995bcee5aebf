"""Web面接連携サービス pages (/web-interview/) and the Zoom webhook endpoint (/zoom/webhook/)."""

from __future__ import annotations

import logging
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import AuthenticatedHttpRequest, admin_required, public_view, recruiter_required
from accounts.tenancy import request_company
from zoom_integration import oauth, selectors, services, webhooks
from zoom_integration.client import ZoomError

logger = logging.getLogger(__name__)


@recruiter_required
@require_GET
def zoom_service(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The Zoom service page (設定): state, link details, Zoom users; 認可開始 / 連携解除 for admins."""
    company = request_company(request)
    overview = selectors.zoom_overview(company)
    users = selectors.zoom_users(company) if overview.is_linked else []
    response = render(request, "zoom_integration/zoom.html", {"zoom": overview, "zoom_users": users})
    _allow_form_to_zoom(response)
    return response


@recruiter_required
@never_cache
@require_GET
def zoom_status(request: AuthenticatedHttpRequest) -> JsonResponse:
    """The state code, polled by the Zoom page so a removal in Zoom shows within seconds."""
    return JsonResponse({"status": selectors.zoom_overview(request_company(request)).code})


@admin_required
@require_POST
def authorize(request: AuthenticatedHttpRequest) -> HttpResponse:
    """認可開始: send the admin to Zoom's sign-in with a session-bound state and a PKCE challenge."""
    company = request_company(request)
    if not company.zoom_enabled or not services.zoom_configured():
        messages.error(request, _("この企業ではZoom連携を利用できません。"))
        return redirect("zoom_integration:zoom")
    return redirect(oauth.begin_authorization(request))


@admin_required
@never_cache
@require_GET
def callback(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Zoom's redirect back: check the state, link, and show 連携中 (or a page saying what went wrong)."""
    try:
        code_verifier = oauth.consume_authorization(request, state=request.GET.get("state"))
    except oauth.CallbackRejected as exc:
        if request.GET.get("error"):
            return _callback_failed(request, _zoom_refusal(request.GET["error"]))
        logger.warning("zoom: OAuth callback rejected for company %s: bad state", request.user.company_id)
        return _callback_failed(request, exc.message)
    if request.GET.get("error"):
        return _callback_failed(request, _zoom_refusal(request.GET["error"]))
    code = request.GET.get("code", "")
    if not code:
        return _callback_failed(
            request, _("Zoomから認可コードが返されませんでした。もう一度お試しください。")
        )
    try:
        result = services.complete_authorization(
            company=request_company(request),
            actor=request.user,
            code=code,
            code_verifier=code_verifier,
            request=request,
        )
    except services.AuthorizationFailed as exc:
        return _callback_failed(request, exc.message)
    messages.success(request, _("Zoomアカウントを連携しました。"))
    if result.sync_error:
        messages.warning(
            request, _("Zoomユーザーを取得できませんでした: %(reason)s") % {"reason": result.sync_error}
        )
    return redirect("zoom_integration:zoom")


@admin_required
@require_POST
def unlink(request: AuthenticatedHttpRequest) -> HttpResponse:
    """連携解除: delete the tokens and Zoom user data here and revoke the token at Zoom."""
    try:
        result = services.unlink_connection(
            company=request_company(request), actor=request.user, request=request
        )
    except ZoomError as exc:
        messages.error(request, exc.message)
        return redirect("zoom_integration:zoom")
    messages.success(request, _("Zoom連携を解除しました。"))
    if not result.revoked:
        messages.warning(
            request,
            _(
                "Zoom側での連携解除を確認できませんでした。必要に応じて Zoom App Marketplace の"
                "「Manage」→「Added Apps」からアプリを削除してください。"
            ),
        )
    return redirect("zoom_integration:zoom")


@admin_required
@require_POST
def users_sync(request: AuthenticatedHttpRequest) -> HttpResponse:
    """ユーザー再同期: fetch every page of the account's users now."""
    try:
        connection = services.usable_connection(request_company(request))
        result = services.sync_zoom_users(connection=connection, actor=request.user)
    except ZoomError as exc:
        messages.error(request, _("Zoomユーザーを同期できませんでした: %(reason)s") % {"reason": exc.message})
        return redirect("zoom_integration:zoom")
    messages.success(
        request,
        _("Zoomユーザーを同期しました（%(total)s 件、追加 %(added)s 件、アカウント外 %(left)s 件）。")
        % {"total": result.total, "added": result.added, "left": result.left},
    )
    return redirect("zoom_integration:zoom")


@public_view
@csrf_exempt
@require_POST
def webhook(request: HttpRequest) -> HttpResponse:
    """POST /zoom/webhook/: verify on the raw body, answer url_validation, store once, handle after commit."""
    secret = settings.ZOOM_WEBHOOK_SECRET_TOKEN
    if not secret:
        logger.error("zoom webhook: ZOOM_WEBHOOK_SECRET_TOKEN is not set; delivery refused")
        return JsonResponse({"error": "webhook not configured"}, status=503)
    body = request.body  # the raw bytes Zoom signed: never re-serialized JSON
    try:
        webhooks.verify_signature(
            secret=secret,
            timestamp=request.headers.get("x-zm-request-timestamp", ""),
            signature=request.headers.get("x-zm-signature", ""),
            body=body,
            now=time.time(),
        )
    except webhooks.SignatureRejected as exc:
        logger.warning("zoom webhook: refused (%s)", exc)
        return JsonResponse({"error": "invalid signature"}, status=401)
    try:
        message = webhooks.parse_event(body)
        if message["event"] == webhooks.URL_VALIDATION:
            return JsonResponse(webhooks.url_validation_response(secret=secret, message=message))
    except webhooks.MalformedEvent as exc:
        logger.warning("zoom webhook: malformed body (%s)", exc)
        return JsonResponse({"error": "malformed event"}, status=400)
    webhooks.receive_event(body=body, message=message)
    return JsonResponse({"status": "ok"})


def _callback_failed(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "zoom_integration/callback_error.html", {"message": message}, status=400)


def _zoom_refusal(error: str) -> str:
    if error == "access_denied":
        return _("Zoomで認可が拒否されました。連携する場合は、もう一度「認可開始」から許可してください。")
    return _("Zoomが認可を完了しませんでした（%(error)s）。もう一度「認可開始」からお試しください。") % {
        "error": error[:100]
    }


def _allow_form_to_zoom(response: HttpResponse) -> None:
    """Let the 認可開始 form's redirect reach Zoom's OAuth origin (CSP form-action also covers redirects)."""
    policy = settings.CONTENT_SECURITY_POLICY
    parts = urlsplit(settings.ZOOM_OAUTH_BASE_URL)
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
