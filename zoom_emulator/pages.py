"""Zoom-like pages: sign-in, consent, App Marketplace (Manage → Added Apps → Remove), meetings, users,
join/start links and the emulator dashboard. Plain HTML with one inline stylesheet; no JavaScript."""

from __future__ import annotations

import hmac
from datetime import datetime
from html import escape
from typing import TYPE_CHECKING, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from emulator_kit import pages as kit
from emulator_kit.wire import Request, Response, html_response, iso_z, redirect, token_hash

if TYPE_CHECKING:
    from .core import Emulator

SESSION_COOKIE = "zm_emulator_session"  # not "sessionid": the product on :8000 shares the host's cookies
SCOPE_LABELS = {
    "meeting:write:meeting:admin": "ミーティングの作成",
    "meeting:read:meeting:admin": "ミーティング情報の参照",
    "meeting:update:meeting:admin": "ミーティングの変更",
    "meeting:delete:meeting:admin": "ミーティングの削除",
    "meeting:read:list_meetings:admin": "ユーザーのミーティング一覧の参照",
    "user:read:list_users:admin": "アカウントのユーザー一覧の参照",
    "user:read:user:admin": "ユーザー情報の参照",
}
COMMON_ZONES = (
    "Asia/Tokyo",
    "UTC",
    "America/Los_Angeles",
    "America/New_York",
    "Europe/London",
    "Asia/Singapore",
)

STYLE = """
* { box-sizing: border-box }
body { margin: 0; font-family: -apple-system, "Segoe UI", "Hiragino Sans", "Noto Sans JP", sans-serif;
  color: #232333; background: #f7f7fa }
a { color: #0b5cff }
header { background: #fff; border-bottom: 1px solid #e4e4ed; padding: 0 24px; display: flex;
  align-items: center; gap: 24px; height: 56px }
.logo { font-weight: 800; font-size: 24px; color: #0b5cff; text-decoration: none; letter-spacing: -1px }
nav a { margin-right: 16px; text-decoration: none; color: #39394d }
nav a:hover { color: #0b5cff }
.who { margin-left: auto; font-size: 13px; color: #6e7680; display: flex; gap: 12px; align-items: center }
main { max-width: 1180px; margin: 32px auto; padding: 0 24px }
.nowrap { white-space: nowrap }
.agenda { word-break: break-all; max-width: 260px }
.card { background: #fff; border: 1px solid #e4e4ed; border-radius: 12px; padding: 28px; margin-bottom: 20px }
.narrow { max-width: 460px; margin: 48px auto }
h1 { font-size: 22px; margin: 0 0 16px }
h2 { font-size: 17px; margin: 0 0 12px }
label { display: block; font-size: 13px; margin: 14px 0 6px; color: #39394d }
input, select { width: 100%; padding: 10px 12px; border: 1px solid #babacc; border-radius: 8px;
  font-size: 15px }
.btn { display: inline-block; border: 0; border-radius: 8px; padding: 10px 18px; font-size: 14px;
  cursor: pointer; background: #0b5cff; color: #fff; text-decoration: none }
.btn.secondary { background: #fff; color: #232333; border: 1px solid #babacc }
.btn.danger { background: #e02828 }
.btn.small { padding: 6px 12px; font-size: 13px }
.row { display: flex; gap: 10px; align-items: center; flex-wrap: wrap }
.muted { color: #6e7680; font-size: 13px }
.error { background: #fdecec; color: #a11; padding: 10px 12px; border-radius: 8px; margin-bottom: 12px }
.notice { background: #e8f0ff; color: #0b3d99; padding: 10px 12px; border-radius: 8px; margin-bottom: 16px }
table { width: 100%; border-collapse: collapse; font-size: 14px }
th, td { text-align: left; padding: 10px 8px; border-bottom: 1px solid #eee; vertical-align: top }
th { color: #6e7680; font-weight: 600; font-size: 12px }
ul.scopes { padding-left: 18px; line-height: 1.9 }
.app { display: flex; gap: 16px; align-items: center }
.appicon { width: 48px; height: 48px; border-radius: 12px; background: #0b5cff; color: #fff; display: flex;
  align-items: center; justify-content: center; font-weight: 700; flex: none }
.tabs a { margin-right: 18px }
.tabs a.on { font-weight: 700; text-decoration: none; color: #232333 }
.inline { display: inline }
.grow { flex: 1 }
code { font-size: 12px; background: #f0f0f5; padding: 1px 4px; border-radius: 4px }
form.move { display: flex; gap: 6px; align-items: center; flex-wrap: wrap; margin-bottom: 6px }
form.move input, form.move select { width: auto; padding: 6px }
"""


