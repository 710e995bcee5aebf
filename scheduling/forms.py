"""Forms of 選考会設定, 予約動作設定 and 新規日程作成. Times are entered in the company's time zone."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import business_days
from accounts.models import Company
from applicants.models import SelectionStage
from scheduling.models import Event, MeetingState, SelectionMeeting, WebMeeting
from scheduling.services import SlotSpec
from web_meetings.providers import Host

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

VISIBILITY_CHOICES = [("show", _("日程を表示する")), ("hide", _("日程を表示しない"))]
WEEKDAY_CHOICES = [
    ("0", _("月")),
    ("1", _("火")),
    ("2", _("水")),
    ("3", _("木")),
    ("4", _("金")),
    ("5", _("土")),
    ("6", _("日")),
]
MAX_BULK_SLOTS = 1000
MAX_SLOT_MINUTES = 24 * 60
# How far ahead a slot may be made: a recruiting season is planned a year or two ahead, and a mistyped
# year (2206 for 2026, 9999) is refused with a message instead of becoming a slot nobody finds.
MAX_YEARS_AHEAD = 3


def _beyond_horizon(day: date, tz: Any) -> str | None:
    """The message for a slot day more than MAX_YEARS_AHEAD years after today (in ``tz``), else None."""
    if (day - timezone.localdate(timezone=tz)).days <= MAX_YEARS_AHEAD * 366:
        return None
    return str(_("日付は%(years)s年以内で指定してください。") % {"years": MAX_YEARS_AHEAD})


def host_field(service: str) -> str:
    """The 予約動作設定 field that picks the host at ``service`` (zoom_host: Zoomユーザ選択, teams_host)."""
    return f"{service}_host"


def missing_host_message(event: Event) -> str:
    return _("%(service)sユーザー（ホスト）が未設定です。予約動作設定で選んでください。") % {
        "service": event.get_web_meeting_display()
    }


class SelectionMeetingForm(forms.ModelForm):
    class Meta:
        model = SelectionMeeting
        fields = ["name", "description", "sort_order"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class EventSettingsForm(forms.Form):
    """予約動作設定."""

    name = forms.CharField(label=_("イベント名"), max_length=100)
    web_meeting = forms.ChoiceField(
        label=_("Web面接連携"), widget=forms.RadioSelect, choices=WebMeeting.choices
    )
    zoom_host = forms.ChoiceField(
        label=_("Zoomユーザ選択"),
        required=False,
        widget=forms.Select(attrs={"data-show-when": "web_meeting=zoom"}),
        help_text=_("ミーティングのホストにするZoomユーザーを選びます（Zoomを選んだ場合は必須）。"),
    )
    teams_host = forms.ChoiceField(
        label=_("Microsoft Teamsユーザ選択"),
        required=False,
        widget=forms.Select(attrs={"data-show-when": "web_meeting=teams"}),
        help_text=_(
            "会議の開催者（Outlookの予定表に会議が入るユーザー）を選びます"
            "（Microsoft Teamsを選んだ場合は必須）。"
        ),
    )
    google_host = forms.ChoiceField(
        label=_("Google Meetユーザ選択"),
        required=False,
        widget=forms.Select(attrs={"data-show-when": "web_meeting=google"}),
        help_text=_(
            "Googleカレンダーに予定とMeetの会議が入るユーザーを選びます（Googleアカウントを連携済みのユーザー）。"
        ),
    )
    duration_minutes = forms.IntegerField(
        label=_("所要時間（分）"), min_value=5, max_value=MAX_SLOT_MINUTES, initial=60
    )
    default_capacity = forms.IntegerField(label=_("定員（初期値）"), min_value=1, max_value=1000, initial=1)
    booking_opens_hours_before = forms.IntegerField(
        label=_("予約受付開始（開始の何時間前から）"),
        required=False,
        min_value=1,
        max_value=24 * 366,
        help_text=_("空欄の場合は日程を表示した時点から受け付けます。"),
    )
    booking_closes_hours_before = forms.IntegerField(
        label=_("予約受付終了（開始の何時間前まで）"), min_value=0, max_value=24 * 366, initial=24
    )
    cancel_deadline_hours_before = forms.IntegerField(
        label=_("キャンセル・変更期限（開始の何時間前まで）"), min_value=0, max_value=24 * 366, initial=24
    )
    reminder_hours_before = forms.IntegerField(
        label=_("リマインドメール（開始の何時間前）"),
        required=False,
        min_value=1,
        max_value=24 * 30,
        help_text=_("空欄の場合は送りません。"),
    )
    booking_stage = forms.ModelChoiceField(
        label=_("予約時の選考ステータス"),
        queryset=SelectionStage.objects.none(),
        required=False,
        empty_label=_("変更しない"),
        help_text=_(
            "このイベントの日程が予約されたとき、応募者の選考ステータスをここで選んだステータスに進めます"
            "（すでに先のステータスにいる応募者は変更しません）。"
        ),
    )
    place = forms.CharField(
        label=_("会場"), max_length=255, required=False, help_text=_("対面のイベントの場所や集合場所。")
    )
    notes = forms.CharField(
        label=_("備考"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Web面接のミーティングの議題（Teamsでは予定の本文）にも記載されます。"),
    )
    waiting_room = forms.BooleanField(label=_("待機室を有効にする"), required=False, initial=True)
    join_before_host = forms.BooleanField(
        label=_("ホストより前の参加を許可する"), required=False, initial=False
    )
    use_passcode = forms.BooleanField(label=_("パスコードを設定する"), required=False, initial=True)
    use_pmi = forms.BooleanField(
        label=_("パーソナルミーティングID（PMI）を使う"), required=False, initial=False
    )

    MEETING_OPTION_FIELDS = ("waiting_room", "join_before_host", "use_passcode", "use_pmi")

    def __init__(
        self,
        *args: Any,
        event: Event | None,
        service_hosts: dict[str, list[Host]],
        linked_services: set[str],
        company: Company | None = None,
        **kwargs: Any,
    ) -> None:
        if event is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": event.name,
                "web_meeting": event.web_meeting,
                host_field(event.web_meeting): event.meeting_host_id,
                "booking_stage": event.booking_stage_id,
                **{
                    name: getattr(event, name)
                    for name in (
                        "duration_minutes",
                        "default_capacity",
                        "booking_opens_hours_before",
                        "booking_closes_hours_before",
                        "cancel_deadline_hours_before",
                        "reminder_hours_before",
                        "place",
                        "notes",
                        *self.MEETING_OPTION_FIELDS,
                    )
                },
            }
        super().__init__(*args, **kwargs)
        company = company or (event.company if event is not None else None)
        if company is not None:
            cast(
                forms.ModelChoiceField, self.fields["booking_stage"]
            ).queryset = SelectionStage.objects.filter(company=company, is_active=True)
        self.event = event
        self.hosts = {key: {host.id: host for host in hosts} for key, hosts in service_hosts.items()}
        self.linked_services = linked_services
        self._offer_services()
        for key in self.SERVICES:
            self._offer_hosts(key)

    SERVICES = (WebMeeting.ZOOM, WebMeeting.TEAMS, WebMeeting.GOOGLE)

    def _offer_services(self) -> None:
        """なし, the linked services, and the event's current one even when its link is down."""
        current = self.event.web_meeting if self.event is not None else WebMeeting.NONE
        offered = [
            (value, label)
            for value, label in WebMeeting.choices
            if value in (WebMeeting.NONE, current) or value in self.linked_services
        ]
        cast(forms.ChoiceField, self.fields["web_meeting"]).choices = offered
        if len(offered) == 1:
            self.fields["web_meeting"].help_text = _(
                "Web面接連携を使うには、管理者がWeb面接連携サービスで"
                "Zoom・Microsoft Teams・Google Meetのいずれかを「連携中」にしてください。"
            )
        for key in self.SERVICES:
            if key not in {value for value, _label in offered}:
                del self.fields[host_field(key)]

    def _offer_hosts(self, key: str) -> None:
        name = host_field(key)
        if name not in self.fields:
            return
        hosts = self.hosts.get(key, {}).values()
        choices: list[tuple[str, str | StrPromise]] = [("", _("選択してください"))]
        choices += [(host.id, host.label) for host in hosts if host.usable]
        event = self.event
        offered = {value for value, _label in choices}
        if event is not None and event.web_meeting == key and event.meeting_host_id not in offered | {""}:
            label = _("%(host)s（現在のホスト・利用できません）") % {"host": event.meeting_host_label}
            choices.append((event.meeting_host_id, label))
        cast(forms.ChoiceField, self.fields[name]).choices = choices

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        opens, closes = cleaned.get("booking_opens_hours_before"), cleaned.get("booking_closes_hours_before")
        if opens is not None and closes is not None and opens <= closes:
            self.add_error(
                "booking_opens_hours_before",
                _("予約受付開始は受付終了より前（開始からみて長い時間）にしてください。"),
            )
        service = cleaned.get("web_meeting")
        if service in self.SERVICES:
            self._clean_host(service, cleaned)
        return cleaned

    def _clean_host(self, service: str, cleaned: dict[str, Any]) -> None:
        name, label = host_field(service), WebMeeting(service).label
        host = cleaned.get(name) or ""
        if not host:
            self.add_error(
                name,
                _("%(service)sを使う場合は、%(service)sユーザ選択でホストを選んでください。")
                % {"service": label},
            )
            return
        event = self.event
        unchanged = event is not None and event.web_meeting == service and host == event.meeting_host_id
        user = self.hosts.get(service, {}).get(host)
        if not unchanged and (user is None or not user.usable):
            self.add_error(
                name,
                _("選んだ%(service)sユーザーはホストにできません。同期済みの有効なユーザーを選んでください。")
                % {"service": label},
            )
        if not unchanged and service not in self.linked_services:
            self.add_error(
                "web_meeting",
                _("%(service)s連携が「連携中」ではないため、ホストを変更できません。") % {"service": label},
            )

    def settings(self) -> dict[str, Any]:
        """The cleaned values as Event fields."""
        data = dict(self.cleaned_data)
        service = data.get("web_meeting") or WebMeeting.NONE
        hosts = {key: data.pop(host_field(key), "") or "" for key in self.SERVICES}
        host = hosts.get(service, "")
        user = self.hosts.get(service, {}).get(host)
        event = self.event
        if (
            event is not None
            and event.web_meeting == service
            and host == event.meeting_host_id
            and user is None
        ):
            email, name = event.meeting_host_email, event.meeting_host_name
        elif user is not None:
            email, name = user.email, user.name
        else:
            host, email, name = "", "", ""
        data.update(meeting_host_id=host, meeting_host_email=email, meeting_host_name=name)
        data["place"] = data.get("place") or ""
        data["notes"] = data.get("notes") or ""
        return data


