"""The pieces of an emulator's HTML pages that do not depend on the vendor: the sign-in session (cookie,
CSRF token, sign-out), safe ``next`` URLs, and the rows and buttons of the ``/_emulator`` dashboard.

``SessionPages`` is mixed into an emulator (through its ``PagesMixin``); the emulator provides
``state["sessions"]``, ``find_user()``, ``now()`` and the ``SESSION_COOKIE`` name.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Iterable, Mapping
from html import escape
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .base import Route, route
from .wire import Request, Response, redirect


def safe_next(value: str | None) -> str:
    """A local path to go back to after sign-in ("/" for anything else: no open redirects)."""
    if value and value.startswith("/") and not value.startswith("//"):
        return value
    return "/"


def signin_routes(*, flags: int = 0) -> list[Route]:
    """GET/POST /signin (the emulator's ``page_signin``/``page_signin_post``) and POST /signout."""
    return [
        route("GET", "/signin", "page_signin", flags=flags),
        route("POST", "/signin", "page_signin_post", flags=flags),
        route("POST", "/signout", "page_signout", flags=flags),
    ]


class SessionPages:
    """Sign-in sessions kept in ``state["sessions"]`` under a random id, sent as the SESSION_COOKIE cookie."""

    SESSION_COOKIE = "emulator_session"
    state: dict[str, Any]

    if TYPE_CHECKING:  # provided by the emulator

        def find_user(self, ref: str) -> dict[str, Any] | None: ...

        def now(self) -> float: ...

    def user_can_sign_in(self, user: dict[str, Any]) -> bool:
        """Hook: whether the account is usable (not deactivated / disabled)."""
        return True

    def session_user(self, req: Request) -> dict[str, Any] | None:
        session = self.state["sessions"].get(req.cookies().get(self.SESSION_COOKIE, ""))
        if session is None:
            return None
        user = self.find_user(session["user_id"])
        return user if user and self.user_can_sign_in(user) else None

    def session_csrf(self, req: Request) -> str | None:
        session = self.state["sessions"].get(req.cookies().get(self.SESSION_COOKIE, ""))
        return session["csrf"] if session else None

    def _csrf_ok(self, req: Request) -> bool:
        expected = self.session_csrf(req)
        return bool(expected) and hmac.compare_digest(req.form().get("csrf", ""), expected or "")

    def _require_user(self, req: Request, path: str) -> dict[str, Any] | Response:
        user = self.session_user(req)
        if user is None:
            return redirect(f"/signin?next={quote(path, safe='')}")
        return user

    def signin_attempt(self, req: Request) -> tuple[str, str, dict[str, Any] | None]:
        """A posted sign-in form: (the safe next URL, the e-mail given, the user when the password
        matches)."""
        form = req.form()
        email = form.get("email", "").strip()
        user = self.find_user(email) if email else None
        if user is not None and not hmac.compare_digest(form.get("password", ""), user["password"]):
            user = None
        return safe_next(form.get("next")), email, user

    def start_session(self, user: dict[str, Any], next_url: str) -> Response:
        """Sign ``user`` in: a new session, its cookie, and a redirect to ``next_url``."""
        session_id = secrets.token_urlsafe(24)
        self.state["sessions"][session_id] = {
            "user_id": user["id"],
            "csrf": secrets.token_urlsafe(24),
            "created_at": self.now(),
        }
        cookie = f"{self.SESSION_COOKIE}={session_id}; Path=/; HttpOnly; SameSite=Lax"
        return redirect(next_url, {"Set-Cookie": cookie})

    def page_signout(self, req: Request) -> Response:
        self.state["sessions"].pop(req.cookies().get(self.SESSION_COOKIE, ""), None)
        cookie = f"{self.SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"
        return redirect("/", {"Set-Cookie": cookie})


def dashboard_buttons(actions: Iterable[tuple[str, str, str]]) -> str:
    """One small POST button per (action, label, css class) that comes back to /_emulator."""
    return "".join(
        f'<form method="post" action="{action}" class="inline">'
        '<input type="hidden" name="_return" value="/_emulator">'
        f'<button class="btn {cls} small" type="submit">{label}</button></form>'
        for action, label, cls in actions
    )


def outbox_rows(items: list[dict[str, Any]], last_cell: Callable[[dict[str, Any]], str]) -> str:
    """Table rows for the newest 30 outbox items: #, event, status, attempts, then ``last_cell(item)``."""
    return (
        "".join(
            f"<tr><td>{w['id']}</td><td>{escape(w['event'])}</td><td>{escape(w['status'])}</td>"
            f"<td>{escape(', '.join(str(a['status'] or a['error']) for a in w['attempts']))}</td>"
            f"{last_cell(w)}</tr>"
            for w in reversed(items[-30:])
        )
        or '<tr><td colspan="5" class="muted">まだありません。</td></tr>'
    )


def request_count_rows(requests: Mapping[str, int], limited: Mapping[str, int]) -> str:
    """Table rows: endpoint, requests, answered 429."""
    return "".join(
        f"<tr><td>{escape(k)}</td><td>{v}</td><td>{limited.get(k, 0)}</td></tr>"
        for k, v in sorted(requests.items())
    )


# ---- HTML pieces both vendors' pages share (Japanese UI, one inline stylesheet, no JavaScript) ---------
def document(*, vendor: str, title: str, style: str, header: str, who: str, body: str) -> str:
    """A whole page: ``header`` is the logo and navigation, ``who`` the signed-in box (``signed_in_as``)."""
    return (
        '<!doctype html><html lang="ja"><head><meta charset="utf-8">'
        f"<title>{escape(title)} - {vendor} (エミュレーター)</title>"
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<style>{style}</style></head><body><header>"
        f"{header}"
        f'<div class="who">{who}</div></header><main>{body}</main></body></html>'
    )


def signed_in_as(name: str, email: str) -> str:
    """The header's signed-in user with a sign-out button."""
    return (
        f"<span>{escape(name)} ({escape(email)})</span>"
        '<form method="post" action="/signout" class="inline">'
        '<button class="btn secondary small" type="submit">サインアウト</button></form>'
    )


def message_card(title: str, message: str) -> str:
    return f'<div class="card narrow"><h1>{escape(title)}</h1><p>{escape(message)}</p></div>'


def signin_card(*, next_url: str, error: str, email: str, email_label: str, footnote: str) -> str:
    """The sign-in form (posting to /signin); ``footnote`` is trusted HTML under it."""
    error_html = f'<div class="error">{escape(error)}</div>' if error else ""
    return (
        '<div class="card narrow"><h1>サインイン</h1>'
        f"{error_html}"
        '<form method="post" action="/signin">'
        f'<input type="hidden" name="next" value="{escape(next_url)}">'
        f'<label for="email">{email_label}</label>'
        '<input id="email" name="email" type="email" autocomplete="username" '
        f'value="{escape(email)}" required>'
        '<label for="password">パスワード</label>'
        '<input id="password" name="password" type="password" autocomplete="current-password" required>'
        '<p><button class="btn" type="submit">サインイン</button></p></form>'
        f'<p class="muted">{footnote}</p></div>'
    )


def hidden_inputs(params: Mapping[str, str | None]) -> str:
    """Hidden form fields for the parameters that are set."""
    return "".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">'
        for k, v in params.items()
        if v is not None
    )


def decision_buttons(allow: str, deny: str) -> str:
    """The consent prompt's two submit buttons (``decision`` = allow / deny)."""
    return (
        f'<button class="btn" type="submit" name="decision" value="allow">{allow}</button>'
        f'<button class="btn secondary" type="submit" name="decision" value="deny">{deny}</button>'
    )
