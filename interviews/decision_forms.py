"""Forms of 合否判定 and 合否連絡: the decision, when a notice goes, and the bulk selection."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Company
from applicants.models import Applicant, SelectionStage
from interviews import decision_selectors as selectors
from interviews.decision_notices import BULK_LIMIT, MAX_NOTICE_DAYS, NoticePlan, next_business_day
from interviews.models import DecisionResult, NoticeStatus

NONE, NOW, NEXT_BUSINESS_DAY, AT = "none", "now", "next_business_day", "at"
MAX_ID_DIGITS = 18  # within a 64-bit integer column


def _plain_id(value: Any) -> bool:
    text = str(value)
    return text.isascii() and text.isdigit() and len(text) <= MAX_ID_DIGITS


class StageChoiceField(forms.ModelChoiceField):
    """A 選考ステータス by id; a value no id can be (too long, not digits) is refused before the query."""

    def to_python(self, value: Any) -> Any:
        if value not in self.empty_values and not _plain_id(value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class NoticeTimingForm(forms.Form):
    """When a 合否連絡 goes: now, 翌営業日 10:00 (company time), or a chosen date and time."""

    timing = forms.ChoiceField(label=_("合否連絡"), widget=forms.RadioSelect)
    send_date = forms.DateField(
        label=_("送信日"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    send_time = forms.TimeField(
        label=_("送信時刻"), required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )

    def __init__(
        self,
        *args: Any,
        company: Company,
        allow_none: bool = False,
        now: datetime | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.tz = company.tzinfo
        self.now = now or timezone.now()
        self.next_business_day = next_business_day(self.now, self.tz, company=company)
        day = formats.date_format(timezone.localtime(self.next_business_day, self.tz), "n/j(D)")
        choices = [
            (NOW, _("今すぐ送信")),
            (NEXT_BUSINESS_DAY, _("翌営業日 10:00（%(day)s）") % {"day": day}),
            (AT, _("日時を指定")),
        ]
        if allow_none:
            choices.insert(0, (NONE, _("送らない")))
        timing = cast(forms.ChoiceField, self.fields["timing"])
        timing.choices = choices
        timing.initial = NONE if allow_none else NEXT_BUSINESS_DAY
        self.fields["send_time"].help_text = _("会社のタイムゾーン（%(zone)s）の時刻です。") % {
            "zone": company.time_zone
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("timing") == AT:
            self._check_chosen_time(cleaned.get("send_date"), cleaned.get("send_time"))
        return cleaned

    def _check_chosen_time(self, day: date | None, at: Any) -> None:
        if day is None or at is None:
            if "send_date" not in self.errors and "send_time" not in self.errors:
                self.add_error("send_date", _("送信する日付と時刻を入力してください。"))
            return
        today = timezone.localtime(self.now, self.tz).date()
        # Checked on the date first: combining a far-off date with a zone could overflow.
        if not today <= day <= today + timedelta(days=MAX_NOTICE_DAYS):
            self.add_error(
                "send_date", _("今日から%(days)d日以内の日付を指定してください。") % {"days": MAX_NOTICE_DAYS}
            )
        elif datetime.combine(day, at, tzinfo=self.tz) <= self.now:
            self.add_error("send_time", _("これから先の日時を指定してください。"))

    def plan(self) -> NoticePlan | None:
        """The chosen time (None: no notice). Valid forms only."""
        timing = self.cleaned_data["timing"]
        if timing == NONE:
            return None
        if timing == NEXT_BUSINESS_DAY:
            return NoticePlan(self.next_business_day)
        if timing == AT:
            day, at = self.cleaned_data["send_date"], self.cleaned_data["send_time"]
            return NoticePlan(datetime.combine(day, at, tzinfo=self.tz))
        return NoticePlan()


class DecisionForm(NoticeTimingForm):
    """合否判定 with a comment, 合格's 選考ステータス, and the optional 合否連絡."""

    result = forms.ChoiceField(label=_("判定"), choices=DecisionResult.choices, widget=forms.RadioSelect)
    comment = forms.CharField(
        label=_("コメント"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("判定の理由など。採用担当と管理者だけが読めます。"),
    )
    stage = StageChoiceField(
        label=_("合格のときの選考ステータス"),
        queryset=SelectionStage.objects.none(),
        required=False,
        empty_label=_("変更しない"),
        help_text=_("合格のときだけ変更します。選考ステータスの変更履歴と操作ログに残ります。"),
    )

    field_order = ["result", "comment", "stage", "timing", "send_date", "send_time"]

    def __init__(self, *args: Any, applicant: Applicant, **kwargs: Any) -> None:
        super().__init__(*args, company=applicant.company, allow_none=True, **kwargs)
        self.applicant = applicant
        stages = list(
            SelectionStage.objects.filter(company_id=applicant.company_id).order_by("sort_order", "pk")
        )
        stage_field = cast("forms.ModelChoiceField[SelectionStage]", self.fields["stage"])
        stage_field.queryset = SelectionStage.objects.filter(company_id=applicant.company_id, is_active=True)
        stage_field.initial = selectors.next_stage(applicant.stage, stages)
        self.fields["timing"].help_text = _("保留のときは送りません。")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        timing = cleaned.get("timing")
        if timing in (None, NONE):
            return cleaned
        if cleaned.get("result") == DecisionResult.HOLD:
            self.add_error("timing", _("保留の判定では合否連絡を送れません。"))
        elif not self.applicant.email:
            self.add_error("timing", _("メールアドレスが登録されていないため、合否連絡を送れません。"))
        return cleaned


class ApplicantIdsField(forms.Field):
    """The applicants checked on the bulk page (checkboxes named like the field)."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "required": _("応募者を選択してください。"),
        "invalid": _("選択内容が正しくありません。"),
        "too_many": _("一度に選択できるのは%(max)d名までです。"),
    }

    def to_python(self, value: Any) -> list[int]:
        if not value:
            return []
        values = value if isinstance(value, list | tuple) else [value]
        if not all(isinstance(v, str) and _plain_id(v) for v in values):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return list(dict.fromkeys(int(v) for v in values))

    def validate(self, value: list[int]) -> None:
        super().validate(value)
        if len(value) > BULK_LIMIT:
            raise ValidationError(
                self.error_messages["too_many"], code="too_many", params={"max": BULK_LIMIT}
            )


class BulkNoticeForm(NoticeTimingForm):
    """The bulk page: which applicants, 合格通知 or 不合格通知 (the button pressed), and when."""

    ids = ApplicantIdsField()
    result = forms.ChoiceField(
        choices=[(DecisionResult.PASS, _("合格通知")), (DecisionResult.FAIL, _("不合格通知"))],
        error_messages={
            "required": _("送る通知を選んでください。"),
            "invalid_choice": _("送る通知を選んでください。"),
        },
    )

    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        super().__init__(*args, company=company, **kwargs)
        self.fields["timing"].label = _("送信タイミング")


RESULT_FILTERS = [
    ("", _("すべて")),
    *DecisionResult.choices,
    (selectors.UNDECIDED, _("未判定")),
]


class MeetingFilterForm(forms.Form):
    result = forms.ChoiceField(label=_("現在の判定"), choices=RESULT_FILTERS, required=False)


ALL = "all"
STATUS_FILTERS = [*NoticeStatus.choices, (ALL, _("すべて"))]


class NoticeFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("状態"), choices=STATUS_FILTERS, required=False)

    def status_filter(self) -> str:
        """The status to list: 送信予定 unless another (or すべて: "") was chosen."""
        status = self.cleaned_data.get("status") if self.is_valid() else ""
        if status == ALL:
            return ""
        return status or NoticeStatus.SCHEDULED
