"""Microsoft identity platform (Entra ID) v2.0 endpoints for a confidential web app.

/{tenant}/oauth2/v2.0/authorize   authorization code + PKCE + state, with the consent page
/{tenant}/v2.0/adminconsent       admin consent for the whole organisation (application permissions)
/{tenant}/oauth2/v2.0/token       authorization_code, refresh_token, client_credentials

Errors are the identity platform's: HTTP 400/401 with {"error", "error_description": "AADSTS...: ...",
"error_codes", "timestamp", "trace_id", "correlation_id", "error_uri"}
(https://learn.microsoft.com/entra/identity-platform/reference-error-codes).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from emulator_kit.oauth import b64url as _b64url
from emulator_kit.oauth import pkce_challenge
from emulator_kit.wire import Request, Response, redirect, token_hash, with_query

from . import pages
from .seed import GLOBAL_ADMIN
from .wire import json_response

if TYPE_CHECKING:
    from .core import Emulator

GRAPH_RESOURCE = "https://graph.microsoft.com"
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
OIDC_SCOPES = ("openid", "profile", "email", "offline_access")
AUTHORIZE_FIELDS = (
    "client_id",
    "response_type",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
    "response_mode",
    "prompt",
    "login_hint",
    "nonce",
)
ADMIN_CONSENT_FIELDS = ("client_id", "redirect_uri", "scope", "state")
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)


def unsigned_jwt(claims: dict[str, Any]) -> str:
    """A token shaped like Entra's RS256 JWTs (readable claims, a random signature). Only the emulator
    validates it, by its hash; clients may read the claims (tid, oid) as they would Entra's."""
    header = {"typ": "JWT", "alg": "RS256", "kid": "emulator-" + secrets.token_hex(8)}
    parts = [
        json.dumps(header).encode(),
        json.dumps(claims, ensure_ascii=False).encode(),
        secrets.token_bytes(64),
    ]
    return ".".join(_b64url(part) for part in parts)


def normalize_scope(scope: str) -> str:
    """https://graph.microsoft.com/Calendars.ReadWrite → Calendars.ReadWrite."""
    if scope.lower().startswith(GRAPH_RESOURCE + "/"):
        return scope[len(GRAPH_RESOURCE) + 1 :]
    return scope


