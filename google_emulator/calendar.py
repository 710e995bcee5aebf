"""Google Calendar API v3 events (https://developers.google.com/calendar/api/v3/reference/events): insert with
a Meet conference and a client-chosen id, get, patch, update, delete, list with paging and sync tokens.

Events live per calendar (one primary calendar per user, named ``primary`` or by the user's address). A
deleted event stays as ``status: "cancelled"``: get answers it, list shows it with ``showDeleted`` or in an
incremental sync, its id cannot be inserted again (409) and a second delete answers 410 ``deleted``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import string
from datetime import date as date_cls
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from emulator_kit.wire import Request, Response, empty

from .wire import api_error, format_offset, json_response, parse_rfc3339, rfc3339_ms, zone

if TYPE_CHECKING:
    from .core import Emulator

EVENT_ID = re.compile(r"^[a-v0-9]{5,1024}$")
BASE32HEX = "0123456789abcdefghijklmnopqrstuv"
MANAGED = (
    "kind",
    "etag",
    "id",
    "htmlLink",
    "created",
    "updated",
    "creator",
    "organizer",
    "iCalUID",
    "sequence",
    "hangoutLink",
    "conferenceData",
)
WRITABLE = (
    "summary",
    "description",
    "location",
    "status",
    "start",
    "end",
    "attendees",
    "reminders",
    "transparency",
    "visibility",
    "colorId",
    "extendedProperties",
    "guestsCanModify",
    "guestsCanInviteOthers",
    "guestsCanSeeOtherGuests",
    "anyoneCanAddSelf",
    "source",
    "eventType",
    "recurrence",
    "attachments",
)
STATUSES = ("confirmed", "tentative", "cancelled")
SYNC_ONLY_WITHOUT = ("timeMin", "timeMax", "orderBy", "q", "iCalUID", "updatedMin")
MEET_SOLUTION = {
    "key": {"type": "hangoutsMeet"},
    "name": "Google Meet",
    "iconUri": "https://fonts.gstatic.com/s/i/productlogos/meet_2020q4/v6/web-512dp/logo_meet_2020q4_color_2x_web_512dp.png",
}
FULL_SYNC = "Sync token is no longer valid, a full sync is required."


class BadRequest(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode()


def _unb64(text: str) -> dict[str, Any] | None:
    try:
        data = json.loads(base64.urlsafe_b64decode(text.encode() + b"=" * (-len(text) % 4)))
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


class CalendarMixin:
    """Handlers for /calendar/v3/calendars/{calendarId}/events. Mixed into Emulator; run under its lock."""

    # ---- calendars ------------------------------------------------------------------------------------
    def calendar_owner(self: Emulator, token: dict[str, Any], calendar_id: str) -> dict[str, Any] | Response:
        """The user whose primary calendar ``calendar_id`` names (``primary`` or their address). Another
        user's calendar answers 404 notFound, as Google does for calendars the caller cannot see."""
        user = self.find_user(token["user_id"])
        if user is not None and (calendar_id == "primary" or calendar_id.lower() == user["email"].lower()):
            return user
        return api_error(404, "notFound", "Not Found")

    def calendar_time_zone(self: Emulator, user: dict[str, Any]) -> str:
        return str(user.get("time_zone") or "UTC")

    def touch(self: Emulator, event: dict[str, Any], *, notify: bool = True) -> None:
        """A change: the next change number of the calendar, updated, a new etag, push notifications."""
        calendar = self.state["calendars"][event["user_id"]]
        calendar["seq"] += 1
        event["seq"] = calendar["seq"]
        event["updated"] = self.now()
        if notify:
            self.notify_calendar(event["user_id"], "exists")

    # ---- the event resource ---------------------------------------------------------------------------
    def event_view(
        self: Emulator, event: dict[str, Any], *, time_zone: str | None = None, minimal: bool = False
    ) -> dict[str, Any]:
        owner = self.find_user(event["user_id"]) or {"email": "", "time_zone": "UTC"}
        etag = f'"{int(event["updated"] * 1000)}{event["seq"]:06d}"'
        if minimal:
            return {"kind": "calendar#event", "etag": etag, "id": event["id"], "status": "cancelled"}
        fields = event["fields"]
        view: dict[str, Any] = {
            "kind": "calendar#event",
            "etag": etag,
            "id": event["id"],
            "status": fields.get("status", "confirmed"),
            "htmlLink": "https://www.google.com/calendar/event?eid="
            + base64.urlsafe_b64encode(f"{event['id']} {owner['email']}".encode()).decode().rstrip("="),
            "created": rfc3339_ms(event["created"]),
            "updated": rfc3339_ms(event["updated"]),
        }
        for key in ("summary", "description", "location", "colorId"):
            if key in fields:
                view[key] = fields[key]
        view["creator"] = {"email": owner["email"], "self": True}
        view["organizer"] = {"email": owner["email"], "self": True}
        default_zone = time_zone or self.calendar_time_zone(owner)
        for key in ("start", "end"):
            raw = fields[key]
            if "date" in raw:
                view[key] = {"date": raw["date"]}
            else:
                shown = time_zone or raw.get("timeZone") or default_zone
                view[key] = {"dateTime": format_offset(event[f"{key}_ts"], shown)}
                if raw.get("timeZone"):
                    view[key]["timeZone"] = raw["timeZone"]
        for key in ("recurrence", "transparency", "visibility"):
            if key in fields:
                view[key] = fields[key]
        view["iCalUID"] = f"{event['id']}@google.com"
        view["sequence"] = event["sequence"]
        if "attendees" in fields:
            view["attendees"] = fields["attendees"]
        for key in (
            "extendedProperties",
            "guestsCanModify",
            "guestsCanInviteOthers",
            "guestsCanSeeOtherGuests",
            "anyoneCanAddSelf",
            "source",
            "attachments",
        ):
            if key in fields:
                view[key] = fields[key]
        conference = event.get("conference")
        if conference:
            uri = f"{self.config.meet_url}/{conference['code']}"
            view["hangoutLink"] = uri
            data: dict[str, Any] = {}
            if conference.get("request_id"):
                data["createRequest"] = {
                    "requestId": conference["request_id"],
                    "conferenceSolutionKey": {"type": "hangoutsMeet"},
                    "status": {"statusCode": "success"},
                }
            data["entryPoints"] = [
                {
                    "entryPointType": "video",
                    "uri": uri,
                    "label": uri.split("://", 1)[-1],
                },
                {
                    "entryPointType": "phone",
                    "uri": f"tel:+81-3-4540-{conference['pin'][:4]}",
                    "label": f"+81 3-4540-{conference['pin'][:4]}",
                    "pin": conference["pin"],
                    "regionCode": "JP",
                },
            ]
            data["conferenceSolution"] = MEET_SOLUTION
            data["conferenceId"] = conference["code"]
            view["conferenceData"] = data
        view["reminders"] = fields.get("reminders", {"useDefault": True})
        view["eventType"] = fields.get("eventType", "default")
        return view

    def _times(self: Emulator, fields: dict[str, Any], owner: dict[str, Any]) -> tuple[float, float]:
        """(start, end) Unix seconds of the written start/end; BadRequest as Google words it."""
        start, end = fields.get("start"), fields.get("end")
        if not isinstance(start, dict) or not (start.get("dateTime") or start.get("date")):
            raise BadRequest("required", "Missing start time.")
        if not isinstance(end, dict) or not (end.get("dateTime") or end.get("date")):
            raise BadRequest("required", "Missing end time.")
        if ("date" in start) != ("date" in end):
            raise BadRequest("invalid", "Start and end times must either both be date or both be dateTime.")
        start_ts = self._instant(start, owner, "start")
        end_ts = self._instant(end, owner, "end")
        if end_ts < start_ts:
            raise BadRequest("timeRangeEmpty", "The specified time range is empty.")
        return start_ts, end_ts

    def _instant(self: Emulator, when: dict[str, Any], owner: dict[str, Any], which: str) -> float:
        zone_name = when.get("timeZone")
        if zone_name is not None and zone(zone_name) is None:
            raise BadRequest("invalid", f"Invalid time zone definition for {which} time.")
        if when.get("date"):
            try:
                day = date_cls.fromisoformat(str(when["date"]))
            except ValueError as exc:
                raise BadRequest("invalid", f"Invalid {which} time.") from exc
            tz = zone(zone_name or self.calendar_time_zone(owner))
            return datetime(day.year, day.month, day.day, tzinfo=tz).timestamp()
        text = str(when.get("dateTime"))
        try:
            return parse_rfc3339(text)
        except ValueError:
            pass
        if not zone_name:
            raise BadRequest("required", f"Missing time zone definition for {which} time.")
        try:
            naive = datetime.fromisoformat(text)
        except ValueError as exc:
            raise BadRequest("invalid", f"Invalid {which} time.") from exc
        return naive.replace(tzinfo=zone(zone_name)).timestamp()

    def _writable(self: Emulator, body: dict[str, Any]) -> dict[str, Any]:
        fields = {k: body[k] for k in WRITABLE if k in body and body[k] is not None}
        for key in ("start", "end"):
            if key in fields and isinstance(fields[key], dict):
                fields[key] = {k: v for k, v in fields[key].items() if k in ("date", "dateTime", "timeZone")}
        if "status" in fields and fields["status"] not in STATUSES:
            raise BadRequest("invalid", "Invalid value for: status")
        if "attendees" in fields:
            if not isinstance(fields["attendees"], list):
                raise BadRequest("invalid", "Invalid attendees.")
            fields["attendees"] = [
                {**a, "responseStatus": a.get("responseStatus", "needsAction")}
                for a in fields["attendees"]
                if isinstance(a, dict)
            ]
            for attendee in fields["attendees"]:
                if not attendee.get("email"):
                    raise BadRequest("required", "Missing attendee email.")
        return fields

    def _conference(
        self: Emulator, req: Request, body: dict[str, Any], current: dict[str, Any] | None, *, replace: bool
    ) -> dict[str, Any] | None:
        """The event's conference after a write: with conferenceDataVersion=1 a createRequest makes a Meet
        (the same requestId keeps the one made), ``null`` (or, on update, no conferenceData) removes it;
        without it conferenceData in the body is ignored, as Google does."""
        if req.query.get("conferenceDataVersion") != "1":
            return current
        if "conferenceData" not in body:
            return None if replace else current
        data = body["conferenceData"]
        if data is None:
            return None
        if not isinstance(data, dict):
            raise BadRequest("invalid", "Invalid conference data.")
        create = data.get("createRequest")
        if isinstance(create, dict):
            request_id = create.get("requestId")
            if not request_id or not isinstance(request_id, str):
                raise BadRequest("invalid", "Invalid conference create request.")
            kind = (create.get("conferenceSolutionKey") or {}).get("type")
            if kind != "hangoutsMeet":
                raise BadRequest("invalid", "Invalid conference type value.")
            if current and current.get("request_id") == request_id:
                return current
            return {"code": self._meet_code(), "pin": self._pin(), "request_id": request_id}
        if current and data.get("conferenceId") == current["code"]:
            return current
        if data.get("conferenceId") or data.get("entryPoints"):
            raise BadRequest("invalid", "Invalid conference data.")
        return current

    def _meet_code(self: Emulator) -> str:
        letters = string.ascii_lowercase
        while True:
            parts = ["".join(self.rng.choice(letters) for _ in range(n)) for n in (3, 4, 3)]
            code = "-".join(parts)
            if not any(
                (e.get("conference") or {}).get("code") == code
                for events in self.state["events"].values()
                for e in events.values()
            ):
                return code

    def _pin(self: Emulator) -> str:
        return "".join(self.rng.choice(string.digits) for _ in range(13))

    def _new_id(self: Emulator) -> str:
        return "".join(self.rng.choice(BASE32HEX) for _ in range(26))

    def _body(self: Emulator, req: Request) -> dict[str, Any]:
        body = req.json()
        if not isinstance(body, dict):
            raise BadRequest("parseError", "Parse Error")
        return body

    # ---- API ------------------------------------------------------------------------------------------
    def api_insert_event(
        self: Emulator, req: Request, token: dict, owner: dict, calendar_id: str
    ) -> Response:
        try:
            body = self._body(req)
            events = self.state["events"][owner["id"]]
            event_id = body.get("id")
            if event_id is not None:
                if not isinstance(event_id, str) or not EVENT_ID.match(event_id):
                    raise BadRequest("invalid", "Invalid resource id value.")
                if event_id in events:
                    return api_error(409, "duplicate", "The requested identifier already exists.")
            else:
                event_id = self._new_id()
            fields = self._writable(body)
            start, end = self._times(fields, owner)
            conference = self._conference(req, body, None, replace=True)
        except BadRequest as bad:
            return api_error(400, bad.reason, bad.message)
        now = self.now()
        event = {
            "id": event_id,
            "user_id": owner["id"],
            "fields": fields,
            "start_ts": start,
            "end_ts": end,
            "conference": conference,
            "created": now,
            "updated": now,
            "sequence": 0,
            "seq": 0,
            "request": {"sendUpdates": req.query.get("sendUpdates")},
        }
        events[event_id] = event
        self.touch(event, notify=self.config.notify_api_changes)
        return json_response(200, self.event_view(event))

    def _event(self: Emulator, owner: dict[str, Any], event_id: str) -> dict[str, Any] | Response:
        event = self.state["events"][owner["id"]].get(event_id)
        if event is None:
            return api_error(404, "notFound", "Not Found")
        return event

    def api_get_event(
        self: Emulator, req: Request, token: dict, owner: dict, calendar_id: str, event_id: str
    ) -> Response:
        event = self._event(owner, event_id)
        if isinstance(event, Response):
            return event
        return json_response(200, self.event_view(event, time_zone=self._zone_param(req)))

    def api_patch_event(
        self: Emulator, req: Request, token: dict, owner: dict, calendar_id: str, event_id: str
    ) -> Response:
        return self._write_event(req, owner, event_id, replace=False)

    def api_update_event(
        self: Emulator, req: Request, token: dict, owner: dict, calendar_id: str, event_id: str
    ) -> Response:
        return self._write_event(req, owner, event_id, replace=True)

    def _write_event(self: Emulator, req: Request, owner: dict, event_id: str, *, replace: bool) -> Response:
        event = self._event(owner, event_id)
        if isinstance(event, Response):
            return event
        try:
            body = self._body(req)
            if body.get("id") not in (None, event_id):
                raise BadRequest("invalid", "Invalid resource id value.")
            written = self._writable(body)
            if replace:
                fields = written
            else:
                fields = {**event["fields"], **written}
                for key in ("start", "end"):
                    if key in written:
                        merged = {**event["fields"][key], **written[key]}
                        if "dateTime" in written[key]:
                            merged.pop("date", None)
                        if "date" in written[key]:
                            merged.pop("dateTime", None)
                            merged.pop("timeZone", None)
                        fields[key] = merged
            if replace and "status" not in fields and event["fields"].get("status") == "cancelled":
                fields["status"] = "cancelled"
            start, end = self._times(fields, owner)
            conference = self._conference(req, body, event["conference"], replace=replace)
        except BadRequest as bad:
            return api_error(400, bad.reason, bad.message)
        if (start, end) != (event["start_ts"], event["end_ts"]):
            event["sequence"] += 1
        event.update(fields=fields, start_ts=start, end_ts=end, conference=conference)
        self.touch(event, notify=self.config.notify_api_changes)
        return json_response(200, self.event_view(event))

    def api_delete_event(
        self: Emulator, req: Request, token: dict, owner: dict, calendar_id: str, event_id: str
    ) -> Response:
        event = self._event(owner, event_id)
        if isinstance(event, Response):
            return event
        if event["fields"].get("status") == "cancelled":
            return api_error(410, "deleted", "Resource has been deleted")
        event["fields"]["status"] = "cancelled"
        self.touch(event, notify=self.config.notify_api_changes)
        return empty(204)

    # ---- list and sync --------------------------------------------------------------------------------
    def _zone_param(self: Emulator, req: Request) -> str | None:
        name = req.query.get("timeZone")
        return name if name and zone(name) else None

    def sync_token(self: Emulator, user_id: str, seq: int) -> str:
        epoch = self.state["calendars"][user_id]["sync_epoch"]
        return "C" + _b64({"c": user_id, "e": epoch, "s": seq, "t": int(self.now())}).rstrip("=")

    def _sync_point(self: Emulator, token: str, user_id: str) -> int | None:
        """The change number a sync token stands for, or None when it is no longer valid."""
        data = _unb64(token[1:]) if token.startswith("C") else None
        if not data or data.get("c") != user_id or not isinstance(data.get("s"), int):
            return None
        calendar = self.state["calendars"][user_id]
        if data["s"] > calendar["seq"] or data.get("e") != calendar["sync_epoch"]:
            return None
        lifetime = int(self.config.sync_token_lifetime)
        if lifetime and self.now() - float(data.get("t", 0)) > lifetime:
            return None
        return int(data["s"])

    def api_list_events(self: Emulator, req: Request, token: dict, owner: dict, calendar_id: str) -> Response:
        q = req.query
        calendar = self.state["calendars"][owner["id"]]
        try:
            max_results = int(q.get("maxResults") or 250)
        except ValueError:
            return api_error(400, "invalid", "Invalid value for: maxResults")
        if max_results < 1:
            return api_error(
                400, "invalid", f"Invalid value '{max_results}'. Values must be within the range: [1, 2500]"
            )
        max_results = min(max_results, 2500)
        fingerprint = hashlib.sha256(
            json.dumps(
                {
                    k: v
                    for k, v in sorted(q.items())
                    if k not in ("pageToken", "maxResults", "alt", "syncToken", "prettyPrint", "fields")
                }
            ).encode()
        ).hexdigest()[:16]
        offset, snapshot, since = 0, calendar["seq"], None
        sync = q.get("syncToken")
        if q.get("pageToken"):
            # A page token carries the listing it continues (a full list, or an incremental sync from a
            # change number), so the next pages need not repeat syncToken.
            page = _unb64(q["pageToken"])
            if not page or page.get("k") != fingerprint:
                return api_error(400, "invalid", "Invalid page token value.")
            offset, snapshot, since = int(page["o"]), int(page["s"]), page.get("y")
        events = [e for e in self.state["events"][owner["id"]].values() if e["seq"] <= snapshot]
        if sync or since is not None:
            if any(q.get(name) for name in SYNC_ONLY_WITHOUT):
                return api_error(
                    400,
                    "invalid",
                    "The syncToken parameter cannot be combined with timeMin, timeMax, orderBy, q, iCalUID "
                    "or updatedMin.",
                )
            if since is None:
                since = self._sync_point(sync or "", owner["id"])
                if since is None:
                    return api_error(410, "fullSyncRequired", FULL_SYNC)
            chosen = sorted((e for e in events if e["seq"] > since), key=lambda e: e["seq"])
        else:
            try:
                chosen = self._filtered(q, events)
            except BadRequest as bad:
                return api_error(400, bad.reason, bad.message)
        page_items = chosen[offset : offset + max_results]
        time_zone = self._zone_param(req)
        answer: dict[str, Any] = {
            "kind": "calendar#events",
            "etag": f'"{snapshot:012d}"',
            "summary": owner["email"],
            "description": "",
            "updated": rfc3339_ms(max([e["updated"] for e in events], default=self.now())),
            "timeZone": self.calendar_time_zone(owner),
            "accessRole": "owner",
            "defaultReminders": [{"method": "popup", "minutes": 10}],
        }
        if offset + max_results < len(chosen):
            answer["nextPageToken"] = _b64(
                {"o": offset + max_results, "s": snapshot, "k": fingerprint, "y": since}
            )
        else:
            answer["nextSyncToken"] = self.sync_token(owner["id"], snapshot)
        answer["items"] = [
            self.event_view(e, time_zone=time_zone, minimal=e["fields"].get("status") == "cancelled")
            for e in page_items
        ]
        return json_response(200, answer)

    def _filtered(self: Emulator, q: dict[str, str], events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        def instant(name: str) -> float | None:
            if not q.get(name):
                return None
            try:
                return parse_rfc3339(q[name])
            except ValueError as exc:
                raise BadRequest("invalid", "Bad Request") from exc

        time_min, time_max, updated_min = instant("timeMin"), instant("timeMax"), instant("updatedMin")
        if time_min is not None and time_max is not None and time_max <= time_min:
            raise BadRequest("timeRangeEmpty", "The specified time range is empty.")
        order = q.get("orderBy")
        if order not in (None, "", "startTime", "updated"):
            raise BadRequest("invalid", f"Invalid value for: {order} is not a valid value")
        if order == "startTime" and q.get("singleEvents") != "true":
            raise BadRequest(
                "badRequest", "The requested ordering is not available for the particular query."
            )
        show_deleted = q.get("showDeleted") == "true" or updated_min is not None
        text = (q.get("q") or "").lower()
        chosen = []
        for event in events:
            fields = event["fields"]
            if fields.get("status") == "cancelled" and not show_deleted:
                continue
            if time_min is not None and event["end_ts"] <= time_min:
                continue
            if time_max is not None and event["start_ts"] >= time_max:
                continue
            if updated_min is not None and event["updated"] < updated_min:
                continue
            if q.get("iCalUID") and q["iCalUID"] != f"{event['id']}@google.com":
                continue
            if text and not any(
                text in str(fields.get(k, "")).lower() for k in ("summary", "description", "location")
            ):
                continue
            chosen.append(event)
        if order == "updated":
            chosen.sort(key=lambda e: (e["updated"], e["id"]))
        else:
            chosen.sort(key=lambda e: (e["start_ts"], e["id"]))
        return chosen

    # ---- behind the app's back ------------------------------------------------------------------------
    def move(self: Emulator, event: dict[str, Any], start: float, end: float | None = None) -> None:
        """Move an event as if dragged in Google Calendar (keeping its length unless ``end`` is given)."""
        length = event["end_ts"] - event["start_ts"]
        end = start + length if end is None else end
        fields = event["fields"]
        owner = self.find_user(event["user_id"]) or {}
        for key, ts in (("start", start), ("end", end)):
            raw = fields[key]
            if "date" in raw:
                tz = zone(self.calendar_time_zone(owner))
                fields[key] = {"date": datetime.fromtimestamp(ts, tz=tz).date().isoformat()}
            else:
                fields[key] = {
                    "dateTime": format_offset(ts, raw.get("timeZone") or self.calendar_time_zone(owner))
                }
                if raw.get("timeZone"):
                    fields[key]["timeZone"] = raw["timeZone"]
        event["start_ts"], event["end_ts"] = start, end
        event["sequence"] += 1
        self.touch(event)

    def cancel(self: Emulator, event: dict[str, Any]) -> None:
        event["fields"]["status"] = "cancelled"
        self.touch(event)


def resource_uri(api_url: str, calendar_id: str) -> str:
    return f"{api_url}/calendar/v3/calendars/{quote(calendar_id, safe='@')}/events?alt=json"


def plus(ts: float, minutes: int) -> float:
    return ts + timedelta(minutes=minutes).total_seconds()


__all__ = ["BadRequest", "CalendarMixin", "resource_uri"]
