"""Actions on companies and users. Each one owns its transaction and writes the audit log."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from accounts.audit import record_audit
from accounts.models import MAX_CLOSED_DAYS, ClosedDay, Company, Role, User
from accounts.throttling import clear_account_failures


class LastAdminError(ValidationError):
    pass


def _ensure_admin_remains(*, user: User, new_role: str, new_active: bool) -> None:
    """A company must always keep one active 管理者."""
    if user.role != Role.ADMIN or not user.is_active:
        return
    if new_role == Role.ADMIN and new_active:
        return
    others = (
        User.objects.select_for_update()
        .filter(company=user.company_id, role=Role.ADMIN, is_active=True)
        .exclude(pk=user.pk)
    )
    if not list(others):
        raise LastAdminError(
            _("最後の管理者は権限の変更・無効化ができません。先に別の管理者を設定してください。")
        )


def password_set_url(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return settings.SITE_URL + reverse("accounts:password_reset_confirm", args=[uid, token])


def send_invitation(*, user: User) -> None:
    context = {"user": user, "company": user.company, "url": password_set_url(user)}
    send_mail(
        # One line whatever the company's name holds (str.split also splits on CR, U+2028 and the like).
        subject=" ".join(render_to_string("accounts/mail/invitation_subject.txt", context).split()),
        message=render_to_string("accounts/mail/invitation_body.txt", context),
        from_email=None,
        recipient_list=[user.email],
    )


def create_user(
    *,
    company: Company,
    email: str,
    name: str,
    role: str,
    actor: User,
    password: str | None = None,
    request: HttpRequest | None = None,
) -> User:
    """Create a company user; without a password, mail an invitation to set one."""
    with transaction.atomic():
        user = User.objects.create_user(email=email, password=password, name=name, role=role, company=company)
        record_audit(
            action="user.created" if password else "user.invited",
            actor=actor,
            company=company,
            target=user,
            details={"email": user.email, "role": role},
            request=request,
        )
        if not password:
            transaction.on_commit(lambda: send_invitation(user=user))
    return user


def update_user(
    *, user: User, actor: User, name: str, role: str, is_active: bool, request: HttpRequest | None = None
) -> User:
    """Change a user's name, role or active flag, keeping at least one active admin."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        _ensure_admin_remains(user=user, new_role=role, new_active=is_active)
        changes = {
            field: [getattr(user, field), value]
            for field, value in (("name", name), ("role", role), ("is_active", is_active))
            if getattr(user, field) != value
        }
        if not changes:
            return user
        user.name, user.role, user.is_active = name, role, is_active
        user.save(update_fields=["name", "role", "is_active"])
        action = "user.updated"
        if "is_active" in changes:
            action = "user.reactivated" if is_active else "user.deactivated"
        record_audit(action=action, actor=actor, target=user, details={"changes": changes}, request=request)
    return user


def unlock_user(*, user: User, actor: User, request: HttpRequest | None = None) -> bool:
    """Lift the lock that repeated wrong passwords put on ``user``; False when it was not locked."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.locked_at is None:
            return False
        was_locked = user.is_locked
        user.locked_at = user.locked_until = None
        user.save(update_fields=["locked_at", "locked_until"])
        if was_locked:
            record_audit(
                action="user.unlocked", actor=actor, company=user.company, target=user, request=request
            )
    clear_account_failures(user.email)
    return was_locked


def validate_closed_range(start_date: date, end_date: date) -> None:
    """A 休業日 ends on or after its first day and spans at most ``MAX_CLOSED_DAYS`` days."""
    if end_date < start_date:
        raise ValidationError(_("終了日は開始日以降にしてください。"), code="end_before_start")
    if (end_date - start_date).days + 1 > MAX_CLOSED_DAYS:
        raise ValidationError(
            _("休業日の期間は%(days)s日以内にしてください。") % {"days": MAX_CLOSED_DAYS}, code="too_long"
        )


def create_closed_day(
    *,
    company: Company,
    start_date: date,
    end_date: date,
    label: str,
    actor: User,
    request: HttpRequest | None = None,
) -> ClosedDay:
    """Add a 休業日 (one day or a range) to the company's calendar."""
    validate_closed_range(start_date, end_date)
    with transaction.atomic():
        closed = ClosedDay.objects.create(
            company=company, start_date=start_date, end_date=end_date, label=label, created_by=actor
        )
        record_audit(
            action="closed_day.added",
            actor=actor,
            company=company,
            target=closed,
            details={"start_date": start_date.isoformat(), "end_date": end_date.isoformat(), "label": label},
            request=request,
        )
    return closed


def delete_closed_day(*, closed_day: ClosedDay, actor: User, request: HttpRequest | None = None) -> None:
    """Remove a 休業日 from the company's calendar."""
    with transaction.atomic():
        details = {
            "start_date": closed_day.start_date.isoformat(),
            "end_date": closed_day.end_date.isoformat(),
            "label": closed_day.label,
        }
        record_audit(
            action="closed_day.deleted",
            actor=actor,
            company=closed_day.company,
            target=closed_day,
            details=details,
            request=request,
        )
        closed_day.delete()
