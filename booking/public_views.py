"""The applicant's own pages behind the personal link /b/<token>/ (no login): choose a slot, confirm,
see the booking (date and time in the company's zone, the Zoom join URL and passcode or the place),
change or cancel it until the deadline, wait for a full slot.

Every view resolves the signed token first; a tampered, unknown, expired or revoked link gets a plain
Japanese page and nothing happens. Objects are looked up through the link (its applicant, its events), so
another applicant's booking or another event's slot is simply not found. Pages are never cached, never
indexed, and send their address (the applicant's key) as Referer only to this site: not to zoom.us when
the join link is followed. (no-referrer would make browsers send `Origin: null` with the page's own forms,
which CSRF protection rightly refuses.)
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import cast

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Company
from accounts.permissions import PublicView, public_view
from booking import links, mail, rules, selectors, services
from booking.models import Booking, BookingInvitation, BookingSource, BookingStatus
from booking.rules import BookingError, DeadlinePassed, SlotFull
from notifications.models import MailSettings
from notifications.services import company_contact
from scheduling.models import Slot

logger = logging.getLogger(__name__)

LINK_PROBLEMS = {
    "invalid": (
        404,
        gettext_lazy("このリンクは無効です"),
        gettext_lazy(
            "URLが正しくないか、途中で切れている可能性があります。メールに記載されたURLをもう一度お確かめください。"
        ),
    ),
    "expired": (
        410,
        gettext_lazy("このリンクの有効期限が切れています"),
        gettext_lazy("お手数ですが、案内メールの送信元の採用担当者へお問い合わせください。"),
    ),
}


class BookingRequest(HttpRequest):
    """The request a view behind ``booking_page`` gets: the decorator sets ``booking_token`` (the link's
    token, for the page's own links) once the link resolved. Only a type, like AuthenticatedHttpRequest."""

    booking_token: str


def _page(request: HttpRequest, template: str, context: dict, *, status: int = 200) -> HttpResponse:
    """A page of templates/jinja2/booking/ (booking.templating), with the headers of every link page."""
    response = render(request, template, context, status=status, using="jinja2")
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _logged_without_token(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Django logs every 4xx with its path, and the path here is the applicant's key: log it redacted and
    tell Django the response is logged (its own marker, ``_has_been_logged``)."""
    if response.status_code >= 400:
        name = getattr(request.resolver_match, "url_name", "") or "?"
        # 409: an action refused for a reason the page explains (満席, past the deadline): not a problem.
        level = logging.INFO if response.status_code == 409 else logging.WARNING
        logger.log(level, "booking page %s answered %s (link redacted)", name, response.status_code)
        response._has_been_logged = True  # type: ignore[attr-defined]  # Django's marker, not in django-stubs
    return response


def _not_found(request: HttpRequest, invitation: BookingInvitation) -> HttpResponse:
    """Something the link does not cover (another applicant's booking, another event's slot)."""
    return _page(
        request,
        "booking/link_problem.html",
        {
            "title": _("このページは表示できません"),
            "message": _("ご案内した日程・予約の中に見つかりませんでした。"),
            "home": links.invitation_path(invitation),
            "company": invitation.company,
        },
        status=404,
    )


def booking_page(view: Callable[..., HttpResponse]) -> PublicView:
    """Resolve the link, then run ``view(request, invitation, ...)`` in the company's zone and in Japanese."""
    return _behind_link(view)


def booking_slot_page(view: Callable[..., HttpResponse]) -> PublicView:
    """Like ``booking_page``, for a page of one of the link's slots (``slot_id`` in the URL): the link and
    the slot are read in one query, and the view gets the slot as ``chosen`` (None when the link is fine
    but the slot is not one of its events' live slots)."""
    return _behind_link(view, with_slot=True)


def booking_file(view: Callable[..., HttpResponse]) -> PublicView:
    """Like ``booking_page``, for a file behind the link (the .ics): any link problem answers 404."""
    return _behind_link(view, problem_status=404)


def _link_and_slot(token: str, slot_id: int) -> tuple[BookingInvitation, Slot | None]:
    """The link's invitation and its slot ``slot_id``; raises LinkProblem as ``links.resolve`` does."""
    payload = links.read_token(token)
    found = selectors.slot_with_link(payload.invitation_id, slot_id)
    if found is None:  # the link's own problem, or a slot it does not cover: read the link alone to tell
        return links.resolve(token), None
    invitation, chosen = found
    return links.check(invitation, payload), chosen


def _behind_link(
    view: Callable[..., HttpResponse], *, problem_status: int | None = None, with_slot: bool = False
) -> PublicView:
    @wraps(view)
    def wrapper(request: HttpRequest, token: str, *args, **kwargs) -> HttpResponse:
        with translation.override(settings.LANGUAGE_CODE):
            try:
                if with_slot:
                    invitation, kwargs["chosen"] = _link_and_slot(token, kwargs.pop("slot_id"))
                else:
                    invitation = links.resolve(token)
            except links.LinkProblem as problem:
                status, title, message = LINK_PROBLEMS[problem.reason]
                status = problem_status or status
                response = _page(
                    request, "booking/link_problem.html", {"title": title, "message": message}, status=status
                )
                return _logged_without_token(request, response)
            booking_request = cast(BookingRequest, request)
            booking_request.booking_token = token
            with timezone.override(invitation.company.tzinfo):
                response = view(booking_request, invitation, *args, **kwargs)
        response["Referrer-Policy"] = "same-origin"
        response["X-Robots-Tag"] = "noindex, nofollow"
        return _logged_without_token(request, response)

    return public_view(never_cache(wrapper))


def _context(request: BookingRequest, invitation: BookingInvitation, **extra) -> dict:
    return {
        "invitation": invitation,
        "company": invitation.company,
        "applicant": invitation.applicant,
        "token": request.booking_token,
        "contact": company_contact(invitation.company, _mail_settings(invitation.company)),
        **extra,
    }


def _mail_settings(company: Company) -> MailSettings | None:
    """The settings ``links.resolve`` read with the company (None: none yet, company_contact makes them)."""
    try:
        return company.mail_settings
    except MailSettings.DoesNotExist:
        return None


def _home(request: BookingRequest) -> HttpResponse:
    return redirect("booking:home", token=request.booking_token)


def _refusal(request: HttpRequest, exc: BookingError) -> None:
    messages.error(request, " ".join(exc.messages))


@booking_page
def home(request: BookingRequest, invitation: BookingInvitation) -> HttpResponse:
    """日程選択: each invited event with the applicant's booking, or its slots and seats left."""
    sections = selectors.invitation_sections(invitation)
    return _page(request, "booking/home.html", _context(request, invitation, sections=sections))


@booking_slot_page
@require_http_methods(["GET", "POST"])
def slot(request: BookingRequest, invitation: BookingInvitation, chosen: Slot | None) -> HttpResponse:
    """GET: 予約内容の確認; POST: 予約を確定する."""
    if chosen is None:
        return _not_found(request, invitation)
    if request.method == "POST":
        return _book(request, invitation, chosen)
    read = rules.link_read(chosen)
    no_booking = read is not None and read.booking_id is None  # read with the slot: no query needed
    existing = None if no_booking else _existing_booking(invitation, chosen.event_id)
    return _slot_page(request, invitation, chosen, existing=existing)


def _book(request: BookingRequest, invitation: BookingInvitation, chosen: Slot) -> HttpResponse:
    """予約を確定する: to the booking on success, else the confirmation page again with the refusal (409)."""
    try:
        result = services.book_slot(
            slot=chosen,
            applicant=invitation.applicant,
            actor=None,
            source=BookingSource.APPLICANT,
            invitation=invitation,
            request=request,
        )
    except SlotFull as exc:
        chosen.booked_count = chosen.capacity  # as it is now: no seat left
        return _slot_page(request, invitation, chosen, existing=exc.existing, error=exc)
    except BookingError as exc:
        existing = _existing_booking(invitation, chosen.event_id)
        return _slot_page(request, invitation, chosen, existing=existing, error=exc)
    if result.created:
        messages.success(request, _("ご予約が完了しました。確認メールをお送りしました。"))
    return redirect("booking:booking", token=request.booking_token, booking_id=result.booking.pk)


def _slot_page(
    request: BookingRequest,
    invitation: BookingInvitation,
    chosen: Slot,
    *,
    existing: Booking | None,
    error: BookingError | None = None,
) -> HttpResponse:
    context = _context(
        request,
        invitation,
        slot=chosen,
        seats_left=max(0, chosen.capacity - chosen.booked_count),
        existing=existing,
        error=error,
        problem=_slot_problem(chosen),
    )
    return _page(request, "booking/slot.html", context, status=409 if error else 200)


def _existing_booking(invitation: BookingInvitation, event_id: int) -> Booking | None:
    return (
        Booking.objects.filter(
            applicant_id=invitation.applicant_id, event_id=event_id, status=BookingStatus.ACTIVE
        )
        .select_related("slot")
        .first()
    )


def _slot_problem(chosen) -> str:
    """Why the applicant cannot book this slot now (hidden, not open yet, closed), or ""."""
    try:
        rules.check_open_for_applicant(chosen, timezone.now())
    except BookingError as exc:
        return " ".join(exc.messages)
    return ""


@booking_slot_page
@require_POST
def wait(request: BookingRequest, invitation: BookingInvitation, chosen: Slot | None) -> HttpResponse:
    """キャンセル待ちに登録."""
    if chosen is None:
        return _not_found(request, invitation)
    try:
        services.join_waitlist(
            slot=chosen, applicant=invitation.applicant, invitation=invitation, request=request
        )
    except BookingError as exc:
        _refusal(request, exc)
    else:
        messages.success(
            request,
            _("キャンセル待ちに登録しました。空きが出た場合は自動で予約し、メールでお知らせします。"),
        )
    return _home(request)


@booking_page
@require_POST
def wait_withdraw(request: BookingRequest, invitation: BookingInvitation, entry_id: int) -> HttpResponse:
    entry = selectors.applicant_wait(invitation, entry_id)
    if entry is None:
        return _not_found(request, invitation)
    services.withdraw_wait(entry=entry, actor=None, request=request)
    messages.success(request, _("キャンセル待ちを取り消しました。"))
    return _home(request)


@booking_page
def booking(request: BookingRequest, invitation: BookingInvitation, booking_id: int) -> HttpResponse:
    """ご予約内容: date and time, how to join (Zoom URL and passcode, or the place), change / cancel."""
    found = selectors.applicant_booking(invitation, booking_id)
    if found is None:
        return _not_found(request, invitation)
    join_url, passcode = mail.join_details(found.slot)
    context = _context(
        request,
        invitation,
        booking=found,
        join_url=join_url,
        passcode=passcode,
        can_change=found.is_active and timezone.now() < found.slot.cancel_deadline,
        google_calendar_url=mail.google_calendar_url(found) if found.is_active else "",
    )
    return _page(request, "booking/booking.html", context)


@booking_file
@require_http_methods(["GET", "HEAD"])
def booking_ics(request: BookingRequest, invitation: BookingInvitation, booking_id: int) -> HttpResponse:
    """カレンダーに追加 (.ics): the invite the booking mails carry (same UID and SEQUENCE, so importing it
    again updates the same calendar event), for an active booking of the link's applicant only."""
    found = selectors.applicant_booking(invitation, booking_id)
    if found is None or not found.is_active:
        return _not_found(request, invitation)
    response = HttpResponse(mail.invite_for(found), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="booking-{found.pk}.ics"'
    return response


@booking_page
def change(request: BookingRequest, invitation: BookingInvitation, booking_id: int) -> HttpResponse:
    """日程を変更する: the other slots of the event."""
    found = selectors.applicant_booking(invitation, booking_id)
    if found is None or not found.is_active:
        return _not_found(request, invitation)
    now = timezone.now()
    deadline = None if now < found.slot.cancel_deadline else rules.deadline_error(found.slot)
    options = selectors.applicant_slot_options(
        [found.slot.event], applicant=invitation.applicant, now=now, exclude_slot_id=found.slot_id
    )[found.slot.event_id]
    days = selectors.slot_days(options, invitation.company.tzinfo)
    context = _context(request, invitation, booking=found, days=days, deadline=deadline)
    return _page(request, "booking/change.html", context)


@booking_slot_page
@require_http_methods(["GET", "POST"])
def change_to(
    request: BookingRequest, invitation: BookingInvitation, booking_id: int, chosen: Slot | None
) -> HttpResponse:
    """GET: 変更内容の確認; POST: 変更を確定する."""
    found = selectors.applicant_booking(invitation, booking_id)
    if found is None or chosen is None or not found.is_active or chosen.event_id != found.event_id:
        return _not_found(request, invitation)
    if chosen.pk == found.slot_id:
        return redirect("booking:booking", token=request.booking_token, booking_id=found.pk)
    error = None
    if request.method == "POST":
        try:
            services.move_booking(
                booking=found,
                slot=chosen,
                actor=None,
                by_applicant=True,
                invitation=invitation,
                request=request,
            )
        except BookingError as exc:
            error = exc
        else:
            messages.success(request, _("日程を変更しました。変更内容をメールでお送りしました。"))
            return redirect("booking:booking", token=request.booking_token, booking_id=found.pk)
    context = _context(
        request,
        invitation,
        booking=found,
        slot=chosen,
        seats_left=max(0, chosen.capacity - chosen.booked_count),
        error=error,
        problem=_slot_problem(chosen),
    )
    return _page(request, "booking/change_confirm.html", context, status=409 if error else 200)


@booking_page
@require_http_methods(["GET", "POST"])
def cancel(request: BookingRequest, invitation: BookingInvitation, booking_id: int) -> HttpResponse:
    """GET: キャンセルの確認 (or, after the deadline, whom to contact); POST: キャンセルする."""
    found = selectors.applicant_booking(invitation, booking_id)
    if found is None:
        return _not_found(request, invitation)
    if not found.is_active:
        return redirect("booking:booking", token=request.booking_token, booking_id=found.pk)
    error = None
    if request.method == "POST":
        try:
            services.cancel_booking(booking=found, actor=None, by_applicant=True, request=request)
        except BookingError as exc:
            error = exc
        else:
            messages.success(request, _("ご予約をキャンセルしました。"))
            return _home(request)
    elif timezone.now() >= found.slot.cancel_deadline:
        error = rules.deadline_error(found.slot)
    context = _context(
        request,
        invitation,
        booking=found,
        error=error,
        deadline_contact=error.contact if isinstance(error, DeadlinePassed) else "",
    )
    return _page(
        request, "booking/cancel.html", context, status=409 if error and request.method == "POST" else 200
    )
