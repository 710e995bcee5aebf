import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import AuditEntry
from notifications import services
from notifications.defaults import DEFAULT_TEMPLATES
from notifications.models import MailKind, MailSettings, MailTemplate, SentMail
from tests.helpers import client_for

pytestmark = pytest.mark.django_db


def _template(company, kind=MailKind.BOOKING_CONFIRMED) -> MailTemplate:
    return services.get_template(company=company, kind=kind)


def _edit_url(template) -> str:
    return reverse("notifications:template_edit", args=[template.pk])


def test_the_template_list_creates_the_japanese_defaults_on_first_visit(as_recruiter, world):
    assert not MailTemplate.objects.exists()
    response = as_recruiter.get(reverse("notifications:template_list"))
    assert response.status_code == 200
    templates = MailTemplate.objects.filter(company=world.acme.company)
    assert {t.kind for t in templates} == set(MailKind)
    content = response.content.decode()
    for kind in MailKind:
        assert str(kind.label) in content
    assert "【{会社名}】{選考会名} ご予約完了のお知らせ" in content
    # Visiting again creates nothing new.
    as_recruiter.get(reverse("notifications:template_list"))
    assert MailTemplate.objects.count() == len(MailKind)


def test_each_company_has_its_own_templates(world):
    acme = _template(world.acme.company)
    other = _template(world.other.company)
    assert acme.pk != other.pk
    services.update_template(
        template=acme, subject="アクメの件名", body="本文 {応募者名}", actor=world.acme.admin
    )
    other.refresh_from_db()
    assert other.subject == DEFAULT_TEMPLATES[MailKind.BOOKING_CONFIRMED].subject


def test_the_list_shows_only_the_companys_own_templates(as_recruiter, world):
    services.update_template(
        template=_template(world.other.company),
        subject="他社だけの件名",
        body="本文",
        actor=world.other.admin,
    )
    content = as_recruiter.get(reverse("notifications:template_list")).content.decode()
    assert "他社だけの件名" not in content


@pytest.mark.parametrize("role", ["admin", "recruiter"])
def test_admins_and_recruiters_edit_a_template(world, role):
    template = _template(world.acme.company)
    client = client_for(world.acme.user(role))
    response = client.post(
        _edit_url(template),
        {
            "subject": "【{会社名}】ご予約ありがとうございます",
            "body": "{応募者名} 様\r\n\r\n{日時} にお待ちしています。\r\n",
            "action": "save",
        },
    )
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.subject == "【{会社名}】ご予約ありがとうございます"
    assert template.body == "{応募者名} 様\n\n{日時} にお待ちしています。\n"
    assert template.updated_by == world.acme.user(role)
    assert AuditEntry.objects.filter(
        action="mail.template_updated", company=world.acme.company, target_id=str(template.pk)
    ).exists()


def test_interviewers_may_not_open_or_change_templates(as_interviewer, world):
    template = _template(world.acme.company)
    assert as_interviewer.get(reverse("notifications:template_list")).status_code == 403
    assert as_interviewer.get(_edit_url(template)).status_code == 403
    response = as_interviewer.post(_edit_url(template), {"subject": "x", "body": "y", "action": "save"})
    assert response.status_code == 403
    assert as_interviewer.post(reverse("notifications:template_reset", args=[template.pk])).status_code == 403
    template.refresh_from_db()
    assert template.subject == DEFAULT_TEMPLATES[MailKind.BOOKING_CONFIRMED].subject


def test_another_companys_template_answers_404_and_stays_unchanged(as_admin, world):
    template = _template(world.other.company)
    assert as_admin.get(_edit_url(template)).status_code == 404
    response = as_admin.post(_edit_url(template), {"subject": "乗っ取り", "body": "本文", "action": "save"})
    assert response.status_code == 404
    for name in ("template_reset", "template_preview", "template_test_send"):
        assert (
            as_admin.post(
                reverse(f"notifications:{name}", args=[template.pk]), {"subject": "a", "body": "b"}
            ).status_code
            == 404
        )
    template.refresh_from_db()
    assert template.subject == DEFAULT_TEMPLATES[MailKind.BOOKING_CONFIRMED].subject
    assert not SentMail.objects.exists()


def test_saving_an_unknown_placeholder_is_refused_with_its_name(as_recruiter, world):
    template = _template(world.acme.company)
    response = as_recruiter.post(
        _edit_url(template),
        {"subject": "{会社名} のご案内", "body": "{応募者名} 様 {面接日} です", "action": "save"},
    )
    assert response.status_code == 200
    assert "不明な差し込み項目です: {面接日}" in response.content.decode()
    template.refresh_from_db()
    assert "{面接日}" not in template.body


def test_saving_a_malformed_brace_in_the_subject_is_refused(as_recruiter, world):
    template = _template(world.acme.company)
    response = as_recruiter.post(
        _edit_url(template), {"subject": "{会社名 のご案内", "body": "本文", "action": "save"}
    )
    assert response.status_code == 200
    assert "波括弧が対応していません" in response.content.decode()
    template.refresh_from_db()
    assert template.subject == DEFAULT_TEMPLATES[MailKind.BOOKING_CONFIRMED].subject


