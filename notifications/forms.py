from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from notifications.compose import APPLICANT_TEMPLATE_KINDS
from notifications.models import SENT_MAIL_KINDS, AdhocKind, MailSettings, MailStatus
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
    kind = forms.ChoiceField(label=_("種類"), required=False, choices=[("", _("すべて")), *SENT_MAIL_KINDS])
    q = forms.CharField(label=_("宛先・件名"), required=False, max_length=200)


class MailboxFilterForm(forms.Form):
    q = forms.CharField(label=_("宛先・件名"), required=False, max_length=200)


def written_text_choices(adhoc_kind: str) -> list[tuple[str, str]]:
    """「自由に書く」 first, then the templates that need nothing but the applicant."""
    return [
        (adhoc_kind, str(_("自由に書く"))),
        *(
            (kind.value, str(_("テンプレート: %(kind)s") % {"kind": kind.label}))
            for kind in APPLICANT_TEMPLATE_KINDS
        ),
    ]


class WrittenMailForm(forms.Form):
    """A mail to applicants: a template as saved, or a subject and body written here with placeholders."""

    adhoc_kind = AdhocKind.PERSONAL

    kind = forms.ChoiceField(label=_("メールの内容"))
    subject = forms.CharField(label=_("件名"), max_length=200, required=False)
    body = forms.CharField(
        label=_("本文"),
        max_length=10000,
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false"}),
        help_text=_(
            "{応募者名} {会社名} {問い合わせ先} が使えます。"
            "テンプレートを選んだときは件名と本文は使いません。"
        ),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = written_text_choices(self.adhoc_kind)  # type: ignore[attr-defined]

    def clean(self) -> dict:
        data = super().clean() or {}
        kind = data.get("kind")
        if kind != self.adhoc_kind:
            return data
        subject = " ".join((data.get("subject") or "").split())
        # Browsers send CRLF; mails are stored with LF.
        body = (data.get("body") or "").replace("\r\n", "\n").replace("\r", "\n")
        if not subject:
            self.add_error("subject", _("件名を入力してください。"))
        else:
            try:
                validate_template_text(subject, kind)
            except forms.ValidationError as exc:
                self.add_error("subject", exc)
        if not body.strip():
            self.add_error("body", _("本文を入力してください。"))
        else:
            try:
                validate_template_text(body, kind)
            except forms.ValidationError as exc:
                self.add_error("body", exc)
        data["subject"], data["body"] = subject, body
        return data


class BulkWrittenMailForm(WrittenMailForm):
    adhoc_kind = AdhocKind.BULK
