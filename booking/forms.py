"""Forms of the staff booking pages (代行予約, 予約変更, 日程選択案内)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Company
from applicants.selectors import is_id
from booking import links
from scheduling.models import Event, Slot

LINK_DAY_CHOICES = [
    (7, _("7日間")),
    (14, _("14日間")),
    (30, _("30日間")),
    (60, _("60日間")),
    (90, _("90日間")),
]


class SlotChoiceForm(forms.Form):
    """One slot of the company (a hidden input of the row's button)."""

    slot = forms.ModelChoiceField(queryset=Slot.objects.none(), widget=forms.HiddenInput)

    def __init__(self, *args: Any, company: Company, event: Event | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        slots = Slot.objects.filter(company=company).select_related("company", "event__selection_meeting")
        cast(forms.ModelChoiceField, self.fields["slot"]).queryset = (
            slots.filter(event=event) if event is not None else slots
        )


class ApplicantSearchForm(forms.Form):
    q = forms.CharField(
        label=_("応募者を検索"),
        required=False,
        max_length=100,
        help_text=_("氏名・フリガナ・メールアドレス・電話番号の先頭で検索します。"),
    )


class EventChoiceField(forms.ModelMultipleChoiceField):
    """Events labelled with their 選考会 ("選考会 / イベント")."""

    def label_from_instance(self, obj: Event) -> str:
        return f"{obj.selection_meeting.name} / {obj.name}"

    def _check_values(self, value: Any) -> Any:
        # Django looks the values up with one ``pk__in`` query, which SQLite cannot run with a number beyond
        # 64 bits (OverflowError, a 500): refuse anything that is not an id first, as Django refuses text.
        for pk in value if isinstance(value, list | tuple) else [value]:
            if not is_id(pk):
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                )
        return super()._check_values(value)  # type: ignore[misc]  # Django's, not in django-stubs


class InvitationForm(forms.Form):
    """日程選択案内: which events, how long the link works, and whether to mail it now."""

    events = EventChoiceField(
        label=_("案内するイベント"),
        queryset=Event.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("案内するイベントを1つ以上選んでください。")},
    )
    days = forms.TypedChoiceField(
        label=_("リンクの有効期限"),
        choices=LINK_DAY_CHOICES,
        coerce=int,
        help_text=_("予約した応募者のリンクは、予約した日程が終わるまで使えます。"),
    )
    send_mail = forms.BooleanField(
        label=_("日程選択案内メールを送信する"),
        required=False,
        initial=True,
        help_text=_("送信しない場合は、作成したリンクを応募者の画面からコピーしてお伝えください。"),
    )

    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelMultipleChoiceField, self.fields["events"]).queryset = (
            Event.objects.filter(company=company)
            .select_related("selection_meeting")
            .order_by("selection_meeting__sort_order", "selection_meeting_id", "sort_order", "pk")
        )
        self.fields["days"].initial = links.link_days()