def test_the_edit_page_previews_the_saved_template_with_sample_data(as_recruiter, world):
    template = _template(world.acme.company)
    content = as_recruiter.get(_edit_url(template)).content.decode()
    assert "【株式会社アクメ】一次面接 ご予約完了のお知らせ" in content
    assert "山田 太郎 様" in content
    assert "https://zoom.us/j/91033400269?pwd=SAMPLE" in content
    # The reference table lists the kind's placeholders.
    assert "{予約確認URL}" in content and "{日程ページURL}" not in content


def test_the_preview_button_renders_unsaved_text_without_saving(as_recruiter, world):
    template = _template(world.acme.company)
    response = as_recruiter.post(
        _edit_url(template),
        {"subject": "件名 {応募者名}", "body": "<b>{応募者名}</b> さん", "action": "preview"},
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "件名 山田 太郎" in content
    assert "&lt;b&gt;山田 太郎&lt;/b&gt; さん" in content  # shown as text on the page, never as markup
    template.refresh_from_db()
    assert template.subject == DEFAULT_TEMPLATES[MailKind.BOOKING_CONFIRMED].subject


def test_the_live_preview_fragment_renders_the_posted_text(as_recruiter, world):
    template = _template(world.acme.company, MailKind.HOST_NOTICE)
    url = reverse("notifications:template_preview", args=[template.pk])
    response = as_recruiter.post(url, {"subject": "{通知内容}", "body": "{面接官名} 様 {日程ページURL}"})
    assert response.status_code == 200
    content = response.content.decode()
    assert "予約が入りました" in content
    assert "面接 一郎 様 http://testserver/selection/slots/sample/" in content
    assert "<html" not in content
    refused = as_recruiter.post(url, {"subject": "x", "body": "{ZoomURL}"})
    assert "{ZoomURL} は「面接官への通知」のメールでは使えません。" in refused.content.decode()
    assert as_recruiter.get(url).status_code == 405


def test_reset_puts_the_default_back(as_admin, world):
    template = _template(world.acme.company)
    services.update_template(template=template, subject="変更", body="変更した本文", actor=world.acme.admin)
    response = as_admin.post(reverse("notifications:template_reset", args=[template.pk]))
    assert response.status_code == 302
    template.refresh_from_db()
    assert (template.subject, template.body) == (
        DEFAULT_TEMPLATES[MailKind.BOOKING_CONFIRMED].subject,
        DEFAULT_TEMPLATES[MailKind.BOOKING_CONFIRMED].body,
    )
    assert template.is_default
    assert AuditEntry.objects.filter(action="mail.template_reset", target_id=str(template.pk)).exists()


def test_a_test_send_mails_the_saved_template_to_the_signed_in_user(
    as_recruiter, world, django_capture_on_commit_callbacks
):
    template = _template(world.acme.company)
    with django_capture_on_commit_callbacks(execute=True):
        response = as_recruiter.post(reverse("notifications:template_test_send", args=[template.pk]))
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [world.acme.recruiter.email]
    assert message.subject == "[テスト送信] 【株式会社アクメ】一次面接 ご予約完了のお知らせ"
    sent = SentMail.objects.get()
    assert sent.is_test and sent.ics_method == "REQUEST"


def test_mail_settings_are_edited_and_used(as_admin, world):
    url = reverse("notifications:mail_settings")
    response = as_admin.post(
        url,
        {
            "sender_name": "アクメ 人事部",
            "reply_to": "jinji@acme.example.com",
            "contact": "人事部 03-1234-5678",
        },
    )
    assert response.status_code == 302
    settings = MailSettings.objects.get(company=world.acme.company)
    assert settings.sender_name == "アクメ 人事部"
    assert services.sender_address(world.acme.company) == "アクメ 人事部 <no-reply@example.com>"
    assert services.company_contact(world.acme.company) == "人事部 03-1234-5678"
    assert not MailSettings.objects.filter(company=world.other.company, sender_name="アクメ 人事部").exists()
    assert AuditEntry.objects.filter(action="mail.settings_updated", company=world.acme.company).exists()
    assert "アクメ 人事部 &lt;no-reply@example.com&gt;" in as_admin.get(url).content.decode()


def test_a_sender_name_with_a_comma_is_quoted(world):
    MailSettings.objects.create(company=world.acme.company, sender_name="アクメ, 人事部")
    assert services.sender_address(world.acme.company) == '"アクメ, 人事部" <no-reply@example.com>'


def test_an_invalid_reply_to_is_refused(as_admin, world):
    response = as_admin.post(
        reverse("notifications:mail_settings"), {"sender_name": "", "reply_to": "nope", "contact": ""}
    )
    assert response.status_code == 200
    assert not MailSettings.objects.filter(company=world.acme.company, reply_to="nope").exists()


def test_the_navigation_offers_mail_settings_to_recruiters_only(world):
    for role, expected in (("admin", True), ("recruiter", True), ("interviewer", False)):
        response = client_for(world.acme.user(role)).get(reverse("dashboard"))
        labels = [str(item["label"]) for item in response.context["nav_items"]]
        assert ("メール設定" in labels) is expected
