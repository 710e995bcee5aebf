"""Interviews: the decision pages: 合否判定, 合否連絡 (one, or many applicants of a 選考会 at once) and the
list of notices. 管理者 and 採用担当 only: a 面接官 gets 403 on every one."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.permissions import AuthenticatedHttpRequest, recruiter_required
from accounts.tenancy import get_company_object_or_404, request_company
from applicants.models import Applicant
from applicants.selectors import visible_applicants
from interviews import decision_notices as notices
from interviews import decision_selectors as selectors
from interviews import decisions
from interviews.decision_forms import (
    BulkNoticeForm,
    DecisionForm,
    MeetingFilterForm,
    NoticeFilterForm,
    NoticeTimingForm,
)
from interviews.models import Decision, ResultNotice
from notifications.models import MailKind
from scheduling.models import SelectionMeeting

NOTICES_PER_PAGE = 50
NAMES_SHOWN = 20  # per skip reason on the bulk page's message


def _applicant(request: AuthenticatedHttpRequest, pk: int) -> Applicant:
    queryset = visible_applicants(request.user).select_related("stage", "company")
    return get_company_object_or_404(request, queryset, pk=pk)


def _panel_url(applicant_id: int) -> str:
    return reverse("applicants:detail", args=[applicant_id]) + "#decisions"


def _when(at: datetime) -> str:
    return timezone.localtime(at).strftime("%Y/%m/%d %H:%M")


def _notice_message(request: HttpRequest, notice: ResultNotice, count: int = 1) -> None:
    kind = MailKind(notices.MAIL_KINDS[notice.result]).label
    names = {"kind": kind, "count": count, "at": _when(notice.send_at)}
    if notice.send_at <= notice.created_at:
        messages.success(
            request, _("%(kind)sを送信します（%(count)d名）。送信履歴で状況を確認できます。") % names
        )
    else:
        messages.success(
            request, _("%(kind)sを %(at)s に送信します（%(count)d名）。送信前なら取り消せます。") % names
        )


def _decided_messages(request: HttpRequest, decided: decisions.Decided) -> None:
    decision = decided.decision
    messages.success(
        request,
        _("%(meeting)s: 「%(result)s」と判定しました。")
        % {"meeting": decision.selection_meeting.name, "result": decision.get_result_display()},
    )
    if decided.status_change is not None:
        messages.success(
            request,
            _("選考ステータスを「%(stage)s」に変更しました。")
            % {"stage": decided.status_change.to_stage.name},
        )
    for cancelled in decided.cancelled:
        messages.warning(
            request,
            _("判定を変更したため、%(at)s に送信予定だった合否連絡を取り消しました。")
            % {"at": _when(cancelled.send_at)},
        )
    if decided.notice is not None:
        _notice_message(request, decided.notice)


@recruiter_required
def decision_create(request: AuthenticatedHttpRequest, applicant_id: int, meeting_id: int) -> HttpResponse:
    """合否判定 of an applicant in a 選考会, with the 選考ステータス for 合格 and the optional 合否連絡."""
    applicant = _applicant(request, applicant_id)
    meeting = get_company_object_or_404(request, selectors.decidable_meetings(applicant), pk=meeting_id)
    if applicant.is_anonymized:
        messages.error(request, _("個人情報を削除した応募者は変更できません。"))
        return redirect(_panel_url(applicant.pk))
    form = DecisionForm(request.POST or None, applicant=applicant)
    if request.method == "POST" and form.is_valid():
        try:
            decided = decisions.record_decision(
                applicant=applicant,
                selection_meeting=meeting,
                result=form.cleaned_data["result"],
                comment=form.cleaned_data["comment"],
                move_to_stage=form.cleaned_data["stage"],
                notice=form.plan(),
                actor=request.user,
                request=request,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            _decided_messages(request, decided)
            return redirect(_panel_url(applicant.pk))
    context = {
        "applicant": applicant,
        "meeting": meeting,
        "decisions": selectors.meeting_decisions(applicant, meeting),
        "form": form,
    }
    return render(request, "interviews/decisions/decide.html", context)


@recruiter_required
def result_notice_create(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """合否連絡 of a recorded decision: now, 翌営業日 10:00 or a chosen time."""
    queryset = Decision.objects.select_related("applicant__company", "selection_meeting", "decided_by")
    decision = get_company_object_or_404(request, queryset, pk=pk)
    applicant = decision.applicant
    form = NoticeTimingForm(request.POST or None, company=applicant.company)
    if request.method == "POST" and form.is_valid():
        plan = form.plan() or notices.NoticePlan()
        try:
            notice = notices.schedule_result_notice(
                decision=decision, notice=plan, actor=request.user, request=request
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            _notice_message(request, notice)
            return redirect(_panel_url(applicant.pk))
    state = selectors.notice_state(decision.selection_meeting_id, [applicant.pk])
    context = {
        "decision": decision,
        "applicant": applicant,
        "form": form,
        "problem": notices.notice_problem(applicant=applicant, decision=decision, state=state),
        "kind": MailKind(notices.MAIL_KINDS[decision.result]).label
        if decision.result in notices.MAIL_KINDS
        else "",
    }
    return render(request, "interviews/decisions/notice_form.html", context)


def _bulk_messages(request: HttpRequest, outcome: notices.BulkOutcome) -> None:
    if outcome.created:
        _notice_message(request, outcome.created[0], len(outcome.created))
    else:
        messages.error(request, _("合否連絡を送れる応募者がいませんでした。"))
    by_reason: dict[str, list[str]] = defaultdict(list)
    for skip in outcome.skipped:
        by_reason[skip.reason].append(skip.applicant.name)
    for reason, names in by_reason.items():
        shown = "、".join(names[:NAMES_SHOWN])
        if len(names) > NAMES_SHOWN:
            shown = _("%(names)s ほか%(count)d名") % {"names": shown, "count": len(names) - NAMES_SHOWN}
        messages.warning(
            request,
            _("送信しなかった応募者 %(count)d名（%(reason)s）: %(names)s")
            % {"count": len(names), "reason": reason.rstrip("。"), "names": shown},
        )


@recruiter_required
def meeting_results(request: AuthenticatedHttpRequest, meeting_id: int) -> HttpResponse:
    """A 選考会's applicants with their current decision; 合格通知 / 不合格通知 to the selected ones."""
    meeting = get_company_object_or_404(
        request, SelectionMeeting.objects.select_related("company"), pk=meeting_id
    )
    form = BulkNoticeForm(request.POST or None, company=meeting.company)
    if request.method == "POST" and form.is_valid():
        try:
            outcome = notices.bulk_schedule_result_notices(
                selection_meeting=meeting,
                applicant_ids=form.cleaned_data["ids"],
                result=form.cleaned_data["result"],
                notice=form.plan() or notices.NoticePlan(),
                actor=request.user,
                request=request,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            _bulk_messages(request, outcome)
            return redirect(request.get_full_path())
    filters = MeetingFilterForm(request.GET)
    wanted = filters.cleaned_data["result"] if filters.is_valid() else ""
    rows = selectors.meeting_rows(meeting)
    context = {
        "meeting": meeting,
        "form": form,
        "filters": filters,
        "rows": [row for row in rows if not wanted or row.result == wanted],
        "counts": Counter(row.result for row in rows),
        "total": len(rows),
        "selected": set(request.POST.getlist("ids")),
        "limit": selectors.MEETING_APPLICANTS_LIMIT,
    }
    return render(request, "interviews/decisions/meeting_results.html", context)


@recruiter_required
def result_notice_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The company's 合否連絡: 送信予定 first (with 取り消し), or sent / cancelled / all."""
    company = request_company(request)
    filters = NoticeFilterForm(request.GET)
    status = filters.status_filter()
    listed = selectors.company_notices(company, status=status)
    page = Paginator(listed, NOTICES_PER_PAGE).get_page(request.GET.get("page"))
    query = (
        urlencode({"status": request.GET["status"]})
        if filters.is_valid() and request.GET.get("status")
        else ""
    )
    context = {
        "filters": filters,
        "page": page,
        "status": status,
        "query": query,
        "meetings": selectors.company_meetings(company),
    }
    return render(request, "interviews/decisions/notice_list.html", context)


@recruiter_required
@require_POST
def result_notice_cancel(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """取り消し of a scheduled notice; back to the applicant's page or to the list."""
    notice = get_company_object_or_404(
        request, ResultNotice.objects.select_related("applicant__company"), pk=pk
    )
    try:
        notices.cancel_result_notice(notice=notice, actor=request.user, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("合否連絡を取り消しました。応募者には送信されません。"))
    if request.POST.get("back") == "applicant":
        return redirect(_panel_url(notice.applicant_id))
    return redirect("interviews:result_notice_list")


urlpatterns: list[URLPattern] = [
    path(
        "applicants/<int:applicant_id>/meetings/<int:meeting_id>/decision/",
        decision_create,
        name="decision_create",
    ),
    path("decisions/<int:pk>/notice/", result_notice_create, name="result_notice_create"),
    path("meetings/<int:meeting_id>/results/", meeting_results, name="meeting_results"),
    path("result-notices/", result_notice_list, name="result_notice_list"),
    path("result-notices/<int:pk>/cancel/", result_notice_cancel, name="result_notice_cancel"),
]
