from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from notifications.models import MailKind, MailSettings, MailStatus
from notifications.rendering import validate_template_text


class MailTemplateForm(forms.Form):
    subject = forms.CharField(label=_("件名"), max_length=200)
    body = forms.CharField(
        label=_("本文"),
        max_length=10000,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 20, "spellcheck": "false"}),
    )

    def __init__(self, *args, kind: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        help_text = _("{応募者名} のような差し込み項目が使えます。波括弧そのものは {{ と }} で書きます。")
        self.fields["body"].help_text = help_text

    def clean_subject(self) -> str:
        subject = self.cleaned_data["subject"]
        validate_template_text(subject, self.kind)
        return subject

    def clean_body(self) -> str:
        # Browsers send CRLF; the mail is stored and compared with the defaults with LF.
        body = self.cleaned_data["body"].replace("\r\n", "\n").replace("\r", "\n")
        if not body.strip():
            raise forms.ValidationError(_("本文を入力してください。"))
        validate_template_text(body, self.kind)
        return body


class MailSettingsForm(forms.ModelForm):
    class Meta:
        model = MailSettings
        fields = ["sender_name", "reply_to", "contact"]
        widgets = {"contact": forms.Textarea(attrs={"rows": 4})}


class SentMailFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("状態"), required=False, choices=[("", _("すべて")), *MailStatus.choices]
    )
    kind = forms.ChoiceField(label=_("種類"), required=False, choices=[("", _("すべて")), *MailKind.choices])
    q = forms.CharField(label=_("宛先・件名"), required=False, max_length=200)


class MailboxFilterForm(forms.Form):
    q = forms.CharField(label=_("宛先・件名"), required=False, max_length=200)
