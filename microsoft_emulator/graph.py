"""Microsoft Graph v1.0: users, calendar events (Teams online meetings on events) and onlineMeetings.

Shapes follow the Graph v1.0 reference (user, event, onlineMeeting resources) and the property names of the
msgraph-sdk models; errors are Graph's {"error": {"code", "message", "innerError"}}.
"""

from __future__ import annotations

import base64
import functools
import re
import secrets
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo, available_timezones

from emulator_kit.wire import Request, Response, empty, token_hash

from .wire import graph_error, iso_7z, json_response, parse_iso

if TYPE_CHECKING:
    from .core import Emulator

# Windows time zone names Graph accepts (and answers in) beside IANA names.
WINDOWS_ZONES = {
    "UTC": "UTC",
    "Coordinated Universal Time": "UTC",
    "Tokyo Standard Time": "Asia/Tokyo",
    "Korea Standard Time": "Asia/Seoul",
    "China Standard Time": "Asia/Shanghai",
    "Singapore Standard Time": "Asia/Singapore",
    "India Standard Time": "Asia/Kolkata",
    "GMT Standard Time": "Europe/London",
    "W. Europe Standard Time": "Europe/Berlin",
    "Romance Standard Time": "Europe/Paris",
    "Eastern Standard Time": "America/New_York",
    "Central Standard Time": "America/Chicago",
    "Mountain Standard Time": "America/Denver",
    "Pacific Standard Time": "America/Los_Angeles",
    "AUS Eastern Standard Time": "Australia/Sydney",
}
USER_DEFAULT_FIELDS = (
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
    "id",
)
USER_EXTRA_FIELDS = ("accountEnabled", "userType", "createdDateTime")
EVENT_WRITABLE = {
    "subject",
    "body",
    "start",
    "end",
    "location",
    "locations",
    "attendees",
    "isOnlineMeeting",
    "onlineMeetingProvider",
    "isAllDay",
    "showAs",
    "importance",
    "sensitivity",
    "categories",
    "reminderMinutesBeforeStart",
    "isReminderOn",
    "allowNewTimeProposals",
    "responseRequested",
    "hideAttendees",
    "transactionId",
}
MEETING_WRITABLE = {
    "startDateTime",
    "endDateTime",
    "subject",
    "externalId",
    "participants",
    "lobbyBypassSettings",
    "allowedPresenters",
    "isEntryExitAnnounced",
    "allowMeetingChat",
    "allowTeamworkReactions",
    "allowAttendeeToEnableCamera",
    "allowAttendeeToEnableMic",
    "recordAutomatically",
    "autoAdmittedUsers",
    "chatInfo",
    "joinMeetingIdSettings",
}
USERS_READ = {"User.Read.All", "User.ReadBasic.All", "User.ReadWrite.All", "Directory.Read.All"}
FILTER_CLAUSE = re.compile(
    r"^\s*(?P<prop>[A-Za-z/]+)\s+(?P<op>eq|ne|ge|gt|le|lt)\s+(?P<value>'(?:[^']|'')*'|true|false)\s*$", re.I
)
FILTER_PROPS = {
    "transactionid": "transactionId",
    "subject": "subject",
    "icaluid": "iCalUId",
    "start/datetime": "start",
    "end/datetime": "end",
    "isonlinemeeting": "isOnlineMeeting",
    "iscancelled": "isCancelled",
}


@lru_cache(maxsize=1)
def _iana_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def zone_of(name: Any) -> ZoneInfo | None:
    if not isinstance(name, str):
        return None
    if name in WINDOWS_ZONES:
        return ZoneInfo(WINDOWS_ZONES[name])
    if name in _iana_zones():
        return ZoneInfo(name)
    return None


def format_local(ts: float, zone_name: str) -> str:
    """Graph's dateTimeTimeZone.dateTime: local wall time with 7 fractional digits and no offset."""
    zone = zone_of(zone_name) or ZoneInfo("UTC")
    local = datetime.fromtimestamp(ts, tz=zone)
    return local.strftime("%Y-%m-%dT%H:%M:%S.") + f"{local.microsecond:06d}0"


def parse_date_time_zone(value: Any) -> tuple[float, str]:
    """{"dateTime": "2026-12-01T10:00:00", "timeZone": "Tokyo Standard Time"} → (Unix seconds, zone name)."""
    if not isinstance(value, dict):
        raise ValueError("dateTimeTimeZone must be an object")
    zone_name = value.get("timeZone") or "UTC"
    zone = zone_of(zone_name)
    if zone is None:
        raise LookupError(zone_name)
    text = value.get("dateTime")
    if not isinstance(text, str) or "T" not in text:
        raise ValueError("dateTime missing")
    if text.endswith(("Z", "z")) or re.search(r"[+-]\d\d:\d\d$", text):
        return parse_iso(text), zone_name
    naive = datetime.fromisoformat(_cut(text))
    return naive.replace(tzinfo=zone).timestamp(), zone_name


def _cut(text: str) -> str:
    head, dot, frac = text.partition(".")
    return f"{head}.{frac[:6]}" if dot else head


