from __future__ import annotations

from datetime import date
from typing import Any, cast

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.backends import LoginRefused, refusal_of
from accounts.models import Role, User
from accounts.services import validate_closed_range


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("メールアドレス"), widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )
    error_messages = {
        "invalid_login": _("メールアドレスまたはパスワードが正しくありません。"),
        "inactive": _("このアカウントは無効です。"),
        "throttled": _(
            "ログインの失敗が続いたため、しばらくの間ログインできません。"
            "%(seconds)s秒ほど待ってから再度お試しください。"
        ),
        "locked": _(
            "ログインの失敗が多数あったため、このアカウントはロックされています。"
            "会社の管理者にロックの解除を依頼してください。"
        ),
    }

    def get_invalid_login_error(self) -> forms.ValidationError:
        refusal = refusal_of(self.request)
        if refusal is not None:
            reason, seconds = refusal
            if reason == LoginRefused.THROTTLED:
                return forms.ValidationError(
                    self.error_messages["throttled"], code="throttled", params={"seconds": seconds}
                )
            return forms.ValidationError(self.error_messages["locked"], code="locked")
        return super().get_invalid_login_error()


class UserCreateForm(forms.Form):
    name = forms.CharField(label=_("氏名"), max_length=100)
    email = forms.EmailField(label=_("メールアドレス"))
    role = forms.ChoiceField(label=_("権限"), choices=Role.choices, initial=Role.RECRUITER)
    send_invitation = forms.BooleanField(
        label=_("招待メールを送り、本人にパスワードを設定してもらう"), required=False, initial=True
    )
    password = forms.CharField(
        label=_("初期パスワード"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("招待メールを送らない場合に入力します。"),
    )

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("このメールアドレスは既に登録されています。"))
        return email

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if not cleaned.get("send_invitation"):
            password = cleaned.get("password")
            if not password:
                self.add_error("password", _("招待メールを送らない場合はパスワードを入力してください。"))
            else:
                try:
                    password_validation.validate_password(password)
                except forms.ValidationError as exc:
                    self.add_error("password", exc)
        return cleaned


class UserEditForm(forms.Form):
    name = forms.CharField(label=_("氏名"), max_length=100)
    role = forms.ChoiceField(label=_("権限"), choices=Role.choices)
    is_active = forms.BooleanField(label=_("有効"), required=False)


# Dates a log filter can mean (a day before or after them would leave what the database can store).
AUDIT_DATE_RANGE = [
    MinValueValidator(date(2000, 1, 1), message=_("2000年1月1日以降の日付を入力してください。")),
    MaxValueValidator(date(2999, 12, 31), message=_("2999年12月31日以前の日付を入力してください。")),
]


class AuditFilterForm(forms.Form):
    category = forms.ChoiceField(label=_("種類"), required=False)
    actor = forms.ModelChoiceField(label=_("操作者"), queryset=User.objects.none(), required=False)
    date_from = forms.DateField(
        label=_("開始日"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=AUDIT_DATE_RANGE,
    )
    date_to = forms.DateField(
        label=_("終了日"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=AUDIT_DATE_RANGE,
    )
    q = forms.CharField(label=_("対象"), required=False, max_length=100)

    def __init__(
        self, *args: Any, categories: list[tuple[str, str]], actors: QuerySet[User], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["category"]).choices = [("", _("すべて")), *categories]
        cast("forms.ModelChoiceField[User]", self.fields["actor"]).queryset = actors


class SecuritySettingsForm(forms.Form):
    require_two_factor = forms.BooleanField(
        label=_("2段階認証を必須にする"),
        required=False,
        help_text=_(
            "有効にすると、この企業のすべてのユーザーがログイン時に認証アプリ（Google Authenticator など）の"
            "確認コードを求められます。未設定のユーザーは次の操作時に設定を求められます。"
        ),
    )


class ClosedDayForm(forms.Form):
    """休業日の追加: one day (終了日 empty) or a range such as 年末年始."""

    label = forms.CharField(label=_("名称"), max_length=100, help_text=_("例: 年末年始休業、夏季休業"))
    start_date = forms.DateField(label=_("開始日"), widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(
        label=_("終了日"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("1日だけの場合は空欄にします。"),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start = cleaned.get("start_date")
        if start is None:
            return cleaned
        end = cleaned.get("end_date") or start
        try:
            validate_closed_range(start, end)
        except forms.ValidationError as exc:
            self.add_error("end_date", exc)
        cleaned["end_date"] = end
        return cleaned
