"""Google-like pages: sign-in, the OAuth consent screen, a Google Calendar per user (move / delete an event
behind the app's back), the account's third-party access page (remove the app's access; a Workspace admin
can do it for every user of the Workspace), the Meet join page and the emulator dashboard. Plain HTML with
one inline stylesheet, Japanese with English labels; no JavaScript."""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from emulator_kit import pages as kit
from emulator_kit.wire import Request, Response, html_response, iso_z, redirect, with_query

from .config import (
    CALENDAR,
    CALENDAR_EVENTS,
    CALENDAR_EVENTS_READONLY,
    CALENDAR_READONLY,
    USERINFO_EMAIL,
    USERINFO_PROFILE,
)
from .seed import USER_PASSWORD, WORKSPACES
from .wire import format_offset, zone

if TYPE_CHECKING:
    from .core import Emulator

SESSION_COOKIE = "google_emulator_session"  # not "sessionid": the product on :8000 shares the host's cookies
SCOPE_LABELS = {
    "openid": "Google であなたを識別する (Associate you with your personal info on Google)",
    USERINFO_EMAIL: "メインの Google アカウントのメールアドレスの参照 (See your primary email address)",
    USERINFO_PROFILE: "個人情報の表示 (See your personal info)",
    CALENDAR: "Google カレンダーを使用してアクセスできるすべてのカレンダーの表示、編集、共有、完全な削除",
    CALENDAR_READONLY: "Google カレンダーを使用してアクセスできるすべてのカレンダーの参照とダウンロード",
    CALENDAR_EVENTS: "すべてのカレンダーの予定の表示と編集 (View and edit events on all your calendars)",
    CALENDAR_EVENTS_READONLY: "すべてのカレンダーの予定の表示 (View events on all your calendars)",
}

STYLE = """
* { box-sizing: border-box }
body { margin: 0; font-family: "Google Sans", Roboto, "Hiragino Sans", "Noto Sans JP", sans-serif;
  color: #202124; background: #f8f9fa }
a { color: #1a73e8 }
header { background: #fff; border-bottom: 1px solid #dadce0; padding: 0 24px; display: flex;
  align-items: center; gap: 24px; height: 56px }
.logo { font-size: 20px; text-decoration: none; font-weight: 500 }
.logo b:nth-child(1) { color: #4285f4 } .logo b:nth-child(2) { color: #ea4335 }
.logo b:nth-child(3) { color: #fbbc05 } .logo b:nth-child(4) { color: #4285f4 }
.logo b:nth-child(5) { color: #34a853 } .logo b:nth-child(6) { color: #ea4335 }
nav a { margin-right: 16px; text-decoration: none; color: #3c4043 }
.who { margin-left: auto; font-size: 13px; color: #5f6368; display: flex; gap: 12px; align-items: center }
main { max-width: 1120px; margin: 28px auto; padding: 0 24px }
.card { background: #fff; border: 1px solid #dadce0; border-radius: 8px; padding: 28px; margin-bottom: 20px }
.narrow { max-width: 460px; margin: 48px auto }
h1 { font-size: 22px; font-weight: 400; margin: 0 0 16px }
h2 { font-size: 17px; font-weight: 500; margin: 0 0 12px }
label { display: block; font-size: 13px; margin: 14px 0 6px }
input, select { width: 100%; padding: 9px 11px; border: 1px solid #dadce0; border-radius: 4px;
  font-size: 15px }
.btn { display: inline-block; border: 0; border-radius: 4px; padding: 8px 22px; font-size: 14px;
  cursor: pointer; background: #1a73e8; color: #fff; text-decoration: none }
.btn.secondary { background: #fff; color: #1a73e8; border: 1px solid #dadce0 }
.btn.danger { background: #d93025 }
.btn.small { padding: 5px 12px; font-size: 13px }
.row { display: flex; gap: 10px; align-items: center; flex-wrap: wrap }
.muted { color: #5f6368; font-size: 13px }
.error { background: #fce8e6; color: #c5221f; padding: 10px 12px; margin-bottom: 12px; border-radius: 4px }
.notice { background: #e6f4ea; color: #137333; padding: 10px 12px; margin-bottom: 16px; border-radius: 4px }
table { width: 100%; border-collapse: collapse; font-size: 14px }
th, td { text-align: left; padding: 9px 8px; border-bottom: 1px solid #e8eaed; vertical-align: top }
th { color: #5f6368; font-weight: 500; font-size: 12px }
ul.perms { padding-left: 18px; line-height: 1.9 }
.inline { display: inline }
.cancelled { text-decoration: line-through; color: #80868b }
code { font-size: 12px; background: #f1f3f4; padding: 1px 4px; word-break: break-all }
form.move { display: flex; gap: 6px; align-items: center; flex-wrap: wrap; margin-bottom: 6px }
form.move input { width: auto; padding: 5px }
"""