def _graph_id(prefix: str) -> str:
    """An opaque, long, URL-safe id like Exchange's (AAMkA...=)."""
    return prefix + base64.urlsafe_b64encode(secrets.token_bytes(102)).decode().rstrip("=") + "="


def _owned(access: str, find: str) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """Decorate a handler of /users/{user_id}/...: run the access check named ``access`` (the owner, or the
    error answer), then ``find`` (the item the path names, or the request body; or the error answer), and
    call the handler with (req, user_id, owner, item) only when both succeeded."""

    def decorate(handler: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(handler)
        def resolved(
            self: Emulator, req: Request, token: dict[str, Any], user_id: str, **ids: str
        ) -> Response:
            owner = getattr(self, access)(req, token, user_id)
            if isinstance(owner, Response):
                return owner
            item = getattr(self, find)(req, owner, **ids)
            if isinstance(item, Response):
                return item
            return handler(self, req, user_id, owner, item)

        return resolved

    return decorate


class GraphMixin:
    """Handlers for /v1.0/*. Mixed into Emulator; run under its lock after authentication and throttling."""

    # ---- errors and authentication --------------------------------------------------------------------
    def gerr(self: Emulator, req: Request, status: int, code: str, message: str, **headers: str) -> Response:
        return graph_error(
            status,
            code,
            message,
            now=self.now(),
            client_request_id=req.headers.get("client-request-id"),
            headers=headers,
        )

    def graph_authenticate(self: Emulator, req: Request) -> dict[str, Any] | Response:
        scheme, _, token = req.headers.get("authorization", "").partition(" ")
        challenge = {
            "WWW-Authenticate": 'Bearer realm="", '
            f'authorization_uri="{self.config.login_url}/common/oauth2/authorize", '
            'client_id="00000003-0000-0000-c000-000000000000"'
        }
        if scheme.lower() != "bearer" or not token.strip():
            return self.gerr(req, 401, "InvalidAuthenticationToken", "Access token is empty.", **challenge)
        record = self.state["tokens"].get(token_hash(token.strip()))
        if record is None or record["kind"] != "access" or record["client_id"] != self.config.client_id:
            return self.gerr(
                req, 401, "InvalidAuthenticationToken", "IDX14100: JWT is not well formed.", **challenge
            )
        consent = self.consent(record["tenant_id"])
        if record["revoked"] or not consent["active"] or record["generation"] != consent["generation"]:
            return self.gerr(
                req,
                401,
                "InvalidAuthenticationToken",
                "Continuous access evaluation resulted in challenge with result: InteractionRequired and "
                "code: "
                "TokenIssuedBeforeRevocationTimestamp",
                **challenge,
            )
        if record["expires_at"] <= self.now():
            return self.gerr(
                req,
                401,
                "InvalidAuthenticationToken",
                "Lifetime validation failed, the token is expired.",
                **challenge,
            )
        return record

    def permissions(self: Emulator, token: dict[str, Any]) -> set[str]:
        return set(token["scopes"]) | set(token["roles"])

    def target_user(
        self: Emulator, req: Request, token: dict[str, Any], ref: str, *, mailbox: bool
    ) -> dict[str, Any] | Response:
        """The user a path names (id, userPrincipalName or "me") inside the token's tenant."""
        if ref == "me":
            if token["user_id"] is None:
                return self.gerr(
                    req, 400, "BadRequest", "/me request is only valid with delegated authentication flow."
                )
            ref = token["user_id"]
        user = self.find_user(ref, tenant_id=token["tenant_id"])
        if user is None:
            if mailbox:
                return self.gerr(req, 404, "ErrorInvalidUser", f"The requested user '{ref}' is invalid.")
            return self.gerr(
                req,
                404,
                "Request_ResourceNotFound",
                f"Resource '{ref}' does not exist or one of its queried reference-property objects are "
                "not present.",
            )
        return user

    def _calendar_access(
        self: Emulator, req: Request, token: dict[str, Any], user_ref: str, *, write: bool
    ) -> dict[str, Any] | Response:
        user = self.target_user(req, token, user_ref, mailbox=True)
        if isinstance(user, Response):
            return user
        perms = self.permissions(token)
        wanted = {"Calendars.ReadWrite"} if write else {"Calendars.Read", "Calendars.ReadWrite"}
        if token["user_id"] is not None and token["user_id"] != user["id"]:
            wanted = {f"{p}.Shared" for p in wanted}
        if not perms & wanted:
            return self.gerr(
                req, 403, "ErrorAccessDenied", "Access is denied. Check credentials and try again."
            )
        return user

    def _calendar_reader(
        self: Emulator, req: Request, token: dict[str, Any], user_ref: str
    ) -> dict[str, Any] | Response:
        return self._calendar_access(req, token, user_ref, write=False)

    def _calendar_writer(
        self: Emulator, req: Request, token: dict[str, Any], user_ref: str
    ) -> dict[str, Any] | Response:
        return self._calendar_access(req, token, user_ref, write=True)

    def _meetings_access(
        self: Emulator, req: Request, token: dict[str, Any], user_ref: str
    ) -> dict[str, Any] | Response:
        user = self.target_user(req, token, user_ref, mailbox=False)
        if isinstance(user, Response):
            return user
        perms = self.permissions(token)
        delegated = token["user_id"] is not None
        allowed = (
            "OnlineMeetings.ReadWrite" in perms and token["user_id"] == user["id"]
            if delegated
            else ("OnlineMeetings.ReadWrite.All" in perms)
        )
        if allowed and not delegated and not self.config.application_access_policy:
            return self.gerr(req, 403, "Forbidden", "No application access policy found for this app.")
        if not allowed:
            return self.gerr(
                req, 403, "Forbidden", "Application does not have permission to access this meeting."
            )
        return user

    # ---- users ----------------------------------------------------------------------------------------
    def find_user(self: Emulator, ref: str, *, tenant_id: str | None = None) -> dict[str, Any] | None:
        lowered = ref.lower()
        for user in self.state["users"]:
            if tenant_id is not None and user["tenant_id"] != tenant_id:
                continue
            if user["id"] == lowered or user["userPrincipalName"].lower() == lowered:
                return user
        return None

    def user_view(self: Emulator, user: dict[str, Any], select: list[str] | None = None) -> dict[str, Any]:
        full = {
            "businessPhones": list(user["businessPhones"]),
            "displayName": user["displayName"],
            "givenName": user["givenName"],
            "jobTitle": user["jobTitle"],
            "mail": user["mail"],
            "mobilePhone": user["mobilePhone"],
            "officeLocation": user["officeLocation"],
            "preferredLanguage": user["preferredLanguage"],
            "surname": user["surname"],
            "userPrincipalName": user["userPrincipalName"],
            "id": user["id"],
            "accountEnabled": user["accountEnabled"],
            "userType": "Member",
            "createdDateTime": "2025-01-01T00:00:00Z",
        }
        keys = select or list(USER_DEFAULT_FIELDS)
        return {k: full[k] for k in keys}

    def _insufficient_privileges(self: Emulator, req: Request) -> Response:
        return self.gerr(
            req, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."
        )

    def _end_before_start(self: Emulator, req: Request) -> Response:
        return self.gerr(
            req,
            400,
            "ErrorInvalidRequest",
            "Your request can't be completed. The end time must be after the start time.",
        )

    def _select(
        self: Emulator, req: Request, allowed: tuple[str, ...], type_name: str
    ) -> list[str] | Response:
        raw = req.query.get("$select", "")
        names = [n.strip() for n in raw.split(",") if n.strip()]
        for name in names:
            if name not in allowed:
                return self.gerr(
                    req,
                    400,
                    "Request_BadRequest" if type_name == "user" else "RequestBroker--ParseUri",
                    f"Could not find a property named '{name}' on type 'microsoft.graph.{type_name}'.",
                )
        return names

    def api_list_users(self: Emulator, req: Request, token: dict[str, Any]) -> Response:
        if not self.permissions(token) & USERS_READ:
            return self._insufficient_privileges(req)
        select = self._select(req, USER_DEFAULT_FIELDS + USER_EXTRA_FIELDS, "user")
        if isinstance(select, Response):
            return select
        try:
            top = int(req.query.get("$top", "100"))
        except ValueError:
            return self.gerr(req, 400, "Request_BadRequest", "Invalid value specified for 'top'.")
        if not 1 <= top <= 999:
            return self.gerr(
                req,
                400,
                "Request_UnsupportedQuery",
                f"Invalid page size specified: '{top}'. Must be between 1 and 999 inclusive.",
            )
        users = [u for u in self.state["users"] if u["tenant_id"] == token["tenant_id"]]
        offset = 0
        skiptoken = req.query.get("$skiptoken")
        if skiptoken:
            record = self.state["page_tokens"].get(skiptoken)
            if record is None or record["tenant_id"] != token["tenant_id"]:
                return self.gerr(
                    req,
                    400,
                    "Directory_ExpiredPageToken",
                    "The specified page token value has expired and can no longer be included in your "
                    "request.",
                )
            offset = record["offset"]
        chosen = users[offset : offset + top]
        context = "users" + (f"({','.join(select)})" if select else "")
        body: dict[str, Any] = {"@odata.context": f"{self.config.graph_url}/v1.0/$metadata#{context}"}
        if offset + top < len(users):
            next_token = "RFNwdAIAAQAAA" + secrets.token_urlsafe(24)
            self.state["page_tokens"][next_token] = {"tenant_id": token["tenant_id"], "offset": offset + top}
            params = {"$top": str(top), "$skiptoken": next_token}
            if select:
                params["$select"] = ",".join(select)
            body["@odata.nextLink"] = f"{self.config.graph_url}/v1.0/users?{urlencode(params, safe='$,')}"
        body["value"] = [self.user_view(u, select or None) for u in chosen]
        return json_response(200, body)

    def api_get_user(self: Emulator, req: Request, token: dict[str, Any], user_id: str) -> Response:
        user = self.target_user(req, token, user_id, mailbox=False)
        if isinstance(user, Response):
            return user
        perms = self.permissions(token)
        if not perms & USERS_READ and not ("User.Read" in perms and token["user_id"] == user["id"]):
            return self._insufficient_privileges(req)
        select = self._select(req, USER_DEFAULT_FIELDS + USER_EXTRA_FIELDS, "user")
        if isinstance(select, Response):
            return select
        context = f"{self.config.graph_url}/v1.0/$metadata#users/$entity"
        return json_response(200, {"@odata.context": context, **self.user_view(user, select or None)})

    # ---- events ---------------------------------------------------------------------------------------
    def _prefer_zone(self: Emulator, req: Request) -> str | None:
        found = re.search(r'outlook\.timezone\s*=\s*"([^"]+)"', req.headers.get("prefer", ""))
        if found and zone_of(found.group(1)):
            return found.group(1)
        return None

    def event_view(self: Emulator, event: dict[str, Any], *, zone: str | None = None) -> dict[str, Any]:
        """The event resource, keys in Graph's order; times in ``zone`` (Prefer: outlook.timezone) or UTC."""
        organizer = self.find_user(event["user_id"]) or {}
        start_zone = zone or "UTC"
        end_zone = zone or "UTC"
        online = event["online_meeting"]
        return {
            "@odata.etag": f'W/"{event["change_key"]}"',
            "id": event["id"],
            "createdDateTime": iso_7z(event["created"]),
            "lastModifiedDateTime": iso_7z(event["modified"]),
            "changeKey": event["change_key"],
            "categories": list(event["categories"]),
            "transactionId": event["transaction_id"],
            "originalStartTimeZone": event["start_zone"],
            "originalEndTimeZone": event["end_zone"],
            "iCalUId": event["ical_uid"],
            "uid": event["ical_uid"],
            "reminderMinutesBeforeStart": event["reminder"],
            "isReminderOn": event["is_reminder_on"],
            "hasAttachments": False,
            "subject": event["subject"],
            "bodyPreview": _preview(event["body"]["content"]),
            "importance": event["importance"],
            "sensitivity": event["sensitivity"],
            "isAllDay": event["is_all_day"],
            "isCancelled": False,
            "isOrganizer": True,
            "responseRequested": event["response_requested"],
            "seriesMasterId": None,
            "showAs": event["show_as"],
            "type": "singleInstance",
            "webLink": f"{self.config.login_url}/calendar/item/{quote(event['id'], safe='')}",
            "onlineMeetingUrl": None,
            "isOnlineMeeting": online is not None,
            "onlineMeetingProvider": "teamsForBusiness" if online else "unknown",
            "allowNewTimeProposals": event["allow_new_time_proposals"],
            "occurrenceId": None,
            "isDraft": False,
            "hideAttendees": event["hide_attendees"],
            "responseStatus": {"response": "organizer", "time": "0001-01-01T00:00:00Z"},
            "body": dict(event["body"]),
            "start": {"dateTime": format_local(event["start"], start_zone), "timeZone": start_zone},
            "end": {"dateTime": format_local(event["end"], end_zone), "timeZone": end_zone},
            "location": dict(event["location"]),
            "locations": [dict(x) for x in event["locations"]],
            "recurrence": None,
            "attendees": [dict(a) for a in event["attendees"]],
            "organizer": {
                "emailAddress": {
                    "name": organizer.get("displayName", ""),
                    "address": organizer.get("mail", ""),
                }
            },
            "onlineMeeting": dict(online) if online else None,
        }

    def _events_of(self: Emulator, user: dict[str, Any]) -> list[dict[str, Any]]:
        mine = [e for e in self.state["events"].values() if e["user_id"] == user["id"]]
        return sorted(mine, key=lambda e: (e["start"], e["created"], e["id"]))

    def api_list_events(self: Emulator, req: Request, token: dict[str, Any], user_id: str) -> Response:
        user = self._calendar_access(req, token, user_id, write=False)
        if isinstance(user, Response):
            return user
        events = self._events_of(user)
        raw_filter = req.query.get("$filter", "").strip()
        if raw_filter:
            matched = self._filter_events(events, raw_filter)
            if matched is None:
                return self.gerr(
                    req,
                    400,
                    "ErrorInvalidUrlQueryFilter",
                    "The query filter contains one or more invalid nodes.",
                )
            events = matched
        try:
            top = int(req.query.get("$top", "10"))
            skip = int(req.query.get("$skip", "0"))
        except ValueError:
            return self.gerr(
                req, 400, "ErrorInvalidUrlQuery", "The value of the parameter 'top' or 'skip' is invalid."
            )
        top = min(max(top, 1), 1000)
        zone = self._prefer_zone(req)
        chosen = events[skip : skip + top]
        body: dict[str, Any] = {
            "@odata.context": f"{self.config.graph_url}/v1.0/$metadata#users('{quote(user_id)}')/events"
        }
        if skip + top < len(events):
            params = {k: v for k, v in req.query.items() if k in ("$filter", "$select", "$orderby")}
            params.update({"$top": str(top), "$skip": str(skip + top)})
            body["@odata.nextLink"] = (
                f"{self.config.graph_url}/v1.0/users/{quote(user_id)}/events?{urlencode(params, safe='$,')}"
            )
        select = [n.strip() for n in req.query.get("$select", "").split(",") if n.strip()]
        body["value"] = [_selected(self.event_view(e, zone=zone), select) for e in chosen]
        headers = {"Preference-Applied": f'outlook.timezone="{zone}"'} if zone else {}
        return json_response(200, body, headers)

    def _filter_events(
        self: Emulator, events: list[dict[str, Any]], text: str
    ) -> list[dict[str, Any]] | None:
        clauses = re.split(r"\s+and\s+", text, flags=re.I)
        tests = []
        for clause in clauses:
            found = FILTER_CLAUSE.match(clause)
            if not found or found.group("prop").lower() not in FILTER_PROPS:
                return None
            prop = FILTER_PROPS[found.group("prop").lower()]
            raw = found.group("value")
            value: Any = raw[1:-1].replace("''", "'") if raw.startswith("'") else raw.lower() == "true"
            if prop in ("start", "end"):
                try:
                    value = parse_iso(value if value.endswith("Z") or "+" in value[10:] else value + "Z")
                except (ValueError, AttributeError):
                    return None
            tests.append((prop, found.group("op").lower(), value))

        def field(event: dict[str, Any], prop: str) -> Any:
            return {
                "transactionId": event["transaction_id"],
                "subject": event["subject"],
                "iCalUId": event["ical_uid"],
                "start": event["start"],
                "end": event["end"],
                "isOnlineMeeting": event["online_meeting"] is not None,
                "isCancelled": False,
            }[prop]

        def ok(actual: Any, op: str, value: Any) -> bool:
            if op in ("eq", "ne"):
                return (actual == value) == (op == "eq")
            if actual is None or value is None:
                return False
            return {"ge": actual >= value, "gt": actual > value, "le": actual <= value, "lt": actual < value}[
                op
            ]

        return [e for e in events if all(ok(field(e, p), op, v) for p, op, v in tests)]

    def api_create_event(self: Emulator, req: Request, token: dict[str, Any], user_id: str) -> Response:
        user = self._calendar_access(req, token, user_id, write=True)
        if isinstance(user, Response):
            return user
        body = self._body_object(req, EVENT_WRITABLE, "Microsoft.OutlookServices.Event")
        if isinstance(body, Response):
            return body
        transaction_id = body.get("transactionId")
        if transaction_id:
            # A retried POST with the same transactionId answers the event the first one made.
            for event in self._events_of(user):
                if event["transaction_id"] == transaction_id:
                    return json_response(201, self._event_entity(user_id, event, zone=event["start_zone"]))
        if "start" not in body or "end" not in body:
            return self.gerr(
                req,
                400,
                "ErrorInvalidRequest",
                "Your request can't be completed. Start and end are required.",
            )
        fields = self._event_fields(req, body)
        if isinstance(fields, Response):
            return fields
        now = self.now()
        event = {
            "id": _graph_id("AAMkAGI2TG93AAA"),
            "user_id": user["id"],
            "tenant_id": user["tenant_id"],
            "created": now,
            "modified": now,
            "change_key": _change_key(),
            "ical_uid": "040000008200E00074C5B7101A82E008" + secrets.token_hex(40).upper(),
            "transaction_id": transaction_id,
            "subject": "",
            "body": {"contentType": "html", "content": ""},
            "start_zone": "UTC",
            "end_zone": "UTC",
            "is_all_day": False,
            "show_as": "busy",
            "importance": "normal",
            "sensitivity": "normal",
            "categories": [],
            "reminder": 15,
            "is_reminder_on": True,
            "allow_new_time_proposals": True,
            "response_requested": True,
            "hide_attendees": False,
            "location": _location(""),
            "locations": [],
            "attendees": [],
            "online_meeting": None,
            "thread_id": None,
        }
        self._apply_event_fields(event, fields, user)
        if event["end"] < event["start"]:
            return self._end_before_start(req)
        self.state["events"][event["id"]] = event
        if self.config.notify_api_changes:
            self.notify_event_change(event, "created")
        return json_response(201, self._event_entity(user_id, event, zone=event["start_zone"]))

    def _event_entity(
        self: Emulator, user_ref: str, event: dict[str, Any], *, zone: str | None
    ) -> dict[str, Any]:
        context = f"{self.config.graph_url}/v1.0/$metadata#users('{quote(user_ref)}')/events/$entity"
        return {"@odata.context": context, **self.event_view(event, zone=zone)}

    def _find_event(
        self: Emulator, req: Request, user: dict[str, Any], event_id: str
    ) -> dict[str, Any] | Response:
        event = self.state["events"].get(event_id)
        if event is None or event["user_id"] != user["id"]:
            return self.gerr(
                req, 404, "ErrorItemNotFound", "The specified object was not found in the store."
            )
        return event

    @_owned("_calendar_reader", "_find_event")
    def api_get_event(
        self: Emulator, req: Request, user_id: str, user: dict[str, Any], event: dict[str, Any]
    ) -> Response:
        zone = self._prefer_zone(req)
        headers = {"Preference-Applied": f'outlook.timezone="{zone}"'} if zone else {}
        select = [n.strip() for n in req.query.get("$select", "").split(",") if n.strip()]
        return json_response(200, _selected(self._event_entity(user_id, event, zone=zone), select), headers)

    @_owned("_calendar_writer", "_find_event")
    def api_update_event(
        self: Emulator, req: Request, user_id: str, user: dict[str, Any], event: dict[str, Any]
    ) -> Response:
        body = self._body_object(req, EVENT_WRITABLE, "Microsoft.OutlookServices.Event")
        if isinstance(body, Response):
            return body
        body.pop("transactionId", None)
        fields = self._event_fields(req, body)
        if isinstance(fields, Response):
            return fields
        before = (event["start"], event["end"])
        self._apply_event_fields(event, fields, user)
        if event["end"] < event["start"]:
            event["start"], event["end"] = before
            return self._end_before_start(req)
        self._touch(event)
        if self.config.notify_api_changes:
            self.notify_event_change(event, "updated")
        return json_response(200, self._event_entity(user_id, event, zone=event["start_zone"]))

    @_owned("_calendar_writer", "_find_event")
    def api_delete_event(
        self: Emulator, req: Request, user_id: str, user: dict[str, Any], event: dict[str, Any]
    ) -> Response:
        del self.state["events"][event["id"]]
        if self.config.notify_api_changes:
            self.notify_event_change(event, "deleted")
        return empty(204)

    def _touch(self: Emulator, event: dict[str, Any]) -> None:
        event["modified"] = self.now()
        event["change_key"] = _change_key()

    def _body_object(
        self: Emulator, req: Request, writable: set[str], type_name: str
    ) -> dict[str, Any] | Response:
        body = req.json()
        if not isinstance(body, dict):
            return self.gerr(req, 400, "RequestBodyRead", "Cannot read the request body as a JSON object.")
        for key in body:
            if key not in writable and not key.startswith("@odata"):
                return self.gerr(
                    req,
                    400,
                    "RequestBodyRead",
                    f"The property '{key}' does not exist on type '{type_name}'. Make sure to only use "
                    "property "
                    "names that are defined by the type or mark the type as open type.",
                )
        return {k: v for k, v in body.items() if not k.startswith("@odata") and v is not None}

    def _event_fields(self: Emulator, req: Request, body: dict[str, Any]) -> dict[str, Any] | Response:
        fields = dict(body)
        for key in ("start", "end"):
            if key in body:
                try:
                    fields[key] = parse_date_time_zone(body[key])
                except LookupError as exc:
                    return self.gerr(
                        req,
                        400,
                        "TimeZoneNotSupportedException",
                        "A valid TimeZone value must be specified. The following TimeZone value is not "
                        f"supported: '{exc.args[0]}'.",
                    )
                except ValueError:
                    return self.gerr(req, 400, "UnableToDeserializePostBody", "were unable to deserialize ")
        if "body" in body and not (
            isinstance(body["body"], dict) and isinstance(body["body"].get("content", ""), str)
        ):
            return self.gerr(req, 400, "UnableToDeserializePostBody", "were unable to deserialize ")
        if "subject" in body and not isinstance(body["subject"], str):
            return self.gerr(req, 400, "UnableToDeserializePostBody", "were unable to deserialize ")
        return fields

    def _apply_event_fields(
        self: Emulator, event: dict[str, Any], fields: dict[str, Any], user: dict[str, Any]
    ) -> None:
        simple = {
            "subject": "subject",
            "isAllDay": "is_all_day",
            "showAs": "show_as",
            "importance": "importance",
            "sensitivity": "sensitivity",
            "categories": "categories",
            "reminderMinutesBeforeStart": "reminder",
            "isReminderOn": "is_reminder_on",
            "allowNewTimeProposals": "allow_new_time_proposals",
            "responseRequested": "response_requested",
            "hideAttendees": "hide_attendees",
        }
        for key, name in simple.items():
            if key in fields:
                event[name] = fields[key]
        if "body" in fields:
            event["body"] = {
                "contentType": fields["body"].get("contentType", "text"),
                "content": fields["body"].get("content", ""),
            }
        if "start" in fields:
            event["start"], event["start_zone"] = fields["start"]
        if "end" in fields:
            event["end"], event["end_zone"] = fields["end"]
        if "location" in fields and isinstance(fields["location"], dict):
            event["location"] = _location(str(fields["location"].get("displayName", "")))
        if "locations" in fields and isinstance(fields["locations"], list):
            event["locations"] = [
                _location(str(x.get("displayName", ""))) for x in fields["locations"] if isinstance(x, dict)
            ]
        if "attendees" in fields and isinstance(fields["attendees"], list):
            event["attendees"] = [_attendee(a) for a in fields["attendees"] if isinstance(a, dict)]
        wants_online = fields.get("isOnlineMeeting")
        provider = fields.get("onlineMeetingProvider", "teamsForBusiness")
        if wants_online is True and provider == "teamsForBusiness" and event["online_meeting"] is None:
            thread = f"19:meeting_{_b64(secrets.token_bytes(36))}@thread.v2"
            event["online_meeting"] = {
                "joinUrl": self.teams_join_url(thread, user),
                "conferenceId": str(self.rng.randint(100_000_000, 999_999_999)),
                "tollNumber": None,
            }
            event["thread_id"] = thread
            if event["body"]["contentType"] == "html" or not event["body"]["content"]:
                event["body"] = {
                    "contentType": "html",
                    "content": event["body"]["content"] + _teams_block(event["online_meeting"]["joinUrl"]),
                }
        elif wants_online is False:
            event["online_meeting"] = None

    def teams_join_url(self: Emulator, thread: str, user: dict[str, Any]) -> str:
        context = quote(f'{{"Tid":"{user["tenant_id"]}","Oid":"{user["id"]}"}}', safe="")
        return f"{self.config.teams_url}/l/meetup-join/{quote(thread, safe='')}/0?context={context}"

    # ---- online meetings ------------------------------------------------------------------------------
    def meeting_view(self: Emulator, meeting: dict[str, Any]) -> dict[str, Any]:
        organizer = self.find_user(meeting["user_id"]) or {}
        return {
            "id": meeting["id"],
            "creationDateTime": iso_7z(meeting["created"]),
            "startDateTime": iso_7z(meeting["start"]),
            "endDateTime": iso_7z(meeting["end"]),
            "joinUrl": meeting["join_url"],
            "joinWebUrl": meeting["join_url"],
            "meetingCode": meeting["meeting_code"],
            "subject": meeting["subject"],
            "isBroadcast": False,
            "autoAdmittedUsers": meeting["settings"].get("autoAdmittedUsers", "everyoneInCompany"),
            "outerMeetingAutoAdmittedUsers": None,
            "capabilities": [],
            "externalId": meeting["external_id"],
            "iCalUid": None,
            "meetingType": None,
            "meetingsMigrationMode": None,
            "isEntryExitAnnounced": meeting["settings"].get("isEntryExitAnnounced", True),
            "allowedPresenters": meeting["settings"].get("allowedPresenters", "everyone"),
            "allowAttendeeToEnableMic": meeting["settings"].get("allowAttendeeToEnableMic", True),
            "allowAttendeeToEnableCamera": meeting["settings"].get("allowAttendeeToEnableCamera", True),
            "allowMeetingChat": meeting["settings"].get("allowMeetingChat", "enabled"),
            "allowTeamworkReactions": meeting["settings"].get("allowTeamworkReactions", True),
            "recordAutomatically": meeting["settings"].get("recordAutomatically", False),
            "videoTeleconferenceId": None,
            "audioConferencing": None,
            "joinMeetingIdSettings": {
                "isPasscodeRequired": True,
                "joinMeetingId": meeting["meeting_code"],
                "passcode": meeting["passcode"],
            },
            "lobbyBypassSettings": meeting["settings"].get(
                "lobbyBypassSettings", {"scope": "organization", "isDialInBypassEnabled": False}
            ),
            "participants": {
                "organizer": {
                    "upn": organizer.get("userPrincipalName"),
                    "role": "presenter",
                    "identity": {
                        "application": None,
                        "device": None,
                        "phone": None,
                        "user": {
                            "id": organizer.get("id"),
                            "displayName": None,
                            "tenantId": organizer.get("tenant_id"),
                            "identityProvider": "AAD",
                        },
                    },
                },
                "attendees": list(meeting["attendees"]),
            },
            "chatInfo": {"threadId": meeting["thread_id"], "messageId": "0", "replyChainMessageId": None},
            "joinInformation": {
                "content": "data:text/html," + quote(_teams_block(meeting["join_url"])),
                "contentType": "html",
            },
        }

    def _meeting_entity(self: Emulator, user_ref: str, meeting: dict[str, Any]) -> dict[str, Any]:
        context = f"{self.config.graph_url}/v1.0/$metadata#users('{quote(user_ref)}')/onlineMeetings/$entity"
        return {"@odata.context": context, **self.meeting_view(meeting)}

    def _meeting_fields(self: Emulator, req: Request, body: dict[str, Any]) -> dict[str, Any] | Response:
        fields: dict[str, Any] = {}
        for key in ("startDateTime", "endDateTime"):
            if key in body:
                try:
                    fields[key] = parse_iso(body[key])
                except (ValueError, TypeError):
                    return self.gerr(
                        req, 400, "BadRequest", f"The value of '{key}' is not a valid date-time."
                    )
        if "subject" in body:
            if not isinstance(body["subject"], str):
                return self.gerr(req, 400, "BadRequest", "Invalid subject.")
            fields["subject"] = body["subject"]
        if isinstance(body.get("participants"), dict):
            attendees = body["participants"].get("attendees")
            if isinstance(attendees, list):
                fields["attendees"] = attendees
        settings = {
            k: body[k]
            for k in MEETING_WRITABLE
            - {"startDateTime", "endDateTime", "subject", "externalId", "participants", "chatInfo"}
            if k in body
        }
        fields["settings"] = settings
        return fields

    def _new_meeting(
        self: Emulator, user: dict[str, Any], fields: dict[str, Any], external_id: str | None
    ) -> dict[str, Any]:
        now = self.now()
        thread = f"19:meeting_{_b64(secrets.token_bytes(36))}@thread.v2"
        start = fields.get("startDateTime", float(int(now)))
        meeting = {
            "id": base64.urlsafe_b64encode(f"1*{user['id']}*0**{thread}".encode()).decode().rstrip("="),
            "user_id": user["id"],
            "tenant_id": user["tenant_id"],
            "created": now,
            "start": start,
            "end": fields.get("endDateTime", start + 3600),
            "subject": fields.get("subject"),
            "external_id": external_id,
            "thread_id": thread,
            "join_url": self.teams_join_url(thread, user),
            "meeting_code": str(self.rng.randint(100_000_000_000, 999_999_999_999)),
            "passcode": _b64(secrets.token_bytes(6))[:6],
            "attendees": fields.get("attendees", []),
            "settings": fields.get("settings", {}),
        }
        self.state["online_meetings"][meeting["id"]] = meeting
        return meeting

    @_owned("_meetings_access", "_meeting_body")
    def api_create_online_meeting(
        self: Emulator, req: Request, user_id: str, user: dict[str, Any], body: dict[str, Any]
    ) -> Response:
        fields = self._meeting_fields(req, body)
        if isinstance(fields, Response):
            return fields
        meeting = self._new_meeting(user, fields, body.get("externalId"))
        return json_response(201, self._meeting_entity(user_id, meeting))

    @_owned("_meetings_access", "_meeting_body")
    def api_create_or_get_online_meeting(
        self: Emulator, req: Request, user_id: str, user: dict[str, Any], body: dict[str, Any]
    ) -> Response:
        external_id = body.get("externalId")
        if not isinstance(external_id, str) or not external_id:
            return self.gerr(req, 400, "BadRequest", "externalId is required.")
        for meeting in self.state["online_meetings"].values():
            if meeting["user_id"] == user["id"] and meeting["external_id"] == external_id:
                return json_response(200, self._meeting_entity(user_id, meeting))
        fields = self._meeting_fields(req, body)
        if isinstance(fields, Response):
            return fields
        meeting = self._new_meeting(user, fields, external_id)
        return json_response(201, self._meeting_entity(user_id, meeting))

    def _meeting_body(self: Emulator, req: Request, user: dict[str, Any]) -> dict[str, Any] | Response:
        return self._body_object(req, MEETING_WRITABLE, "microsoft.graph.onlineMeeting")

    def _find_meeting(
        self: Emulator, req: Request, user: dict[str, Any], meeting_id: str
    ) -> dict[str, Any] | Response:
        meeting = self.state["online_meetings"].get(meeting_id)
        if meeting is None or meeting["user_id"] != user["id"]:
            return self.gerr(req, 404, "NotFound", "The requested online meeting was not found.")
        return meeting

    @_owned("_meetings_access", "_find_meeting")
    def api_get_online_meeting(
        self: Emulator, req: Request, user_id: str, user: dict[str, Any], meeting: dict[str, Any]
    ) -> Response:
        return json_response(200, self._meeting_entity(user_id, meeting))

    @_owned("_meetings_access", "_find_meeting")
    def api_update_online_meeting(
        self: Emulator, req: Request, user_id: str, user: dict[str, Any], meeting: dict[str, Any]
    ) -> Response:
        body = self._meeting_body(req, user)
        if isinstance(body, Response):
            return body
        fields = self._meeting_fields(req, body)
        if isinstance(fields, Response):
            return fields
        for key, name in (
            ("startDateTime", "start"),
            ("endDateTime", "end"),
            ("subject", "subject"),
            ("attendees", "attendees"),
        ):
            if key in fields:
                meeting[name] = fields[key]
        meeting["settings"].update(fields.get("settings", {}))
        return json_response(200, self._meeting_entity(user_id, meeting))

    @_owned("_meetings_access", "_find_meeting")
    def api_delete_online_meeting(
        self: Emulator, req: Request, user_id: str, user: dict[str, Any], meeting: dict[str, Any]
    ) -> Response:
        del self.state["online_meetings"][meeting["id"]]
        return empty(204)


def _selected(view: dict[str, Any], select: list[str]) -> dict[str, Any]:
    """$select on an Outlook item: the named properties, plus @odata.* and id, which Graph always returns."""
    if not select:
        return view
    return {k: v for k, v in view.items() if k.startswith("@odata") or k == "id" or k in select}


def _change_key() -> str:
    return base64.b64encode(secrets.token_bytes(21)).decode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _location(name: str) -> dict[str, Any]:
    if not name:
        return {
            "displayName": "",
            "locationType": "default",
            "uniqueIdType": "unknown",
            "address": {},
            "coordinates": {},
        }
    return {
        "displayName": name,
        "locationType": "default",
        "uniqueId": name,
        "uniqueIdType": "private",
        "address": {},
        "coordinates": {},
    }


def _attendee(data: dict[str, Any]) -> dict[str, Any]:
    email = data.get("emailAddress") if isinstance(data.get("emailAddress"), dict) else {}
    return {
        "type": data.get("type", "required"),
        "status": {"response": "none", "time": "0001-01-01T00:00:00Z"},
        "emailAddress": {
            "name": email.get("name", email.get("address", "")),
            "address": email.get("address", ""),
        },
    }


def _preview(content: str) -> str:
    text = re.sub(r"<[^>]+>", " ", content)
    return re.sub(r"\s+", " ", text).strip()[:255]


def _teams_block(join_url: str) -> str:
    return (
        '<div style="width:100%"><span style="white-space:nowrap">________________</span>'
        "<div>Microsoft Teams ミーティング</div>"
        f'<div><a href="{join_url}">今すぐ会議に参加する</a></div></div>'
    )


__all__ = ["GraphMixin", "parse_date_time_zone", "zone_of"]
