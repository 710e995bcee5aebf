"""REST API v2: users and meetings. Field names and types follow @zoom/rivet's users.d.ts / meetings.d.ts."""

from __future__ import annotations

import base64
import json
import math
import re
import secrets
import string
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo, available_timezones

from emulator_kit.wire import Request, Response, empty, iso_z, token_hash

from .seed import ROLE_NAMES
from .wire import api_error, json_response

if TYPE_CHECKING:
    from .core import Emulator

# Scopes each endpoint accepts: the granular admin scope or the classic one it replaced.
REQUIRED_SCOPES = {
    "list_users": ("user:read:list_users:admin", "user:read:admin"),
    "get_user": ("user:read:user:admin", "user:read:admin"),
    "create_meeting": ("meeting:write:meeting:admin", "meeting:write:admin"),
    "get_meeting": ("meeting:read:meeting:admin", "meeting:read:admin"),
    "update_meeting": ("meeting:update:meeting:admin", "meeting:write:admin"),
    "delete_meeting": ("meeting:delete:meeting:admin", "meeting:write:admin"),
    "list_meetings": ("meeting:read:list_meetings:admin", "meeting:read:admin"),
}
MEETING_TYPES = {1, 2, 3, 8, 10}
LIST_TYPES = ("scheduled", "live", "upcoming", "upcoming_meetings", "previous_meetings")
PASSWORD_RE = re.compile(r"^[A-Za-z0-9@_*\-]{1,10}$")
MeetingShape = Literal["meeting", "list_item", "event"]

# Meeting settings Zoom returns for a new meeting (every key is in MeetingsCreateMeetingResponse.settings).
DEFAULT_SETTINGS: dict[str, Any] = {
    "host_video": False,
    "participant_video": False,
    "cn_meeting": False,
    "in_meeting": False,
    "join_before_host": False,
    "jbh_time": 0,
    "mute_upon_entry": False,
    "watermark": False,
    "use_pmi": False,
    "approval_type": 2,
    "audio": "voip",
    "auto_recording": "none",
    "enforce_login": False,
    "enforce_login_domains": "",
    "alternative_hosts": "",
    "alternative_host_update_polls": False,
    "close_registration": False,
    "show_share_button": False,
    "allow_multiple_devices": False,
    "registrants_confirmation_email": True,
    "waiting_room": False,
    "registrants_email_notification": True,
    "meeting_authentication": False,
    "encryption_type": "enhanced_encryption",
    "approved_or_denied_countries_or_regions": {"enable": False},
    "breakout_room": {"enable": False},
    "alternative_hosts_email_notification": True,
    "device_testing": False,
    "focus_mode": False,
    "meeting_invitees": [],
    "private_meeting": False,
    "email_notification": True,
    "host_save_video_order": False,
    "sign_language_interpretation": {"enable": False},
    "email_in_attendee_report": False,
    "internal_meeting": False,
    "continuous_meeting_chat": {
        "enable": False,
        "auto_add_invited_external_users": False,
        "auto_add_meeting_participants": False,
    },
    "participant_focused_meeting": False,
    "push_change_to_calendar": False,
    "resources": [],
    "auto_start_meeting_summary": False,
    "auto_start_ai_companion_questions": False,
}
SETTING_CHOICES = {
    "approval_type": (0, 1, 2),
    "audio": ("both", "telephony", "voip", "thirdParty"),
    "auto_recording": ("local", "cloud", "none"),
    "jbh_time": (0, 5, 10, 15),
    "encryption_type": ("enhanced_encryption", "e2ee"),
}


@lru_cache(maxsize=1)
def known_timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def parse_start_time(value: Any, tz_name: str) -> float:
    """``...Z`` is UTC; without Z it is wall-clock time in ``tz_name`` (Zoom's reading)."""
    if not isinstance(value, str) or "T" not in value:
        raise ValueError("bad start_time")
    text = value.strip()
    if text[-1:] in ("Z", "z"):
        parsed = datetime.fromisoformat(text[:-1]).replace(tzinfo=UTC)
    else:
        parsed = datetime.fromisoformat(text)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=ZoneInfo(tz_name))
    return parsed.timestamp()


