"""合否連絡 under concurrency on PostgreSQL: beats running at the same moment send each due notice once, and a
decision changed while the beat runs never lets the superseded notice out afterwards."""

from __future__ import annotations

import pytest
from django.core import mail as django_mail
from django.db import connections
from django.utils import timezone

from interviews import decision_notices
from interviews.models import NoticeStatus, ResultNotice
from notifications.models import MailKind, SentMail
from tests.concurrency import run_in_threads
from tests.interviews.helpers_decisions import decide, make_scene, schedule

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def needs_postgres():
    if connections["default"].vendor != "postgresql":
        pytest.skip("row locks and concurrent writers need PostgreSQL")


def test_eight_beats_at_once_send_each_due_notice_exactly_once(world):
    scene = make_scene(world.acme)
    notices = []
    for index in range(12):
        applicant = scene.booked(f"同時 {index}")
        notices.append(schedule(decide(scene, applicant, "pass"), scene.recruiter, timezone.now()))
    ResultNotice.objects.update(status=NoticeStatus.SCHEDULED, sent_at=None, sent_mail_id=None)
    SentMail.objects.filter(kind=MailKind.RESULT_PASS).delete()
    django_mail.outbox.clear()

    results, errors = run_in_threads(8, lambda _i: decision_notices.send_due_result_notices())

    assert errors == []
    assert sum(results) == 12
    assert SentMail.objects.filter(kind=MailKind.RESULT_PASS).count() == 12
    assert set(ResultNotice.objects.values_list("status", flat=True)) == {NoticeStatus.SENT}
    assert sorted(m.to[0] for m in django_mail.outbox if "選考結果" in m.subject) == sorted(
        n.applicant.email for n in notices
    )


def test_a_decision_and_beats_racing_send_the_superseded_notice_at_most_before_the_change(world):
    scene = make_scene(world.acme)
    applicant = scene.booked("競合 花子")
    notice = schedule(decide(scene, applicant, "pass"), scene.recruiter, timezone.now())
    ResultNotice.objects.filter(pk=notice.pk).update(status=NoticeStatus.SCHEDULED, sent_mail_id=None)
    SentMail.objects.filter(kind=MailKind.RESULT_PASS).delete()

    def work(index: int):
        if index == 0:
            return decide(scene, applicant, "fail").pk
        return decision_notices.send_due_result_notices()

    _results, errors = run_in_threads(6, work)

    assert errors == []
    notice.refresh_from_db()
    sent = SentMail.objects.filter(kind=MailKind.RESULT_PASS).count()
    # Either the notice went before the decision changed (sent, once), or the change cancelled it.
    assert (notice.status, sent) in {(NoticeStatus.SENT, 1), (NoticeStatus.CANCELLED, 0)}
