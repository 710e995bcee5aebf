"""Demo data: the default templates, a sender setting, and one sample mail in the local mailbox."""

from __future__ import annotations

from accounts.models import Company, Role
from notifications import services
from notifications.models import MailKind, MailSettings, SentMail

DEMO_CONTACT = (
    "株式会社デモ商事 人事部 採用担当\nTEL: 03-0000-0000（平日 10:00〜18:00）\nrecruit@demo.example.com"
)


def seed(*, company: Company, users: dict, stdout) -> None:
    templates = {t.kind: t for t in services.ensure_templates(company=company)}
    MailSettings.objects.get_or_create(
        company=company, defaults={"reply_to": "recruit@demo.example.com", "contact": DEMO_CONTACT}
    )
    if not SentMail.objects.filter(company=company).exists():
        recruiter = users[Role.RECRUITER]
        services.send_test_mail(
            template=templates[MailKind.BOOKING_CONFIRMED], to=recruiter.email, actor=recruiter
        )
    stdout.write("  notifications: mail templates, sender settings, a sample mail (メール設定 → 送信履歴)")