def layout(title: str, body: str, *, user: dict[str, Any] | None = None) -> str:
    header = (
        '<a class="logo" href="/"><b>G</b><b>o</b><b>o</b><b>g</b><b>l</b><b>e</b></a>'
        '<nav><a href="/calendar">カレンダー (Calendar)</a>'
        '<a href="/admin">アカウントのアクセス権 (Access)</a>'
        '<a href="/_emulator">エミュレーター</a></nav>'
    )
    who = kit.signed_in_as(user["name"], user["email"]) if user else ""
    return kit.document(vendor="Google", title=title, style=STYLE, header=header, who=who, body=body)


def page(status: int, title: str, body: str, *, user: dict[str, Any] | None = None) -> Response:
    return html_response(status, layout(title, body, user=user))


def message_page(
    emu: Emulator, status: int, title: str, message: str, *, user: dict[str, Any] | None = None
) -> Response:
    return page(status, title, kit.message_card(title, message), user=user)


def error_page(
    emu: Emulator, status: int, error: str, description: str, title: str | None = None
) -> Response:
    """Google's authorization error screen: "エラー 400: redirect_uri_mismatch" and the details."""
    body = (
        '<div class="card narrow">'
        f"<h1>{escape(title or 'アクセスをブロック: 認証エラー (Access blocked: Authorization Error)')}</h1>"
        f'<div class="error">エラー {status}: {escape(error)}</div>'
        f'<p class="muted">{escape(description)}</p></div>'
    )
    return page(status, f"エラー {status}: {error}", body)


def signin_page(emu: Emulator, *, next_url: str, error: str = "", email: str = "") -> Response:
    footnote = (
        f"エミュレーターの Workspace 管理者 (admin): <code>{escape(emu.admin_email)}</code> / "
        f"<code>{USER_PASSWORD}</code>"
    )
    body = kit.signin_card(
        next_url=next_url,
        error=error,
        email=email,
        email_label="メールアドレス (Email)",
        footnote=footnote,
    )
    return page(200, "ログイン (Sign in)", body)


def consent_page(
    emu: Emulator, *, user: dict[str, Any], params: dict[str, str | None], scopes: list[str], csrf: str | None
) -> Response:
    items = "".join(
        f'<li>{escape(SCOPE_LABELS.get(s, s))} <span class="muted">{escape(s)}</span></li>' for s in scopes
    )
    body = (
        '<div class="card narrow">'
        f'<p class="muted">{escape(user["email"])}</p>'
        f"<h1>{escape(emu.config.app_name)} が Google アカウントへのアクセスをリクエストしています</h1>"
        f'<p class="muted">{escape(emu.config.app_name)} wants to access your Google Account</p>'
        f"<p>{escape(emu.config.app_name)} に次のことを許可します (This will allow the app to):</p>"
        f'<ul class="perms">{items}</ul>'
        '<p class="muted">アクセス権は <a href="/admin">Google アカウント</a> でいつでも削除できます。</p>'
        '<form method="post" action="/o/oauth2/v2/auth" class="row">'
        f'{kit.hidden_inputs(params)}<input type="hidden" name="csrf" value="{escape(csrf or "")}">'
        f"{kit.decision_buttons('許可 (Allow)', 'キャンセル (Cancel)')}"
        "</form></div>"
    )
    return page(200, "アクセスのリクエスト", body, user=user)