class IdentityMixin:
    """Handlers for /{tenant}/oauth2/v2.0/* and /{tenant}/v2.0/adminconsent. Mixed into Emulator."""

    # ---- errors ---------------------------------------------------------------------------------------
    def aad_error(self: Emulator, error: str, code: int, message: str, status: int = 400) -> Response:
        trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
        stamp = datetime.fromtimestamp(self.now(), tz=UTC)
        description = (
            f"AADSTS{code}: {message} Trace ID: {trace} Correlation ID: {correlation} "
            f"Timestamp: {stamp.strftime('%Y-%m-%d %H:%M:%SZ')}"
        )
        body = {
            "error": error,
            "error_description": description,
            "error_codes": [code],
            "timestamp": stamp.strftime("%Y-%m-%d %H:%M:%SZ"),
            "trace_id": trace,
            "correlation_id": correlation,
            "error_uri": f"{self.config.login_url}/error?code={code}",
        }
        return json_response(status, body, {"Cache-Control": "no-store", "Pragma": "no-cache"})

    def _not_consented(self: Emulator) -> Response:
        return self.aad_error(
            "invalid_grant",
            65001,
            f"The user or administrator has not consented to use the application with ID "
            f"'{self.config.client_id}' named '{self.config.app_name}'. Send an interactive authorization "
            "request for this user and resource.",
        )

    # ---- tenants and consent --------------------------------------------------------------------------
    def resolve_tenant(self: Emulator, ref: str) -> dict[str, Any] | None:
        """A tenant by id or domain (its onmicrosoft.com domain or a domain of its users' addresses)."""
        lowered = ref.lower()
        for tenant in self.state["tenants"].values():
            if tenant["id"] == lowered or tenant["domain"].lower() == lowered:
                return tenant
        for user in self.state["users"]:
            if user["userPrincipalName"].lower().endswith("@" + lowered):
                return self.state["tenants"].get(user["tenant_id"])
        return None

    def consent(self: Emulator, tenant_id: str) -> dict[str, Any]:
        key = f"{self.config.client_id}:{tenant_id}"
        consents = self.state["consents"]
        if key not in consents:
            consents[key] = {
                "client_id": self.config.client_id,
                "tenant_id": tenant_id,
                "active": False,
                "admin_consent": False,
                "delegated_scopes": [],
                "app_roles": [],
                "generation": 0,
                "granted_at": None,
                "granted_by": None,
                "withdrawn_at": None,
            }
        return consents[key]

    def grant_admin_consent(self: Emulator, tenant_id: str, *, by: str | None = None) -> dict[str, Any]:
        """Admin consent for the organisation: every configured permission, delegated and application."""
        record = self.consent(tenant_id)
        record.update(
            active=True,
            admin_consent=True,
            app_roles=list(self.config.application_permissions),
            delegated_scopes=sorted(set(record["delegated_scopes"]) | set(self.config.delegated_permissions)),
            granted_at=self.now(),
            granted_by=by,
            withdrawn_at=None,
        )
        return record

    def withdraw_consent(self: Emulator, tenant_id: str) -> bool:
        """Delete the app's service principal from the tenant: every token of the tenant dies, refresh and
        client-credentials requests fail, subscriptions get reauthorizationRequired then subscriptionRemoved.
        False when the app had no consent there."""
        record = self.consent(tenant_id)
        if not record["active"]:
            return False
        record.update(
            active=False, admin_consent=False, app_roles=[], delegated_scopes=[], withdrawn_at=self.now()
        )
        record["generation"] += 1
        for token in self.state["tokens"].values():
            if token["tenant_id"] == tenant_id and token["client_id"] == self.config.client_id:
                token["revoked"] = True
        for sub in list(self.state["subscriptions"].values()):
            if sub["tenant_id"] == tenant_id and sub["client_id"] == self.config.client_id:
                self.enqueue_lifecycle(sub, "reauthorizationRequired")
                self.enqueue_lifecycle(sub, "subscriptionRemoved")
                del self.state["subscriptions"][sub["id"]]
        return True

    # ---- authorize ------------------------------------------------------------------------------------
    def _client_problem(
        self: Emulator, tenant_ref: str, client_id: str | None, redirect_uri: str | None
    ) -> Response | None:
        if tenant_ref.lower() == "consumers":
            return pages.message_page(
                self, 400, "サインインできません", "AADSTS50020: 個人用アカウントは使用できません。"
            )
        if tenant_ref.lower() not in ("common", "organizations") and self.resolve_tenant(tenant_ref) is None:
            return pages.message_page(
                self, 400, "サインインできません", f"AADSTS90002: Tenant '{tenant_ref}' not found."
            )
        if client_id != self.config.client_id:
            return pages.message_page(
                self,
                400,
                "サインインできません",
                f"AADSTS700016: Application with identifier '{client_id or ''}' was not found in the "
                "directory.",
            )
        if not redirect_uri or redirect_uri not in self.config.redirect_uris:
            return pages.message_page(
                self,
                400,
                "サインインできません",
                f"AADSTS50011: The redirect URI '{redirect_uri or ''}' specified in the request does not "
                "match "
                f"the redirect URIs configured for the application '{self.config.client_id}'.",
            )
        return None

    def _signed_in_for(
        self: Emulator, req: Request, tenant_ref: str, next_url: str
    ) -> dict[str, Any] | Response:
        """The session's user, or the sign-in page; a user of another tenant than the URL's is refused."""
        user = self.session_user(req)
        if user is None:
            hint = parse_qs(urlsplit(next_url).query).get("login_hint", [""])[0]
            return pages.signin_page(self, next_url=next_url, email=hint)
        tenant = (
            None if tenant_ref.lower() in ("common", "organizations") else self.resolve_tenant(tenant_ref)
        )
        if tenant is not None and tenant["id"] != user["tenant_id"]:
            return pages.message_page(
                self,
                400,
                "サインインできません",
                f"AADSTS50020: User account '{user['userPrincipalName']}' does not exist in tenant "
                f"'{tenant['displayName']}' and cannot access the application '{self.config.client_id}'.",
                user=user,
            )
        return user

    def oauth_authorize(self: Emulator, req: Request, tenant: str) -> Response:
        params = {name: req.query.get(name) for name in AUTHORIZE_FIELDS}
        return self._authorize(req, tenant, params, decision=None)

    def oauth_authorize_decision(self: Emulator, req: Request, tenant: str) -> Response:
        form = req.form()
        params = {name: form.get(name) or None for name in AUTHORIZE_FIELDS}
        if not self._csrf_ok(req):
            return pages.message_page(self, 403, "セッションが無効です", "もう一度サインインしてください。")
        return self._authorize(req, tenant, params, decision=form.get("decision", ""))

    def _authorize(
        self: Emulator, req: Request, tenant: str, params: dict[str, str | None], *, decision: str | None
    ) -> Response:
        problem = self._client_problem(tenant, params["client_id"], params["redirect_uri"])
        if problem:
            return problem
        redirect_uri = params["redirect_uri"] or ""
        state = params["state"]

        def fail(error: str, description: str) -> Response:
            return redirect(
                with_query(redirect_uri, {"error": error, "error_description": description, "state": state})
            )

        if params["response_type"] != "code":
            return fail(
                "unsupported_response_type",
                "AADSTS70005: response_type 'token' is not enabled for the application.",
            )
        method = params["code_challenge_method"]
        if method and method not in ("S256", "plain"):
            return fail("invalid_request", "AADSTS501491: Invalid size of Code_Challenge parameter.")
        scopes = [normalize_scope(s) for s in (params["scope"] or "").split() if s]
        if not scopes:
            return fail(
                "invalid_request",
                "AADSTS900144: The request body must contain the following parameter: 'scope'.",
            )
        allowed = set(self.config.delegated_permissions) | set(OIDC_SCOPES)
        unknown = [s for s in scopes if s not in allowed and s != ".default"]
        if unknown:
            return fail(
                "invalid_scope",
                "AADSTS70011: The provided value for the input parameter 'scope' is not valid. The "
                f"scope '{' '.join(unknown)}' is not valid.",
            )
        here = f"/{tenant}/oauth2/v2.0/authorize"
        user = self._signed_in_for(req, tenant, with_query(here, params))
        if isinstance(user, Response):
            return user
        record = self.consent(user["tenant_id"])
        wanted = {s for s in scopes if s not in OIDC_SCOPES and s != ".default"}
        if ".default" in scopes:
            wanted |= set(record["delegated_scopes"]) or set(self.config.delegated_permissions)
        already = record["active"] and wanted <= set(record["delegated_scopes"])
        is_admin = GLOBAL_ADMIN in user["roles"]
        if decision is None:
            if already and params["prompt"] != "consent":
                return self._authorize_done(user, params, scopes, wanted)
            if not is_admin:
                return pages.message_page(
                    self,
                    403,
                    "管理者の承認が必要です",
                    f"{self.config.app_name} には、組織のリソースへのアクセス許可が必要です。"
                    "管理者のみが付与できます。管理者にこのアプリへのアクセス許可の付与を依頼してください。",
                    user=user,
                )
            return pages.consent_page(
                self,
                user=user,
                action=here,
                params=params,
                permissions=sorted(wanted),
                csrf=self.session_csrf(req),
            )
        if decision != "allow":
            return fail("access_denied", "AADSTS65004: User declined to consent to access the app.")
        if not is_admin and not already:
            return pages.message_page(
                self, 403, "管理者の承認が必要です", "管理者のみが同意できます。", user=user
            )
        if not already:
            record.update(
                active=True,
                delegated_scopes=sorted(set(record["delegated_scopes"]) | wanted),
                granted_at=record["granted_at"] or self.now(),
                granted_by=record["granted_by"] or user["id"],
                withdrawn_at=None,
            )
        return self._authorize_done(user, params, scopes, wanted)

    def _authorize_done(
        self: Emulator,
        user: dict[str, Any],
        params: dict[str, str | None],
        scopes: list[str],
        wanted: set[str],
    ) -> Response:
        code = "1.A" + secrets.token_urlsafe(48)
        challenge = params["code_challenge"]
        self.state["codes"][token_hash(code)] = {
            "client_id": params["client_id"],
            "redirect_uri": params["redirect_uri"],
            "code_challenge": challenge,
            "code_challenge_method": (params["code_challenge_method"] or "plain") if challenge else None,
            "user_id": user["id"],
            "tenant_id": user["tenant_id"],
            "scopes": sorted(wanted),
            "oidc": [s for s in scopes if s in OIDC_SCOPES],
            "nonce": params["nonce"],
            "expires_at": self.now() + self.config.code_lifetime,
            "used": False,
        }
        return redirect(
            with_query(
                params["redirect_uri"] or "",
                {"code": code, "state": params["state"], "session_state": str(uuid.uuid4())},
            )
        )

    # ---- admin consent --------------------------------------------------------------------------------
    def admin_consent(self: Emulator, req: Request, tenant: str) -> Response:
        params = {name: req.query.get(name) for name in ADMIN_CONSENT_FIELDS}
        return self._admin_consent(req, tenant, params, decision=None)

    def admin_consent_decision(self: Emulator, req: Request, tenant: str) -> Response:
        form = req.form()
        params = {name: form.get(name) or None for name in ADMIN_CONSENT_FIELDS}
        if not self._csrf_ok(req):
            return pages.message_page(self, 403, "セッションが無効です", "もう一度サインインしてください。")
        return self._admin_consent(req, tenant, params, decision=form.get("decision", ""))

    def _admin_consent(
        self: Emulator, req: Request, tenant: str, params: dict[str, str | None], *, decision: str | None
    ) -> Response:
        problem = self._client_problem(tenant, params["client_id"], params["redirect_uri"])
        if problem:
            return problem
        here = f"/{tenant}/v2.0/adminconsent"
        user = self._signed_in_for(req, tenant, with_query(here, params))
        if isinstance(user, Response):
            return user
        if GLOBAL_ADMIN not in user["roles"]:
            return pages.message_page(
                self,
                403,
                "管理者の承認が必要です",
                "組織の代理として同意できるのは管理者だけです。グローバル管理者でサインインしてください。",
                user=user,
            )
        if decision is None:
            permissions = sorted(
                set(self.config.application_permissions) | set(self.config.delegated_permissions)
            )
            return pages.consent_page(
                self,
                user=user,
                action=here,
                params=params,
                permissions=permissions,
                csrf=self.session_csrf(req),
                organisation=True,
            )
        redirect_uri = params["redirect_uri"] or ""
        if decision != "allow":
            return redirect(
                with_query(
                    redirect_uri,
                    {
                        "error": "access_denied",
                        "error_description": "AADSTS65004: The admin canceled the request.",
                        "admin_consent": "False",
                        "state": params["state"],
                    },
                )
            )
        self.grant_admin_consent(user["tenant_id"], by=user["id"])
        return redirect(
            with_query(
                redirect_uri,
                {
                    "admin_consent": "True",
                    "tenant": user["tenant_id"],
                    "state": params["state"],
                    "scope": f"{GRAPH_RESOURCE}/.default",
                },
            )
        )

    # ---- token endpoint -------------------------------------------------------------------------------
    def oauth_token(self: Emulator, req: Request, tenant: str) -> Response:
        params = req.form()
        client = self._client_problem_token(req, params)
        if client:
            return client
        grant_type = params.get("grant_type")
        if grant_type == "authorization_code":
            return self._grant_authorization_code(params)
        if grant_type == "refresh_token":
            return self._grant_refresh_token(params)
        if grant_type == "client_credentials":
            return self._grant_client_credentials(tenant, params)
        return self.aad_error(
            "unsupported_grant_type",
            70003,
            f"The app requested an unsupported grant type '{grant_type or ''}'.",
        )

    def _client_problem_token(self: Emulator, req: Request, params: dict[str, str]) -> Response | None:
        """client_secret_basic or client_secret_post (both accepted by the identity platform)."""
        client_id, secret = params.get("client_id", ""), params.get("client_secret")
        scheme, _, encoded = req.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "basic":
            try:
                client_id, _, secret = base64.b64decode(encoded.strip()).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                secret = None
        if client_id != self.config.client_id:
            return self.aad_error(
                "unauthorized_client",
                700016,
                f"Application with identifier '{client_id}' was not found in the directory.",
            )
        if not secret:
            return self.aad_error(
                "invalid_client",
                7000218,
                "The request body must contain the following parameter: 'client_assertion' or "
                "'client_secret'.",
                401,
            )
        if not hmac.compare_digest(secret, self.config.client_secret):
            return self.aad_error(
                "invalid_client",
                7000215,
                "Invalid client secret provided. Ensure the secret being sent in the request is the client "
                "secret value, not the client secret ID, for a secret added to app "
                f"'{self.config.client_id}'.",
                401,
            )
        return None

    def _grant_authorization_code(self: Emulator, params: dict[str, str]) -> Response:
        record = self.state["codes"].get(token_hash(params.get("code", "")))
        if record is None:
            return self.aad_error(
                "invalid_grant", 70000, "The provided value for the 'code' parameter is not valid."
            )
        if record["used"]:
            return self.aad_error(
                "invalid_grant",
                54005,
                "OAuth2 Authorization code was already redeemed, please retry with a new valid code or "
                "use an "
                "existing refresh token.",
            )
        record["used"] = True  # single use, even when the rest of the request is wrong
        if record["expires_at"] <= self.now():
            return self.aad_error(
                "invalid_grant",
                70008,
                "The provided authorization code or refresh token has expired due to inactivity.",
            )
        if params.get("redirect_uri") != record["redirect_uri"]:
            return self.aad_error(
                "invalid_grant",
                50011,
                "The redirect URI specified in the request does not match the redirect URI used in the "
                "authorization request.",
            )
        if record["code_challenge"]:
            verifier = params.get("code_verifier") or ""
            expected = pkce_challenge(verifier, record["code_challenge_method"])
            if not verifier or not hmac.compare_digest(expected, record["code_challenge"]):
                return self.aad_error(
                    "invalid_grant",
                    50148,
                    "The code_verifier does not match the code_challenge supplied in the authorization "
                    "request "
                    "for PKCE.",
                )
        if not self.consent(record["tenant_id"])["active"]:
            return self._not_consented()
        user = self.find_user(record["user_id"])
        if user is None or not user["accountEnabled"]:
            return self.aad_error("invalid_grant", 50057, "The user account is disabled.")
        return json_response(
            200,
            self._issue_user_tokens(
                user, record["scopes"], record["oidc"], nonce=record["nonce"], family=uuid.uuid4().hex
            ),
            {"Cache-Control": "no-store", "Pragma": "no-cache"},
        )

    def _grant_refresh_token(self: Emulator, params: dict[str, str]) -> Response:
        record = self.state["tokens"].get(token_hash(params.get("refresh_token", "")))
        if record is None or record["kind"] != "refresh" or record["client_id"] != self.config.client_id:
            return self.aad_error(
                "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid."
            )
        consent = self.consent(record["tenant_id"])
        if record["revoked"] or not consent["active"] or record["generation"] != consent["generation"]:
            return self._not_consented()
        if record["expires_at"] <= self.now():
            return self.aad_error("invalid_grant", 700082, "The refresh token has expired due to inactivity.")
        user = self.find_user(record["user_id"])
        if user is None or not user["accountEnabled"]:
            return self.aad_error("invalid_grant", 50057, "The user account is disabled.")
        requested = [normalize_scope(s) for s in params.get("scope", "").split() if s]
        scopes = [s for s in requested if s not in OIDC_SCOPES and s != ".default"] or record["scopes"]
        if not set(scopes) <= set(record["scopes"]):
            return self._not_consented()
        # Entra rotates refresh tokens but does not revoke the old one: it stays usable until it expires.
        return json_response(
            200,
            self._issue_user_tokens(user, scopes, record["oidc"], nonce=None, family=record["family"]),
            {"Cache-Control": "no-store", "Pragma": "no-cache"},
        )

    def _grant_client_credentials(self: Emulator, tenant_ref: str, params: dict[str, str]) -> Response:
        scope = params.get("scope", "")
        if scope.rstrip("/") not in (f"{GRAPH_RESOURCE}/.default", f"{GRAPH_APP_ID}/.default"):
            return self.aad_error(
                "invalid_scope",
                1002012,
                f"The provided value for scope {scope} is not valid. Client credential flows must have a "
                "scope "
                "value with /.default suffixed to the resource identifier (application ID URI).",
            )
        if tenant_ref.lower() in ("common", "organizations", "consumers"):
            return self.aad_error(
                "invalid_request",
                50059,
                "No tenant-identifying information found in either the request or implied by any provided "
                "credentials.",
            )
        tenant = self.resolve_tenant(tenant_ref)
        if tenant is None:
            return self.aad_error("invalid_request", 90002, f"Tenant '{tenant_ref}' not found.")
        consent = self.consent(tenant["id"])
        if not consent["active"]:
            return self.aad_error(
                "unauthorized_client",
                700016,
                f"Application with identifier '{self.config.client_id}' was not found in the directory "
                f"'{tenant['displayName']}'. This can happen if the application has not been installed "
                "by the "
                "administrator of the tenant or consented to by any user in the tenant. You may have "
                "sent your "
                "authentication request to the wrong tenant.",
            )
        now = self.now()
        lifetime = self.config.access_token_lifetime
        claims = self._access_claims(tenant["id"], None, now, now + lifetime)
        claims["idtyp"] = "app"
        claims["oid"] = claims["sub"] = consent_principal_id(self.config.client_id, tenant["id"])
        if consent["app_roles"]:
            claims["roles"] = list(consent["app_roles"])
        token = unsigned_jwt(claims)
        self._store_token(token, "access", tenant["id"], None, [], consent["app_roles"], now + lifetime, None)
        return json_response(
            200,
            {
                "token_type": "Bearer",
                "expires_in": max(lifetime - 1, 0),
                "ext_expires_in": max(lifetime - 1, 0),
                "access_token": token,
            },
            {"Cache-Control": "no-store", "Pragma": "no-cache"},
        )

    # ---- tokens ---------------------------------------------------------------------------------------
    def _access_claims(
        self: Emulator, tenant_id: str, user: dict[str, Any] | None, issued: float, expires: float
    ) -> dict[str, Any]:
        claims: dict[str, Any] = {
            "aud": GRAPH_RESOURCE,
            "iss": f"https://sts.windows.net/{tenant_id}/",
            "iat": int(issued),
            "nbf": int(issued),
            "exp": int(expires),
            "app_displayname": self.config.app_name,
            "appid": self.config.client_id,
            "appidacr": "1",
            "idp": f"https://sts.windows.net/{tenant_id}/",
            "tid": tenant_id,
            "uti": _b64url(secrets.token_bytes(16)),
            "ver": "1.0",
        }
        if user is not None:
            claims.update(
                idtyp="user",
                oid=user["id"],
                sub=_b64url(hashlib.sha256(user["id"].encode()).digest()),
                name=user["displayName"],
                upn=user["userPrincipalName"],
                unique_name=user["userPrincipalName"],
            )
        return claims

    def _issue_user_tokens(
        self: Emulator,
        user: dict[str, Any],
        scopes: list[str],
        oidc: list[str],
        *,
        nonce: str | None,
        family: str,
    ) -> dict[str, Any]:
        self._prune_tokens()
        now = self.now()
        lifetime = self.config.access_token_lifetime
        claims = self._access_claims(user["tenant_id"], user, now, now + lifetime)
        claims["scp"] = " ".join(scopes)
        access = unsigned_jwt(claims)
        self._store_token(
            access, "access", user["tenant_id"], user["id"], scopes, [], now + lifetime, family, oidc
        )
        answer: dict[str, Any] = {
            "token_type": "Bearer",
            "scope": " ".join([*scopes, *[s for s in oidc if s != "offline_access"]]),
            "expires_in": max(lifetime - 1, 0),
            "ext_expires_in": max(lifetime - 1, 0),
            "access_token": access,
        }
        if "offline_access" in oidc:
            refresh = "1.A" + secrets.token_urlsafe(96)
            self._store_token(
                refresh,
                "refresh",
                user["tenant_id"],
                user["id"],
                scopes,
                [],
                now + self.config.refresh_token_lifetime,
                family,
                oidc,
            )
            answer["refresh_token"] = refresh
        if "openid" in oidc:
            id_claims = {
                "aud": self.config.client_id,
                "iss": f"{self.config.login_url}/{user['tenant_id']}/v2.0",
                "iat": int(now),
                "nbf": int(now),
                "exp": int(now + 3600),
                "name": user["displayName"],
                "oid": user["id"],
                "preferred_username": user["userPrincipalName"],
                "sub": claims["sub"],
                "tid": user["tenant_id"],
                "ver": "2.0",
            }
            if nonce:
                id_claims["nonce"] = nonce
            answer["id_token"] = unsigned_jwt(id_claims)
        return answer

    def _store_token(
        self: Emulator,
        token: str,
        kind: str,
        tenant_id: str,
        user_id: str | None,
        scopes: list[str],
        roles: list[str],
        expires_at: float,
        family: str | None,
        oidc: list[str] | None = None,
    ) -> None:
        self.state["tokens"][token_hash(token)] = {
            "kind": kind,
            "client_id": self.config.client_id,
            "tenant_id": tenant_id,
            "user_id": user_id,
            "scopes": list(scopes),
            "roles": list(roles),
            "oidc": list(oidc or []),
            "issued_at": self.now(),
            "expires_at": expires_at,
            "generation": self.consent(tenant_id)["generation"],
            "family": family,
            "revoked": False,
        }

    def _prune_tokens(self: Emulator) -> None:
        now = self.now()
        tokens = self.state["tokens"]
        for key in [k for k, t in tokens.items() if t["expires_at"] < now - 86400]:
            del tokens[key]
        codes = self.state["codes"]
        for key in [k for k, c in codes.items() if c["expires_at"] < now - 3600]:
            del codes[key]


def consent_principal_id(client_id: str, tenant_id: str) -> str:
    """The app's service principal object id in a tenant (stable per app and tenant)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"sp:{client_id}:{tenant_id}"))
