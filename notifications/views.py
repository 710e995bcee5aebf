"""メール設定 (templates, sender settings), 送信履歴 (SentMail) and the demo's ローカルメールボックス."""

from __future__ import annotations

import email
import email.policy
from email.message import Message

import icalendar
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.permissions import AuthenticatedHttpRequest, recruiter_required
from accounts.tenancy import get_company_object_or_404, request_company
from applicants.models import Applicant
from notifications import compose, selectors, services
from notifications.backends import BACKEND_PATH
from notifications.forms import (
    MailboxFilterForm,
    MailSettingsForm,
    MailTemplateForm,
    SentMailFilterForm,
    WrittenMailForm,
)
from notifications.models import AdhocKind, MailboxMessage, MailStatus, MailTemplate, SentMail
from notifications.rendering import placeholders_for
from notifications.text import replace_line_breaks

PAGE_SIZE = 50


def mailbox_enabled() -> bool:
    return settings.EMAIL_BACKEND == BACKEND_PATH


def _page_context(tab: str, **extra) -> dict:
    return {"tab": tab, "mailbox_enabled": mailbox_enabled(), **extra}


@recruiter_required
def template_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    templates = services.ensure_templates(company=request_company(request))
    return render(
        request, "notifications/template_list.html", _page_context("templates", templates=templates)
    )


@recruiter_required
def template_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    template = get_company_object_or_404(request, MailTemplate, pk=pk)
    form = MailTemplateForm(
        request.POST or None, initial={"subject": template.subject, "body": template.body}, kind=template.kind
    )
    subject, body = template.subject, template.body
    if request.method == "POST" and form.is_valid():
        subject, body = form.cleaned_data["subject"], form.cleaned_data["body"]
        if request.POST.get("action") == "save":
            services.update_template(
                template=template, subject=subject, body=body, actor=request.user, request=request
            )
            messages.success(
                request,
                _("「%(kind)s」のテンプレートを保存しました。") % {"kind": template.get_kind_display()},
            )
            return redirect("notifications:template_edit", pk=template.pk)
    preview = (
        None
        if form.errors
        else services.render_sample(company=template.company, kind=template.kind, subject=subject, body=body)
    )
    context = _page_context(
        "templates",
        template=template,
        form=form,
        preview=preview,
        placeholders=placeholders_for(template.kind),
    )
    return render(request, "notifications/template_edit.html", context)