def layout(emu: Emulator, title: str, body: str, *, user: dict[str, Any] | None = None) -> str:
    header = (
        '<a class="logo" href="/">zoom</a><nav><a href="/marketplace">App Marketplace</a>'
        '<a href="/meeting">ミーティング</a><a href="/account/user">ユーザー管理</a>'
        '<a href="/_emulator">エミュレーター</a></nav>'
    )
    who = kit.signed_in_as(user["display_name"], user["email"]) if user else ""
    return kit.document(vendor="Zoom", title=title, style=STYLE, header=header, who=who, body=body)


def page(
    emu: Emulator, status: int, title: str, body: str, *, user: dict[str, Any] | None = None
) -> Response:
    return html_response(status, layout(emu, title, body, user=user))


def message_page(
    emu: Emulator, status: int, title: str, message: str, *, user: dict[str, Any] | None = None
) -> Response:
    return page(emu, status, title, kit.message_card(title, message), user=user)


def signin_page(emu: Emulator, *, next_url: str, error: str = "", email: str = "") -> Response:
    footnote = f"エミュレーターの管理者: <code>{escape(emu.admin_email)}</code>"
    body = kit.signin_card(
        next_url=next_url, error=error, email=email, email_label="メールアドレス", footnote=footnote
    )
    return page(emu, 200, "サインイン", body)


def consent_page(
    emu: Emulator, *, user: dict[str, Any], params: dict[str, str | None], csrf: str | None
) -> Response:
    hidden = kit.hidden_inputs(params)
    scopes = "".join(
        f'<li>{escape(SCOPE_LABELS.get(s, s))} <span class="muted">{escape(s)}</span></li>'
        for s in emu.config.scopes
    )
    account = emu.state["account"]
    body = (
        '<div class="card narrow"><div class="app"><div class="appicon">e2</div><div>'
        f"<h1>{escape(emu.config.app_name)} がアカウントへのアクセスを求めています</h1>"
        f'<div class="muted">{escape(account["name"])} ({escape(account["id"])})'
        " ・ 管理者が管理するアプリ</div>"
        "</div></div>"
        f"<p>{escape(emu.config.app_name)} は次のことを行えるようになります:</p>"
        f'<ul class="scopes">{scopes}</ul>'
        '<form method="post" action="/oauth/authorize" class="row">'
        f'{hidden}<input type="hidden" name="csrf" value="{escape(csrf or "")}">'
        f"{kit.decision_buttons('許可 (Allow)', '拒否 (Decline)')}"
        "</form></div>"
    )
    return page(emu, 200, "アプリの許可", body, user=user)


def fmt_local(ts: float | None, tz_name: str) -> str:
    if ts is None:
        return "—"
    local = datetime.fromtimestamp(ts, tz=ZoneInfo(tz_name))
    return local.strftime("%Y-%m-%d %H:%M")


