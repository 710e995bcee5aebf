"""Interviews: the forms of the assignment pages and the calendar settings."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Company, User
from interviews.assignments import candidates

MAX_ID = 2**63 - 1


def _is_id(value: Any) -> bool:
    """A row id as a request sends it: ASCII digits within 64 bits (a bigger number names no row, and SQLite
    cannot even compare a column with it)."""
    text = str(value)
    return text.isascii() and text.isdigit() and int(text) <= MAX_ID


class UserChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.display_name}（{obj.get_role_display()}）"

    def _check_values(self, value: Any) -> Any:
        for pk in value if isinstance(value, list | tuple) else [value]:
            if not _is_id(pk):
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                )
        return super()._check_values(value)  # type: ignore[misc]


class InterviewersForm(forms.Form):
    """面接官: any active user of the company (another company's id is not a valid choice)."""

    interviewers = UserChoices(
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("面接官"),
        help_text=_("権限に関係なく、自社の有効なユーザーから選べます。"),
    )

    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["interviewers"]
        assert isinstance(field, UserChoices)
        field.queryset = candidates(company)

    def users(self) -> list[User]:
        return list(self.cleaned_data["interviewers"])


class ZoomHostForm(forms.Form):
    zoom_host_follows_interviewer = forms.BooleanField(
        required=False,
        label=_("Web面接のホストを日程の面接官にする"),
        help_text=_(
            "面接官と同じメールアドレスのユーザー（Zoom・Microsoft Teams・Google Meet）がホストになります。"
            "見つからない場合はイベントのホストです。"
        ),
    )


class FeedSettingsForm(forms.Form):
    include_applicant_contact = forms.BooleanField(
        required=False,
        label=_("カレンダー配信に応募者の連絡先を含める"),
        help_text=_(
            "オンにすると、面接官のカレンダーに応募者のメールアドレスと電話番号が表示されます。"
            "カレンダーを他の人と共有している面接官がいる場合はオフのままにしてください。"
        ),
    )
