"""Microsoft-like pages: sign-in, the consent prompts, an Entra admin page (Enterprise applications → remove
the app's permissions), an Outlook calendar per user (move / delete an event behind the product's back), the
Teams join page and the emulator dashboard. Plain HTML with one inline stylesheet; no JavaScript."""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from emulator_kit import pages as kit
from emulator_kit.wire import Request, Response, html_response, iso_z, redirect

from .graph import format_local, zone_of
from .seed import GLOBAL_ADMIN, USER_PASSWORD

if TYPE_CHECKING:
    from .core import Emulator

SESSION_COOKIE = "ms_emulator_session"  # not "sessionid": the product on :8000 shares the host's cookies
PERMISSION_LABELS = {
    "User.Read": "サインインとユーザー プロファイルの読み取り",
    "User.ReadBasic.All": "すべてのユーザーの基本プロファイルの読み取り",
    "User.Read.All": "すべてのユーザーの完全なプロファイルの読み取り",
    "Calendars.Read": "ユーザーの予定表の読み取り",
    "Calendars.ReadWrite": "ユーザーの予定表へのフル アクセス",
    "Calendars.ReadWrite.Shared": "ユーザーと共有されている予定表の読み取りと書き込み",
    "OnlineMeetings.ReadWrite": "ユーザーのオンライン会議の読み取りと作成",
    "OnlineMeetings.ReadWrite.All": "オンライン会議の読み取りと作成 (アプリケーション)",
}
ZONES = ("Tokyo Standard Time", "UTC", "Pacific Standard Time", "Eastern Standard Time", "GMT Standard Time")

STYLE = """
* { box-sizing: border-box }
body { margin: 0; font-family: "Segoe UI", "Hiragino Sans", "Noto Sans JP", sans-serif; color: #1b1b1b;
  background: #f3f2f1 }
a { color: #0067b8 }
header { background: #fff; border-bottom: 1px solid #e1dfdd; padding: 0 24px; display: flex;
  align-items: center; gap: 24px; height: 52px }
.logo { font-weight: 600; font-size: 18px; color: #1b1b1b; text-decoration: none }
.logo span { display: inline-block; width: 10px; height: 10px; background: #f25022; margin-right: 2px }
.logo span.g { background: #7fba00 } .logo span.b { background: #00a4ef } .logo span.y { background: #ffb900 }
nav a { margin-right: 16px; text-decoration: none; color: #323130 }
.who { margin-left: auto; font-size: 13px; color: #605e5c; display: flex; gap: 12px; align-items: center }
main { max-width: 1180px; margin: 28px auto; padding: 0 24px }
.card { background: #fff; border: 1px solid #e1dfdd; padding: 28px; margin-bottom: 20px }
.narrow { max-width: 460px; margin: 48px auto }
h1 { font-size: 22px; font-weight: 600; margin: 0 0 16px }
h2 { font-size: 17px; margin: 0 0 12px }
label { display: block; font-size: 13px; margin: 14px 0 6px }
input, select { width: 100%; padding: 8px 10px; border: 1px solid #8a8886; font-size: 15px }
.btn { display: inline-block; border: 0; padding: 8px 20px; font-size: 14px; cursor: pointer;
  background: #0067b8; color: #fff; text-decoration: none }
.btn.secondary { background: #fff; color: #1b1b1b; border: 1px solid #8a8886 }
.btn.danger { background: #a4262c }
.btn.small { padding: 5px 12px; font-size: 13px }
.row { display: flex; gap: 10px; align-items: center; flex-wrap: wrap }
.muted { color: #605e5c; font-size: 13px }
.error { background: #fde7e9; color: #a4262c; padding: 10px 12px; margin-bottom: 12px }
.notice { background: #dff6dd; color: #107c10; padding: 10px 12px; margin-bottom: 16px }
table { width: 100%; border-collapse: collapse; font-size: 14px }
th, td { text-align: left; padding: 9px 8px; border-bottom: 1px solid #edebe9; vertical-align: top }
th { color: #605e5c; font-weight: 600; font-size: 12px }
ul.perms { padding-left: 18px; line-height: 1.9 }
.inline { display: inline }
.nowrap { white-space: nowrap }
code { font-size: 12px; background: #f3f2f1; padding: 1px 4px; word-break: break-all }
form.move { display: flex; gap: 6px; align-items: center; flex-wrap: wrap; margin-bottom: 6px }
form.move input, form.move select { width: auto; padding: 5px }
"""


