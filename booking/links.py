"""The applicant's personal booking link: /b/<token>/, no login.

The token is ``django.core.signing.dumps`` of the invitation's id and its random key, with a salt of its
own: it cannot be forged or altered without SECRET_KEY (tampering breaks the HMAC), it carries the time it
was signed (links older than BOOKING_LINK_MAX_AGE_DAYS are refused whatever the record says), and the
key (192 random bits) makes a link unguessable even from a known invitation id. The record decides the
rest: revoked by staff, or past ``expires_at``.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from accounts.prepared import PreparedQuery
from booking.models import BookingInvitation

SALT = "scheduling.booking-link.v1"


def link_days() -> int:
    """How long a new 日程選択案内 link works (staff may choose another length)."""
    return getattr(settings, "BOOKING_LINK_DAYS", 30)


def max_age() -> timedelta:
    return timedelta(days=getattr(settings, "BOOKING_LINK_MAX_AGE_DAYS", 400))


_TOKEN_MEMO = "_booking_link_token"


def make_token(invitation: BookingInvitation) -> str:
    """The signed link token; made once per invitation object and key (a booking's mails and pages ask
    for it several times in one request)."""
    made = getattr(invitation, _TOKEN_MEMO, None)
    if made is not None and made[0] == (invitation.pk, invitation.key):
        return made[1]
    token = signing.dumps({"i": invitation.pk, "k": invitation.key}, salt=SALT)
    setattr(invitation, _TOKEN_MEMO, ((invitation.pk, invitation.key), token))
    return token


def invitation_path(invitation: BookingInvitation) -> str:
    return reverse("booking:home", args=[make_token(invitation)])


def invitation_url(invitation: BookingInvitation) -> str:
    """The absolute link put in mails (SITE_URL + path)."""
    return f"{settings.SITE_URL}{invitation_path(invitation)}"


class LinkProblem(Exception):
    """Why a link cannot be used: ``invalid`` (tampered, unknown) or ``expired`` (old, revoked)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class LinkPayload:
    invitation_id: int
    key: str


def read_token(token: str) -> LinkPayload:
    """The signed payload of ``token``; raises LinkProblem."""
    try:
        data = signing.loads(token, salt=SALT, max_age=max_age())
    except signing.SignatureExpired:
        raise LinkProblem("expired") from None
    except signing.BadSignature:
        raise LinkProblem("invalid") from None
    if not isinstance(data, dict) or not isinstance(data.get("i"), int) or not isinstance(data.get("k"), str):
        raise LinkProblem("invalid")
    return LinkPayload(invitation_id=data["i"], key=data["k"])


# Every booking page reads its invitation this way: compiled once (accounts.prepared).
_INVITATION: PreparedQuery[BookingInvitation] = PreparedQuery(
    lambda invitation_id: BookingInvitation.objects.select_related(
        "company__mail_settings", "applicant__stage"
    ).filter(pk=invitation_id),
    invitation_id=-1,
)


def resolve(token: str, *, now: datetime | None = None) -> BookingInvitation:
    """The invitation behind a link, if it may be used now; raises LinkProblem. Its company comes with its
    mail settings (the pages' 問い合わせ先) and its applicant with their stage, in the same query."""
    payload = read_token(token)
    return check(_INVITATION.first(invitation_id=payload.invitation_id), payload, now=now)


def check(
    invitation: BookingInvitation | None, payload: LinkPayload, *, now: datetime | None = None
) -> BookingInvitation:
    """``invitation``, read by the id in ``payload``, if the link may use it now; raises LinkProblem."""
    if invitation is None or invitation.pk != payload.invitation_id:
        raise LinkProblem("invalid")
    if not hmac.compare_digest(invitation.key, payload.key):
        raise LinkProblem("invalid")
    if invitation.applicant.is_anonymized:
        raise LinkProblem("invalid")
    if not invitation.is_usable(now or timezone.now()):
        raise LinkProblem("expired")
    return invitation
