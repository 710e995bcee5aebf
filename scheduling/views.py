"""選考会設定 → 日程設定 → 変更 (予約動作設定) → 新規日程作成 → the slots and their Zoom meetings."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import MAX_URL_REDIRECT_LENGTH, url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.audit import record_audit
from accounts.models import Company, User
from accounts.permissions import AuthenticatedHttpRequest, member_required, recruiter_required
from accounts.tenancy import get_company_object_or_404, request_company
from applicants.selectors import company_stages
from scheduling import batches, issuance, limits, pacing, selectors, services
from scheduling.forms import BulkSlotForm, EventSettingsForm, SelectionMeetingForm, SlotFilterForm, SlotForm
from scheduling.models import BatchAction, Event, SelectionMeeting, Slot, SlotBatch
from scheduling.registry import slot_panels, slot_readers
from web_meetings.errors import MeetingServiceError, NotFound

logger = logging.getLogger(__name__)
SLOTS_PER_PAGE = 50


def _refused(request: HttpRequest, exc: services.SchedulingError) -> None:
    messages.error(request, " ".join(exc.messages))


# --- 選考会設定 -----------------------------------------------------------------------------------------


@recruiter_required
def meeting_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    meetings = selectors.selection_meetings(request_company(request))
    return render(request, "scheduling/meeting_list.html", {"meetings": meetings})


@recruiter_required
def meeting_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = SelectionMeetingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        meeting = services.create_selection_meeting(
            company=request_company(request), actor=request.user, request=request, **form.cleaned_data
        )
        messages.success(request, _("選考会「%(name)s」を作成しました。") % {"name": meeting.name})
        return redirect("scheduling:schedule", pk=meeting.pk)
    return render(request, "scheduling/meeting_form.html", {"form": form})


@recruiter_required
def meeting_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    meeting = get_company_object_or_404(request, SelectionMeeting, pk=pk)
    form = SelectionMeetingForm(request.POST or None, instance=meeting)
    if request.method == "POST" and form.is_valid():
        services.update_selection_meeting(
            meeting=meeting, actor=request.user, request=request, **form.cleaned_data
        )
        messages.success(request, _("選考会を更新しました。"))
        return redirect("scheduling:meeting_list")
    return render(request, "scheduling/meeting_form.html", {"form": form, "meeting": meeting})


@recruiter_required
@require_POST
def meeting_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    meeting = get_company_object_or_404(request, SelectionMeeting, pk=pk)
    try:
        services.delete_selection_meeting(meeting=meeting, actor=request.user, request=request)
    except services.SchedulingError as exc:
        _refused(request, exc)
        return redirect("scheduling:schedule", pk=pk)
    messages.success(request, _("選考会を削除しました。"))
    return redirect("scheduling:meeting_list")


# --- 日程設定 and 予約動作設定 ---------------------------------------------------------------------------


def _schedule_filters(request: HttpRequest, data, events: list[Event]) -> tuple[bool, Event | None]:
    """過去の日程も表示 and the event filter of 日程設定 (an id of another meeting's event is ignored)."""
    include_past = data.get("past") == "1"
    event_id = data.get("event") or ""
    event = next((event for event in events if str(event.pk) == event_id), None)
    return include_past, event


@recruiter_required
def schedule(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """日程設定: the events of a 選考会 (each with 変更) and their slots, grouped by day and paged
    (SCHEDULE_SLOTS_PER_PAGE a page, a fixed number of queries whatever the number of slots), with
    checkboxes for 一括操作."""
    company = request_company(request)
    meeting = get_company_object_or_404(request, SelectionMeeting, pk=pk)
    events = selectors.schedule_event_list(meeting)
    include_past, event_filter = _schedule_filters(request, request.GET, events)
    hosts = selectors.service_hosts(company)
    for event in events:
        event.host_problem = selectors.host_problem(event, hosts)
    page = _attach_slots(
        events,
        meeting,
        company,
        include_past=include_past,
        event_filter=event_filter,
        page_number=request.GET.get("page"),
    )
    query = request.GET.copy()
    query.pop("page", None)
    any_web_meeting = any(event.has_web_meeting for event in events)
    context = {
        "meeting": meeting,
        "events": events,
        "shown_events": [event_filter] if event_filter else events,
        "event_filter": event_filter,
        "include_past": include_past,
        "linked_services": selectors.linked_services(company),
        "any_web_meeting": any_web_meeting,
        "page": page,
        "query": query.urlencode(),
        "batch_actions": BatchAction.choices,
        "preview_size": selectors.SCHEDULE_PREVIEW_SLOTS,
        "progress": selectors.issuance_progress(company, meeting=meeting) if any_web_meeting else None,
        "progress_url": f"{reverse('scheduling:issuance_progress')}?meeting={meeting.pk}",
        "batches": selectors.slot_batches(meeting),
    }
    return render(request, "scheduling/schedule.html", context)


def _attach_slots(
    events: list[Event],
    meeting: SelectionMeeting,
    company: Company,
    *,
    include_past: bool,
    event_filter: Event | None,
    page_number: str | None,
) -> Page | None:
    """Give each shown event ``slot_days`` (its slots grouped by local day) and ``slot_count``: the first
    slots of every event, or with the event filter one page of that event's slots (returned)."""
    if event_filter is not None:
        slots = selectors.schedule_slots(meeting, include_past=include_past, event=event_filter)
        page = Paginator(slots, selectors.SCHEDULE_SLOTS_PER_PAGE).get_page(page_number)
        event_filter.slot_days = selectors.group_by_day(page.object_list, company.tzinfo)
        event_filter.slot_count = page.paginator.count
        return page
    previews = selectors.schedule_previews(meeting, include_past=include_past)
    counts = selectors.schedule_slot_counts(meeting, include_past=include_past)
    for event in events:
        event.slot_days = selectors.group_by_day(previews.get(event.pk, []), company.tzinfo)
        event.slot_count = counts.get(event.pk, 0)
    return None


def _is_id(value: str) -> bool:
    return value.isascii() and value.isdigit() and len(value) < 12


@recruiter_required
@require_POST
def slot_batch_create(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """一括操作 of 日程設定: the checked slots (or every slot matching the page's filters, ``scope=all``)
    are shown, hidden or deleted by a background job."""
    meeting = get_company_object_or_404(request, SelectionMeeting, pk=pk)
    events = selectors.schedule_event_list(meeting)
    include_past, event_filter = _schedule_filters(request, request.POST, events)
    if request.POST.get("scope") == "all":
        slots = selectors.schedule_slots(meeting, include_past=include_past, event=event_filter)
        slot_ids = list(slots.values_list("pk", flat=True)[: batches.MAX_BATCH_SLOTS + 1])
    else:
        slot_ids = [int(value) for value in request.POST.getlist("slot") if _is_id(value)]
    try:
        batch = batches.start_slot_batch(
            meeting=meeting,
            actor=request.user,
            action=request.POST.get("action", ""),
            slot_ids=slot_ids,
            event=event_filter,
            request=request,
        )
    except services.SchedulingError as exc:
        _refused(request, exc)
        return redirect("scheduling:schedule", pk=meeting.pk)
    messages.success(
        request,
        _("%(count)s件の日程の一括操作を開始しました。") % {"count": batch.total},
    )
    return redirect("scheduling:slot_batch_detail", pk=batch.pk)


@recruiter_required
def slot_batch_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    batch = get_company_object_or_404(
        request, SlotBatch.objects.select_related("selection_meeting", "event", "created_by"), pk=pk
    )
    return render(request, "scheduling/slot_batch_detail.html", {"batch": batch})


def _batch_json(batch: SlotBatch) -> dict:
    return {
        "total": batch.total,
        "done": batch.done,
        "failed": batch.failed,
        "finished": batch.is_finished,
    }


@recruiter_required
@never_cache
@require_GET
def slot_batch_status(request: AuthenticatedHttpRequest, pk: int) -> JsonResponse:
    """The batch's progress, polled by its page."""
    batch = get_company_object_or_404(request, SlotBatch, pk=pk)
    return JsonResponse(_batch_json(batch))


@recruiter_required
@never_cache
@require_GET
def issuance_progress(request: AuthenticatedHttpRequest) -> JsonResponse:
    """N/M 発行済み (and failures) of the company's upcoming Zoom slots, or of one 選考会 (``meeting``),
    polled by 日程設定 and the dashboard. One aggregate query (two with ``meeting``)."""
    company = request_company(request)
    meeting = None
    if request.GET.get("meeting"):
        meeting = get_company_object_or_404(request, SelectionMeeting, pk=request.GET["meeting"])
    return JsonResponse(selectors.issuance_progress(company, meeting=meeting))


def _event_form(request: HttpRequest, event: Event | None) -> EventSettingsForm:
    company = request_company(request)
    company_stages(company)  # 予約時の選考ステータス offers the company's stages (defaults on first use)
    return EventSettingsForm(
        request.POST or None,
        event=event,
        service_hosts=selectors.service_hosts(company),
        linked_services=selectors.linked_services(company),
        company=company,
    )


@recruiter_required
def event_create(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    meeting = get_company_object_or_404(request, SelectionMeeting, pk=pk)
    form = _event_form(request, None)
    if request.method == "POST" and form.is_valid():
        event = services.create_event(
            selection_meeting=meeting, actor=request.user, settings=form.settings(), request=request
        )
        messages.success(request, _("イベント「%(name)s」を作成しました。") % {"name": event.name})
        return redirect("scheduling:schedule", pk=meeting.pk)
    return render(request, "scheduling/event_form.html", {"form": form, "meeting": meeting, "event": None})


@recruiter_required
def event_settings(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """変更 → 予約動作設定 → 設定."""
    event = get_company_object_or_404(request, Event.objects.select_related("selection_meeting"), pk=pk)
    form = _event_form(request, event)
    if request.method == "POST" and form.is_valid():
        queued = services.update_event_settings(
            event=event, actor=request.user, settings=form.settings(), request=request
        )
        messages.success(request, _("予約動作設定を保存しました。"))
        if queued:
            messages.info(
                request,
                _("%(count)s件の日程の%(service)sミーティングを更新します。")
                % {"count": len(queued), "service": event.get_web_meeting_display()},
            )
        return redirect("scheduling:schedule", pk=event.selection_meeting_id)
    hosts = {key: list(by_id.values()) for key, by_id in form.hosts.items()}
    context = {
        "form": form,
        "meeting": event.selection_meeting,
        "event": event,
        "host_problem": selectors.host_problem(event, hosts),
    }
    return render(request, "scheduling/event_form.html", context)


@recruiter_required
@require_POST
def event_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    event = get_company_object_or_404(request, Event, pk=pk)
    try:
        services.delete_event(event=event, actor=request.user, request=request)
    except services.SchedulingError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("イベントを削除しました。"))
    return redirect("scheduling:schedule", pk=event.selection_meeting_id)


# --- 新規日程作成 ----------------------------------------------------------------------------------------


def _warn_overlaps(request: HttpRequest, slots: list[Slot]) -> None:
    for slot in slots:
        clashes = selectors.host_overlaps(slot)
        if clashes:
            messages.warning(
                request,
                _(
                    "ホストの%(service)sユーザーは同じ時間帯に別の日程（%(others)s）も担当しています。"
                    "1人のホストが同時に開催できるミーティングは1つです。"
                )
                % {
                    "service": slot.event.get_web_meeting_display(),
                    "others": "、".join(str(other) for other in clashes[:3]),
                },
            )


def _link_notice(request: HttpRequest, event: Event) -> None:
    if event.has_web_meeting and event.web_meeting not in selectors.linked_services(event.company):
        messages.warning(
            request,
            _(
                "%(service)s連携が「連携中」ではないため、%(service)sミーティングは再連携後に自動で発行されます。"
            )
            % {"service": event.get_web_meeting_display()},
        )


@recruiter_required
def slot_create(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    event = get_company_object_or_404(
        request, Event.objects.select_related("selection_meeting", "company"), pk=pk
    )
    form = SlotForm(
        request.POST or None, event=event, closed_day_confirmed=request.POST.get("confirm_closed_day") == "1"
    )
    if request.method == "POST" and form.is_valid():
        slot = services.create_slot(event=event, actor=request.user, spec=form.spec(), request=request)
        messages.success(request, _("日程を作成しました。"))
        _warn_overlaps(request, [slot])
        _link_notice(request, event)
        return redirect("scheduling:slot_detail", pk=slot.pk)
    return render(request, "scheduling/slot_form.html", {"form": form, "event": event, "slot": None})


@recruiter_required
def slot_bulk_create(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """新規日程作成 (まとめて): the first POST previews, the second (``confirm``) creates."""
    event = get_company_object_or_404(
        request, Event.objects.select_related("selection_meeting", "company"), pk=pk
    )
    form = BulkSlotForm(request.POST or None, event=event)
    context = {"form": form, "event": event}
    if request.method == "POST" and form.is_valid():
        specs = form.cleaned_data["specs"]
        if request.POST.get("confirm") == "1":
            slots = services.create_slots(event=event, actor=request.user, specs=specs, request=request)
            messages.success(request, _("%(count)s件の日程を作成しました。") % {"count": len(slots)})
            _link_notice(request, event)
            return redirect("scheduling:schedule", pk=event.selection_meeting_id)
        clashes = selectors.host_overlaps_for_specs(event, specs)
        context.update(
            preview=[{"spec": spec, "overlap": spec.starts_at in clashes} for spec in specs],
            overlap_count=len(clashes),
            skipped=form.skipped,
            closed_skipped=form.closed_skipped,
            daily_limit_note=event.has_web_meeting
            and form.cleaned_data["visibility"] == "show"
            and len(specs) > limits.daily_limit(),
            reset_at=limits.next_utc_midnight(),
        )
    return render(request, "scheduling/slot_bulk_form.html", context)


# --- 日程 (slots) ------------------------------------------------------------------------------------------


@recruiter_required
def slot_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    company = request_company(request)
    form = SlotFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    slots = selectors.slot_list(
        company,
        date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
        state=filters.get("state") or "",
        include_past=bool(filters.get("include_past")),
    )
    page = Paginator(slots, SLOTS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "scheduling/slot_list.html", {"form": form, "page": page, "query": query.urlencode()}
    )


def hosts_slot(user: User, slot: Slot) -> bool:
    """The signed-in 面接官 hosts this slot: the service user its meeting is on (the event's host, unless a
    higher app gave the slot its own, ``scheduling.registry.slot_meeting_hosts``) has the user's email."""
    event = slot.event
    if not event.has_web_meeting or not user.email:
        return False
    host_id = slot.meeting_host_id or event.meeting_host_id
    if host_id == event.meeting_host_id:
        return bool(event.meeting_host_email) and event.meeting_host_email.lower() == user.email.lower()
    return host_id in selectors.host_ids_of(user)


def _slot_for(request: AuthenticatedHttpRequest, pk: int) -> Slot:
    """A slot of the user's company that the user may see (staff, or the 面接官 who hosts it)."""
    slot = get_company_object_or_404(
        request, Slot.objects.select_related("company", "event__selection_meeting"), pk=pk
    )
    if not (request.user.is_recruiter_or_admin or may_read_slot(request.user, slot)):
        raise PermissionDenied
    return slot


def may_read_slot(user: User, slot: Slot) -> bool:
    """A 面接官 reads the page of a slot whose meeting they host or that a higher app lets them read
    (assigned)."""
    return hosts_slot(user, slot) or any(reads(user, slot) for reads in slot_readers.functions())


@member_required
def slot_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    slot = _slot_for(request, pk)
    context = {
        "slot": slot,
        "overlaps": selectors.host_overlaps(slot),
        "host_problem": selectors.host_problem(slot.event, selectors.service_hosts(slot.company)),
        "can_manage": request.user.is_recruiter_or_admin,
        "panels": [panel(request, slot) for panel in slot_panels.functions()],
    }
    return render(request, "scheduling/slot_detail.html", context)


@recruiter_required
def slot_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    slot = _slot_for(request, pk)
    event = slot.event
    form = SlotForm(
        request.POST or None,
        event=event,
        slot=slot,
        booked=slot.booked_count,
        closed_day_confirmed=request.POST.get("confirm_closed_day") == "1",
    )
    if request.method == "POST" and form.is_valid():
        spec = form.spec()
        try:
            slot = services.update_slot(
                slot=slot,
                actor=request.user,
                starts_at=spec.starts_at,
                ends_at=spec.ends_at,
                capacity=spec.capacity,
                is_published=spec.is_published,
                note=spec.note,
                request=request,
            )
        except services.SchedulingError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("日程を変更しました。"))
            _warn_overlaps(request, [slot])
            return redirect("scheduling:slot_detail", pk=slot.pk)
    return render(request, "scheduling/slot_form.html", {"form": form, "event": event, "slot": slot})


@recruiter_required
@require_POST
def slot_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    slot = _slot_for(request, pk)
    try:
        services.delete_slot(slot=slot, actor=request.user, request=request)
    except services.SchedulingError as exc:
        _refused(request, exc)
        return redirect("scheduling:slot_detail", pk=pk)
    messages.success(request, _("日程を削除しました。"))
    return redirect("scheduling:schedule", pk=slot.event.selection_meeting_id)


@recruiter_required
@require_POST
def slot_reissue(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """再発行 / 再試行 with one click."""
    slot = _slot_for(request, pk)
    back = _page_to_return_to(request, request.POST.get("next", ""))  # a form Django refuses changes nothing
    try:
        services.reissue_slot_meeting(slot=slot, actor=request.user, request=request)
    except services.SchedulingError as exc:
        _refused(request, exc)
    else:
        messages.success(
            request,
            _("%(service)sミーティングの発行を再開しました。") % {"service": slot.service_display},
        )
    if back:
        return HttpResponseRedirect(back)
    return redirect("scheduling:slot_detail", pk=pk)


def _page_to_return_to(request: HttpRequest, next_url: str) -> str:
    """``next`` when it is a path of this site that a browser can be sent to, else "" (``redirect()`` would
    take a word for a view name, and Django refuses to redirect to a URL over MAX_URL_REDIRECT_LENGTH)."""
    if (
        next_url.startswith("/")
        and len(next_url) <= MAX_URL_REDIRECT_LENGTH
        and next_url.isprintable()
        and url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()})
    ):
        return next_url
    return ""


@never_cache
@member_required
@require_GET
def slot_start(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """ホストとして開始: ask the meeting's service for the host's link (Zoom: a fresh start_url, never
    stored) and redirect straight to it. A 面接官 may read a slot they are assigned to, but starts only a
    meeting they host."""
    slot = _slot_for(request, pk)
    if not request.user.is_recruiter_or_admin and not hosts_slot(request.user, slot):
        raise PermissionDenied
    service = slot.service_display
    if not slot.meeting_id:
        messages.error(request, _("この日程には%(service)sミーティングがありません。") % {"service": service})
        return redirect("scheduling:slot_detail", pk=pk)
    try:
        start_url = issuance.host_start_url(slot)
    except pacing.PacingBusy:
        messages.error(
            request,
            _("%(service)sへのアクセスが混み合っています。少し待ってから再度お試しください。")
            % {"service": service},
        )
        return redirect("scheduling:slot_detail", pk=pk)
    except NotFound:
        messages.error(
            request,
            _("%(service)s上でミーティングが見つかりません。削除された可能性があります。")
            % {"service": service},
        )
        return redirect("scheduling:slot_detail", pk=pk)
    except MeetingServiceError as exc:
        messages.error(
            request,
            _("%(service)sから開始リンクを取得できませんでした: %(reason)s")
            % {"service": service, "reason": exc.message},
        )
        return redirect("scheduling:slot_detail", pk=pk)
    if not start_url.startswith(("https://", "http://")):
        messages.error(request, _("%(service)sから開始リンクを取得できませんでした。") % {"service": service})
        return redirect("scheduling:slot_detail", pk=pk)
    record_audit(action="meeting.start_link_opened", actor=request.user, target=slot, request=request)
    response = HttpResponseRedirect(start_url)
    response["Referrer-Policy"] = "no-referrer"
    return response
