"""Actions on companies and users. Each one owns its transaction and writes the audit log."""

from __future__ import annotations

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
from accounts.models import Company, Role, User
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
