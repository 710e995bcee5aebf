"""Interviews: the assignment pages (面接官 per event and slot), マイ面接, and the calendar feed."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from accounts.models import User
from accounts.permissions import (
    AuthenticatedHttpRequest,
    admin_required,
    member_required,
    public_view,
    recruiter_required,
)
from accounts.tenancy import get_company_object_or_404, request_company
from interviews import assignments, evaluation_selectors, feeds
from interviews.assignment_forms import FeedSettingsForm, InterviewersForm, ZoomHostForm
from interviews.selectors import interviewers_of_slots
from scheduling.models import Event, Slot

MAX_EVENT_SLOTS = 200


def _queued_notice(request: HttpRequest, queued: list[int]) -> None:
    """N件の日程の<service>ミーティングを…: the slots re-issued on a new host (all of one event's service)."""
    if queued:
        slot = Slot.all_objects.select_related("event").filter(pk=queued[0]).first()
        service = slot.event.get_web_meeting_display() if slot else ""
        messages.info(
            request,
            _("%(count)s件の日程の%(service)sミーティングを新しいホストで発行し直します。")
            % {"count": len(queued), "service": service},
        )


def _saved_notice(request: HttpRequest, change: assignments.AssignmentChange) -> None:
    if change.changed:
        messages.success(request, _("面接官を保存しました。"))
    else:
        messages.info(request, _("面接官に変更はありません。"))
    _queued_notice(request, change.queued)


def _overlaps_to_confirm(
    request: HttpRequest, users: list[User], current: list[User], slots: list[Slot]
) -> list[assignments.Overlap]:
    """Overlaps of the users being added, unless the user confirmed them (重複を承知で保存する)."""
    if request.POST.get("confirm_overlap") == "1":
        return []
    known = {user.pk for user in current}
    return assignments.overlaps([user for user in users if user.pk not in known], slots)


# --- イベントの面接官 ------------------------------------------------------------------------------------


def _event_context(event: Event, form: InterviewersForm) -> dict:
    rows = assignments.event_slot_rows(event, limit=MAX_EVENT_SLOTS)
    policy = assignments.policy_of(event)
    following = bool(policy and policy.zoom_host_follows_interviewer)
    return {
        "event": event,
        "form": form,
        "zoom_form": ZoomHostForm(initial={"zoom_host_follows_interviewer": following}),
        "rows": rows,
        "more_slots": len(rows) >= MAX_EVENT_SLOTS,
    }


@recruiter_required
def event_interviewers(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """イベントの面接官: who interviews the event's slots (those without their own), and its web
    meeting host."""
    event = get_company_object_or_404(
        request, Event.objects.select_related("selection_meeting", "company"), pk=pk
    )
    current = assignments.event_interviewers(event)
    form = InterviewersForm(
        request.POST or None, company=event.company, initial={"interviewers": [u.pk for u in current]}
    )
    clashes: list[assignments.Overlap] = []
    if request.method == "POST" and form.is_valid():
        clashes = _overlaps_to_confirm(
            request, form.users(), current, assignments.event_slots_using_event_interviewers(event)
        )
        if not clashes:
            change = assignments.set_event_interviewers(
                event=event, users=form.users(), actor=request.user, request=request
            )
            _saved_notice(request, change)
            return redirect("interviews:event_interviewers", pk=event.pk)
    context = {**_event_context(event, form), "overlaps": clashes}
    return render(request, "interviews/assignments/event.html", context)


@recruiter_required
@require_POST
def event_zoom_host(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Web面接のホスト: the slot's interviewer or the event's host."""
    event = get_company_object_or_404(request, Event.objects.select_related("company"), pk=pk)
    form = ZoomHostForm(request.POST)
    if form.is_valid():
        follows = form.cleaned_data["zoom_host_follows_interviewer"]
        queued = assignments.set_zoom_host_policy(
            event=event, follows_interviewer=follows, actor=request.user, request=request
        )
        messages.success(request, _("Web面接のホストの設定を保存しました。"))
        _queued_notice(request, queued)
    return redirect("interviews:event_interviewers", pk=event.pk)


# --- 日程の面接官 ------------------------------------------------------------------------------------------


def _slot_of(request: AuthenticatedHttpRequest, pk: int) -> Slot:
    return get_company_object_or_404(
        request, Slot.objects.select_related("company", "event__selection_meeting"), pk=pk
    )


@recruiter_required
def slot_interviewers(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """日程の面接官: interviewers of this slot only, instead of the event's."""
    slot = _slot_of(request, pk)
    own = assignments.own_interviewers(slot)
    of_event = assignments.event_interviewers(slot.event)
    current = own or of_event
    form = InterviewersForm(
        request.POST or None, company=slot.company, initial={"interviewers": [u.pk for u in current]}
    )
    context = {"slot": slot, "form": form, "own": own, "of_event": of_event}
    if request.method == "POST" and form.is_valid():
        users = form.users()
        if not own and {u.pk for u in users} == {u.pk for u in of_event}:
            messages.info(request, _("面接官に変更はありません（イベントの面接官のままです）。"))
            return redirect("interviews:slot_interviewers", pk=slot.pk)
        clashes = _overlaps_to_confirm(request, users, current, [slot])
        if not clashes:
            change = assignments.set_slot_interviewers(
                slot=slot, users=users, actor=request.user, request=request
            )
            _saved_notice(request, change)
            return redirect("interviews:slot_interviewers", pk=slot.pk)
        context["overlaps"] = clashes
    return render(request, "interviews/assignments/slot.html", context)


@recruiter_required
@require_POST
def slot_interviewers_reset(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """イベントの面接官に戻す."""
    slot = _slot_of(request, pk)
    change = assignments.reset_slot_interviewers(slot=slot, actor=request.user, request=request)
    if change.removed:
        messages.success(request, _("この日程の面接官をイベントの面接官に戻しました。"))
    _queued_notice(request, change.queued)
    return redirect("interviews:slot_interviewers", pk=slot.pk)


def slot_interviewers_panel(request: AuthenticatedHttpRequest, slot: Slot) -> str:
    """The slot page's 面接官 section (scheduling.registry.slot_panels)."""
    context = {
        "slot": slot,
        "interviewers": interviewers_of_slots([slot])[slot.pk],
        "own": assignments.has_own_interviewers(slot),
        "follows_interviewer": assignments.follows_interviewer(slot.event),
        "meeting_host": assignments.meeting_host_of(slot),
        "can_manage": request.user.is_recruiter_or_admin,
    }
    return render_to_string("interviews/assignments/_slot_panel.html", context, request=request)


# --- マイ面接 and the calendar feed -------------------------------------------------------------------------


@member_required
def my_interviews(request: AuthenticatedHttpRequest) -> HttpResponse:
    """マイ面接: the user's upcoming and recent interviews, and their calendar subscription."""
    only_booked = request.GET.get("only_booked") == "1"
    feed = feeds.active_feed(request.user)
    context = {
        "agenda": feeds.agenda(request.user, only_booked=only_booked),
        "only_booked": only_booked,
        "recent_days": feeds.RECENT_DAYS,
        "feed": feed,
        "feed_urls": feeds.feed_urls(feed) if feed else None,
        "contact_in_feed": feeds.interview_settings(request_company(request)).feed_includes_applicant_contact,
        "evaluations_due": evaluation_selectors.evaluations_due(request.user, limit=20),
    }
    return render(request, "interviews/assignments/mine.html", context)


@member_required
@require_POST
def calendar_feed_issue(request: AuthenticatedHttpRequest) -> HttpResponse:
    """URLを発行 / URLを再発行."""
    had_one = feeds.active_feed(request.user) is not None
    feeds.issue_calendar_feed(user=request.user, request=request)
    if had_one:
        messages.success(request, _("新しい配信URLを発行しました。以前のURLは使えなくなりました。"))
    else:
        messages.success(request, _("カレンダー配信URLを発行しました。"))
    return redirect("interviews:my_interviews")


@member_required
@require_POST
def calendar_feed_stop(request: AuthenticatedHttpRequest) -> HttpResponse:
    """配信を停止."""
    if feeds.stop_calendar_feed(user=request.user, request=request):
        messages.success(request, _("カレンダー配信を停止しました。"))
    return redirect("interviews:my_interviews")


@public_view
@never_cache
@require_safe
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The .ics subscription: the signed token is the permission (a revoked or altered one is 404)."""
    feed = feeds.feed_for_token(token)
    if feed is None:
        raise Http404
    response = HttpResponse(feeds.feed_calendar(feed), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="interviews.ics"'
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    feeds.mark_fetched(feed)
    return response


@admin_required
def feed_settings(request: AuthenticatedHttpRequest) -> HttpResponse:
    """カレンダー配信の設定 (管理者): whether feeds show applicants' contact details."""
    company = request_company(request)
    current = feeds.interview_settings(company).feed_includes_applicant_contact
    form = FeedSettingsForm(request.POST or None, initial={"include_applicant_contact": current})
    if request.method == "POST" and form.is_valid():
        feeds.update_feed_settings(
            company=company,
            include_applicant_contact=form.cleaned_data["include_applicant_contact"],
            actor=request.user,
            request=request,
        )
        messages.success(request, _("カレンダー配信の設定を保存しました。"))
        return redirect("interviews:feed_settings")
    return render(request, "interviews/assignments/feed_settings.html", {"form": form})


urlpatterns: list[URLPattern] = [
    path("events/<int:pk>/interviewers/", event_interviewers, name="event_interviewers"),
    path("events/<int:pk>/zoom-host/", event_zoom_host, name="event_zoom_host"),
    path("slots/<int:pk>/interviewers/", slot_interviewers, name="slot_interviewers"),
    path("slots/<int:pk>/interviewers/reset/", slot_interviewers_reset, name="slot_interviewers_reset"),
    path("mine/", my_interviews, name="my_interviews"),
    path("mine/calendar/issue/", calendar_feed_issue, name="calendar_feed_issue"),
    path("mine/calendar/stop/", calendar_feed_stop, name="calendar_feed_stop"),
    path("calendar/<str:token>.ics", calendar_feed, name="calendar_feed"),
    path("settings/calendar/", feed_settings, name="feed_settings"),
]
