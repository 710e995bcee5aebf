"""Staff booking pages: 代行予約 (from the applicant's page or the slot's page), 予約変更, キャンセル,
日程選択案内. 管理者 and 採用担当 book for anyone; a 面接官 reads the bookings of the slots they host."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.permissions import AuthenticatedHttpRequest, member_required, recruiter_required
from accounts.tenancy import get_company_object_or_404, request_company
from applicants.models import Applicant
from applicants.selectors import search_condition, visible_applicants
from booking import attendance, invitations, links, rules, selectors, services
from booking.forms import ApplicantSearchForm, InvitationForm, SlotChoiceForm
from booking.models import (
    Attendance,
    Booking,
    BookingInvitation,
    BookingSource,
    BookingStatus,
    WaitlistEntry,
)
from booking.rules import BookingError
from notifications.selectors import mails_for_booking
from scheduling.models import Slot

SEARCH_LIMIT = 20


def _applicant(request: AuthenticatedHttpRequest, pk: int) -> Applicant:
    return get_company_object_or_404(request, visible_applicants(request.user).select_related("stage"), pk=pk)


def _booking(request: AuthenticatedHttpRequest, pk: int) -> Booking:
    queryset = selectors.visible_bookings(request.user).select_related(
        "applicant",
        "company",
        "invitation",
        "slot__company",
        "slot__event__selection_meeting",
        "attendance_recorded_by",
    )
    return get_company_object_or_404(request, queryset, pk=pk)


def _refused(request: HttpRequest, exc: BookingError) -> None:
    messages.error(request, " ".join(exc.messages))


def _applicant_page(applicant_id: int) -> str:
    return reverse("applicants:detail", args=[applicant_id]) + "#bookings"


def _booked_message(request: HttpRequest, result: rules.BookingResult) -> None:
    if result.created:
        messages.success(
            request,
            _("%(name)s さんを %(slot)s に予約しました。")
            % {"name": result.booking.applicant.name, "slot": result.booking.slot},
        )
    else:
        messages.info(request, _("この日程はすでに予約済みです。"))


# --- 代行予約 ---------------------------------------------------------------------------------------------


@recruiter_required
def applicant_book(request: AuthenticatedHttpRequest, applicant_id: int) -> HttpResponse:
    """代行予約 from the applicant's page: every future slot (shown or not), one button each."""
    applicant = _applicant(request, applicant_id)
    company = request_company(request)
    if request.method == "POST":
        form = SlotChoiceForm(request.POST, company=company)
        if form.is_valid():
            try:
                result = services.book_slot(
                    slot=form.cleaned_data["slot"],
                    applicant=applicant,
                    actor=request.user,
                    source=BookingSource.STAFF,
                    request=request,
                )
            except BookingError as exc:
                _refused(request, exc)
            else:
                _booked_message(request, result)
                return redirect(_applicant_page(applicant.pk))
        else:
            messages.error(request, _("日程を選んでください。"))
    groups = selectors.staff_slot_groups(company, applicant)
    return render(request, "booking/staff/applicant_book.html", {"applicant": applicant, "groups": groups})


