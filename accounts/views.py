from __future__ import annotations

from datetime import datetime, time, timedelta

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit, services
from accounts.forms import AuditFilterForm, LoginForm, UserCreateForm, UserEditForm
from accounts.models import AuditEntry, User
from accounts.permissions import AuthenticatedHttpRequest, admin_required
from accounts.tenancy import company_queryset, get_company_object_or_404, request_company


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/mail/password_reset_body.txt"
    subject_template_name = "accounts/mail/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")


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
    users = company_queryset(request, User).order_by("-is_active", "role", "email")
    return render(request, "accounts/user_list.html", {"users": users})


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
    return render(request, "accounts/user_form.html", {"form": form, "edited_user": user, "creating": False})


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