def layout(title: str, body: str, *, user: dict[str, Any] | None = None) -> str:
    header = (
        '<a class="logo" href="/"><span></span><span class="g"></span><span class="b"></span>'
        '<span class="y"></span> Microsoft</a><nav><a href="/admin">Entra 管理センター</a>'
        '<a href="/calendar">予定表</a><a href="/_emulator">エミュレーター</a></nav>'
    )
    who = kit.signed_in_as(user["displayName"], user["userPrincipalName"]) if user else ""
    return kit.document(vendor="Microsoft", title=title, style=STYLE, header=header, who=who, body=body)


def page(status: int, title: str, body: str, *, user: dict[str, Any] | None = None) -> Response:
    return html_response(status, layout(title, body, user=user))


def message_page(
    emu: Emulator, status: int, title: str, message: str, *, user: dict[str, Any] | None = None
) -> Response:
    return page(status, title, kit.message_card(title, message), user=user)


def signin_page(emu: Emulator, *, next_url: str, error: str = "", email: str = "") -> Response:
    footnote = (
        f"エミュレーターの管理者: <code>{escape(emu.admin_email)}</code> / <code>{USER_PASSWORD}</code>"
    )
    body = kit.signin_card(
        next_url=next_url, error=error, email=email, email_label="メール、電話、Skype", footnote=footnote
    )
    return page(200, "サインイン", body)


def consent_page(
    emu: Emulator,
    *,
    user: dict[str, Any],
    action: str,
    params: dict[str, str | None],
    permissions: list[str],
    csrf: str | None,
    organisation: bool = False,
) -> Response:
    hidden = kit.hidden_inputs(params)
    items = "".join(
        f'<li>{escape(PERMISSION_LABELS.get(p, p))} <span class="muted">{escape(p)}</span></li>'
        for p in permissions
    )
    tenant = emu.state["tenants"].get(user["tenant_id"], {})
    note = (
        "このアプリに、組織全体を代表してアクセス許可を与えます。組織内のすべてのユーザーについて、"
        "ユーザーの操作なしにこれらのアクセス許可が使われます。"
        if organisation
        else "同意すると、組織の代理としてこれらのアクセス許可を付与します。"
    )
    body = (
        '<div class="card narrow">'
        f'<p class="muted">{escape(user["userPrincipalName"])}</p>'
        f"<h1>要求されているアクセス許可</h1><p><strong>{escape(emu.config.app_name)}</strong> "
        f'<span class="muted">({escape(tenant.get("displayName", ""))})</span></p>'
        f'<p>このアプリは次のことを求めています:</p><ul class="perms">{items}</ul>'
        f'<p class="muted">{escape(note)}</p>'
        f'<form method="post" action="{escape(action)}" class="row">'
        f'{hidden}<input type="hidden" name="csrf" value="{escape(csrf or "")}">'
        f"{kit.decision_buttons('承諾', 'キャンセル')}"
        "</form></div>"
    )
    return page(200, "アクセス許可の要求", body, user=user)