class PagesMixin(kit.SessionPages):
    """Page handlers. Mixed into Emulator; run under its lock."""

    SESSION_COOKIE = SESSION_COOKIE

    def user_can_sign_in(self, user: dict[str, Any]) -> bool:
        return bool(user["status"] == "active")

    # ---- sign-in --------------------------------------------------------------------------------------
    def page_signin(self: Emulator, req: Request) -> Response:
        return signin_page(self, next_url=kit.safe_next(req.query.get("next")))

    def page_signin_post(self: Emulator, req: Request) -> Response:
        next_url, email, user = self.signin_attempt(req)
        if user is None:
            return signin_page(
                self,
                next_url=next_url,
                email=email,
                error="メールアドレスまたはパスワードが正しくありません。",
            )
        if user["status"] == "pending":
            return signin_page(
                self, next_url=next_url, email=email, error="このアカウントはまだ有効化されていません。"
            )
        if user["status"] != "active":
            return signin_page(
                self, next_url=next_url, email=email, error="このアカウントは無効化されています。"
            )
        return self.start_session(user, next_url)

    # ---- home -----------------------------------------------------------------------------------------
    def page_home(self: Emulator, req: Request) -> Response:
        user = self.session_user(req)
        account = self.state["account"]
        body = (
            '<div class="card"><h1>Zoom エミュレーター</h1>'
            f'<p>{escape(account["name"])} <span class="muted">account_id {escape(account["id"])} ・ '
            f"{escape(self.config.plan.capitalize())} プラン</span></p>"
            f"<p>管理者: <code>{escape(self.admin_email)}</code> / パスワード <code>zoom-pass</code></p>"
            '<div class="row"><a class="btn" href="/marketplace">App Marketplace</a>'
            '<a class="btn secondary" href="/meeting">ミーティング</a>'
            '<a class="btn secondary" href="/account/user">ユーザー管理</a>'
            '<a class="btn secondary" href="/_emulator">エミュレーターの状態</a></div></div>'
        )
        return page(self, 200, "ホーム", body, user=user)

    # ---- Marketplace ----------------------------------------------------------------------------------
    def page_marketplace(self: Emulator, req: Request) -> Response:
        user = self.session_user(req)
        body = (
            '<div class="card"><div class="row"><h1 class="grow">App Marketplace</h1>'
            '<a class="btn" href="/marketplace/manage">Manage</a></div>'
            '<p class="muted">アカウントに追加したアプリの確認と削除は'
            "「Manage」→「Added Apps」から行います。</p></div>"
        )
        return page(self, 200, "App Marketplace", body, user=user)

    def page_manage(self: Emulator, req: Request) -> Response:
        return redirect("/marketplace/manage/added-apps")

    def page_added_apps(self: Emulator, req: Request) -> Response:
        user = self._require_user(req, "/marketplace/manage/added-apps")
        if isinstance(user, Response):
            return user
        installation = self.installation()
        notice = '<div class="notice">アプリを削除しました。</div>' if req.query.get("removed") else ""
        if installation["installed"] and user["role_id"] in ("0", "1"):
            installed_by = self.find_user(installation.get("installed_by") or "") or {}
            apps = (
                "<table><tr><th>アプリ</th><th>追加した人</th><th>追加日時 (UTC)</th><th></th></tr><tr>"
                '<td><div class="app"><div class="appicon">e2</div>'
                f"<strong>{escape(self.config.app_name)}</strong></div></td>"
                f"<td>{escape(installed_by.get('email', ''))}</td>"
                f"<td>{escape(iso_z(installation['installed_at']))}</td>"
                '<td><a class="btn danger small" '
                f'href="/marketplace/manage/added-apps/remove?app={quote(self.config.client_id)}">Remove</a></td>'
                "</tr></table>"
            )
        else:
            apps = '<p class="muted">追加済みのアプリはありません。</p>'
        body = (
            '<div class="card"><h1>Manage</h1><div class="tabs">'
            '<a class="on" href="/marketplace/manage/added-apps">Added Apps</a>'
            f'</div></div>{notice}<div class="card"><h2>Added Apps</h2>{apps}</div>'
        )
        return page(self, 200, "Added Apps", body, user=user)

    def page_remove_confirm(self: Emulator, req: Request) -> Response:
        user = self._require_user(req, "/marketplace/manage/added-apps")
        if isinstance(user, Response):
            return user
        body = (
            f'<div class="card narrow"><h1>{escape(self.config.app_name)} を削除しますか?</h1>'
            "<p>アプリを削除すると、このアプリがアカウントにアクセスできなくなります。アプリの提供元に通知が送られます。</p>"
            '<form method="post" action="/marketplace/manage/added-apps/remove" class="row">'
            f'<input type="hidden" name="csrf" value="{escape(self.session_csrf(req) or "")}">'
            f'<input type="hidden" name="app" value="{escape(self.config.client_id)}">'
            '<button class="btn danger" type="submit">Remove</button>'
            '<a class="btn secondary" href="/marketplace/manage/added-apps">キャンセル</a></form></div>'
        )
        return page(self, 200, "アプリの削除", body, user=user)

    def page_remove(self: Emulator, req: Request) -> Response:
        user = self._require_user(req, "/marketplace/manage/added-apps")
        if isinstance(user, Response):
            return user
        if not self._csrf_ok(req) or user["role_id"] not in ("0", "1"):
            return message_page(
                self, 403, "操作できません", "アカウント管理者としてサインインし直してください。", user=user
            )
        self.uninstall(reason="marketplace")
        return redirect("/marketplace/manage/added-apps?removed=1")

    # ---- meetings -------------------------------------------------------------------------------------
    def page_meetings(self: Emulator, req: Request) -> Response:
        user = self._require_user(req, "/meeting")
        if isinstance(user, Response):
            return user
        notices = {"deleted": "ミーティングを削除しました。", "moved": "ミーティングの日時を変更しました。"}
        notice = notices.get(req.query.get("done", ""), "")
        error = req.query.get("error", "")
        rows = []
        meetings = sorted(self.state["meetings"].values(), key=lambda m: (m["start_time"] or 0, m["id"]))
        csrf = escape(self.session_csrf(req) or "")
        for m in meetings:
            host = self.find_user(m["host_id"]) or {"email": m["host_id"]}
            zone_options = "".join(
                f"<option{' selected' if z == m['timezone'] else ''}>{escape(z)}</option>"
                for z in dict.fromkeys((m["timezone"], *COMMON_ZONES))
            )
            local_value = ""
            utc_label = iso_z(m["start_time"]) if m["start_time"] is not None else ""
            if m["start_time"] is not None:
                local_value = datetime.fromtimestamp(m["start_time"], tz=ZoneInfo(m["timezone"])).strftime(
                    "%Y-%m-%dT%H:%M"
                )
            rows.append(
                "<tr>"
                f'<td class="nowrap"><code>{m["id"]}</code></td><td>{escape(m["topic"])}'
                f'<div class="muted agenda">{escape(m["agenda"][:80])}</div></td>'
                f"<td>{escape(host.get('display_name', ''))}"
                f'<div class="muted">{escape(host["email"])}</div></td>'
                f'<td class="nowrap">{escape(fmt_local(m["start_time"], m["timezone"]))} '
                f'<span class="muted">{escape(m["timezone"])}</span>'
                f'<div class="muted">{escape(utc_label)}</div></td>'
                f'<td class="nowrap">{m["duration"]}分</td><td>'
                f'<form method="post" action="/meeting/{m["id"]}/move" class="move">'
                f'<input type="hidden" name="csrf" value="{csrf}">'
                f'<input type="datetime-local" name="start_local" value="{local_value}" required>'
                f'<select name="timezone">{zone_options}</select>'
                '<button class="btn secondary small" type="submit">時間を変更</button></form>'
                f'<form method="post" action="/meeting/{m["id"]}/delete" class="inline">'
                f'<input type="hidden" name="csrf" value="{csrf}">'
                '<button class="btn danger small" type="submit">削除</button></form>'
                "</td></tr>"
            )
        table = (
            "<table><tr><th>ミーティングID</th><th>トピック / 議題</th><th>ホスト</th>"
            "<th>開始</th><th>時間</th><th></th></tr>" + "".join(rows) + "</table>"
            if rows
            else '<p class="muted">予定されたミーティングはありません。</p>'
        )
        body = (
            (f'<div class="notice">{escape(notice)}</div>' if notice else "")
            + (f'<div class="error">{escape(error)}</div>' if error else "")
            + '<div class="card"><h1>ミーティング</h1><p class="muted">'
            "アカウントの全ミーティング。ここでの削除・変更は"
            "連携アプリの知らないところで行われ、meeting.deleted / meeting.updated が送られます。</p>"
            f"{table}</div>"
        )
        return page(self, 200, "ミーティング", body, user=user)

    def page_meeting_delete(self: Emulator, req: Request, meeting_id: str) -> Response:
        user = self._require_user(req, "/meeting")
        if isinstance(user, Response):
            return user
        if not self._csrf_ok(req):
            return message_page(self, 403, "操作できません", "もう一度お試しください。", user=user)
        if meeting_id not in self.state["meetings"]:
            return redirect("/meeting?error=" + quote("ミーティングが見つかりません。"))
        self.delete_meeting(meeting_id, operator_id=user["id"])
        return redirect("/meeting?done=deleted")

    def page_meeting_move(self: Emulator, req: Request, meeting_id: str) -> Response:
        user = self._require_user(req, "/meeting")
        if isinstance(user, Response):
            return user
        if not self._csrf_ok(req):
            return message_page(self, 403, "操作できません", "もう一度お試しください。", user=user)
        form = req.form()
        try:
            tz = ZoneInfo(form.get("timezone", "UTC"))
            start = datetime.fromisoformat(form.get("start_local", "")).replace(tzinfo=tz)
        except (ValueError, KeyError):
            return redirect("/meeting?error=" + quote("日時の形式が正しくありません。"))
        if meeting_id not in self.state["meetings"]:
            return redirect("/meeting?error=" + quote("ミーティングが見つかりません。"))
        self.move_meeting(meeting_id, start, timezone=form.get("timezone"), operator_id=user["id"])
        return redirect("/meeting?done=moved")

    # ---- users ----------------------------------------------------------------------------------------
    def page_users(self: Emulator, req: Request) -> Response:
        user = self._require_user(req, "/account/user")
        if isinstance(user, Response):
            return user
        csrf = escape(self.session_csrf(req) or "")
        type_labels = {1: "Basic", 2: "Licensed", 4: "Unassigned", 99: "None"}
        status_labels = {"active": "有効", "pending": "招待中", "inactive": "無効"}
        rows = []
        for u in self.state["users"]:
            action = ""
            if u["status"] in ("active", "inactive") and u["role_id"] != "0":
                target = "inactive" if u["status"] == "active" else "active"
                label = "無効化" if target == "inactive" else "有効化"
                action = (
                    f'<form method="post" action="/account/user/{escape(u["id"])}/status" class="inline">'
                    f'<input type="hidden" name="csrf" value="{csrf}">'
                    f'<input type="hidden" name="status" value="{target}">'
                    f'<button class="btn secondary small" type="submit">{label}</button></form>'
                )
            rows.append(
                f"<tr><td>{escape(u['display_name'])}</td><td>{escape(u['email'])}</td>"
                f"<td>{type_labels.get(u['type'], u['type'])}</td>"
                f"<td>{status_labels.get(u['status'], u['status'])}</td>"
                f"<td><code>{escape(u['id'])}</code></td><td>{action}</td></tr>"
            )
        body = (
            '<div class="card"><h1>ユーザー管理</h1><table><tr><th>名前</th><th>メール</th>'
            "<th>種別</th><th>状態</th>"
            "<th>ユーザーID</th><th></th></tr>" + "".join(rows) + "</table></div>"
        )
        return page(self, 200, "ユーザー管理", body, user=user)

    def page_user_status(self: Emulator, req: Request, user_id: str) -> Response:
        user = self._require_user(req, "/account/user")
        if isinstance(user, Response):
            return user
        if not self._csrf_ok(req) or user["role_id"] not in ("0", "1"):
            return message_page(
                self, 403, "操作できません", "アカウント管理者のみが変更できます。", user=user
            )
        try:
            self.set_user_status(user_id, req.form().get("status", ""))
        except (LookupError, ValueError) as exc:
            return message_page(self, 400, "変更できません", str(exc), user=user)
        return redirect("/account/user")

    # ---- join / start links ---------------------------------------------------------------------------
    def page_join(self: Emulator, req: Request, meeting_id: str) -> Response:
        meeting = self.state["meetings"].get(meeting_id)
        if meeting is None:
            return message_page(self, 404, "ミーティングに参加できません", "このミーティングIDは無効です。")
        if not hmac.compare_digest(req.query.get("pwd", ""), meeting["encrypted_password"]):
            return message_page(self, 403, "パスコードが必要です", "パスコードが正しくありません。")
        return message_page(
            self,
            200,
            "ミーティングに参加",
            f"「{meeting['topic']}」に参加者として参加します（エミュレーターのため実際の通話はありません）。",
        )

    def page_start(self: Emulator, req: Request, meeting_id: str) -> Response:
        meeting = self.state["meetings"].get(meeting_id)
        if meeting is None:
            return message_page(self, 404, "ミーティングを開始できません", "このミーティングIDは無効です。")
        record = self.state["zaks"].get(token_hash(req.query.get("zak", "")))
        if record is None or record["meeting_id"] != meeting["id"] or record["expires_at"] <= self.now():
            return message_page(
                self,
                403,
                "開始リンクの有効期限が切れています",
                "開始リンク (start_url) は2時間で失効します。もう一度取得してください。",
            )
        return message_page(
            self, 200, "ホストとして開始", f"「{meeting['topic']}」をホストとして開始しました。"
        )

    # ---- dashboard ------------------------------------------------------------------------------------
    def page_dashboard(self: Emulator, req: Request) -> Response:
        user = self.session_user(req)
        snap = self.snapshot()
        inst = snap["installations"][0] if snap["installations"] else None
        status = "追加済み" if inst and inst["installed"] else "未追加"
        validation = {"validated": "検証済み", "failed": "失敗（配信を停止中）"}.get(
            snap["webhook_endpoint"]["status"], snap["webhook_endpoint"]["status"]
        )
        outbox_rows = kit.outbox_rows(snap["webhooks"], lambda w: f"<td>{escape(w['created_at'])}</td>")
        counts = kit.request_count_rows(snap["request_counts"], snap["rate_limited_counts"])
        forms = kit.dashboard_buttons(
            (
                ("/_emulator/webhooks/validate", "URL検証 (endpoint.url_validation) を送信", "secondary"),
                ("/_emulator/webhooks/deliver", "保留中のWebhookを今すぐ配信", "secondary"),
                ("/_emulator/reset", "初期状態に戻す", "danger"),
            )
        )
        body = (
            '<div class="card"><h1>エミュレーターの状態</h1>'
            f"<p>現在時刻 (エミュレーター): <code>{escape(snap['now'])}</code></p>"
            f"<p>アプリ {escape(self.config.app_name)}: {status}"
            f" ・ Webhook送信先: <code>{escape(self.config.webhook_url or '(未設定)')}</code>"
            f" ・ エンドポイント検証: {escape(validation)}</p>"
            f'<div class="row">{forms}</div></div>'
            '<div class="card"><h2>Webhook 配信</h2><table><tr><th>#</th><th>イベント</th>'
            "<th>状態</th><th>試行</th>"
            f"<th>作成</th></tr>{outbox_rows}</table></div>"
            '<div class="card"><h2>API リクエスト数</h2><table><tr><th>エンドポイント</th>'
            "<th>回数</th><th>429</th></tr>"
            f"{counts}</table></div>"
        )
        return page(self, 200, "エミュレーター", body, user=user)
