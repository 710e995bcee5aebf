"""合否連絡: 合格通知 / 不合格通知 sent now or at a time (翌営業日 10:00 or chosen), cancellable until sent,
never sent twice, stopped by a changed decision, in 送信履歴 and on the timeline."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail as django_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from accounts.models import AuditEntry, ClosedDay
from applicants import services as applicant_services
from applicants.models import Applicant
from interviews import decision_notices, decision_tasks
from interviews.decision_forms import NoticeTimingForm
from interviews.models import CancelReason, Decision, DecisionResult, NoticeStatus, ResultNotice
from notifications.models import MailKind, SentMail
from tests.applicants.factories import stage_named
from tests.helpers import client_for
from tests.interviews.helpers_decisions import (
    cancel_url,
    decide,
    decision_url,
    detail_url,
    in_hours,
    make_scene,
    messages_of,
    notice_url,
    schedule,
)

pytestmark = pytest.mark.django_db
TOKYO = ZoneInfo("Asia/Tokyo")


@pytest.fixture
def scene(world):
    return make_scene(world.acme)


@pytest.fixture
def hanako(scene):
    return scene.booked("佐藤 花子", email="hanako.sato@example.jp")


@pytest.fixture
def passed(scene, hanako):
    return decide(scene, hanako, "pass", move_to_stage=stage_named(scene.company, "二次面接"))


def result_mails():
    return SentMail.objects.filter(kind__in=[MailKind.RESULT_PASS, MailKind.RESULT_FAIL])


def due_now(notice: ResultNotice) -> None:
    ResultNotice.objects.filter(pk=notice.pk).update(send_at=timezone.now() - timedelta(minutes=1))


# --- 翌営業日 10:00 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2026, 12, 4, 15, 0, tzinfo=TOKYO), datetime(2026, 12, 7, 10, 0, tzinfo=TOKYO)),  # Fri → Mon
        (datetime(2026, 12, 5, 9, 0, tzinfo=TOKYO), datetime(2026, 12, 7, 10, 0, tzinfo=TOKYO)),  # Sat → Mon
        (datetime(2026, 12, 7, 9, 0, tzinfo=TOKYO), datetime(2026, 12, 8, 10, 0, tzinfo=TOKYO)),  # Mon → Tue
        # 23:30 on Thursday in Tokyo is Thursday 14:30 UTC: the company's day counts.
        (datetime(2026, 12, 3, 14, 30, tzinfo=ZoneInfo("UTC")), datetime(2026, 12, 4, 10, 0, tzinfo=TOKYO)),
    ],
)
def test_the_next_business_day_is_the_next_weekday_at_ten_in_the_company_zone(now, expected):
    assert decision_notices.next_business_day(now, TOKYO) == expected


def test_a_company_in_another_zone_gets_ten_oclock_there():
    new_york = ZoneInfo("America/New_York")
    friday_evening = datetime(2026, 12, 4, 20, 0, tzinfo=new_york)

    at = decision_notices.next_business_day(friday_evening, new_york)

    assert at == datetime(2026, 12, 7, 10, 0, tzinfo=new_york)
    assert at.astimezone(TOKYO).hour == 0  # midnight in Tokyo, 10:00 for the company


def test_the_next_business_day_skips_holidays_and_the_companys_closed_days(world):
    friday = datetime(2026, 5, 1, 15, 0, tzinfo=TOKYO)  # then Sat, Sun, 5/4–5/6 (5/6 is a 振替休日)

    assert decision_notices.next_business_day(friday, TOKYO) == datetime(2026, 5, 7, 10, 0, tzinfo=TOKYO)

    ClosedDay.objects.create(
        company=world.acme.company, start_date=date(2026, 5, 7), end_date=date(2026, 5, 7), label="創立記念日"
    )
    at = decision_notices.next_business_day(friday, TOKYO, company=world.acme.company)
    assert at == datetime(2026, 5, 8, 10, 0, tzinfo=TOKYO)
    other = decision_notices.next_business_day(friday, TOKYO, company=world.other.company)
    assert other == datetime(2026, 5, 7, 10, 0, tzinfo=TOKYO)

    form = NoticeTimingForm(company=world.acme.company, now=friday)
    assert "5/8" in str(dict(form.fields["timing"].choices)["next_business_day"])


def test_the_quick_choice_schedules_the_next_business_day_at_ten(world, passed):
    client = client_for(world.acme.recruiter)

    response = client.post(notice_url(passed), {"timing": "next_business_day"}, follow=True)

    notice = ResultNotice.objects.get()
    assert notice.status == NoticeStatus.SCHEDULED
    assert notice.send_at == decision_notices.next_business_day(notice.created_at, TOKYO)
    local = timezone.localtime(notice.send_at, TOKYO)
    assert (local.hour, local.minute, local.weekday() < 5) == (10, 0, True)
    assert any("送信前なら取り消せます" in text for text in messages_of(response))
    assert not result_mails().exists()


# --- now ------------------------------------------------------------------------------------------------


def test_pass_now_mails_the_pass_notice_with_the_next_step(
    world, scene, hanako, django_capture_on_commit_callbacks
):
    client = client_for(world.acme.recruiter)
    second = stage_named(scene.company, "二次面接")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            decision_url(hanako, scene.meeting), {"result": "pass", "stage": second.pk, "timing": "now"}
        )

    assert response.status_code == 302
    notice = ResultNotice.objects.get()
    assert (notice.status, notice.result, notice.created_by) == ("sent", "pass", world.acme.recruiter)
    sent = SentMail.objects.get(pk=notice.sent_mail_id)
    assert (sent.kind, sent.applicant_id, sent.to_email) == (MailKind.RESULT_PASS, hanako.pk, hanako.email)
    assert sent.dedupe_key == f"result-notice:{notice.pk}"
    assert "次の選考: 二次面接" in sent.body and "佐藤 花子 様" in sent.body
    assert [m.to for m in django_mail.outbox] == [["hanako.sato@example.jp"]]
    assert "一次面接 選考結果のご連絡" in django_mail.outbox[0].subject


def test_the_sent_notice_is_in_the_mail_log_and_on_the_timeline(
    world, passed, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notice = schedule(passed, world.acme.recruiter)
    notice.refresh_from_db()
    client = client_for(world.acme.recruiter)
    subject = SentMail.objects.get(pk=notice.sent_mail_id).subject

    assert subject in client.get(reverse("notifications:mail_list")).content.decode()
    detail = client.get(detail_url(passed.applicant)).content.decode()
    assert "メール送信: 合格通知" in detail
    assert reverse("notifications:mail_detail", args=[notice.sent_mail_id]) in detail


def test_the_next_step_falls_back_to_the_next_selection_meeting(
    world, scene, hanako, django_capture_on_commit_callbacks
):
    decision = decide(scene, hanako, "pass")  # the stage stays

    with django_capture_on_commit_callbacks(execute=True):
        schedule(decision, world.acme.recruiter)

    assert "次の選考: 二次面接（役員）" in result_mails().get().body


def test_a_fail_notice_uses_the_fail_template(world, scene, hanako, django_capture_on_commit_callbacks):
    decision = decide(scene, hanako, "fail")

    with django_capture_on_commit_callbacks(execute=True):
        schedule(decision, world.acme.recruiter)

    sent = result_mails().get()
    assert sent.kind == MailKind.RESULT_FAIL and "貴意に添いかねる" in sent.body


def test_a_broker_outage_loses_no_notice(world, passed, monkeypatch, django_capture_on_commit_callbacks):
    def broker_down(*args, **kwargs):
        raise OperationalError("Connection refused")

    monkeypatch.setattr(decision_tasks.send_result_notices_task, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        notice = schedule(passed, world.acme.recruiter)

    notice.refresh_from_db()
    assert notice.status == NoticeStatus.SCHEDULED and notice.send_at <= timezone.now()
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        assert decision_tasks.send_due_result_notices.delay().get() == 1
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.SENT
    assert len(django_mail.outbox) == 1


# --- scheduled ------------------------------------------------------------------------------------------


def test_a_chosen_time_is_sent_once_by_the_beat_even_when_it_runs_twice(
    world, passed, django_capture_on_commit_callbacks
):
    client = client_for(world.acme.recruiter)
    tomorrow = timezone.localtime(in_hours(26), TOKYO)
    data = {"timing": "at", "send_date": tomorrow.date().isoformat(), "send_time": "15:30"}
    assert client.post(notice_url(passed), data).status_code == 302
    notice = ResultNotice.objects.get()
    assert timezone.localtime(notice.send_at, TOKYO).strftime("%H:%M") == "15:30"

    with django_capture_on_commit_callbacks(execute=True):
        assert decision_notices.send_due_result_notices() == 0  # not yet
        assert result_mails().count() == 0
        due_now(notice)
        assert decision_tasks.send_due_result_notices.delay().get() == 1
        assert decision_tasks.send_due_result_notices.delay().get() == 0
        assert decision_tasks.send_result_notices_task.delay([notice.pk]).get() == 0

    assert SentMail.objects.filter(kind=MailKind.RESULT_PASS).count() == 1
    assert len(django_mail.outbox) == 1
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.SENT and notice.sent_at is not None


@pytest.mark.parametrize(
    ("days", "at", "error"),
    [
        (-1, "10:00", "今日から60日以内の日付を指定してください。"),
        (61, "10:00", "今日から60日以内の日付を指定してください。"),
        (0, "00:00", "これから先の日時を指定してください。"),
        (1, "", "送信する日付と時刻を入力してください。"),
    ],
)
def test_a_chosen_time_in_the_past_or_too_far_ahead_is_refused(world, passed, days, at, error):
    day = timezone.localdate(timezone.now(), TOKYO) + timedelta(days=days)
    data = {"timing": "at", "send_date": day.isoformat(), "send_time": at}
    if days == 1:
        data.pop("send_time")

    response = client_for(world.acme.recruiter).post(notice_url(passed), data)

    assert response.status_code == 200
    assert error in response.content.decode()
    assert not ResultNotice.objects.exists()


# --- 取り消し ----------------------------------------------------------------------------------------------


def test_cancel_before_sending_sends_nothing(world, passed, django_capture_on_commit_callbacks):
    notice = schedule(passed, world.acme.recruiter, in_hours(3))
    client = client_for(world.acme.recruiter)

    response = client.post(cancel_url(notice), {"back": "applicant"}, follow=True)

    assert response.redirect_chain[-1][0] == detail_url(passed.applicant) + "#decisions"
    assert "合否連絡を取り消しました。応募者には送信されません。" in messages_of(response)
    notice.refresh_from_db()
    assert (notice.status, notice.cancel_reason, notice.cancelled_by) == (
        "cancelled",
        CancelReason.BY_USER,
        world.acme.recruiter,
    )
    due_now(notice)
    with django_capture_on_commit_callbacks(execute=True):
        assert decision_notices.send_due_result_notices() == 0
    assert not result_mails().exists() and django_mail.outbox == []
    assert AuditEntry.objects.filter(action="interview.result_notice_cancelled").count() == 1


def test_cancel_after_sending_is_refused(world, passed, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notice = schedule(passed, world.acme.recruiter)

    response = client_for(world.acme.recruiter).post(cancel_url(notice), follow=True)

    assert "送信済みの合否連絡は取り消せません。" in messages_of(response)
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.SENT
    assert not AuditEntry.objects.filter(action="interview.result_notice_cancelled").exists()


def test_a_cancelled_notice_cannot_be_cancelled_again(world, passed):
    notice = schedule(passed, world.acme.recruiter, in_hours(3))
    client = client_for(world.acme.recruiter)
    client.post(cancel_url(notice))

    response = client.post(cancel_url(notice), follow=True)

    assert "この合否連絡は既に取り消されています。" in messages_of(response)
    assert AuditEntry.objects.filter(action="interview.result_notice_cancelled").count() == 1


# --- a changed decision ---------------------------------------------------------------------------------


def test_a_new_decision_cancels_the_scheduled_notice_of_the_old_one(
    world, scene, passed, django_capture_on_commit_callbacks
):
    notice = schedule(passed, world.acme.recruiter, in_hours(3))
    client = client_for(world.acme.recruiter)

    response = client.post(
        decision_url(passed.applicant, scene.meeting), {"result": "fail", "timing": "none"}, follow=True
    )

    notice.refresh_from_db()
    assert (notice.status, notice.cancel_reason) == ("cancelled", CancelReason.SUPERSEDED)
    assert any("送信予定だった合否連絡を取り消しました" in text for text in messages_of(response))
    assert AuditEntry.objects.get(action="interview.decided", details__result="fail").details[
        "cancelled_notice_ids"
    ] == [notice.pk]
    due_now(notice)
    with django_capture_on_commit_callbacks(execute=True):
        assert decision_notices.send_due_result_notices() == 0
    assert not result_mails().exists()


def test_a_notice_whose_decision_is_no_longer_current_is_never_sent(
    world, scene, passed, django_capture_on_commit_callbacks
):
    notice = schedule(passed, world.acme.recruiter, in_hours(3))
    # A newer decision written without the service (a restore, a manual fix): the sender still checks.
    Decision.objects.create(
        company=scene.company, applicant=passed.applicant, selection_meeting=scene.meeting, result="fail"
    )
    due_now(notice)

    with django_capture_on_commit_callbacks(execute=True):
        assert decision_notices.send_due_result_notices() == 0

    notice.refresh_from_db()
    assert (notice.status, notice.cancel_reason, notice.cancelled_by) == (
        "cancelled",
        CancelReason.SUPERSEDED,
        None,
    )
    assert not result_mails().exists()


def test_a_result_mailed_once_is_not_mailed_again_after_a_new_decision(
    world, scene, passed, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        schedule(passed, world.acme.recruiter)
    again = decide(scene, passed.applicant, "pass", comment="再確認")

    response = client_for(world.acme.recruiter).get(notice_url(again))

    assert "この選考会の合格通知は送信済みです。" in response.content.decode()
    with pytest.raises(Exception, match="送信済み"):
        schedule(again, world.acme.recruiter)
    assert result_mails().count() == 1


# --- never twice ----------------------------------------------------------------------------------------


def test_a_decision_has_at_most_one_live_notice(world, passed):
    schedule(passed, world.acme.recruiter, in_hours(3))
    client = client_for(world.acme.recruiter)

    response = client.post(notice_url(passed), {"timing": "now"})

    assert "送信予定の合否連絡があります" in response.content.decode()
    assert ResultNotice.objects.count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        ResultNotice.objects.create(
            company=passed.company,
            applicant=passed.applicant,
            decision=passed,
            result="pass",
            send_at=in_hours(1),
        )


def test_a_notice_for_a_hold_decision_is_refused(world, scene, hanako):
    held = decide(scene, hanako, "hold")

    page = client_for(world.acme.recruiter).get(notice_url(held))

    assert "保留の判定には合否連絡を送りません。" in page.content.decode()
    assert '<form method="post" class="form form--wide"' not in page.content.decode()
    with pytest.raises(Exception, match="保留"):
        schedule(held, world.acme.recruiter)


# --- the applicant's data -------------------------------------------------------------------------------


def test_an_applicant_without_an_address_gets_no_notice(world, scene):
    nameless = scene.booked("山本 一郎", email="")
    response = client_for(world.acme.recruiter).post(
        decision_url(nameless, scene.meeting), {"result": "fail", "timing": "now"}
    )

    assert "メールアドレスが登録されていないため、合否連絡を送れません。" in response.content.decode()
    assert not Decision.objects.exists()


def test_an_address_removed_before_the_time_cancels_the_notice_instead_of_retrying(
    world, passed, django_capture_on_commit_callbacks
):
    notice = schedule(passed, world.acme.recruiter, in_hours(3))
    Applicant.objects.filter(pk=passed.applicant_id).update(email="")
    due_now(notice)

    with django_capture_on_commit_callbacks(execute=True):
        assert decision_notices.send_due_result_notices() == 0
        assert decision_notices.send_due_result_notices() == 0

    notice.refresh_from_db()
    assert (notice.status, notice.cancel_reason) == ("cancelled", CancelReason.NO_ADDRESS)
    assert not result_mails().exists()


def test_anonymizing_cancels_scheduled_notices_and_erases_decision_comments(world, scene, hanako):
    decision = decide(scene, hanako, "fail", comment="志望動機が弱い")
    notice = schedule(decision, world.acme.recruiter, in_hours(3))

    applicant_services.anonymize_applicant(applicant=hanako, actor=world.acme.admin)

    notice.refresh_from_db()
    assert (notice.status, notice.cancel_reason) == ("cancelled", CancelReason.ANONYMIZED)
    assert Decision.objects.get().comment == ""


# --- the panel ------------------------------------------------------------------------------------------


def test_the_panel_shows_a_scheduled_notice_with_its_cancel_button(world, passed):
    notice = schedule(passed, world.acme.recruiter, in_hours(30))

    html = client_for(world.acme.recruiter).get(detail_url(passed.applicant)).content.decode()

    assert "送信予定" in html
    assert timezone.localtime(notice.send_at, TOKYO).strftime("%Y/%m/%d %H:%M") in html
    assert cancel_url(notice) in html
    assert notice_url(passed) not in html  # one live notice: no second 合否連絡を送る


def test_a_scheduled_notice_is_on_the_timeline_and_so_is_its_cancellation(world, passed):
    notice = schedule(passed, world.acme.recruiter, in_hours(30))
    decision_notices.cancel_result_notice(notice=notice, actor=world.acme.admin)

    html = client_for(world.acme.recruiter).get(detail_url(passed.applicant)).content.decode()

    assert "合否連絡を予約: 合格（一次面接）" in html
    assert "合否連絡を取り消し: 合格（一次面接）" in html
    assert "担当者が取り消し" in html


def test_result_kinds_are_pass_and_fail_only(world, passed):
    with pytest.raises(ValueError):
        decision_notices.bulk_schedule_result_notices(
            selection_meeting=passed.selection_meeting,
            applicant_ids=[passed.applicant_id],
            result=DecisionResult.HOLD,
            notice=decision_notices.NoticePlan(),
            actor=world.acme.recruiter,
        )


@pytest.mark.parametrize("role", ["interviewer"])
def test_an_interviewer_gets_403_on_the_notice_pages(world, scene, passed, role):
    notice = schedule(passed, world.acme.recruiter, in_hours(3))
    client = client_for(world.acme.user(role))

    assert client.get(notice_url(passed)).status_code == 403
    assert client.post(notice_url(passed), {"timing": "now"}).status_code == 403
    assert client.post(cancel_url(notice)).status_code == 403
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.SCHEDULED and ResultNotice.objects.count() == 1


def test_another_companys_decision_and_notice_answer_404_and_change_nothing(world, passed):
    notice = schedule(passed, world.acme.recruiter, in_hours(3))
    client = client_for(world.other.admin)

    assert client.get(notice_url(passed)).status_code == 404
    assert client.post(notice_url(passed), {"timing": "now"}).status_code == 404
    assert client.post(cancel_url(notice)).status_code == 404
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.SCHEDULED and ResultNotice.objects.count() == 1


def test_the_worker_knows_the_tasks_and_the_beat_runs_every_minute(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["interviews-send-due-result-notices"]
    assert entry["task"] == "interviews.decision_tasks.send_due_result_notices"
    assert entry["schedule"].minute == set(range(60))
    # A fresh process starts the app as a worker does (autodiscovery reads only tasks.py modules).
    script = (
        "from e2rpro.celery import app\n"
        "app.loader.import_default_modules()\n"
        "print(sorted(name for name in app.tasks if name.startswith('interviews.')))\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "e2rpro.settings_test"}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    assert "interviews.decision_tasks.send_due_result_notices" in out.stdout
    assert "interviews.decision_tasks.send_result_notices_task" in out.stdout