def _random_alnum(length: int) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


class ApiMixin:
    """Handlers for /v2/*. Mixed into Emulator; run under its lock after authentication and rate limits."""

    # ---- authentication -------------------------------------------------------------------------------
    def api_authenticate(self: Emulator, req: Request, endpoint: str) -> dict[str, Any] | Response:
        scheme, _, token = req.headers.get("authorization", "").partition(" ")
        record = self.state["tokens"].get(token_hash(token.strip())) if scheme.lower() == "bearer" else None
        installation = self.installation()
        if (
            record is None
            or record["kind"] != "access"
            or record["revoked"]
            or record["client_id"] != self.config.client_id
            or not installation["installed"]
            or record["generation"] != installation["generation"]
        ):
            return api_error(401, 124, "Invalid access token.")
        if record["expires_at"] <= self.now():
            return api_error(401, 124, "Access token is expired.")
        required = REQUIRED_SCOPES[endpoint]
        if not set(required) & set(record["scopes"]):
            return api_error(
                400, 4711, f"Invalid access token, does not contain scopes:[{', '.join(required)}]."
            )
        return record

    # ---- users ----------------------------------------------------------------------------------------
    def find_user(self: Emulator, ref: str, token: dict[str, Any] | None = None) -> dict[str, Any] | None:
        if ref == "me":
            ref = token["user_id"] if token else ""
        lowered = ref.lower()
        for user in self.state["users"]:
            if user["id"] == ref or user["email"].lower() == lowered:
                return user
        return None

    def user_list_item(self: Emulator, user: dict[str, Any]) -> dict[str, Any]:
        item = {
            "id": user["id"],
            "first_name": user["first_name"],
            "last_name": user["last_name"],
            "display_name": user["display_name"],
            "email": user["email"],
            "type": user["type"],
            "pmi": user["pmi"],
            "timezone": user["timezone"],
            "verified": 0 if user["status"] == "pending" else 1,
            "dept": user["dept"],
            "created_at": iso_z(user["created_at"]),
            "user_created_at": iso_z(user["created_at"]),
            "last_client_version": "6.2.5.45012(mac)",
            "status": user["status"],
            "role_id": user["role_id"],
        }
        if user["last_login_time"]:
            item["last_login_time"] = iso_z(user["last_login_time"])
        return item

    def user_detail(self: Emulator, user: dict[str, Any]) -> dict[str, Any]:
        item = self.user_list_item(user)
        account = self.state["account"]
        item.update(
            {
                "role_name": ROLE_NAMES[user["role_id"]],
                "use_pmi": False,
                "personal_meeting_url": f"{self.config.base_url}/j/{user['pmi']}",
                "pic_url": "",
                "language": user["language"],
                "phone_number": "",
                "account_id": account["id"],
                "account_number": account["account_number"],
                "cluster": "us05",
                "jid": f"{user['id'].lower()}@xmpp.zoom.us",
                "group_ids": [],
                "im_group_ids": [],
                "login_types": [100],
            }
        )
        return item

    def api_list_users(self: Emulator, req: Request, token: dict[str, Any]) -> Response:
        status = req.query.get("status", "active") or "active"
        if status not in ("active", "inactive", "pending"):
            return self._validation_error([{"field": "status", "message": "Invalid field."}])
        users = [u for u in self.state["users"] if u["status"] == status]
        return self._page(
            req, kind="users", key=status, items=users, render=self.user_list_item, numbered=True
        )

    def api_get_user(self: Emulator, req: Request, token: dict[str, Any], user_id: str) -> Response:
        user = self.find_user(user_id, token)
        if user is None:
            return api_error(404, 1001, f"User does not exist: {user_id}.")
        return json_response(200, self.user_detail(user))

    # ---- meetings -------------------------------------------------------------------------------------
    def api_create_meeting(self: Emulator, req: Request, token: dict[str, Any], user_id: str) -> Response:
        host = self.find_user(user_id, token)
        # A pending or deactivated user cannot host: answered like an unknown user (404/1001).
        if host is None or host["status"] != "active":
            return api_error(404, 1001, f"User does not exist: {user_id}.")
        accepted = self._meeting_request(req, "create_meeting", host["id"], lambda body: host["timezone"])
        if isinstance(accepted, Response):
            return accepted
        fields, limit = accepted
        meeting = self._new_meeting(host, fields)
        if self.config.api_change_webhooks:
            self._meeting_event("meeting.created", meeting, operator=self.find_user(token["user_id"]))
        return json_response(201, self.meeting_view(meeting, start_url=True), limit)

    def api_get_meeting(self: Emulator, req: Request, token: dict[str, Any], meeting_id: str) -> Response:
        meeting = self.state["meetings"].get(meeting_id)
        if meeting is None:
            return api_error(404, 3001, f"Meeting does not exist: {meeting_id}.")
        return json_response(200, self.meeting_view(meeting, start_url=True))

    def api_update_meeting(self: Emulator, req: Request, token: dict[str, Any], meeting_id: str) -> Response:
        meeting = self.state["meetings"].get(meeting_id)
        if meeting is None:
            return api_error(404, 3001, f"Meeting does not exist: {meeting_id}.")
        accepted = self._meeting_request(
            req,
            "update_meeting",
            meeting["host_id"],
            lambda body: body["timezone"] if isinstance(body.get("timezone"), str) else meeting["timezone"],
        )
        if isinstance(accepted, Response):
            return accepted
        fields, limit = accepted
        changed = self.apply_meeting_change(meeting, fields)
        if changed and self.config.api_change_webhooks:
            self._meeting_updated_event(meeting, changed, operator=self.find_user(token["user_id"]))
        return empty(204, limit)

    def api_delete_meeting(self: Emulator, req: Request, token: dict[str, Any], meeting_id: str) -> Response:
        meeting = self.state["meetings"].pop(meeting_id, None)
        if meeting is None:
            return api_error(404, 3001, f"Meeting does not exist: {meeting_id}.")
        if self.config.api_change_webhooks:
            self._meeting_event("meeting.deleted", meeting, operator=self.find_user(token["user_id"]))
        return empty(204)

    def api_list_meetings(self: Emulator, req: Request, token: dict[str, Any], user_id: str) -> Response:
        host = self.find_user(user_id, token)
        if host is None:
            return api_error(404, 1001, f"User does not exist: {user_id}.")
        list_type = req.query.get("type", "scheduled") or "scheduled"
        if list_type not in LIST_TYPES:
            return self._validation_error([{"field": "type", "message": "Invalid field."}])
        now = self.now()
        mine = [m for m in self.state["meetings"].values() if m["host_id"] == host["id"]]
        mine.sort(key=lambda m: (m["start_time"] or m["created_at"], m["id"]))

        def ends(m: dict[str, Any]) -> float:
            return (m["start_time"] or m["created_at"]) + m["duration"] * 60

        if list_type == "scheduled":
            chosen = [m for m in mine if m["type"] in (2, 3, 8)]
        elif list_type in ("upcoming", "upcoming_meetings"):
            chosen = [m for m in mine if ends(m) >= now]
        elif list_type == "previous_meetings":
            chosen = [m for m in mine if ends(m) < now]
        else:  # live: nothing is ever running in the emulator
            chosen = [m for m in mine if m["status"] == "started"]
        return self._page(
            req,
            kind="meetings",
            key=f"{host['id']}|{list_type}",
            items=chosen,
            render=lambda m: self.meeting_view(m, shape="list_item"),
            numbered=False,
        )

    # ---- meeting model --------------------------------------------------------------------------------
    def _new_meeting(self: Emulator, host: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
        now = self.now()
        meeting_id = self._new_meeting_id()
        password = fields.get("password") or _random_alnum(6)
        meeting_type = fields.get("type", 2)
        start = fields.get("start_time")
        if start is None and meeting_type in (2, 8):
            start = float(int(now))
        settings = dict(DEFAULT_SETTINGS)
        settings.update(fields.get("settings", {}))
        meeting = {
            "id": meeting_id,
            "uuid": base64.b64encode(secrets.token_bytes(16)).decode(),
            "host_id": host["id"],
            "topic": fields.get("topic", "Zoom meeting"),
            "type": meeting_type,
            "status": "waiting",
            "start_time": start if meeting_type != 1 else None,
            "duration": fields.get("duration", 60),
            "timezone": fields.get("timezone") or host["timezone"],
            "agenda": fields.get("agenda", ""),
            "created_at": float(int(now)),
            "password": password,
            "h323_password": "".join(secrets.choice(string.digits) for _ in range(6)),
            "pstn_password": "".join(secrets.choice(string.digits) for _ in range(6)),
            "encrypted_password": _random_alnum(32) + ".1",
            "settings": settings,
            "pre_schedule": bool(fields.get("pre_schedule", False)),
            "creation_source": "open_api",
        }
        self.state["meetings"][str(meeting_id)] = meeting
        return meeting

    def _new_meeting_id(self: Emulator) -> int:
        while True:
            # 11 digits: above 2**31, so the product needs a 64-bit column.
            candidate = self.rng.randint(80_000_000_000, 99_999_999_999)
            if str(candidate) not in self.state["meetings"]:
                return candidate

    def apply_meeting_change(
        self: Emulator, meeting: dict[str, Any], fields: dict[str, Any]
    ) -> dict[str, Any]:
        """Apply validated fields; return {field: old value} of what actually changed."""
        changed: dict[str, Any] = {}
        for key, value in fields.items():
            if key == "settings":
                merged = {**meeting["settings"], **value}
                if merged != meeting["settings"]:
                    changed["settings"] = dict(meeting["settings"])
                    meeting["settings"] = merged
            elif meeting.get(key) != value:
                changed[key] = meeting.get(key)
                meeting[key] = value
        if "password" in changed:
            meeting["encrypted_password"] = _random_alnum(32) + ".1"
        return changed

    def meeting_view(
        self: Emulator,
        meeting: dict[str, Any],
        *,
        shape: MeetingShape = "meeting",
        start_url: bool = False,
    ) -> dict[str, Any]:
        """The meeting object as Zoom returns it, keys in Zoom's order. ``shape`` picks how much of it:
        "meeting" (POST/GET meeting: MeetingsCreateMeetingResponse / MeetingsGetMeetingResponse),
        "list_item" (an item of MeetingsListMeetingsResponse.meetings) or "event" (payload.object of
        meeting.created / meeting.deleted). ``start_url`` adds one with a fresh ZAK (not to "event")."""
        full = shape == "meeting"
        view: dict[str, Any] = {"uuid": meeting["uuid"], "id": meeting["id"], "host_id": meeting["host_id"]}
        if full:
            view["host_email"] = (self.find_user(meeting["host_id"]) or {}).get("email", "")
        view["topic"] = meeting["topic"]
        view["type"] = meeting["type"]
        if full:
            view["status"] = meeting["status"]
        if meeting["start_time"] is not None:
            view["start_time"] = iso_z(meeting["start_time"])
        view["duration"] = meeting["duration"]
        view["timezone"] = meeting["timezone"]
        if shape == "event":
            return view
        if meeting["agenda"]:
            view["agenda"] = meeting["agenda"]
        view["created_at"] = iso_z(meeting["created_at"])
        if start_url:
            view["start_url"] = f"{self.config.base_url}/s/{meeting['id']}?zak={self._new_zak(meeting)}"
        view["join_url"] = self.join_url(meeting)
        if not full:
            return view
        view["password"] = meeting["password"]
        view["h323_password"] = meeting["h323_password"]
        view["pstn_password"] = meeting["pstn_password"]
        view["encrypted_password"] = meeting["encrypted_password"]
        view["settings"] = json.loads(json.dumps(meeting["settings"]))
        view["pre_schedule"] = meeting["pre_schedule"]
        view["creation_source"] = meeting["creation_source"]
        return view

    def join_url(self: Emulator, meeting: dict[str, Any]) -> str:
        return f"{self.config.base_url}/j/{meeting['id']}?pwd={meeting['encrypted_password']}"

    def _new_zak(self: Emulator, meeting: dict[str, Any]) -> str:
        """A fresh host key (ZAK) for start_url, valid ``zak_lifetime`` seconds (2 hours)."""
        now = self.now()
        zaks = self.state["zaks"]
        for key in [k for k, z in zaks.items() if z["expires_at"] < now]:
            del zaks[key]
        zak = "eyJ" + secrets.token_urlsafe(96)
        zaks[token_hash(zak)] = {
            "meeting_id": meeting["id"],
            "user_id": meeting["host_id"],
            "expires_at": now + self.config.zak_lifetime,
        }
        return zak

    # ---- validation -----------------------------------------------------------------------------------
    def _json_object(self: Emulator, req: Request) -> dict[str, Any] | Response:
        try:
            body = json.loads(req.body or b"null")
        except (ValueError, UnicodeDecodeError):
            body = None
        if not isinstance(body, dict):
            return api_error(400, 300, "Request Body should be a valid JSON object.")
        return body

    def _validation_error(self: Emulator, errors: list[dict[str, str]]) -> Response:
        return api_error(400, 300, "Validation Failed.", errors=errors)

    def _meeting_request(
        self: Emulator,
        req: Request,
        endpoint: str,
        host_id: str,
        tz_default: Callable[[dict[str, Any]], str],
    ) -> tuple[dict[str, Any], dict[str, str]] | Response:
        """The checks of a meeting create / update, in Zoom's order: the host's daily limit, a JSON object
        body, then its fields. Returns (validated fields, rate-limit headers) or the error answer.
        ``tz_default(body)`` is the zone a start_time without Z is read in."""
        limit = self.count_host_daily(endpoint, host_id)
        if isinstance(limit, Response):
            return limit
        body = self._json_object(req)
        if isinstance(body, Response):
            return body
        errors: list[dict[str, str]] = []
        creating = endpoint == "create_meeting"
        fields = self._meeting_fields(body, errors, tz_default=tz_default(body), creating=creating)
        if errors:
            return self._validation_error(errors)
        return fields, limit

    def _meeting_fields(
        self: Emulator, body: dict[str, Any], errors: list[dict[str, str]], *, tz_default: str, creating: bool
    ) -> dict[str, Any]:
        fields: dict[str, Any] = {}

        def fail(field: str, message: str) -> None:
            errors.append({"field": field, "message": message})

        if "topic" in body:
            if not isinstance(body["topic"], str) or len(body["topic"]) > 200:
                fail("topic", "Topic must be a string of at most 200 characters.")
            else:
                fields["topic"] = body["topic"]
        if "agenda" in body:
            if not isinstance(body["agenda"], str) or len(body["agenda"]) > 2000:
                fail("agenda", "Agenda must be a string of at most 2000 characters.")
            else:
                fields["agenda"] = body["agenda"]
        if "type" in body:
            if body["type"] not in MEETING_TYPES or isinstance(body["type"], bool):
                fail("type", "Invalid meeting type.")
            else:
                fields["type"] = body["type"]
        if "duration" in body:
            value = body["duration"]
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                fail("duration", "Duration must be a non-negative integer.")
            else:
                fields["duration"] = value
        tz_name = tz_default
        if "timezone" in body:
            if not isinstance(body["timezone"], str) or body["timezone"] not in known_timezones():
                fail("timezone", "Invalid timezone.")
            else:
                fields["timezone"] = tz_name = body["timezone"]
        if "start_time" in body:
            try:
                fields["start_time"] = float(int(parse_start_time(body["start_time"], tz_name)))
            except (ValueError, TypeError, KeyError):
                fail(
                    "start_time",
                    "Invalid start_time format. Use yyyy-MM-ddTHH:mm:ssZ or yyyy-MM-ddTHH:mm:ss.",
                )
        if "password" in body:
            if not isinstance(body["password"], str) or not PASSWORD_RE.match(body["password"]):
                fail("password", "Passcode may only contain 1-10 characters: a-z A-Z 0-9 @ - _ *.")
            else:
                fields["password"] = body["password"]
        if "pre_schedule" in body and isinstance(body["pre_schedule"], bool):
            fields["pre_schedule"] = body["pre_schedule"]
        if "settings" in body:
            fields["settings"] = self._settings_fields(body["settings"], fail)
        return fields

    def _settings_fields(self: Emulator, settings: Any, fail: Any) -> dict[str, Any]:
        if not isinstance(settings, dict):
            fail("settings", "Settings must be an object.")
            return {}
        accepted: dict[str, Any] = {}
        for key, value in settings.items():
            if key not in DEFAULT_SETTINGS:
                continue  # Zoom ignores settings it does not apply to this kind of meeting
            default = DEFAULT_SETTINGS[key]
            if key in SETTING_CHOICES:
                if value not in SETTING_CHOICES[key] or isinstance(value, bool):
                    fail(f"settings.{key}", "Invalid field.")
                    continue
            elif isinstance(default, bool) and not isinstance(value, bool):
                fail(f"settings.{key}", "Must be a boolean.")
                continue
            elif isinstance(default, str) and not isinstance(value, str):
                fail(f"settings.{key}", "Must be a string.")
                continue
            accepted[key] = value
        return accepted

    # ---- paging ---------------------------------------------------------------------------------------
    def _page(
        self: Emulator,
        req: Request,
        *,
        kind: str,
        key: str,
        items: list[dict[str, Any]],
        render: Callable[[dict[str, Any]], dict[str, Any]],
        numbered: bool,
    ) -> Response:
        """One page of a list answer: the paging fields, then ``kind`` (the list's key) with the page's
        items through ``render``. ``numbered`` puts page_count and page_number first (list users).
        next_page_token paging; tokens expire after ``page_token_lifetime`` (15 minutes)."""
        raw_size = req.query.get("page_size", "30") or "30"
        try:
            page_size = int(raw_size)
        except ValueError:
            return self._validation_error([{"field": "page_size", "message": "Invalid field."}])
        page_size = min(max(page_size, 1), 300)
        now = self.now()
        tokens = self.state["page_tokens"]
        for stale in [k for k, t in tokens.items() if t["expires_at"] < now]:
            del tokens[stale]
        offset = 0
        token = req.query.get("next_page_token", "")
        if token:
            record = tokens.get(token)
            if record is None or record["kind"] != kind or record["key"] != key:
                return api_error(400, 300, "The next page token is invalid or expired.")
            offset = record["offset"]
        total = len(items)
        chosen = items[offset : offset + page_size]
        next_token = ""
        if offset + page_size < total:
            next_token = _random_alnum(32)
            tokens[next_token] = {
                "kind": kind,
                "key": key,
                "offset": offset + page_size,
                "expires_at": now + self.config.page_token_lifetime,
            }
        body: dict[str, Any] = {}
        if numbered:
            body["page_count"] = math.ceil(total / page_size) if total else 0
            body["page_number"] = offset // page_size + 1
        body["page_size"] = page_size
        body["total_records"] = total
        body["next_page_token"] = next_token
        body[kind] = [render(item) for item in chosen]
        return json_response(200, body)
