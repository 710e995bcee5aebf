"""OAuth for an admin-managed (account-level) app: authorize + consent, token, refresh rotation, revoke.

Token endpoint errors are HTTP 400 with {"reason", "error"} as Zoom's OAuth documentation gives them. Where
Zoom documents nothing (PKCE mismatch, redirect_uri mismatch) the emulator answers with the RFC 6749 /
7636 error code and a Zoom-styled reason.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import secrets
import uuid
from typing import TYPE_CHECKING, Any

from emulator_kit.oauth import b64url as _b64url
from emulator_kit.oauth import pkce_challenge
from emulator_kit.wire import Request, Response, redirect, token_hash, with_query

from . import pages
from .webhooks import deauthorization_payload
from .wire import iso_ms_z, json_response, oauth_error

if TYPE_CHECKING:
    from .core import Emulator

INVALID_CODE = ("Invalid authorization code", "invalid_grant")
INVALID_TOKEN = ("Invalid Token!", "invalid_grant")
INVALID_CLIENT = ("Invalid client_id or client_secret", "invalid_client")
UNSUPPORTED_GRANT = ("Unsupported grant type", "unsupported_grant_type")
REDIRECT_MISMATCH = ("Redirect URI mismatch.", "invalid_request")
INVALID_VERIFIER = ("Invalid code verifier", "invalid_grant")
AUTHORIZE_FIELDS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "state",
    "code_challenge",
    "code_challenge_method",
)


class OAuthMixin:
    """Handlers for /oauth/*. Mixed into Emulator; runs under its lock."""

    # ---- authorize page -------------------------------------------------------------------------------
    def oauth_authorize(self: Emulator, req: Request) -> Response:
        params = {name: req.query.get(name) for name in AUTHORIZE_FIELDS}
        problem = self._authorize_problem(params)
        if problem:
            return problem
        user = self.session_user(req)
        if user is None:
            return pages.signin_page(self, next_url=with_query("/oauth/authorize", params))
        if user["role_id"] not in ("0", "1"):
            return pages.message_page(
                self,
                403,
                "アプリを追加できません",
                "このアプリはアカウント管理者のみが追加できます。アカウントのオーナーまたは管理者にお問い合わせください。",
                user=user,
            )
        return pages.consent_page(self, user=user, params=params, csrf=self.session_csrf(req))

    def oauth_decision(self: Emulator, req: Request) -> Response:
        form = req.form()
        params = {name: form.get(name) or None for name in AUTHORIZE_FIELDS}
        problem = self._authorize_problem(params)
        if problem:
            return problem
        user = self.session_user(req)
        if user is None or not hmac.compare_digest(form.get("csrf", ""), self.session_csrf(req) or ""):
            return pages.message_page(self, 403, "セッションが無効です", "もう一度サインインしてください。")
        if user["role_id"] not in ("0", "1"):
            return pages.message_page(
                self, 403, "アプリを追加できません", "アカウント管理者のみが追加できます。"
            )
        redirect_uri = params["redirect_uri"] or self.config.redirect_uris[0]
        if form.get("decision") != "allow":
            return redirect(with_query(redirect_uri, {"error": "access_denied", "state": params["state"]}))
        code = self._issue_code(user, params)
        return redirect(with_query(redirect_uri, {"code": code, "state": params["state"]}))

    def _authorize_problem(self: Emulator, params: dict[str, str | None]) -> Response | None:
        if params["client_id"] != self.config.client_id:
            return pages.message_page(
                self, 400, "エラーが発生しました", f"Invalid client_id: {params['client_id'] or ''} (4,700)"
            )
        if params["redirect_uri"] and params["redirect_uri"] not in self.config.redirect_uris:
            return pages.message_page(
                self, 400, "エラーが発生しました", f"Invalid redirect: {params['redirect_uri']} (4,700)"
            )
        if params["response_type"] != "code":
            return pages.message_page(self, 400, "エラーが発生しました", "Unsupported response_type (4,700)")
        method = params["code_challenge_method"]
        if method and method not in ("plain", "S256"):
            target = params["redirect_uri"] or self.config.redirect_uris[0]
            return redirect(
                with_query(
                    target,
                    {
                        "error": "invalid_request",
                        "error_description": "Invalid code_challenge_method",
                        "state": params["state"],
                    },
                )
            )
        return None

    def _issue_code(self: Emulator, user: dict[str, Any], params: dict[str, str | None]) -> str:
        now = self.now()
        code = secrets.token_urlsafe(24).replace("-", "").replace("_", "")[:32]
        challenge = params["code_challenge"]
        self.state["codes"][code] = {
            "client_id": params["client_id"],
            "redirect_uri": params["redirect_uri"],
            "code_challenge": challenge,
            # Zoom's default code_challenge_method is plain.
            "code_challenge_method": (params["code_challenge_method"] or "plain") if challenge else None,
            "user_id": user["id"],
            "account_id": self.state["account"]["id"],
            "scopes": list(self.config.scopes),
            "expires_at": now + self.config.code_lifetime,
            "used": False,
        }
        installation = self.installation()
        if not installation["installed"]:
            installation.update(installed=True, installed_at=now, installed_by=user["id"], removed_at=None)
        installation["scopes"] = list(self.config.scopes)
        return code

    # ---- token endpoint -------------------------------------------------------------------------------
    def oauth_token(self: Emulator, req: Request) -> Response:
        if not self._client_authenticated(req):
            return oauth_error(*INVALID_CLIENT)
        params = {**req.query, **req.form()}
        grant_type = params.get("grant_type")
        if grant_type == "authorization_code":
            return self._grant_authorization_code(params)
        if grant_type == "refresh_token":
            return self._grant_refresh_token(params)
        return oauth_error(*UNSUPPORTED_GRANT)

    def _client_authenticated(self: Emulator, req: Request) -> bool:
        header = req.headers.get("authorization", "")
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            client_id, _, client_secret = base64.b64decode(encoded.strip()).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return hmac.compare_digest(client_id, self.config.client_id) and hmac.compare_digest(
            client_secret, self.config.client_secret
        )

    def _grant_authorization_code(self: Emulator, params: dict[str, str]) -> Response:
        record = self.state["codes"].get(params.get("code", ""))
        if record is None or record["used"] or record["expires_at"] <= self.now():
            return oauth_error(*INVALID_CODE)
        if record["client_id"] != self.config.client_id:
            return oauth_error(*INVALID_CODE)
        record["used"] = True  # single use, even when the rest of the request is wrong
        if record["redirect_uri"] and params.get("redirect_uri") != record["redirect_uri"]:
            return oauth_error(*REDIRECT_MISMATCH)
        if record["code_challenge"]:
            verifier = params.get("code_verifier") or ""
            expected = pkce_challenge(verifier, record["code_challenge_method"])
            if not verifier or not hmac.compare_digest(expected, record["code_challenge"]):
                return oauth_error(*INVALID_VERIFIER)
        installation = self.installation()
        if not installation["installed"]:
            return oauth_error(*INVALID_CODE)
        # A newer authorization of the same app revokes every earlier token of this account.
        installation["generation"] += 1
        installation["authorizations"] += 1
        installation["authorized_by"] = record["user_id"]
        return json_response(200, self._issue_token_pair(record["user_id"], record["scopes"]))

    def _grant_refresh_token(self: Emulator, params: dict[str, str]) -> Response:
        record = self.state["tokens"].get(token_hash(params.get("refresh_token", "")))
        if not self._refresh_usable(record):
            return oauth_error(*INVALID_TOKEN)
        record["used"] = True  # strict rotation: the old refresh token dies at once
        if self.config.refresh_revokes_old_access_token:
            for other in self.state["tokens"].values():
                if other["kind"] == "access" and other.get("pair") == record.get("pair"):
                    other["revoked"] = True
        return json_response(200, self._issue_token_pair(record["user_id"], record["scopes"]))

    def _refresh_usable(self: Emulator, record: dict[str, Any] | None) -> bool:
        if record is None or record["kind"] != "refresh" or record["used"] or record["revoked"]:
            return False
        if record["client_id"] != self.config.client_id or record["expires_at"] <= self.now():
            return False
        installation = self.installation()
        return installation["installed"] and record["generation"] == installation["generation"]

    def _issue_token_pair(self: Emulator, user_id: str, scopes: list[str]) -> dict[str, Any]:
        self._prune_tokens()
        now = self.now()
        installation = self.installation()
        pair = uuid.uuid4().hex
        tokens = {}
        for kind, lifetime in (
            ("access", self.config.access_token_lifetime),
            ("refresh", self.config.refresh_token_lifetime),
        ):
            token = self._jwt_like(kind, user_id, now, now + lifetime)
            self.state["tokens"][token_hash(token)] = {
                "kind": kind,
                "client_id": self.config.client_id,
                "account_id": self.state["account"]["id"],
                "user_id": user_id,
                "scopes": list(scopes),
                "issued_at": now,
                "expires_at": now + lifetime,
                "generation": installation["generation"],
                "pair": pair,
                "used": False,
                "revoked": False,
            }
            tokens[kind] = token
        return {
            "access_token": tokens["access"],
            "token_type": "bearer",
            "refresh_token": tokens["refresh"],
            "expires_in": max(self.config.access_token_lifetime - 1, 0),
            "scope": " ".join(scopes),
            "api_url": self.config.api_url,
        }

    def _jwt_like(self: Emulator, kind: str, user_id: str, issued: float, expires: float) -> str:
        """An opaque token shaped (and sized) like Zoom's JWT access tokens. Clients must not parse it."""
        header = {"alg": "HS512", "v": "2.0", "kid": secrets.token_hex(16)}
        claims = {
            "ver": 9,
            "auid": secrets.token_hex(16),
            "code": secrets.token_urlsafe(24),
            "iss": f"zm:cid:{self.config.client_id}",
            "gno": 0,
            "type": 0 if kind == "access" else 1,
            "tid": self.installation()["generation"],
            "aud": "https://oauth.zoom.us",
            "uid": user_id,
            "nbf": int(issued),
            "exp": int(expires),
            "iat": int(issued),
            "aid": self.state["account"]["id"],
            "jti": str(uuid.uuid4()),
        }
        parts = [json.dumps(header).encode(), json.dumps(claims).encode(), secrets.token_bytes(64)]
        return ".".join(_b64url(part) for part in parts)

    def _prune_tokens(self: Emulator) -> None:
        now = self.now()
        tokens = self.state["tokens"]
        for key in [
            k
            for k, t in tokens.items()
            if t["expires_at"] < now - 86400 or (t["used"] and t["issued_at"] < now - 86400)
        ]:
            del tokens[key]
        codes = self.state["codes"]
        for key in [k for k, c in codes.items() if c["expires_at"] < now - 3600]:
            del codes[key]

    # ---- revoke ---------------------------------------------------------------------------------------
    def oauth_revoke(self: Emulator, req: Request) -> Response:
        if not self._client_authenticated(req):
            return oauth_error(*INVALID_CLIENT)
        params = {**req.query, **req.form()}
        record = self.state["tokens"].get(token_hash(params.get("token", "")))
        installation = self.installation()
        if (
            record is None
            or record["revoked"]
            or record["used"]
            or record["expires_at"] <= self.now()
            or not installation["installed"]
            or record["generation"] != installation["generation"]
        ):
            return oauth_error(*INVALID_TOKEN)
        # Revoking uninstalls the app for the account; Zoom then sends app_deauthorized.
        self.uninstall(reason="revoke")
        return json_response(200, {"status": "success"})

    def uninstall(self: Emulator, *, reason: str) -> bool:
        """Remove the app from the account: every token dies and app_deauthorized goes out.
        False when the app was not added."""
        installation = self.installation()
        if not installation["installed"]:
            return False
        now = self.now()
        installation.update(installed=False, removed_at=now, removed_by=reason)
        installation["generation"] += 1
        for record in self.state["tokens"].values():
            record["revoked"] = True
        payload = {
            "account_id": self.state["account"]["id"],
            "user_id": installation.get("authorized_by") or installation.get("installed_by") or "",
            "client_id": self.config.client_id,
            "deauthorization_time": iso_ms_z(now),
        }
        self.enqueue_webhook(
            "app_deauthorized",
            deauthorization_payload(client_secret=self.config.client_secret, **payload),
            require_installation=False,
        )
        return True
