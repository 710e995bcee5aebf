"""Google OAuth 2.0 for web server apps (https://developers.google.com/identity/protocols/oauth2/web-server):
the authorization endpoint with its sign-in and consent pages, the token endpoint (authorization code with
PKCE, refresh token), revocation, userinfo and tokeninfo. Grants are per user and OAuth client, as Google
keeps them; revoking one (the user's "アクセス権を削除", the admin page, POST /revoke) kills every token
of that grant at once."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from emulator_kit.oauth import b64url, pkce_challenge
from emulator_kit.wire import Request, Response, redirect, token_hash, with_query

from . import pages
from .config import USERINFO_EMAIL, USERINFO_PROFILE
from .wire import api_error, json_response, oauth_error

if TYPE_CHECKING:
    from .core import Emulator

AUTHORIZE_FIELDS = (
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
    "access_type",
    "prompt",
    "include_granted_scopes",
    "login_hint",
    "nonce",
    "hd",
)
SCOPE_ALIASES = {"email": USERINFO_EMAIL, "profile": USERINFO_PROFILE}
IDENTITY_SCOPES = ("openid", USERINFO_EMAIL, USERINFO_PROFILE)
REVOKED = "Token has been expired or revoked."


def normalize_scopes(scope: str | None) -> list[str]:
    """Space-separated scopes with Google's aliases (email, profile) expanded, in a stable order."""
    names = [SCOPE_ALIASES.get(s, s) for s in (scope or "").split() if s]
    return list(dict.fromkeys(names))


def unsigned_jwt(claims: dict[str, Any]) -> str:
    """A JWT-shaped token with readable claims and a random signature (the emulator keeps no keys)."""
    header = {"alg": "RS256", "kid": "google-emulator", "typ": "JWT"}
    parts = [b64url(json.dumps(p, separators=(",", ":")).encode()) for p in (header, claims)]
    return ".".join([*parts, b64url(secrets.token_bytes(64))])