@recruiter_required
def slot_book(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """代行予約 from the slot's page: find the applicant, then book."""
    slot = get_company_object_or_404(
        request, Slot.objects.select_related("company", "event__selection_meeting"), pk=pk
    )
    if request.method == "POST":
        applicant = _applicant(request, _int(request.POST.get("applicant")))
        try:
            result = services.book_slot(
                slot=slot,
                applicant=applicant,
                actor=request.user,
                source=BookingSource.STAFF,
                request=request,
            )
        except BookingError as exc:
            _refused(request, exc)
        else:
            _booked_message(request, result)
            return redirect("scheduling:slot_detail", pk=slot.pk)
    form = ApplicantSearchForm(request.GET or None)
    found: list[Applicant] = []
    booked: set[int] = set()
    if form.is_valid() and form.cleaned_data["q"].strip():
        found = list(
            visible_applicants(request.user)
            .filter(search_condition(form.cleaned_data["q"]), anonymized_at__isnull=True)
            .select_related("stage")
            .order_by("kana_key", "id")[:SEARCH_LIMIT]
        )
        booked = set(
            Booking.objects.filter(
                event_id=slot.event_id, status=BookingStatus.ACTIVE, applicant__in=found
            ).values_list("applicant_id", flat=True)
        )
    context = {"slot": slot, "form": form, "found": found, "booked_ids": booked, "searched": form.is_bound}
    return render(request, "booking/staff/slot_book.html", context)


def _int(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError:
        raise Http404 from None


# --- 予約 ------------------------------------------------------------------------------------------------


@member_required
def booking_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    booking = _booking(request, pk)
    context = {
        "booking": booking,
        "history": selectors.booking_history(booking),
        "mails": list(mails_for_booking(company_id=booking.company_id, booking_id=booking.pk)[:50]),
        "can_manage": request.user.is_recruiter_or_admin and not booking.applicant.is_anonymized,
    }
    return render(request, "booking/staff/booking_detail.html", context)


@recruiter_required
def booking_move(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """予約変更: another slot of the same event."""
    booking = _booking(request, pk)
    if not booking.is_active:
        messages.error(request, _("この予約はキャンセルされています。"))
        return redirect("booking_staff:booking_detail", pk=pk)
    if request.method == "POST":
        form = SlotChoiceForm(request.POST, company=booking.company, event=booking.slot.event)
        if form.is_valid():
            try:
                services.move_booking(
                    booking=booking, slot=form.cleaned_data["slot"], actor=request.user, request=request
                )
            except BookingError as exc:
                _refused(request, exc)
            else:
                messages.success(request, _("予約の日程を変更しました。応募者に変更をメールで知らせました。"))
                return redirect("booking_staff:booking_detail", pk=pk)
        else:
            messages.error(request, _("日程を選んでください。"))
    slots = selectors.staff_slot_choices(
        booking.company, event=booking.slot.event, exclude_slot_id=booking.slot_id
    )
    return render(request, "booking/staff/booking_move.html", {"booking": booking, "slots": slots})


@recruiter_required
@require_POST
def booking_cancel(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    booking = _booking(request, pk)
    try:
        services.cancel_booking(booking=booking, actor=request.user, request=request)
    except BookingError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("予約をキャンセルしました。応募者にメールで知らせました。"))
    return redirect("booking_staff:booking_detail", pk=pk)


@recruiter_required
@require_POST
def wait_withdraw(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    entry = get_company_object_or_404(request, WaitlistEntry, pk=pk)
    services.withdraw_wait(entry=entry, actor=request.user, request=request)
    messages.success(request, _("キャンセル待ちを取り消しました。"))
    return redirect("scheduling:slot_detail", pk=entry.slot_id)


# --- 出欠 ------------------------------------------------------------------------------------------------


@member_required
@require_POST
def slot_attendance(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """出欠を記録 from the slot page: for each active booking a hidden ``booking`` (its id) and an
    ``attendance`` select, in the same order, and 一括で出席 (``mark_all``), which marks 出席 every posted
    booking still 未記録. Staff record any booking of the company; a 面接官 only those of the slots they
    interview (another slot, or a booking not of this slot: 404, nothing written)."""
    slot = get_company_object_or_404(
        request, Slot.objects.select_related("company", "event__selection_meeting"), pk=pk
    )
    user = request.user
    if not user.is_recruiter_or_admin and not selectors.interviews_slot(user, slot):
        raise Http404
    page = reverse("scheduling:slot_detail", args=[slot.pk]) + "#attendance"
    if slot.starts_at > timezone.now():
        messages.error(request, _("出欠は日程の開始後に記録できます。"))
        return redirect(page)
    ids, values = request.POST.getlist("booking"), request.POST.getlist("attendance")
    if len(ids) != len(values) or len(set(ids)) != len(ids):
        messages.error(request, _("出欠の送信内容が正しくありません。ページを読み込み直してください。"))
        return redirect(page)
    bookings = {booking.pk: booking for booking in selectors.slot_attendance_bookings(slot, user)}
    marks: dict[int, str] = {}
    for raw_id, posted in zip(ids, values, strict=True):
        booking_id = _int(raw_id)
        if booking_id not in bookings:
            raise Http404  # another slot's, a cancelled or an unreadable booking: nothing is written
        value = Attendance.ATTENDED if not posted and "mark_all" in request.POST else posted
        if value != bookings[booking_id].attendance:
            marks[booking_id] = value
    try:
        changed = attendance.record_attendances(marks=marks, actor=user, request=request)
    except BookingError as exc:
        _refused(request, exc)
    else:
        if changed:
            messages.success(request, _("%(count)s件の出欠を記録しました。") % {"count": changed})
        else:
            messages.info(request, _("出欠に変更はありませんでした。"))
    return redirect(page)


# --- 日程選択案内 -----------------------------------------------------------------------------------------


@recruiter_required
def applicant_invite(request: AuthenticatedHttpRequest, applicant_id: int) -> HttpResponse:
    """日程選択案内を送る: choose the events; the applicant gets a personal link by mail."""
    applicant = _applicant(request, applicant_id)
    form = InvitationForm(request.POST or None, company=request_company(request))
    if request.method == "POST" and form.is_valid():
        try:
            _invitation, mail = invitations.create_invitation(
                applicant=applicant,
                events=list(form.cleaned_data["events"]),
                actor=request.user,
                days=form.cleaned_data["days"],
                send_mail=form.cleaned_data["send_mail"],
                request=request,
            )
        except BookingError as exc:
            form.add_error(None, exc)
        else:
            if mail is not None:
                messages.success(
                    request, _("日程選択案内を %(email)s に送信しました。") % {"email": applicant.email}
                )
            else:
                messages.success(
                    request, _("応募者専用リンクを作成しました。下の「応募者専用リンク」からコピーできます。")
                )
            return redirect(_applicant_page(applicant.pk))
    context = {"applicant": applicant, "form": form}
    return render(request, "booking/staff/applicant_invite.html", context)


@recruiter_required
@require_POST
def invitation_revoke(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    invitation = get_company_object_or_404(request, BookingInvitation, pk=pk)
    invitations.revoke_invitation(invitation=invitation, actor=request.user, request=request)
    messages.success(request, _("リンクを無効にしました。"))
    return redirect(_applicant_page(invitation.applicant_id))


def invitation_link(invitation: BookingInvitation) -> str:
    """For staff pages: the absolute personal link (a fresh signature of the same invitation)."""
    return links.invitation_url(invitation)
