"""The decisions area on the applicant page: the 合否 panel (staff only) and the timeline items."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.permissions import AuthenticatedHttpRequest
from applicants.models import Applicant
from applicants.timeline import TimelineItem
from interviews import decision_selectors as selectors
from interviews.models import Decision, NoticeStatus, ResultNotice

TIMELINE_KIND = "decision"


def applicant_decisions_panel(
    request: AuthenticatedHttpRequest, applicant: Applicant, timeline: list[TimelineItem]
) -> str:
    """The 合否 panel: per 選考会 the current decision, who and when, its history and 合否連絡. Only 管理者
    and 採用担当 see it (a 面接官 never decides)."""
    if not request.user.is_recruiter_or_admin:
        return ""
    # A 選考会 to decide in comes from a booking or a decision, and both write the timeline the page read:
    # an applicant with neither costs no query here.
    active = any(item.kind in ("booking", TIMELINE_KIND) for item in timeline)
    context = {
        "applicant": applicant,
        "groups": selectors.applicant_decisions(applicant) if active else [],
        "can_manage": not applicant.is_anonymized,
    }
    return render_to_string("interviews/decisions/_applicant_panel.html", context, request=request)


def _decision_url(applicant_id: int, meeting_id: int) -> str:
    return reverse("interviews:decision_create", args=[applicant_id, meeting_id])


def _decision_item(decision: Decision) -> TimelineItem:
    meeting = decision.selection_meeting
    body = ""
    if decision.moved_to_stage is not None:
        body = _("選考ステータスを「%(stage)s」に変更") % {"stage": decision.moved_to_stage.name}
    return TimelineItem(
        at=decision.decided_at,
        kind=TIMELINE_KIND,
        title=_("合否判定: %(meeting)s — %(result)s")
        % {"meeting": meeting.name, "result": decision.get_result_display()},
        body=body,
        actor=decision.decided_by.display_name if decision.decided_by else "",
        url=_decision_url(decision.applicant_id, meeting.pk),
    )


def _notice_items(notice: ResultNotice, meeting_name: str, url: str) -> list[TimelineItem]:
    """A notice scheduled for later, and a cancelled one. The mail itself is notifications' item."""
    names = {"kind": notice.get_result_display(), "meeting": meeting_name}
    items = []
    if notice.send_at > notice.created_at:
        send_at = timezone.localtime(notice.send_at).strftime("%Y/%m/%d %H:%M")
        items.append(
            TimelineItem(
                at=notice.created_at,
                kind=TIMELINE_KIND,
                title=_("合否連絡を予約: %(kind)s（%(meeting)s）") % names,
                body=_("送信予定: %(at)s") % {"at": send_at},
                actor=notice.created_by.display_name if notice.created_by else "",
                url=url,
            )
        )
    if notice.status == NoticeStatus.CANCELLED and notice.cancelled_at is not None:
        items.append(
            TimelineItem(
                at=notice.cancelled_at,
                kind=TIMELINE_KIND,
                title=_("合否連絡を取り消し: %(kind)s（%(meeting)s）") % names,
                body=notice.get_cancel_reason_display(),
                actor=notice.cancelled_by.display_name if notice.cancelled_by else _("システム"),
                url=url,
            )
        )
    return items


def decision_items(applicant: Applicant) -> list[TimelineItem]:
    """Each decision, and each notice scheduled for later or cancelled (one query, two with decisions).
    Decision comments stay in the staff-only panel: the timeline is read by 面接官 too."""
    decisions = list(
        Decision.objects.filter(applicant_id=applicant.pk).select_related(
            "selection_meeting", "decided_by", "moved_to_stage"
        )
    )
    if not decisions:
        return []
    items = [_decision_item(decision) for decision in decisions]
    by_id = {decision.pk: decision for decision in decisions}
    for notice in ResultNotice.objects.filter(applicant_id=applicant.pk).select_related(
        "created_by", "cancelled_by"
    ):
        decision = by_id[notice.decision_id]
        url = _decision_url(applicant.pk, decision.selection_meeting_id)
        items.extend(_notice_items(notice, decision.selection_meeting.name, url))
    return items