class PagesMixin(kit.SessionPages):
    """Page handlers. Mixed into Emulator; run under its lock."""

    SESSION_COOKIE = SESSION_COOKIE

    def user_can_sign_in(self, user: dict[str, Any]) -> bool:
        return bool(user["active"])

    def page_signin(self: Emulator, req: Request) -> Response:
        return signin_page(self, next_url=kit.safe_next(req.query.get("next")))

    def page_signin_post(self: Emulator, req: Request) -> Response:
        next_url, email, user = self.signin_attempt(req)
        if user is None:
            return signin_page(
                self,
                next_url=next_url,
                email=email,
                error="メールアドレスまたはパスワードが正しくありません。(Wrong email or password.)",
            )
        if not user["active"]:
            return signin_page(
                self,
                next_url=next_url,
                email=email,
                error="このアカウントは停止されています。(This account has been suspended.)",
            )
        return self.start_session(user, next_url)

    def page_home(self: Emulator, req: Request) -> Response:
        user = self.session_user(req)
        rows = "".join(
            f"<tr><td>{escape(u['name'])}</td><td><code>{escape(u['email'])}</code></td>"
            f"<td>{escape(WORKSPACES.get(u['workspace'], u['workspace']))}</td>"
            f"<td>{'管理者' if u['admin'] else ''}{'' if u['active'] else ' 停止中'}</td></tr>"
            for u in self.state["users"]
        )
        body = (
            '<div class="card"><h1>Google エミュレーター (OAuth 2.0 + Calendar API v3 + Meet)</h1>'
            f"<p>パスワード (password): <code>{USER_PASSWORD}</code> ・ OAuth client: "
            f"<code>{escape(self.config.client_id)}</code></p>"
            f"<table><tr><th>名前</th><th>メール</th><th>Workspace</th><th></th></tr>{rows}</table>"
            '<p class="row"><a class="btn" href="/calendar">カレンダー</a>'
            '<a class="btn secondary" href="/admin">アクセス権の管理</a>'
            '<a class="btn secondary" href="/_emulator">エミュレーターの状態</a></p></div>'
        )
        return page(200, "ホーム", body, user=user)

    # ---- Google Calendar ------------------------------------------------------------------------------
    def _visible_owner(self: Emulator, user: dict[str, Any], ref: str) -> dict[str, Any] | None:
        owner = self.find_user(ref or user["id"])
        if owner is None or (
            owner["id"] != user["id"] and not (user["admin"] and owner["workspace"] == user["workspace"])
        ):
            return None
        return owner

    def page_calendar(self: Emulator, req: Request) -> Response:
        user = self._require_user(req, with_query("/calendar", req.query))
        if isinstance(user, Response):
            return user
        owner = self._visible_owner(user, req.query.get("user", ""))
        if owner is None:
            return message_page(
                self, 403, "カレンダーを開けません", "このカレンダーへのアクセス権がありません。", user=user
            )
        notices = {
            "deleted": "予定を削除しました。(Event deleted.)",
            "moved": "予定を移動しました。(Event moved.)",
        }
        notice = notices.get(req.query.get("done", ""), "")
        error = req.query.get("error", "")
        csrf = escape(self.session_csrf(req) or "")
        tz_name = self.calendar_time_zone(owner)
        choices = ""
        if user["admin"]:
            choices = (
                '<p class="row">'
                + "".join(
                    f'<a class="btn {"" if u["id"] == owner["id"] else "secondary"} small" '
                    f'href="/calendar?user={quote(u["email"])}">{escape(u["name"])}</a>'
                    for u in self.state["users"]
                    if u["workspace"] == user["workspace"]
                )
                + "</p>"
            )
        rows = []
        events = sorted(self.state["events"][owner["id"]].values(), key=lambda e: (e["start_ts"], e["id"]))
        for event in events:
            fields = event["fields"]
            cancelled = fields.get("status") == "cancelled"
            target = f"/calendar/events/{quote(owner['id'])}/{quote(event['id'])}"
            meet = (
                f'<div class="muted"><a href="{escape(self.config.meet_url)}/{event["conference"]["code"]}">'
                f"Google Meet {escape(event['conference']['code'])}</a></div>"
                if event.get("conference")
                else ""
            )
            start_local = format_offset(event["start_ts"], tz_name)[:16]
            actions = (
                '<span class="muted">削除済み (cancelled)</span>'
                if cancelled
                else (
                    f'<form method="post" action="{target}/move" class="move">'
                    f'<input type="hidden" name="csrf" value="{csrf}">'
                    '<input type="hidden" name="shift" value="30">'
                    '<button class="btn secondary small" type="submit">+30 分 (+30 min)</button></form>'
                    f'<form method="post" action="{target}/move" class="move">'
                    f'<input type="hidden" name="csrf" value="{csrf}">'
                    f'<input type="datetime-local" name="start_local" value="{start_local}" required>'
                    '<button class="btn secondary small" type="submit">開始を変更 (Set start)</button></form>'
                    f'<form method="post" action="{target}/delete" class="inline">'
                    f'<input type="hidden" name="csrf" value="{csrf}">'
                    '<button class="btn danger small" type="submit">削除 (Delete)</button></form>'
                )
            )
            rows.append(
                f'<tr class="{"cancelled" if cancelled else ""}">'
                f"<td>{escape(fields.get('summary', '(タイトルなし)'))}"
                f'{meet}<div class="muted"><code>{escape(event["id"])}</code></div></td>'
                f"<td>{escape(start_local.replace('T', ' '))} – "
                f"{escape(format_offset(event['end_ts'], tz_name)[11:16])} "
                f'<span class="muted">{escape(tz_name)}</span>'
                f'<div class="muted">{escape(iso_z(event["start_ts"]))}</div></td><td>{actions}</td></tr>'
            )
        table = (
            "<table><tr><th>予定 (Event)</th><th>日時 (When)</th><th></th></tr>" + "".join(rows) + "</table>"
            if rows
            else '<p class="muted">予定はありません。(No events.)</p>'
        )
        body = (
            (f'<div class="notice">{escape(notice)}</div>' if notice else "")
            + (f'<div class="error">{escape(error)}</div>' if error else "")
            + f'<div class="card"><h1>カレンダー: {escape(owner["name"])}</h1>'
            f'<p class="muted">{escape(owner["email"])} ・ ここでの変更・削除は連携アプリの知らないところで'
            "行われ、watch チャネルにプッシュ通知が送られます。"
            "(Changes here happen behind the app's back and notify its watch channels.)</p>"
            f"{choices}{table}</div>"
        )
        return page(200, "カレンダー", body, user=user)

    def _page_event(
        self: Emulator, req: Request, user_id: str, event_id: str
    ) -> tuple[dict[str, Any], dict[str, Any]] | Response:
        user = self._require_user(req, "/calendar")
        if isinstance(user, Response):
            return user
        if not self._csrf_ok(req):
            return message_page(self, 403, "操作できません", "もう一度お試しください。", user=user)
        owner = self._visible_owner(user, user_id)
        event = self.state["events"].get(owner["id"], {}).get(event_id) if owner else None
        if owner is None or event is None or event["fields"].get("status") == "cancelled":
            return redirect("/calendar?error=" + quote("予定が見つかりません。(Event not found.)"))
        return owner, event

    def page_event_move(self: Emulator, req: Request, user_id: str, event_id: str) -> Response:
        found = self._page_event(req, user_id, event_id)
        if isinstance(found, Response):
            return found
        owner, event = found
        form = req.form()
        back = f"/calendar?user={quote(owner['email'])}"
        try:
            if form.get("shift"):
                start = event["start_ts"] + int(form["shift"]) * 60
            else:
                local = datetime.fromisoformat(form.get("start_local", ""))
                start = local.replace(tzinfo=zone(self.calendar_time_zone(owner))).timestamp()
        except ValueError:
            return redirect(back + "&error=" + quote("日時の形式が正しくありません。"))
        self.move(event, start)
        return redirect(back + "&done=moved")

    def page_event_delete(self: Emulator, req: Request, user_id: str, event_id: str) -> Response:
        found = self._page_event(req, user_id, event_id)
        if isinstance(found, Response):
            return found
        owner, event = found
        self.cancel(event)
        return redirect(f"/calendar?user={quote(owner['email'])}&done=deleted")

    # ---- third-party access (myaccount.google.com/permissions, Admin console) ---------------------------
    def page_admin(self: Emulator, req: Request) -> Response:
        user = self._require_user(req, "/admin")
        if isinstance(user, Response):
            return user
        notice = (
            '<div class="notice">アクセス権を削除しました。(Access removed.)</div>'
            if req.query.get("revoked")
            else ""
        )
        csrf = escape(self.session_csrf(req) or "")
        people = (
            [u for u in self.state["users"] if u["workspace"] == user["workspace"]]
            if user["admin"]
            else [user]
        )
        rows = []
        for person in people:
            record = self.grant(person["id"])
            if record["active"]:
                scopes = "<br>".join(escape(s) for s in record["scopes"])
                action = (
                    f'<form method="post" action="/admin/grants/{quote(person["id"])}/revoke" class="inline">'
                    f'<input type="hidden" name="csrf" value="{csrf}">'
                    '<button class="btn danger small" type="submit">アクセス権を削除 (Remove access)</button>'
                    "</form>"
                )
                when = iso_z(record["granted_at"] or 0)
            else:
                scopes, action, when = '<span class="muted">アクセス権なし (No access)</span>', "", ""
            rows.append(
                f"<tr><td>{escape(person['name'])}<div class='muted'>{escape(person['email'])}</div></td>"
                f"<td>{scopes}</td><td>{escape(when)}</td><td>{action}</td></tr>"
            )
        heading = (
            "管理コンソール: アプリのアクセス (Admin console: app access)"
            if user["admin"]
            else "サードパーティ製のアプリとサービス (Third-party apps & services)"
        )
        body = (
            f'{notice}<div class="card"><h1>{heading}</h1>'
            f"<p><strong>{escape(self.config.app_name)}</strong> "
            f'<span class="muted">{escape(self.config.client_id)}</span></p>'
            "<table><tr><th>ユーザー</th><th>許可したアクセス (Scopes)</th>"
            "<th>許可日時 (UTC)</th><th></th></tr>" + "".join(rows) + "</table></div>"
        )
        return page(200, "アクセス権", body, user=user)

    def page_admin_revoke(self: Emulator, req: Request, user_id: str) -> Response:
        user = self._require_user(req, "/admin")
        if isinstance(user, Response):
            return user
        target = self.find_user(user_id)
        allowed = target is not None and (
            target["id"] == user["id"] or (user["admin"] and target["workspace"] == user["workspace"])
        )
        if not self._csrf_ok(req) or not allowed or target is None:
            return message_page(self, 403, "操作できません", "もう一度サインインしてください。", user=user)
        self.revoke_grant(target["id"])
        return redirect("/admin?revoked=1")

    # ---- Meet -----------------------------------------------------------------------------------------
    def page_join(self: Emulator, req: Request, code: str) -> Response:
        for events in self.state["events"].values():
            for event in events.values():
                if (event.get("conference") or {}).get("code") == code:
                    return message_page(
                        self,
                        200,
                        "Google Meet に参加 (Join Google Meet)",
                        f"「{event['fields'].get('summary', '')}」に参加します"
                        "（エミュレーターのため実際の通話はありません）。",
                    )
        return message_page(
            self, 404, "会議が見つかりません", "この会議コードは無効です。(Invalid meeting code.)"
        )

    # ---- dashboard ------------------------------------------------------------------------------------
    def page_dashboard(self: Emulator, req: Request) -> Response:
        user = self.session_user(req)
        snap = self.snapshot()
        grants = (
            "".join(
                f"<tr><td>{escape(g['email'])}</td><td>{'許可済み' if g['active'] else '取り消し済み'}</td>"
                f"<td>{escape(' '.join(g['scopes']))}</td></tr>"
                for g in snap["grants"]
            )
            or '<tr><td colspan="3" class="muted">まだありません。</td></tr>'
        )
        outbox = kit.outbox_rows(self.state["outbox"], lambda n: f"<td><code>{escape(n['url'])}</code></td>")
        counts = kit.request_count_rows(snap["request_counts"], snap["rate_limited_counts"])
        forms = kit.dashboard_buttons(
            (
                ("/_emulator/notifications/deliver", "保留中の通知を今すぐ配信", "secondary"),
                ("/_emulator/reset", "初期状態に戻す", "danger"),
            )
        )
        body = (
            '<div class="card"><h1>エミュレーターの状態</h1>'
            f"<p>現在時刻 (エミュレーター): <code>{escape(snap['now'])}</code> ・ "
            f"予定 {len(snap['events'])} 件 ・ "
            f"チャネル {len(snap['channels'])} 件</p>"
            f'<div class="row">{forms}</div></div>'
            '<div class="card"><h2>アクセス権 (grants)</h2><table><tr><th>ユーザー</th><th>状態</th>'
            f"<th>スコープ</th></tr>{grants}</table></div>"
            '<div class="card"><h2>プッシュ通知</h2><table><tr><th>#</th><th>状態</th><th>配信</th>'
            "<th>試行</th>"
            f"<th>送信先</th></tr>{outbox}</table></div>"
            '<div class="card"><h2>リクエスト数</h2><table><tr><th>エンドポイント</th><th>回数</th>'
            f"<th>403/429</th></tr>{counts}</table></div>"
        )
        return page(200, "エミュレーター", body, user=user)


__all__ = ["SESSION_COOKIE", "PagesMixin", "consent_page", "error_page", "message_page", "signin_page"]
