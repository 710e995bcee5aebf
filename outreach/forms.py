from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Company
from applicants.forms import IdListField
from applicants.models import SelectionStage
from notifications.forms import BulkWrittenMailForm
from outreach.models import JobAction, JobScope
from scheduling.models import Event


class TargetForm(forms.Form):
    """Who and what, as posted by the applicant list: the selected rows or the whole current filter."""

    action = forms.ChoiceField(
        label=_("操作"),
        choices=JobAction.choices,
        error_messages={
            "required": _("操作を選択してください。"),
            "invalid_choice": _("操作を選択してください。"),
        },
    )
    scope = forms.ChoiceField(label=_("対象"), choices=JobScope.choices, initial=JobScope.SELECTION)
    ids = IdListField(required=False)
    query = forms.CharField(required=False, max_length=2000, strip=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("scope") == JobScope.SELECTION and not data.get("ids"):
            raise forms.ValidationError(_("応募者を選択してください。"))
        return data


class EventLabelChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Event) -> str:
        return f"{obj.selection_meeting.name} / {obj.name}"


class JobOptionsForm(BulkWrittenMailForm):
    """The action's settings: the event (日程選択案内), the mail (template or written), the stage."""

    event = EventLabelChoiceField(label=_("案内するイベント"), queryset=Event.objects.none(), required=False)
    stage = forms.ModelChoiceField(
        label=_("変更後の選考ステータス"), queryset=SelectionStage.objects.none(), required=False
    )

    def __init__(self, *args: Any, company: Company, action: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.action = action
        self.fields["kind"].required = False
        cast("forms.ModelChoiceField[Event]", self.fields["event"]).queryset = (
            Event.objects.filter(company=company)
            .select_related("selection_meeting")
            .order_by("selection_meeting__sort_order", "selection_meeting_id", "sort_order", "pk")
        )
        cast(
            "forms.ModelChoiceField[SelectionStage]", self.fields["stage"]
        ).queryset = SelectionStage.objects.filter(company=company, is_active=True)

    def clean(self) -> dict:
        if self.action == JobAction.MAIL:
            if not self.cleaned_data.get("kind"):
                self.add_error("kind", _("メールの内容を選んでください。"))
                return self.cleaned_data
            return super().clean()
        data = self.cleaned_data
        if self.action == JobAction.INVITATION and not data.get("event"):
            self.add_error("event", _("案内するイベントを選んでください。"))
        if self.action == JobAction.STATUS and not data.get("stage"):
            self.add_error("stage", _("変更後の選考ステータスを選んでください。"))
        return data