@recruiter_required
@require_POST
def template_preview(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The preview panel alone, for notifications.js to refresh while the user types."""
    template = get_company_object_or_404(request, MailTemplate, pk=pk)
    form = MailTemplateForm(request.POST, kind=template.kind)
    preview = None
    if form.is_valid():
        preview = services.render_sample(company=template.company, kind=template.kind, **form.cleaned_data)
    return render(request, "notifications/_preview.html", {"preview": preview, "form": form})


@recruiter_required
@require_POST
def template_reset(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    template = get_company_object_or_404(request, MailTemplate, pk=pk)
    services.reset_template(template=template, actor=request.user, request=request)
    messages.success(
        request, _("「%(kind)s」を初期設定に戻しました。") % {"kind": template.get_kind_display()}
    )
    return redirect("notifications:template_edit", pk=template.pk)


@recruiter_required
@require_POST
def template_test_send(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    template = get_company_object_or_404(request, MailTemplate, pk=pk)
    services.send_test_mail(template=template, to=request.user.email, actor=request.user)
    messages.success(
        request,
        _("保存済みのテンプレートをサンプルデータで %(email)s に送信しました。送信履歴で確認できます。")
        % {"email": request.user.email},
    )
    return redirect("notifications:template_edit", pk=template.pk)


@recruiter_required
def mail_settings(request: AuthenticatedHttpRequest) -> HttpResponse:
    company = request_company(request)
    form = MailSettingsForm(request.POST or None, instance=services.get_mail_settings(company=company))
    if request.method == "POST" and form.is_valid():
        services.update_mail_settings(
            company=company, actor=request.user, request=request, **form.cleaned_data
        )
        messages.success(request, _("メール送信設定を保存しました。"))
        return redirect("notifications:mail_settings")
    context = _page_context(
        "settings",
        form=form,
        sender=services.sender_address(company),
        contact=services.company_contact(company),
    )
    return render(request, "notifications/mail_settings.html", context)


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@recruiter_required
def mail_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = SentMailFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    mails = selectors.sent_mail_list(company=request_company(request), **filters)
    page = Paginator(mails, PAGE_SIZE).get_page(request.GET.get("page"))
    context = _page_context("sent", form=form, page=page, query=_query_without_page(request))
    return render(request, "notifications/mail_list.html", context)


@recruiter_required
def mail_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    mail = get_company_object_or_404(request, SentMail.objects.select_related("actor"), pk=pk)
    can_resend = mail.status == MailStatus.FAILED
    return render(
        request,
        "notifications/mail_detail.html",
        _page_context("sent", mail=mail, can_resend=can_resend),
    )


@recruiter_required
def mail_ics(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    mail = get_company_object_or_404(request, SentMail, pk=pk)
    if not mail.ics:
        raise Http404
    response = HttpResponse(mail.ics, content_type=f"text/calendar; charset=utf-8; method={mail.ics_method}")
    response["Content-Disposition"] = f'attachment; filename="e2rpro-{mail.pk}.ics"'
    return response


@recruiter_required
@require_POST
def mail_resend(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    mail = get_company_object_or_404(request, SentMail, pk=pk)
    try:
        services.resend_mail(sent_mail=mail, actor=request.user, request=request)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("メールを再送しました。"))
    return redirect("notifications:mail_detail", pk=mail.pk)


def _require_mailbox() -> None:
    if not mailbox_enabled():
        raise Http404


@recruiter_required
def mailbox(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_mailbox()
    form = MailboxFilterForm(request.GET or None)
    q = form.cleaned_data["q"] if form.is_valid() else ""
    page = Paginator(selectors.mailbox_list(company=request_company(request), q=q), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = _page_context("mailbox", form=form, page=page, query=_query_without_page(request))
    return render(request, "notifications/mailbox_list.html", context)


def _attachment_parts(message: MailboxMessage) -> list[Message]:
    parsed = email.message_from_bytes(bytes(message.raw), policy=email.policy.default)
    return [part for part in parsed.walk() if part.get_content_disposition() == "attachment"]


def _invite_summary(part: Message, tz) -> dict | None:
    if part.get_content_type() != "text/calendar":
        return None
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return None
    calendar = icalendar.Calendar.from_ical(payload)
    event = next(iter(calendar.walk("VEVENT")), None)
    if event is None:
        return None
    return {
        "method": str(calendar.get("method", "")),
        "summary": str(event.get("summary", "")),
        "start": timezone.localtime(event.decoded("dtstart"), tz),
        "end": timezone.localtime(event.decoded("dtend"), tz),
        "sequence": int(event.get("sequence", 0)),
        "status": str(event.get("status", "")),
        "uid": str(event.get("uid", "")),
    }


@recruiter_required
def mailbox_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    _require_mailbox()
    message = get_company_object_or_404(request, MailboxMessage, pk=pk)
    tz = request_company(request).tzinfo
    attachments = [
        {
            "index": index,
            "filename": part.get_filename() or "",
            "content_type": part.get_content_type(),
            "invite": _invite_summary(part, tz),
        }
        for index, part in enumerate(_attachment_parts(message))
    ]
    context = _page_context("mailbox", message=message, attachments=attachments)
    return render(request, "notifications/mailbox_detail.html", context)


@recruiter_required
def mailbox_attachment(request: AuthenticatedHttpRequest, pk: int, index: int) -> HttpResponse:
    _require_mailbox()
    message = get_company_object_or_404(request, MailboxMessage, pk=pk)
    parts = _attachment_parts(message)
    if index >= len(parts):
        raise Http404
    part = parts[index]
    # str(): the header is an email.headerregistry object, and WSGI servers accept plain str only.
    # Both come from the message and go into header values: on one line, the name without quote or backslash.
    content_type = replace_line_breaks(str(part.get("Content-Type")), " ")
    response = HttpResponse(part.get_payload(decode=True), content_type=content_type)
    filename = replace_line_breaks(part.get_filename() or "attachment", " ")
    filename = filename.replace('"', "").replace("\\", "")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@recruiter_required
def mailbox_raw(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The message as it left, to open in a mail program (.eml)."""
    _require_mailbox()
    message = get_company_object_or_404(request, MailboxMessage, pk=pk)
    response = HttpResponse(bytes(message.raw), content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="mail-{message.pk}.eml"'
    return response


# --- 個別メール: one applicant, from their page ---------------------------------------------------------


@recruiter_required
def personal_mail(request: AuthenticatedHttpRequest, applicant_id: int) -> HttpResponse:
    """Write a mail (or pick a template), preview it on this applicant, send it."""
    applicant = get_company_object_or_404(
        request, Applicant.objects.select_related("company"), pk=applicant_id
    )
    reason = compose.can_mail(applicant)
    form = WrittenMailForm(request.POST or None, initial={"kind": AdhocKind.PERSONAL})
    preview = None
    if request.method == "POST" and not reason and form.is_valid():
        data = form.cleaned_data
        if request.POST.get("action") == "send":
            try:
                compose.send_personal_mail(
                    applicant=applicant,
                    kind=data["kind"],
                    subject=data["subject"],
                    body=data["body"],
                    actor=request.user,
                    request=request,
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(
                    request, _("%(email)s にメールを送信しました。") % {"email": applicant.email}
                )
                return redirect(reverse("applicants:detail", args=[applicant.pk]) + "#timeline")
        else:
            composer = compose.composer_for(
                company=applicant.company, kind=data["kind"], subject=data["subject"], body=data["body"]
            )
            preview = composer.render(compose.applicant_context(applicant))
    context = {
        "applicant": applicant,
        "form": form,
        "preview": preview,
        "reason": reason,
        "placeholders": placeholders_for(AdhocKind.PERSONAL),
    }
    return render(request, "notifications/personal_mail.html", context)