class PagesMixin(kit.SessionPages):
    """Page handlers. Mixed into Emulator; run under its lock."""

    SESSION_COOKIE = SESSION_COOKIE

    def user_can_sign_in(self, user: dict[str, Any]) -> bool:
        return bool(user["accountEnabled"])

    # ---- sign-in --------------------------------------------------------------------------------------
    def page_signin(self: Emulator, req: Request) -> Response:
        return signin_page(self, next_url=kit.safe_next(req.query.get("next")))

    def page_signin_post(self: Emulator, req: Request) -> Response:
        next_url, email, user = self.signin_attempt(req)
        if user is None:
            return signin_page(
                self, next_url=next_url, email=email, error="アカウントまたはパスワードが正しくありません。"
            )
        if not user["accountEnabled"]:
            return signin_page(
                self,
                next_url=next_url,
                email=email,
                error="AADSTS50057: ユーザー アカウントが無効になっています。",
            )
        return self.start_session(user, next_url)

    # ---- home -----------------------------------------------------------------------------------------
    def page_home(self: Emulator, req: Request) -> Response:
        user = self.session_user(req)
        rows = "".join(
            f"<tr><td>{escape(t['displayName'])}</td><td><code>{escape(t['id'])}</code></td>"
            f"<td>{escape(t['domain'])}</td></tr>"
            for t in self.state["tenants"].values()
        )
        body = (
            '<div class="card"><h1>Microsoft エミュレーター (Entra ID + Graph)</h1>'
            f"<p>管理者: <code>{escape(self.admin_email)}</code> / パスワード "
            f"<code>{USER_PASSWORD}</code></p>"
            f"<table><tr><th>テナント</th><th>テナント ID</th><th>ドメイン</th></tr>{rows}</table>"
            '<p class="row"><a class="btn" href="/admin">Entra 管理センター</a>'
            '<a class="btn secondary" href="/calendar">予定表</a>'
            '<a class="btn secondary" href="/_emulator">エミュレーターの状態</a></p></div>'
        )
        return page(200, "ホーム", body, user=user)

    # ---- Entra admin center ---------------------------------------------------------------------------
    def page_admin(self: Emulator, req: Request) -> Response:
        user = self._require_user(req, "/admin")
        if isinstance(user, Response):
            return user
        notice = (
            '<div class="notice">アプリのアクセス許可を取り消しました。</div>'
            if req.query.get("revoked")
            else ""
        )
        if GLOBAL_ADMIN not in user["roles"]:
            return message_page(
                self, 403, "アクセスできません", "グローバル管理者のみが利用できます。", user=user
            )
        tenant = self.state["tenants"][user["tenant_id"]]
        consent = self.consent(tenant["id"])
        if consent["active"]:
            perms = (
                f"<div>アプリケーション: {escape(', '.join(consent['app_roles']) or '—')}</div>"
                f"<div>委任: {escape(', '.join(consent['delegated_scopes']) or '—')}</div>"
            )
            apps = (
                "<table><tr><th>名前</th><th>アプリケーション ID</th><th>アクセス許可</th><th>同意日時 "
                "(UTC)</th><th></th></tr>"
                f"<tr><td><strong>{escape(self.config.app_name)}</strong></td>"
                f"<td><code>{escape(self.config.client_id)}</code></td><td>{perms}</td>"
                f"<td>{escape(iso_z(consent['granted_at'] or 0))}</td><td>"
                f'<form method="post" action="/admin/consents/{escape(tenant["id"])}/revoke" class="inline">'
                f'<input type="hidden" name="csrf" value="{escape(self.session_csrf(req) or "")}">'
                '<button class="btn danger small nowrap" type="submit">アクセス許可を取り消す</button></form>'
                "</td></tr></table>"
            )
        else:
            apps = '<p class="muted">同意済みのアプリはありません。</p>'
        body = (
            f'{notice}<div class="card"><h1>エンタープライズ アプリケーション</h1>'
            f'<p class="muted">{escape(tenant["displayName"])} ({escape(tenant["id"])})</p>{apps}</div>'
        )
        return page(200, "エンタープライズ アプリケーション", body, user=user)

    def page_admin_revoke(self: Emulator, req: Request, tenant_id: str) -> Response:
        user = self._require_user(req, "/admin")
        if isinstance(user, Response):
            return user
        if not self._csrf_ok(req) or GLOBAL_ADMIN not in user["roles"] or user["tenant_id"] != tenant_id:
            return message_page(
                self, 403, "操作できません", "グローバル管理者としてサインインし直してください。", user=user
            )
        self.withdraw_consent(tenant_id)
        return redirect("/admin?revoked=1")

    # ---- Outlook calendar -----------------------------------------------------------------------------
    def _calendar_owner(
        self: Emulator, req: Request, user: dict[str, Any], ref: str
    ) -> dict[str, Any] | None:
        owner = self.find_user(ref or user["id"], tenant_id=user["tenant_id"])
        if owner is None or (owner["id"] != user["id"] and GLOBAL_ADMIN not in user["roles"]):
            return None
        return owner

    def page_calendar(self: Emulator, req: Request) -> Response:
        user = self._require_user(req, "/calendar")
        if isinstance(user, Response):
            return user
        owner = self._calendar_owner(req, user, req.query.get("user", ""))
        if owner is None:
            return message_page(
                self, 403, "予定表を開けません", "この予定表へのアクセス権がありません。", user=user
            )
        notices = {"deleted": "予定を削除しました。", "moved": "予定の日時を変更しました。"}
        notice = notices.get(req.query.get("done", ""), "")
        error = req.query.get("error", "")
        csrf = escape(self.session_csrf(req) or "")
        choices = ""
        if GLOBAL_ADMIN in user["roles"]:
            choices = (
                '<p class="row">'
                + "".join(
                    f'<a class="btn {"" if u["id"] == owner["id"] else "secondary"} small" '
                    f'href="/calendar?user={quote(u["userPrincipalName"])}">{escape(u["displayName"])}</a>'
                    for u in self.state["users"]
                    if u["tenant_id"] == user["tenant_id"]
                )
                + "</p>"
            )
        rows = []
        for event in self._events_of(owner):
            zone = event["start_zone"] if zone_of(event["start_zone"]) else "UTC"
            options = "".join(
                f"<option{' selected' if z == zone else ''}>{escape(z)}</option>"
                for z in dict.fromkeys((zone, *ZONES))
            )
            local_value = format_local(event["start"], zone)[:16]
            target = f"/calendar/events/{quote(event['id'], safe='')}"
            join = (event["online_meeting"] or {}).get("joinUrl")
            rows.append(
                f"<tr><td>{escape(event['subject'])}"
                + (f'<div class="muted"><a href="{escape(join)}">Teams 会議</a></div>' if join else "")
                + f"</td><td>{escape(format_local(event['start'], zone)[:16].replace('T', ' '))} "
                f'<span class="muted">{escape(zone)}</span><div '
                f'class="muted">{escape(iso_z(event["start"]))} – '
                f"{escape(iso_z(event['end']))}</div></td><td>"
                f'<form method="post" action="{target}/move" class="move">'
                f'<input type="hidden" name="csrf" value="{csrf}">'
                f'<input type="datetime-local" name="start_local" value="{local_value}" required>'
                f'<select name="timezone">{options}</select>'
                '<button class="btn secondary small" type="submit">時間を変更</button></form>'
                f'<form method="post" action="{target}/delete" class="inline">'
                f'<input type="hidden" name="csrf" value="{csrf}">'
                '<button class="btn danger small" type="submit">削除</button></form></td></tr>'
            )
        table = (
            "<table><tr><th>件名</th><th>開始</th><th></th></tr>" + "".join(rows) + "</table>"
            if rows
            else '<p class="muted">予定はありません。</p>'
        )
        body = (
            (f'<div class="notice">{escape(notice)}</div>' if notice else "")
            + (f'<div class="error">{escape(error)}</div>' if error else "")
            + f'<div class="card"><h1>予定表: {escape(owner["displayName"])}</h1>'
            f'<p class="muted">{escape(owner["userPrincipalName"])} ・ '
            "ここでの変更・削除は連携アプリの知らない"
            "ところで行われ、購読 (subscriptions) に変更通知が送られます。</p>"
            f"{choices}{table}</div>"
        )
        return page(200, "予定表", body, user=user)

    def _page_event(
        self: Emulator, req: Request, event_id: str
    ) -> tuple[dict[str, Any], dict[str, Any]] | Response:
        user = self._require_user(req, "/calendar")
        if isinstance(user, Response):
            return user
        if not self._csrf_ok(req):
            return message_page(self, 403, "操作できません", "もう一度お試しください。", user=user)
        event = self.state["events"].get(event_id)
        owner = self._calendar_owner(req, user, event["user_id"]) if event else None
        if event is None or owner is None:
            return redirect("/calendar?error=" + quote("予定が見つかりません。"))
        return user, event

    def page_event_move(self: Emulator, req: Request, event_id: str) -> Response:
        found = self._page_event(req, event_id)
        if isinstance(found, Response):
            return found
        _user, event = found
        form = req.form()
        back = f"/calendar?user={quote(event['user_id'])}"
        zone_name = form.get("timezone", "UTC")
        zone = zone_of(zone_name)
        try:
            if zone is None:
                raise ValueError(zone_name)
            start = datetime.fromisoformat(form.get("start_local", "")).replace(tzinfo=zone)
        except ValueError:
            return redirect(back + "&error=" + quote("日時の形式が正しくありません。"))
        self.move_event(event_id, start, time_zone=zone_name)
        return redirect(back + "&done=moved")

    def page_event_delete(self: Emulator, req: Request, event_id: str) -> Response:
        found = self._page_event(req, event_id)
        if isinstance(found, Response):
            return found
        _user, event = found
        self.delete_event(event_id)
        return redirect(f"/calendar?user={quote(event['user_id'])}&done=deleted")

    # ---- Teams join -----------------------------------------------------------------------------------
    def page_join(self: Emulator, req: Request, thread: str) -> Response:
        subject = None
        for event in self.state["events"].values():
            if event.get("thread_id") == thread:
                subject = event["subject"]
        for meeting in self.state["online_meetings"].values():
            if meeting["thread_id"] == thread:
                subject = meeting["subject"] or ""
        if subject is None:
            return message_page(self, 404, "会議に参加できません", "この会議リンクは無効です。")
        return message_page(
            self,
            200,
            "Microsoft Teams 会議に参加",
            f"「{subject}」に参加します（エミュレーターのため実際の通話はありません）。",
        )

    # ---- dashboard ------------------------------------------------------------------------------------
    def page_dashboard(self: Emulator, req: Request) -> Response:
        user = self.session_user(req)
        snap = self.snapshot()
        tenants = "".join(
            f"<tr><td>{escape(t['displayName'])}</td><td><code>{escape(t['id'])}</code></td>"
            f"<td>{'同意済み' if t['consent']['active'] else '未同意'}"
            f"{' (管理者の同意)' if t['consent']['admin_consent'] else ''}</td>"
            f"<td>{t['consent']['live_tokens']['access']} / "
            f"{t['consent']['live_tokens']['refresh']}</td></tr>"
            for t in snap["tenants"]
        )
        outbox = kit.outbox_rows(snap["notifications"], lambda n: f"<td><code>{escape(n['url'])}</code></td>")
        counts = kit.request_count_rows(snap["request_counts"], snap["throttled_counts"])
        forms = kit.dashboard_buttons(
            (
                ("/_emulator/notifications/deliver", "保留中の通知を今すぐ配信", "secondary"),
                ("/_emulator/reset", "初期状態に戻す", "danger"),
            )
        )
        body = (
            '<div class="card"><h1>エミュレーターの状態</h1>'
            f"<p>現在時刻 (エミュレーター): <code>{escape(snap['now'])}</code> ・ 予定 "
            f"{len(snap['events'])} 件 ・ "
            f"オンライン会議 {len(snap['online_meetings'])} 件 ・ 購読 {len(snap['subscriptions'])} 件</p>"
            f'<div class="row">{forms}</div></div>'
            '<div class="card"><h2>テナントと同意</h2><table><tr><th>テナント</th><th>ID</th><th>同意</th>'
            f"<th>有効なトークン (access / refresh)</th></tr>{tenants}</table></div>"
            '<div class="card"><h2>変更通知</h2><table><tr><th>#</th><th>種類</th><th>状態</th><th>試行</th>'
            f"<th>送信先</th></tr>{outbox}</table></div>"
            "<div "
            'class="card"><h2>リクエスト数</h2><table><tr><th>エンドポイント</th><th>回数</th><th>429</th></tr>'
            f"{counts}</table></div>"
        )
        return page(200, "エミュレーター", body, user=user)


__all__ = ["SESSION_COOKIE", "PagesMixin", "consent_page", "message_page", "signin_page"]
