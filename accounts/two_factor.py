"""Two-step verification (2段階認証): TOTP from an authenticator app, with one-time recovery codes.

django-otp keeps the devices: a confirmed ``TOTPDevice`` (Google Authenticator, Microsoft Authenticator,
1Password …) and a ``StaticDevice`` named ``recovery`` holding the unused recovery codes. A session is
verified once ``django_otp.login`` has recorded the device that passed; ``accounts.middleware
.TwoFactorMiddleware`` keeps a user who needs verification on the verification pages until then.

Who needs it: every user who has set it up; every user of a company whose admin chose 2段階認証を必須にする;
every operator (Django admin user) in production (``TWO_FACTOR_REQUIRED_FOR_OPERATORS``).
"""

from __future__ import annotations

import base64
import re

import django_otp
import segno
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.audit import record_audit
from accounts.models import Company, User

RECOVERY_DEVICE_NAME = "recovery"
TOTP_DEVICE_NAME = "authenticator"
TOTP_DIGITS = 6  # django-otp's default, what every authenticator app shows
ENROLLED_SESSION_KEY = "two_factor_enrolled"
_SEPARATORS = re.compile(r"[\s\-]+")


def confirmed_totp(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def is_enrolled(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def is_required(user: User) -> bool:
    """The company or the operator policy asks this user for a second step."""
    if user.is_operator and settings.TWO_FACTOR_REQUIRED_FOR_OPERATORS:
        return True
    company = user.company
    return bool(company is not None and company.require_two_factor)


def remember_enrolment(request: HttpRequest, user: User) -> None:
    """At sign-in: note in the session whether the user has an app set up, so no page asks the database."""
    request.session[ENROLLED_SESSION_KEY] = is_enrolled(user)


def enrolled_at_sign_in(request: HttpRequest) -> bool:
    return bool(request.session.get(ENROLLED_SESSION_KEY))


def needs_verification(request: HttpRequest) -> bool:
    """Signed in with a password, but the second step this user needs is still missing."""
    user = request.user
    if not isinstance(user, User) or _is_verified(user):
        return False
    return enrolled_at_sign_in(request) or is_required(user)


def _is_verified(user: User) -> bool:
    """django-otp's OTPMiddleware gives the request's user ``is_verified``; a user signed in during this
    request (LoginView) has not passed a second step yet."""
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified()) if callable(is_verified) else False


def remaining_recovery_codes(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__name=RECOVERY_DEVICE_NAME).count()


# --- enrolment ---------------------------------------------------------------------------------------------


def pending_device(user: User) -> TOTPDevice:
    """The unconfirmed device the setup page shows (one per user, replaced after a confirmation)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def secret_for_display(device: TOTPDevice) -> str:
    """The key in base32, in groups of four, for typing into an app by hand."""
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[index : index + 4] for index in range(0, len(secret), 4))


def qr_code_svg(device: TOTPDevice) -> str:
    """The otpauth:// URL as an inline SVG QR code, made here (no external service sees the key)."""
    return segno.make(device.config_url, error="m").svg_inline(scale=5, border=2, omitsize=True)


def _normalise(code: str) -> str:
    return _SEPARATORS.sub("", code or "").lower()


def _new_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user, name=RECOVERY_DEVICE_NAME).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(settings.RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def confirm_enrolment(*, request: HttpRequest, user: User, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm the pending device with a code from the app; returns the new recovery codes, or None."""
    if not device.verify_token(_normalise(code)):
        return None
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _new_recovery_codes(user)
        record_audit(action="user.2fa_enabled", actor=user, target=user, request=request)
    django_otp.login(request, device)
    return codes


def regenerate_recovery_codes(*, request: HttpRequest, user: User) -> list[str]:
    with transaction.atomic():
        codes = _new_recovery_codes(user)
        record_audit(action="user.recovery_codes_renewed", actor=user, target=user, request=request)
    return codes


# --- signing in ---------------------------------------------------------------------------------------------


def _is_app_code(token: str) -> bool:
    return token.isdigit() and len(token) == TOTP_DIGITS


def verify(*, request: HttpRequest, user: User, code: str) -> bool:
    """Check a code from the app or an unused recovery code (used up by this), and verify the session.

    The device row is locked while checking, so one code cannot pass twice at the same moment. django-otp
    slows down guessing per device: after each wrong code the next check waits twice as long.
    """
    token = _normalise(code)
    if not token:
        return False
    name = TOTP_DEVICE_NAME if _is_app_code(token) else RECOVERY_DEVICE_NAME
    model = TOTPDevice if name == TOTP_DEVICE_NAME else StaticDevice
    with transaction.atomic():
        device = model.objects.select_for_update().filter(user=user, confirmed=True).first()
        if device is None or not device.verify_token(token):
            return False
        if model is StaticDevice:
            record_audit(
                action="user.recovery_code_used",
                actor=user,
                target=user,
                details={"remaining": remaining_recovery_codes(user)},
                request=request,
            )
    django_otp.login(request, device)
    return True


# --- turning it off -----------------------------------------------------------------------------------------


def _remove_devices(user: User) -> int:
    removed, _per_model = TOTPDevice.objects.filter(user=user).delete()
    removed_static, _per_model = StaticDevice.objects.filter(user=user).delete()
    return removed + removed_static


def disable(*, request: HttpRequest, user: User) -> None:
    """The user turns their own 2段階認証 off (only where nothing requires it)."""
    with transaction.atomic():
        _remove_devices(user)
        record_audit(action="user.2fa_disabled", actor=user, target=user, request=request)


def reset(*, request: HttpRequest | None, user: User, actor: User) -> None:
    """An admin (or an operator) removes a user's devices, e.g. after a lost phone: the user sets it up
    again at the next sign-in if it is required."""
    with transaction.atomic():
        removed = _remove_devices(user)
        record_audit(
            action="user.2fa_reset",
            actor=actor,
            company=user.company,
            target=user,
            details={"devices_removed": removed},
            request=request,
        )


def set_company_requirement(*, request: HttpRequest, company: Company, required: bool, actor: User) -> bool:
    """Require (or stop requiring) 2段階認証 for every user of ``company``; False when nothing changed."""
    with transaction.atomic():
        company = Company.objects.select_for_update().get(pk=company.pk)
        if company.require_two_factor == required:
            return False
        company.require_two_factor = required
        company.save(update_fields=["require_two_factor"])
        record_audit(
            action="security.2fa_required" if required else "security.2fa_optional",
            actor=actor,
            company=company,
            target=company,
            request=request,
        )
    return True
