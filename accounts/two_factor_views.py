"""2段階認証 pages: a user's own settings, setting up an app, recovery codes, and the sign-in step."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts import two_factor
from accounts.models import User

FRESH_CODES_SESSION_KEY = "two_factor_fresh_recovery_codes"


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("確認コード"),
        max_length=32,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "text",
                "autofocus": True,
                "spellcheck": "false",
            }
        ),
    )


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    user = _user(request)
    return reverse("admin:index") if user.company_id is None and user.is_operator else reverse("dashboard")


def _show_codes(request: HttpRequest, codes: list[str]) -> HttpResponse:
    request.session[FRESH_CODES_SESSION_KEY] = codes
    return redirect("accounts:two_factor_recovery_codes")


@never_cache
@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    context = {
        "enrolled": two_factor.is_enrolled(user),
        "required": two_factor.is_required(user),
        "remaining_codes": two_factor.remaining_recovery_codes(user),
        "disable_form": CodeForm(auto_id="disable_%s"),
    }
    return render(request, "accounts/two_factor/home.html", context)


@never_cache
@login_required
def setup(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if two_factor.is_enrolled(user) and two_factor.needs_verification(request):
        # Setting up a new app replaces the old one: only after signing in with the old one.
        return redirect("accounts:two_factor_verify")
    device = two_factor.pending_device(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = two_factor.confirm_enrolment(
            request=request, user=user, device=device, code=form.cleaned_data["code"]
        )
        if codes is not None:
            request.session[two_factor.ENROLLED_SESSION_KEY] = True
            messages.success(request, _("2段階認証を設定しました。"))
            request.session["two_factor_next"] = _next_url(request)
            return _show_codes(request, codes)
        form.add_error(
            "code", _("確認コードが正しくありません。アプリに表示されている最新のコードを入力してください。")
        )
    context = {
        "form": form,
        "qr_svg": mark_safe(two_factor.qr_code_svg(device)),  # noqa: S308 - generated here from our own URL
        "secret": two_factor.secret_for_display(device),
        "issuer": settings.OTP_TOTP_ISSUER,
        "required": two_factor.is_required(user),
        "next": _next_url(request),
    }
    return render(request, "accounts/two_factor/setup.html", context)


@never_cache
@login_required
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """The recovery codes just made, shown once: they are stored only as used-up-on-use tokens."""
    codes = request.session.pop(FRESH_CODES_SESSION_KEY, None)
    if not codes:
        return redirect("accounts:two_factor")
    next_url = request.session.pop("two_factor_next", "") or reverse("accounts:two_factor")
    return render(request, "accounts/two_factor/recovery_codes.html", {"codes": codes, "next": next_url})


@require_POST
@login_required
def regenerate_codes(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not two_factor.is_enrolled(user):
        return redirect("accounts:two_factor")
    return _show_codes(request, two_factor.regenerate_recovery_codes(request=request, user=user))


@require_POST
@login_required
def disable(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if two_factor.is_required(user):
        messages.error(request, _("2段階認証は必須に設定されているため、無効にできません。"))
        return redirect("accounts:two_factor")
    form = CodeForm(request.POST, auto_id="disable_%s")
    if form.is_valid() and two_factor.verify(request=request, user=user, code=form.cleaned_data["code"]):
        two_factor.disable(request=request, user=user)
        request.session[two_factor.ENROLLED_SESSION_KEY] = False
        messages.success(request, _("2段階認証を無効にしました。"))
    else:
        messages.error(request, _("確認コードが正しくないため、2段階認証は有効のままです。"))
    return redirect("accounts:two_factor")


@never_cache
@login_required
def verify(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: a code from the app, or one recovery code."""
    if not two_factor.needs_verification(request):
        return redirect(_next_url(request))
    user = _user(request)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if two_factor.verify(request=request, user=user, code=form.cleaned_data["code"]):
            request.session.cycle_key()
            return redirect(_next_url(request))
        form.add_error(
            "code",
            _("確認コードが正しくありません。続けて間違えると、次に試せるまでの待ち時間が長くなります。"),
        )
    return render(request, "accounts/two_factor/verify.html", {"form": form, "next": _next_url(request)})