Day = date  # SlotForm's field ``date`` hides the type inside the class


def _aware(day: date, at: time, tz) -> datetime:
    return timezone.make_aware(datetime.combine(day, at), tz)


class SlotForm(forms.Form):
    """新規日程作成 (one slot) and 日程の変更."""

    date = forms.DateField(label=_("日付"), widget=forms.DateInput(attrs={"type": "date"}))
    start_time = forms.TimeField(
        label=_("開始時刻"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    end_time = forms.TimeField(
        label=_("終了時刻"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("空欄の場合はイベントの所要時間から決めます。"),
    )
    capacity = forms.IntegerField(label=_("定員"), min_value=1, max_value=1000)
    visibility = forms.ChoiceField(
        label=_("ステータス"), choices=VISIBILITY_CHOICES, widget=forms.RadioSelect, initial="show"
    )
    note = forms.CharField(label=_("メモ"), max_length=255, required=False)

    def __init__(
        self,
        *args: Any,
        event: Event,
        slot=None,
        booked: int = 0,
        closed_day_confirmed: bool = False,
        **kwargs: Any,
    ) -> None:
        tz = event.company.tzinfo
        if slot is not None and "initial" not in kwargs:
            start, end = timezone.localtime(slot.starts_at, tz), timezone.localtime(slot.ends_at, tz)
            kwargs["initial"] = {
                "date": start.date(),
                "start_time": start.time(),
                "end_time": end.time(),
                "capacity": slot.capacity,
                "visibility": "show" if slot.is_published else "hide",
                "note": slot.note,
            }
        super().__init__(*args, **kwargs)
        if slot is None:
            self.fields["capacity"].initial = event.default_capacity
        self.event, self.slot, self.booked, self.tz = event, slot, booked, tz
        self.closed_day_confirmed = closed_day_confirmed
        self.closed_reason: str | None = None  # set when the chosen day is a 祝日 or 休業日 to confirm

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        day, start = cleaned.get("date"), cleaned.get("start_time")
        if day is None or start is None:
            return cleaned
        too_far = _beyond_horizon(day, self.tz)
        if too_far:
            self.add_error("date", too_far)
            return cleaned
        starts_at = _aware(day, start, self.tz)
        end = cleaned.get("end_time")
        ends_at = (
            _aware(day, end, self.tz) if end else starts_at + timedelta(minutes=self.event.duration_minutes)
        )
        if ends_at <= starts_at:
            self.add_error("end_time", _("終了時刻は開始時刻より後にしてください。"))
        moved = self.slot is None or starts_at != self.slot.starts_at
        if moved and starts_at <= timezone.now():
            self.add_error("start_time", _("過去の日時は指定できません。"))
        capacity = cleaned.get("capacity")
        if capacity is not None and capacity < self.booked:
            self.add_error(
                "capacity",
                _("定員は現在の予約数（%(booked)s名）以上にしてください。") % {"booked": self.booked},
            )
        if self.event.has_web_meeting and not self.event.meeting_host_id:
            raise forms.ValidationError(missing_host_message(self.event))
        cleaned["starts_at"], cleaned["ends_at"] = starts_at, ends_at
        if not self.errors:
            self._check_closed_day(day)
        return cleaned

    def _check_closed_day(self, day: Day) -> None:
        """A new slot, or one moved to another day, on a 祝日 or 休業日 needs a second, confirmed submit."""
        if self.slot is not None and timezone.localtime(self.slot.starts_at, self.tz).date() == day:
            return
        reason = business_days.closed_reason(self.event.company, day)
        if reason is None or self.closed_day_confirmed:
            return
        self.closed_reason = reason
        if self.slot is None:
            message = _("%(day)s は%(reason)s です。この日に作成する場合は「このまま作成」を押してください。")
        else:
            message = _("%(day)s は%(reason)s です。この日に変更する場合は「このまま保存」を押してください。")
        raise forms.ValidationError(
            message % {"day": day.strftime("%Y/%m/%d"), "reason": reason}, code="closed_day"
        )

    def spec(self) -> SlotSpec:
        data = self.cleaned_data
        return SlotSpec(
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            capacity=data["capacity"],
            is_published=data["visibility"] == "show",
            note=data.get("note") or "",
        )


class BulkSlotForm(forms.Form):
    """新規日程作成 (まとめて): date range × weekdays × start times, previewed before creating."""

    date_from = forms.DateField(label=_("開始日"), widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("終了日"), widget=forms.DateInput(attrs={"type": "date"}))
    weekdays = forms.MultipleChoiceField(
        label=_("曜日"),
        choices=WEEKDAY_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        initial=["0", "1", "2", "3", "4"],
    )
    start_times = forms.CharField(
        label=_("開始時刻"),
        help_text=_("カンマまたは改行で区切って入力します（例: 10:00, 13:00, 15:30）。"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    duration_minutes = forms.IntegerField(label=_("所要時間（分）"), min_value=5, max_value=MAX_SLOT_MINUTES)
    capacity = forms.IntegerField(label=_("定員"), min_value=1, max_value=1000)
    visibility = forms.ChoiceField(
        label=_("ステータス"), choices=VISIBILITY_CHOICES, widget=forms.RadioSelect, initial="show"
    )
    skip_closed_days = forms.BooleanField(
        label=_("祝日・休業日を除く"),
        required=False,
        initial=True,
        help_text=_("祝日（振替休日・国民の休日を含む）と、管理者が登録した休業日には作成しません。"),
    )

    def __init__(self, *args: Any, event: Event, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.event = event
        self.fields["duration_minutes"].initial = event.duration_minutes
        self.fields["capacity"].initial = event.default_capacity
        self.skipped: list[datetime] = []
        self.closed_skipped: list[tuple[date, str]] = []  # days left out: 祝日 or 休業日, with the reason

    def clean_start_times(self) -> list[time]:
        raw = [
            part.strip() for part in re.split(r"[,、\s]+", self.cleaned_data["start_times"]) if part.strip()
        ]
        times = []
        for part in raw:
            match = re.fullmatch(r"(\d{1,2})[:：](\d{2})", part)
            if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
                raise forms.ValidationError(
                    _("「%(value)s」は時刻（例 10:00）として読めません。") % {"value": part}
                )
            times.append(time(int(match.group(1)), int(match.group(2))))
        if not times:
            raise forms.ValidationError(_("開始時刻を1つ以上入力してください。"))
        return sorted(set(times))

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        first, last = cleaned.get("date_from"), cleaned.get("date_to")
        if first and last:
            if last < first:
                self.add_error("date_to", _("終了日は開始日以降にしてください。"))
            elif (last - first).days > 366:
                self.add_error("date_to", _("期間は1年以内にしてください。"))
            elif too_far := _beyond_horizon(last, self.event.company.tzinfo):
                self.add_error("date_to", too_far)
        if self.errors:
            return cleaned
        if self.event.has_web_meeting and not self.event.meeting_host_id:
            raise forms.ValidationError(missing_host_message(self.event))
        specs = self._specs(cleaned)
        if not specs:
            raise forms.ValidationError(
                _("条件に合う未来の日時がありません。期間・曜日・時刻を見直してください。")
            )
        if len(specs) > MAX_BULK_SLOTS:
            raise forms.ValidationError(
                _("一度に作成できる日程は%(max)s件までです（%(count)s件になります）。")
                % {"max": MAX_BULK_SLOTS, "count": len(specs)}
            )
        cleaned["specs"] = specs
        return cleaned

    def _specs(self, cleaned: dict[str, Any]) -> list[SlotSpec]:
        tz, now = self.event.company.tzinfo, timezone.now()
        weekdays = {int(day) for day in cleaned["weekdays"]}
        length = timedelta(minutes=cleaned["duration_minutes"])
        closed = (
            business_days.closed_reasons(self.event.company, cleaned["date_from"], cleaned["date_to"])
            if cleaned.get("skip_closed_days")
            else {}
        )
        specs, day = [], cleaned["date_from"]
        while day <= cleaned["date_to"]:
            if day.weekday() in weekdays and day in closed:
                self.closed_skipped.append((day, closed[day]))
            elif day.weekday() in weekdays:
                for at in cleaned["start_times"]:
                    starts_at = _aware(day, at, tz)
                    if starts_at <= now:
                        self.skipped.append(starts_at)
                        continue
                    specs.append(
                        SlotSpec(
                            starts_at=starts_at,
                            ends_at=starts_at + length,
                            capacity=cleaned["capacity"],
                            is_published=cleaned["visibility"] == "show",
                        )
                    )
            day += timedelta(days=1)
        return specs


STATE_FILTER_CHOICES = [
    ("", _("すべて")),
    ("problem", _("要対応（失敗・削除済み・サービス側で変更）")),
    *MeetingState.choices,
]


class SlotFilterForm(forms.Form):
    date_from = forms.DateField(
        label=_("開始日"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("終了日"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    state = forms.ChoiceField(label=_("発行状況"), required=False, choices=STATE_FILTER_CHOICES)
    include_past = forms.BooleanField(label=_("過去の日程も表示"), required=False)
