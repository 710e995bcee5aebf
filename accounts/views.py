from __future__ import annotations

from datetime import datetime, time, timedelta
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import audit, selectors, services, two_factor
from accounts.forms import (
    AuditFilterForm,
    ClosedDayForm,
    LoginForm,
    SecuritySettingsForm,
    UserCreateForm,
    UserEditForm,
)
from accounts.models import AuditEntry, ClosedDay, User
from accounts.permissions import AuthenticatedHttpRequest, admin_required
from accounts.tenancy import company_queryset, get_company_object_or_404, request_company


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        user = self.request.user
        if isinstance(user, User) and user.company_id is None and user.is_operator:
            return reverse("admin:index")
        return super().get_default_redirect_url()

    def get_success_url(self) -> str:
        url = super().get_success_url()
        if not two_factor.needs_verification(self.request):
            return url
        enrolled = two_factor.enrolled_at_sign_in(self.request)
        target = reverse("accounts:two_factor_verify" if enrolled else "accounts:two_factor_setup")
        return f"{target}?{urlencode({'next': url})}"


class PasswordResetView(auth_views.PasswordResetView):
    """パスワード再設定. The mailed link starts with settings.SITE_URL, like the invitation's
    (``services.password_set_url``), never with the Host header the client sent."""

    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/mail/password_reset_body.txt"
    subject_template_name = "accounts/mail/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form):
        site = urlsplit(settings.SITE_URL)
        # Replaces what PasswordResetForm.save reads from the request (get_current_site → Host header).
        self.extra_email_context = {
            "site_url": settings.SITE_URL,
            "protocol": site.scheme,
            "domain": site.netloc,
            "site_name": site.netloc,
        }
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change_form.html"
    success_url = reverse_lazy("dashboard")

    def form_valid(self, form):
        messages.success(self.request, _("パスワードを変更しました。"))
        return super().form_valid(form)


@admin_required
def user_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    users = selectors.company_users(request_company(request))
    return render(
        request,
        "accounts/user_list.html",
        {"users": users, "require_two_factor": request_company(request).require_two_factor},
    )


@admin_required
def security_settings(request: AuthenticatedHttpRequest) -> HttpResponse:
    """セキュリティ設定: whether every user of the company must use 2段階認証."""
    company = request_company(request)
    form = SecuritySettingsForm(
        request.POST or None, initial={"require_two_factor": company.require_two_factor}
    )
    if request.method == "POST" and form.is_valid():
        required = form.cleaned_data["require_two_factor"]
        if two_factor.set_company_requirement(
            request=request, company=company, required=required, actor=request.user
        ):
            if required:
                messages.success(
                    request,
                    _("2段階認証を必須にしました。未設定のユーザーは次の操作時に設定を求められます。"),
                )
            else:
                messages.success(request, _("2段階認証を任意にしました。"))
        return redirect("accounts:security_settings")
    counts = selectors.two_factor_counts(company)
    return render(request, "accounts/security_settings.html", {"form": form, **counts})


@admin_required
def closed_days(request: AuthenticatedHttpRequest) -> HttpResponse:
    """休業日: the company's closed days (年末年始 …); bulk slot creation and 翌営業日 skip them with 祝日."""
    company = request_company(request)
    form = ClosedDayForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        closed = services.create_closed_day(
            company=company,
            start_date=data["start_date"],
            end_date=data["end_date"],
            label=data["label"],
            actor=request.user,
            request=request,
        )
        messages.success(request, _("休業日「%(label)s」を追加しました。") % {"label": closed.label})
        return redirect("accounts:closed_days")
    today = timezone.localdate(timezone=company.tzinfo)
    show_past = request.GET.get("past") == "1"
    rows = company_queryset(request, ClosedDay)
    if not show_past:
        rows = rows.filter(end_date__gte=today)
    context = {"form": form, "closed_days": rows, "show_past": show_past}
    return render(request, "accounts/closed_days.html", context)


@admin_required
@require_POST
def closed_day_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    closed = get_company_object_or_404(request, ClosedDay.objects.select_related("company"), pk=pk)
    services.delete_closed_day(closed_day=closed, actor=request.user, request=request)
    messages.success(request, _("休業日「%(label)s」を削除しました。") % {"label": closed.label})
    return redirect("accounts:closed_days")


@admin_required
@require_POST
def user_unlock(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = get_company_object_or_404(request, User, pk=pk)
    if services.unlock_user(user=user, actor=request.user, request=request):
        messages.success(request, _("%(name)s のロックを解除しました。") % {"name": user.display_name})
    else:
        messages.info(request, _("%(name)s はロックされていません。") % {"name": user.display_name})
    return redirect("accounts:user_list")


@admin_required
@require_POST
def user_two_factor_reset(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = get_company_object_or_404(request, User, pk=pk)
    two_factor.reset(request=request, user=user, actor=request.user)
    messages.success(
        request,
        _("%(name)s の2段階認証をリセットしました。次回ログイン時に設定し直します。")
        % {"name": user.display_name},
    )
    return redirect("accounts:user_edit", pk=user.pk)


@admin_required
def user_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user = services.create_user(
            company=request_company(request),
            email=data["email"],
            name=data["name"],
            role=data["role"],
            password=None if data["send_invitation"] else data["password"],
            actor=request.user,
            request=request,
        )
        if data["send_invitation"]:
            messages.success(request, _("%(email)s に招待メールを送信しました。") % {"email": user.email})
        else:
            messages.success(request, _("%(email)s を登録しました。") % {"email": user.email})
        return redirect("accounts:user_list")
    return render(request, "accounts/user_form.html", {"form": form, "creating": True})


@admin_required
def user_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = get_company_object_or_404(request, User, pk=pk)
    initial = {"name": user.name, "role": user.role, "is_active": user.is_active}
    form = UserEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_user(user=user, actor=request.user, request=request, **form.cleaned_data)
        except services.LastAdminError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("%(name)s を更新しました。") % {"name": user.display_name})
            return redirect("accounts:user_list")
    context = {
        "form": form,
        "edited_user": user,
        "creating": False,
        "two_factor_enrolled": two_factor.is_enrolled(user),
    }
    return render(request, "accounts/user_form.html", context)


def _day_start(day, tz) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), tz)


@admin_required
def audit_log(request: AuthenticatedHttpRequest) -> HttpResponse:
    company = request_company(request)
    form = AuditFilterForm(
        request.GET or None, categories=audit.categories(), actors=company_queryset(request, User)
    )
    entries = company_queryset(request, AuditEntry)
    if form.is_valid():
        data = form.cleaned_data
        if data["category"]:
            entries = entries.filter(action__startswith=data["category"] + ".")
        if data["actor"]:
            entries = entries.filter(actor=data["actor"])
        if data["date_from"]:
            entries = entries.filter(created_at__gte=_day_start(data["date_from"], company.tzinfo))
        if data["date_to"]:
            end = _day_start(data["date_to"] + timedelta(days=1), company.tzinfo)
            entries = entries.filter(created_at__lt=end)
        if data["q"]:
            entries = entries.filter(target_label__icontains=data["q"])
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    for entry in page.object_list:
        entry.action_label = audit.action_label(entry.action)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "accounts/audit_log.html", {"form": form, "page": page, "query": query.urlencode()}
    )