class OAuthMixin:
    """OAuth handlers and the grant / token bookkeeping. Mixed into Emulator; run under its lock."""

    # ---- users and grants -----------------------------------------------------------------------------
    def find_user(self: Emulator, ref: str) -> dict[str, Any] | None:
        ref = (ref or "").strip().lower()
        for user in self.state["users"]:
            if user["id"] == ref or user["email"].lower() == ref:
                return user
        return None

    def grant(self: Emulator, user_id: str, client_id: str | None = None) -> dict[str, Any]:
        key = f"{user_id}|{client_id or self.config.client_id}"
        grants = self.state["grants"]
        if key not in grants:
            grants[key] = {
                "user_id": user_id,
                "client_id": client_id or self.config.client_id,
                "active": False,
                "scopes": [],
                "generation": 0,
                "granted_at": None,
                "revoked_at": None,
            }
        return grants[key]

    def revoke_grant(self: Emulator, user_id: str, client_id: str | None = None) -> bool:
        """The user (or their Workspace admin) removes the app's access: every token of the grant stops
        working, refresh answers invalid_grant, and the app's watch channels on that calendar stop. False
        when there was no active grant."""
        record = self.grant(user_id, client_id)
        was_active = bool(record["active"])
        record.update(active=False, scopes=[], revoked_at=self.now())
        record["generation"] += 1
        for channel_id in [
            c["id"]
            for c in self.state["channels"].values()
            if c["user_id"] == user_id and c["client_id"] == record["client_id"]
        ]:
            del self.state["channels"][channel_id]
        return was_active

    # ---- authorization endpoint -----------------------------------------------------------------------
    def _client_problem(self: Emulator, client_id: str | None, redirect_uri: str | None) -> Response | None:
        if client_id != self.config.client_id:
            return pages.error_page(
                self,
                401,
                "invalid_client",
                "The OAuth client was not found.",
                "アクセスをブロック: 認証エラー",
            )
        if not redirect_uri or redirect_uri not in self.config.redirect_uris:
            return pages.error_page(
                self,
                400,
                "redirect_uri_mismatch",
                f"You can't sign in to this app because it doesn't comply with Google's OAuth 2.0 policy. "
                f"redirect_uri={redirect_uri}",
                "アクセスをブロック: このアプリのリクエストは無効です",
            )
        return None

    def oauth_authorize(self: Emulator, req: Request) -> Response:
        params = {name: req.query.get(name) for name in AUTHORIZE_FIELDS}
        return self._authorize(req, params, decision=None)

    def oauth_authorize_decision(self: Emulator, req: Request) -> Response:
        form = req.form()
        params = {name: form.get(name) or None for name in AUTHORIZE_FIELDS}
        if not self._csrf_ok(req):
            return pages.message_page(self, 403, "セッションが無効です", "もう一度ログインしてください。")
        return self._authorize(req, params, decision=form.get("decision", ""))

    def _authorize(
        self: Emulator, req: Request, params: dict[str, str | None], *, decision: str | None
    ) -> Response:
        problem = self._client_problem(params["client_id"], params["redirect_uri"])
        if problem:
            return problem
        redirect_uri = params["redirect_uri"] or ""
        state = params["state"]

        def fail(error: str) -> Response:
            return redirect(with_query(redirect_uri, {"error": error, "state": state}))

        if params["response_type"] != "code":
            return pages.error_page(
                self, 400, "invalid_request", "Invalid response_type: only 'code' is supported here."
            )
        method = params["code_challenge_method"]
        if params["code_challenge"] and (method or "plain") not in ("S256", "plain"):
            return pages.error_page(self, 400, "invalid_request", "Invalid code_challenge_method.")
        scopes = normalize_scopes(params["scope"])
        if not scopes:
            return pages.error_page(self, 400, "invalid_request", "Missing required parameter: scope")
        allowed = set(self.config.allowed_scopes) | set(IDENTITY_SCOPES)
        unknown = [s for s in scopes if s not in allowed]
        if unknown:
            return pages.error_page(
                self, 400, "invalid_scope", f"Some requested scopes were invalid. {{invalid={unknown}}}"
            )
        prompts = set((params["prompt"] or "").split())
        user = self.session_user(req)
        hint = (params["login_hint"] or "").strip().lower()
        if user is not None and hint and user["email"].lower() != hint and decision is None:
            user = None  # another account was asked for
        if user is None:
            if "none" in prompts:
                return fail("login_required")
            return pages.signin_page(
                self, next_url=with_query("/o/oauth2/v2/auth", params), email=params["login_hint"] or ""
            )
        record = self.grant(user["id"])
        granted = set(record["scopes"]) if record["active"] else set()
        already = set(scopes) <= granted
        if decision is None:
            if already and "consent" not in prompts:
                return self._authorize_done(user, params, scopes, first=False, prompted=False)
            if "none" in prompts:
                return fail("consent_required")
            return pages.consent_page(
                self,
                user=user,
                params=params,
                scopes=scopes,
                csrf=self.session_csrf(req),
            )
        if decision != "allow":
            return fail("access_denied")
        first = not record["active"]
        record.update(
            active=True,
            scopes=sorted(granted | set(scopes)),
            granted_at=record["granted_at"] if record["active"] else self.now(),
            revoked_at=None,
        )
        return self._authorize_done(user, params, scopes, first=first, prompted=True)

    def _authorize_done(
        self: Emulator,
        user: dict[str, Any],
        params: dict[str, str | None],
        scopes: list[str],
        *,
        first: bool,
        prompted: bool,
    ) -> Response:
        record = self.grant(user["id"])
        if params["include_granted_scopes"] == "true":
            scopes = list(dict.fromkeys([*scopes, *record["scopes"]]))
        offline = params["access_type"] == "offline"
        prompts = set((params["prompt"] or "").split())
        code = "4/0A" + secrets.token_urlsafe(60)
        challenge = params["code_challenge"]
        self.state["codes"][token_hash(code)] = {
            "client_id": params["client_id"],
            "redirect_uri": params["redirect_uri"],
            "code_challenge": challenge,
            "code_challenge_method": (params["code_challenge_method"] or "plain") if challenge else None,
            "user_id": user["id"],
            "scopes": scopes,
            "refresh": offline and (first or "consent" in prompts),
            "nonce": params["nonce"],
            "expires_at": self.now() + self.config.code_lifetime,
            "generation": record["generation"],
            "used": False,
        }
        return redirect(
            with_query(
                params["redirect_uri"] or "",
                {
                    "state": params["state"],
                    "code": code,
                    "scope": " ".join(scopes),
                    "authuser": "0",
                    "hd": user["email"].rsplit("@", 1)[-1],
                    "prompt": "consent" if prompted else "none",
                },
            )
        )

    # ---- token endpoint -------------------------------------------------------------------------------
    def _client_auth(self: Emulator, req: Request, params: dict[str, str]) -> Response | None:
        client_id, secret = params.get("client_id"), params.get("client_secret")
        auth = req.headers.get("authorization", "")
        if auth.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(auth[6:]).decode()
            except (ValueError, UnicodeDecodeError):
                decoded = ":"
            basic_id, _, basic_secret = decoded.partition(":")
            client_id, secret = unquote(basic_id), unquote(basic_secret)
        if client_id != self.config.client_id:
            return oauth_error("invalid_client", "The OAuth client was not found.", 401)
        if not secret or not hmac.compare_digest(secret, self.config.client_secret):
            return oauth_error("invalid_client", "Unauthorized", 401)
        return None

    def oauth_token(self: Emulator, req: Request) -> Response:
        params = req.form()
        problem = self._client_auth(req, params)
        if problem:
            return problem
        grant_type = params.get("grant_type", "")
        if grant_type == "authorization_code":
            return self._grant_authorization_code(params)
        if grant_type == "refresh_token":
            return self._grant_refresh_token(params)
        if not grant_type:
            return oauth_error("unsupported_grant_type", "Invalid grant_type: ")
        return oauth_error("unsupported_grant_type", f"Invalid grant_type: {grant_type}")

    def _grant_authorization_code(self: Emulator, params: dict[str, str]) -> Response:
        code = params.get("code")
        if not code:
            return oauth_error("invalid_request", "Missing required parameter: code")
        record = self.state["codes"].get(token_hash(code))
        if record is None:
            return oauth_error("invalid_grant", "Malformed auth code.")
        if record["used"] or record["expires_at"] <= self.now():
            return oauth_error("invalid_grant", "Bad Request")
        if params.get("redirect_uri") != record["redirect_uri"]:
            return oauth_error("redirect_uri_mismatch", "Bad Request")
        if record["code_challenge"]:
            verifier = params.get("code_verifier")
            if not verifier:
                return oauth_error("invalid_grant", "Missing code verifier.")
            expected = pkce_challenge(verifier, record["code_challenge_method"])
            if not hmac.compare_digest(expected, record["code_challenge"]):
                return oauth_error("invalid_grant", "Invalid code verifier.")
        record["used"] = True
        grant = self.grant(record["user_id"])
        if not grant["active"] or grant["generation"] != record["generation"]:
            return oauth_error("invalid_grant", REVOKED)
        user = self.find_user(record["user_id"])
        if user is None or not user["active"]:
            return oauth_error("invalid_grant", "Account disabled.")
        return json_response(
            200,
            self._issue_tokens(user, record["scopes"], refresh=record["refresh"], nonce=record["nonce"]),
            {"Cache-Control": "no-cache, no-store, max-age=0, must-revalidate", "Pragma": "no-cache"},
        )

    def _grant_refresh_token(self: Emulator, params: dict[str, str]) -> Response:
        token = params.get("refresh_token")
        if not token:
            return oauth_error("invalid_request", "Missing required parameter: refresh_token")
        record = self.live_token(token, kind="refresh")
        if record is None:
            return oauth_error("invalid_grant", REVOKED)
        user = self.find_user(record["user_id"])
        if user is None or not user["active"]:
            return oauth_error("invalid_grant", REVOKED)
        scopes = record["scopes"]
        if params.get("scope"):
            narrowed = normalize_scopes(params["scope"])
            if not set(narrowed) <= set(scopes):
                return oauth_error("invalid_scope", "Bad Request")
            scopes = narrowed
        return json_response(200, self._issue_tokens(user, scopes, refresh=False, nonce=None))

    def _issue_tokens(
        self: Emulator, user: dict[str, Any], scopes: list[str], *, refresh: bool, nonce: str | None
    ) -> dict[str, Any]:
        self._prune_tokens()
        now = self.now()
        lifetime = int(self.config.access_token_lifetime)
        access = "ya29.a0" + secrets.token_urlsafe(90)
        self._store_token(access, "access", user["id"], scopes, now + lifetime)
        answer: dict[str, Any] = {
            "access_token": access,
            "expires_in": max(lifetime - 1, 0),
            "scope": " ".join(scopes),
            "token_type": "Bearer",
        }
        if refresh:
            refresh_token = "1//0e" + secrets.token_urlsafe(70)
            lifetime_r = int(self.config.refresh_token_lifetime)
            expires = now + lifetime_r if lifetime_r else float("inf")
            self._store_token(refresh_token, "refresh", user["id"], scopes, expires)
            answer["refresh_token"] = refresh_token
            answer["refresh_token_expires_in"] = lifetime_r if lifetime_r else None
            if not lifetime_r:
                del answer["refresh_token_expires_in"]
        if "openid" in scopes:
            at_hash = b64url(hashlib.sha256(access.encode()).digest()[:16])
            claims: dict[str, Any] = {
                "iss": "https://accounts.google.com",
                "azp": self.config.client_id,
                "aud": self.config.client_id,
                "sub": user["id"],
                "hd": user["email"].rsplit("@", 1)[-1],
                "at_hash": at_hash,
                "iat": int(now),
                "exp": int(now + 3600),
            }
            if USERINFO_EMAIL in scopes:
                claims.update(email=user["email"], email_verified=True)
            if USERINFO_PROFILE in scopes:
                claims.update(self._profile(user))
            if nonce:
                claims["nonce"] = nonce
            answer["id_token"] = unsigned_jwt(claims)
        return answer

    def _profile(self: Emulator, user: dict[str, Any]) -> dict[str, Any]:
        return {
            "name": user["name"],
            "given_name": user["given_name"],
            "family_name": user["family_name"],
            "picture": f"{self.config.accounts_url}/emulator/avatar/{user['id']}.png",
        }

    def _store_token(
        self: Emulator, token: str, kind: str, user_id: str, scopes: list[str], expires_at: float
    ) -> None:
        self.state["tokens"][token_hash(token)] = {
            "kind": kind,
            "client_id": self.config.client_id,
            "user_id": user_id,
            "scopes": list(scopes),
            "issued_at": self.now(),
            "expires_at": expires_at if expires_at != float("inf") else None,
            "generation": self.grant(user_id)["generation"],
        }

    def _prune_tokens(self: Emulator) -> None:
        now = self.now()
        tokens = self.state["tokens"]
        for key in [k for k, t in tokens.items() if t["expires_at"] and t["expires_at"] < now - 86400]:
            del tokens[key]
        codes = self.state["codes"]
        for key in [k for k, c in codes.items() if c["expires_at"] < now - 3600]:
            del codes[key]

    def live_token(self: Emulator, token: str, *, kind: str | None = None) -> dict[str, Any] | None:
        """The stored record of a usable token (not expired, its grant not revoked), or None."""
        record = self.state["tokens"].get(token_hash(token))
        if record is None or (kind and record["kind"] != kind):
            return None
        if record["expires_at"] is not None and record["expires_at"] <= self.now():
            return None
        grant = self.grant(record["user_id"], record["client_id"])
        if not grant["active"] or grant["generation"] != record["generation"]:
            return None
        return record

    # ---- revoke, userinfo, tokeninfo ------------------------------------------------------------------
    def oauth_revoke(self: Emulator, req: Request) -> Response:
        token = req.query.get("token") or req.form().get("token")
        if not token:
            return oauth_error("invalid_request", "Missing required parameter: token")
        record = self.live_token(token)
        if record is None:
            return oauth_error("invalid_token", "Token expired or revoked")
        self.revoke_grant(record["user_id"], record["client_id"])
        return json_response(200, {})

    def bearer(self: Emulator, req: Request) -> dict[str, Any] | Response:
        """The access token record of the request's ``Authorization: Bearer``, or Google's 401."""
        auth = req.headers.get("authorization", "")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        record = self.live_token(token, kind="access") if token else None
        challenge = {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'}
        if not token:
            return api_error(
                401,
                "required",
                "Login Required.",
                top_message="Request is missing required authentication credential. Expected OAuth 2 access "
                "token, login cookie or other valid authentication credential. See "
                "https://developers.google.com/identity/sign-in/web/devconsole-project.",
                extra={"location": "Authorization", "locationType": "header"},
                headers=challenge,
            )
        if record is None:
            return api_error(
                401,
                "authError",
                "Invalid Credentials",
                top_message="Request had invalid authentication credentials. Expected OAuth 2 access token, "
                "login cookie or other valid authentication credential. See "
                "https://developers.google.com/identity/sign-in/web/devconsole-project.",
                extra={"location": "Authorization", "locationType": "header"},
                headers={
                    "WWW-Authenticate": 'Bearer realm="https://accounts.google.com/", error="invalid_token"'
                },
            )
        return record

    def oauth_userinfo(self: Emulator, req: Request) -> Response:
        record = self.bearer(req)
        if isinstance(record, Response):
            return record
        user = self.find_user(record["user_id"]) or {}
        info: dict[str, Any] = {"sub": record["user_id"]}
        if USERINFO_PROFILE in record["scopes"]:
            info.update(self._profile(user))
        if USERINFO_EMAIL in record["scopes"]:
            info.update(email=user.get("email"), email_verified=True)
        info["hd"] = str(user.get("email", "")).rsplit("@", 1)[-1]
        return json_response(200, info)

    def oauth_tokeninfo(self: Emulator, req: Request) -> Response:
        token = req.query.get("access_token") or req.form().get("access_token") or ""
        record = self.live_token(token, kind="access") if token else None
        if record is None:
            return oauth_error("invalid_token", "Invalid Value")
        user = self.find_user(record["user_id"]) or {}
        info = {
            "azp": record["client_id"],
            "aud": record["client_id"],
            "sub": record["user_id"],
            "scope": " ".join(record["scopes"]),
            "exp": str(int(record["expires_at"])),
            "expires_in": str(max(int(record["expires_at"] - self.now()), 0)),
            "access_type": "offline",
        }
        if USERINFO_EMAIL in record["scopes"]:
            info.update(email=user.get("email", ""), email_verified="true")
        return json_response(200, info)


__all__ = ["AUTHORIZE_FIELDS", "OAuthMixin", "normalize_scopes", "unsigned_jwt"]
