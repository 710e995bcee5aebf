"""The Microsoft Teams 設定 page (/web-interview/teams/), the link steps, and Graph's notification endpoints
(/teams/notifications/, /teams/lifecycle/)."""

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

from accounts.permissions import AuthenticatedHttpRequest, admin_required, public_view, recruiter_required
from accounts.tenancy import request_company
from teams_integration import changes, oauth, selectors, services
from teams_integration.client import TeamsError
from teams_integration.models import GraphNotification

logger = logging.getLogger(__name__)


@recruiter_required
@require_GET
def teams_service(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The Teams page (設定 / 詳細): state, link details, tenant users; 認可開始 / 連携解除 for admins."""
    company = request_company(request)
    overview = selectors.teams_overview(company)
    users = selectors.teams_users(company) if overview.is_linked else []
    response = render(request, "teams_integration/teams.html", {"teams": overview, "teams_users": users})
    _allow_form_to_login(response)
    return response


@admin_required
@require_POST
def authorize(request: AuthenticatedHttpRequest) -> HttpResponse:
    """認可開始: step 1, the admin signs in at Microsoft (state in the session, PKCE S256)."""
    company = request_company(request)
    if not company.teams_enabled or not services.teams_configured():
        messages.error(request, _("この企業ではMicrosoft Teams連携を利用できません。"))
        return redirect("teams_integration:teams")
    return redirect(oauth.begin_sign_in(request))


@admin_required
@never_cache
@require_GET
def callback(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Step 1's redirect back: check the state, exchange the code, go to the tenant's admin consent."""
    try:
        code_verifier = oauth.consume_sign_in(request, state=request.GET.get("state"))
    except oauth.CallbackRejected as exc:
        if request.GET.get("error"):
            return _callback_failed(request, _refusal(request.GET["error"]))
        logger.warning("teams: sign-in callback rejected for company %s: bad state", request.user.company_id)
        return _callback_failed(request, exc.message)
    if request.GET.get("error"):
        return _callback_failed(request, _refusal(request.GET["error"]))
    code = request.GET.get("code", "")
    if not code:
        return _callback_failed(
            request, _("Microsoftから認可コードが返されませんでした。もう一度お試しください。")
        )
    try:
        signed_in = services.complete_sign_in(
            company=request_company(request), code=code, code_verifier=code_verifier
        )
    except services.AuthorizationFailed as exc:
        return _callback_failed(request, exc.message)
    request.session["teams_tenant_label"] = signed_in.email.partition("@")[2] or signed_in.tenant_id
    return redirect(oauth.begin_admin_consent(request, tenant_id=signed_in.tenant_id))


@admin_required
@never_cache
@require_GET
def admin_consent(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Step 2's redirect back: check the state, the consent and the tenant; link and show 連携中."""
    try:
        tenant_id = oauth.consume_admin_consent(request, state=request.GET.get("state"))
    except oauth.CallbackRejected as exc:
        if request.GET.get("error"):
            return _callback_failed(request, _refusal(request.GET["error"]))
        logger.warning(
            "teams: admin-consent callback rejected for company %s: bad state", request.user.company_id
        )
        return _callback_failed(request, exc.message)
    if request.GET.get("error") or request.GET.get("admin_consent") != "True":
        return _callback_failed(request, _refusal(request.GET.get("error") or "access_denied"))
    if request.GET.get("tenant", "").lower() != tenant_id.lower():
        return _callback_failed(
            request,
            _(
                "同意したテナントがサインインしたテナントと一致しません。もう一度「認可開始」からお試しください。"
            ),
        )
    try:
        result = services.complete_admin_consent(
            company=request_company(request),
            actor=request.user,
            tenant_id=tenant_id,
            tenant_label=str(request.session.pop("teams_tenant_label", "") or ""),
            request=request,
        )
    except services.AuthorizationFailed as exc:
        return _callback_failed(request, exc.message)
    messages.success(request, _("Microsoft 365 テナントを連携しました。"))
    if result.sync_error:
        messages.warning(
            request,
            _("Microsoft Teamsユーザーを取得できませんでした: %(reason)s") % {"reason": result.sync_error},
        )
    return redirect("teams_integration:teams")


@admin_required
@require_POST
def unlink(request: AuthenticatedHttpRequest) -> HttpResponse:
    """連携解除 on our side (token, users and subscriptions forgotten)."""
    try:
        services.unlink_connection(company=request_company(request), actor=request.user, request=request)
    except TeamsError as exc:
        messages.error(request, exc.message)
        return redirect("teams_integration:teams")
    messages.success(request, _("Microsoft Teams連携を解除しました。"))
    messages.warning(
        request,
        _(
            "Microsoft 365 側の管理者の同意は残っています。不要であれば Microsoft Entra 管理センターの"
            "「エンタープライズ アプリケーション」からアクセス許可を取り消してください。"
        ),
    )
    return redirect("teams_integration:teams")


@admin_required
@require_POST
def users_sync(request: AuthenticatedHttpRequest) -> HttpResponse:
    """ユーザー同期: fetch every page of the tenant's users now."""
    try:
        connection = services.usable_connection(request_company(request))
        result = services.sync_teams_users(connection=connection, actor=request.user)
    except TeamsError as exc:
        messages.error(
            request, _("Microsoft Teamsユーザーを同期できませんでした: %(reason)s") % {"reason": exc.message}
        )
        return redirect("teams_integration:teams")
    messages.success(
        request,
        _(
            "Microsoft Teamsユーザーを同期しました"
            "（%(total)s 件、追加 %(added)s 件、テナント外 %(left)s 件）。"
        )
        % {"total": result.total, "added": result.added, "left": result.left},
    )
    return redirect("teams_integration:teams")


@public_view
@csrf_exempt
@require_POST
def notifications(request: HttpRequest) -> HttpResponse:
    """Graph change notifications: the validation handshake, else store each checked item once → 202."""
    return _receive(request, kind=GraphNotification.KIND_CHANGE)


@public_view
@csrf_exempt
@require_POST
def lifecycle(request: HttpRequest) -> HttpResponse:
    """Graph lifecycle notifications (reauthorizationRequired, subscriptionRemoved, missed)."""
    return _receive(request, kind=GraphNotification.KIND_LIFECYCLE)


def _receive(request: HttpRequest, *, kind: str) -> HttpResponse:
    token = request.GET.get("validationToken")
    if token is not None:
        # Echo at once, as plain text (Graph waits 10 seconds); nothing else is read or stored.
        return HttpResponse(token, content_type="text/plain; charset=utf-8")
    try:
        changes.receive(request.body, kind=kind)
    except changes.MalformedNotification:
        logger.warning("teams: malformed %s notification refused", kind)
        return HttpResponse(status=400)
    return HttpResponse(status=202)


def _callback_failed(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "teams_integration/callback_error.html", {"message": message}, status=400)


def _refusal(error: str) -> str:
    if error in ("access_denied", "consent_required"):
        return _(
            "Microsoftで認可がキャンセルされました。連携する場合は、もう一度「認可開始」から"
            "Microsoft 365 の管理者で承諾してください。"
        )
    return _("Microsoftが認可を完了しませんでした（%(error)s）。もう一度「認可開始」からお試しください。") % {
        "error": error[:100]
    }


def _allow_form_to_login(response: HttpResponse) -> None:
    """Let the 認可開始 form's redirect reach Microsoft's sign-in origin (CSP form-action covers
    redirects)."""
    policy = settings.CONTENT_SECURITY_POLICY
    parts = urlsplit(settings.MICROSOFT_LOGIN_BASE_URL)
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
