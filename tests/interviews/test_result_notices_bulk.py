"""合否連絡 in bulk: a 選考会's applicants with their current decision; the selected ones whose decision
matches get the notice, the others are skipped with the reason shown. The notice list page with 取り消し."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AuditEntry
from interviews import decision_notices
from interviews.models import NoticeStatus, ResultNotice
from notifications.models import MailKind, SentMail
from tests.applicants.factories import ApplicantFactory
from tests.helpers import client_for
from tests.interviews.helpers_decisions import (
    bulk_url,
    cancel_url,
    decide,
    in_hours,
    make_scene,
    messages_of,
    schedule,
)

pytestmark = pytest.mark.django_db
LIST_URL = "/interviews/result-notices/"


@pytest.fixture
def scene(world):
    return make_scene(world.acme)


@pytest.fixture
def people(scene, django_capture_on_commit_callbacks):
    """Six applicants of 一次面接 in every state a bulk 合格通知 meets."""
    named = {
        key: scene.booked(name, **extra)
        for key, name, extra in (
            ("ready", "青木 一郎", {}),
            ("notified", "井上 二郎", {}),
            ("held", "上田 三郎", {}),
            ("failed", "江藤 四郎", {}),
            ("undecided", "小野 五郎", {}),
            ("no_mail", "加藤 六郎", {"email": ""}),
        )
    }
    for key in ("ready", "notified", "no_mail"):
        decide(scene, named[key], "pass")
    decide(scene, named["held"], "hold")
    decide(scene, named["failed"], "fail")
    with django_capture_on_commit_callbacks(execute=True):
        schedule(named["notified"].decisions.get(), scene.recruiter)
    return named


def post_bulk(client, meeting, ids, result="pass", **data):
    return client.post(
        bulk_url(meeting), {"ids": [str(i) for i in ids], "result": result, **data}, follow=True
    )


def test_the_page_lists_the_meetings_applicants_with_their_current_decision(world, scene, people):
    page = client_for(world.acme.recruiter).get(bulk_url(scene.meeting))

    html = page.content.decode()
    assert page.status_code == 200
    for applicant in people.values():
        assert applicant.name in html
    assert "6名（合格 3・不合格 1・保留 1・未判定 1）" in html
    only_pass = client_for(world.acme.recruiter).get(bulk_url(scene.meeting), {"result": "pass"})
    assert [row.applicant.name for row in only_pass.context["rows"]] == [
        "青木 一郎",
        "井上 二郎",
        "加藤 六郎",
    ]


def test_bulk_pass_now_sends_to_the_matching_ones_and_skips_the_others_with_reasons(
    world, scene, people, django_capture_on_commit_callbacks
):
    client = client_for(world.acme.recruiter)

    with django_capture_on_commit_callbacks(execute=True):
        response = post_bulk(client, scene.meeting, [a.pk for a in people.values()], timing="now")

    notices = ResultNotice.objects.filter(status=NoticeStatus.SENT).exclude(applicant=people["notified"])
    assert [n.applicant for n in notices] == [people["ready"]]
    assert SentMail.objects.filter(kind=MailKind.RESULT_PASS).count() == 2  # the earlier one and this one
    shown = messages_of(response)
    assert "合格通知を送信します（1名）。送信履歴で状況を確認できます。" in shown
    assert "送信しなかった応募者 1名（合否連絡は送信済みです）: 井上 二郎" in shown
    assert "送信しなかった応募者 1名（保留の判定には合否連絡を送りません）: 上田 三郎" in shown
    assert "送信しなかった応募者 1名（現在の判定は「不合格」です）: 江藤 四郎" in shown
    assert "送信しなかった応募者 1名（まだ判定していません）: 小野 五郎" in shown
    assert "送信しなかった応募者 1名（メールアドレスが登録されていません）: 加藤 六郎" in shown
    entry = AuditEntry.objects.get(action="interview.result_notices_scheduled")
    assert entry.details["applicant_ids"] == [people["ready"].pk]


def test_bulk_fail_for_the_next_business_day_is_scheduled_not_sent(world, scene, people):
    client = client_for(world.acme.recruiter)

    response = post_bulk(
        client,
        scene.meeting,
        [people["failed"].pk, people["ready"].pk],
        result="fail",
        timing="next_business_day",
    )

    notice = ResultNotice.objects.get(result="fail")
    assert notice.applicant == people["failed"] and notice.status == NoticeStatus.SCHEDULED
    assert notice.send_at == decision_notices.next_business_day(notice.created_at, scene.company.tzinfo)
    assert not SentMail.objects.filter(kind=MailKind.RESULT_FAIL).exists()
    assert any("不合格通知を" in text and "送信前なら取り消せます" in text for text in messages_of(response))


def test_nothing_to_send_is_an_error_and_writes_nothing(world, scene, people):
    response = post_bulk(client_for(world.acme.recruiter), scene.meeting, [people["held"].pk], timing="now")

    assert "合否連絡を送れる応募者がいませんでした。" in messages_of(response)
    assert ResultNotice.objects.count() == 1  # the earlier one
    assert not AuditEntry.objects.filter(action="interview.result_notices_scheduled").exists()


def test_a_missing_selection_or_choice_keeps_the_page_with_the_error(world, scene, people):
    client = client_for(world.acme.recruiter)

    nobody = client.post(bulk_url(scene.meeting), {"result": "pass", "timing": "now"})
    no_time = client.post(
        bulk_url(scene.meeting), {"ids": [people["ready"].pk], "result": "pass", "timing": "at"}
    )

    assert nobody.status_code == 200 and "応募者を選択してください。" in nobody.content.decode()
    assert no_time.status_code == 200 and "送信する日付と時刻を入力してください。" in no_time.content.decode()
    assert f'value="{people["ready"].pk}" id="pick-{people["ready"].pk}" checked' in no_time.content.decode()
    assert ResultNotice.objects.count() == 1


def test_ids_of_another_company_or_another_meeting_are_ignored(world, scene, people):
    other = make_scene(world.other)
    theirs = other.booked("他社 応募者")
    decide(other, theirs, "pass")
    outsider = ApplicantFactory(company=scene.company, name="別選考 太郎")

    response = post_bulk(
        client_for(world.acme.recruiter), scene.meeting, [theirs.pk, outsider.pk, "99999999999"], timing="now"
    )

    assert "合否連絡を送れる応募者がいませんでした。" in messages_of(response)
    assert not ResultNotice.objects.filter(applicant__in=[theirs, outsider]).exists()


@pytest.mark.parametrize("ids", [["1e3"], ["-1"], ["１２"], ["9" * 30], ["²"]])
def test_malformed_ids_are_refused(world, scene, people, ids):
    response = client_for(world.acme.recruiter).post(
        bulk_url(scene.meeting), {"ids": ids, "result": "pass", "timing": "now"}
    )

    assert response.status_code == 200 and "選択内容が正しくありません。" in response.content.decode()


def test_another_companys_meeting_answers_404_and_sends_nothing(world, scene, people):
    client = client_for(world.other.admin)

    assert client.get(bulk_url(scene.meeting)).status_code == 404
    assert (
        client.post(bulk_url(scene.meeting), {"ids": [people["ready"].pk], "result": "pass"}).status_code
        == 404
    )
    assert ResultNotice.objects.count() == 1


def test_an_interviewer_gets_403_on_the_bulk_and_list_pages(world, scene, people):
    client = client_for(world.acme.interviewer)

    assert client.get(bulk_url(scene.meeting)).status_code == 403
    assert post_bulk(client, scene.meeting, [people["ready"].pk], timing="now").status_code == 403
    assert client.get(LIST_URL).status_code == 403
    assert ResultNotice.objects.count() == 1


def test_the_bulk_page_runs_a_fixed_number_of_queries(world, scene, people):
    client = client_for(world.acme.recruiter)
    client.get(bulk_url(scene.meeting))

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(bulk_url(scene.meeting)).status_code == 200
        return len(queries)

    few = count()
    for index in range(8):
        applicant = scene.booked(f"追加 {index}")
        decide(scene, applicant, "pass")
        decide(scene, applicant, "fail")
        schedule(applicant.decisions.first(), scene.recruiter, in_hours(5))
    assert count() == few


# --- the notice list ------------------------------------------------------------------------------------


def test_the_list_shows_scheduled_notices_first_with_cancel_buttons(world, scene, people):
    soon = schedule(people["ready"].decisions.get(), scene.recruiter, in_hours(2))
    later = schedule(people["failed"].decisions.get(), scene.recruiter, in_hours(20))

    page = client_for(world.acme.recruiter).get(LIST_URL)

    html = page.content.decode()
    assert [n.pk for n in page.context["page"].object_list] == [soon.pk, later.pk]
    assert cancel_url(soon) in html and cancel_url(later) in html
    assert "井上 二郎" not in html  # sent: under 送信済み
    sent = client_for(world.acme.recruiter).get(LIST_URL, {"status": "sent"}).content.decode()
    assert "井上 二郎" in sent and "送信メール" in sent
    assert reverse("interviews:meeting_results", args=[scene.meeting.pk]) in html


def test_cancelling_from_the_list_goes_back_to_the_list(world, scene, people):
    notice = schedule(people["ready"].decisions.get(), scene.recruiter, in_hours(2))

    response = client_for(world.acme.admin).post(cancel_url(notice))

    assert response["Location"] == LIST_URL
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.CANCELLED and notice.cancelled_by == world.acme.admin


def test_the_list_runs_a_fixed_number_of_queries_and_shows_only_this_company(world, scene, people):
    other = make_scene(world.other)
    theirs = other.booked("他社 応募者")
    schedule(decide(other, theirs, "pass"), other.recruiter, in_hours(2))
    client = client_for(world.acme.recruiter)
    client.get(LIST_URL)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(LIST_URL, {"status": "all"})
        assert "他社 応募者" not in response.content.decode()
        return len(queries)

    few = count()
    for index in range(6):
        applicant = scene.booked(f"追加 {index}")
        schedule(decide(scene, applicant, "fail"), scene.recruiter, in_hours(3 + index))
    assert count() == few


def test_a_bad_status_or_page_falls_back_without_an_error(world, scene, people):
    client = client_for(world.acme.recruiter)

    for query in ({"status": "<script>"}, {"page": "x"}, {"page": "999999"}):
        assert client.get(LIST_URL, query).status_code == 200
