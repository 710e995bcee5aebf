from __future__ import annotations

import factory
from django.utils import timezone

from notifications.models import MailKind, MailStatus, SentMail
from tests.factories import CompanyFactory


class SentMailFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SentMail

    company = factory.SubFactory(CompanyFactory)
    kind = MailKind.BOOKING_CONFIRMED
    to_email = factory.Sequence(lambda n: f"applicant{n}@example.com")
    from_email = "株式会社テスト 採用担当 <no-reply@example.com>"
    subject = factory.Sequence(lambda n: f"【テスト】ご予約完了のお知らせ {n}")
    body = "山田 太郎 様\n\nご予約を承りました。\n"
    message_id = factory.Sequence(lambda n: f"<test-{n}@testserver>")
    status = MailStatus.SENT
    attempts = 1
    sent_at = factory.LazyFunction(timezone.now)
