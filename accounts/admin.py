"""Django admin for operators (superusers): companies, Zoom, Teams and Google Meet switches, users, audit log.

The admin signs in through the product's login (throttled, with 2段階認証), not a login form of its own.
django-otp's device pages are not registered: they would show the keys and recovery codes; operators reset a
user's 2段階認証 with the action on the user list, which writes 操作ログ.
"""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services, two_factor
from accounts.models import AuditEntry, Company, User

for _device_model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_device_model):
        admin.site.unregister(_device_model)


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "slug",
        "time_zone",
        "zoom_enabled",
        "teams_enabled",
        "google_enabled",
        "require_two_factor",
        "created_at",
    ]
    list_editable = ["zoom_enabled", "teams_enabled", "google_enabled"]
    list_filter = ["zoom_enabled", "teams_enabled", "google_enabled"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["company__name", "email"]
    list_display = ["email", "name", "company", "role", "is_active", "is_staff", "locked_at"]
    list_filter = ["company", "role", "is_active", "is_staff"]
    actions = ["unlock", "reset_two_factor"]
    list_select_related = ["company"]
    search_fields = ["email", "name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("所属と権限"), {"fields": ["name", "company", "role"]}),
        (_("運用者権限"), {"fields": ["is_active", "is_staff", "is_superuser"]}),
        (_("日時"), {"fields": ["last_login", "date_joined", "locked_at", "locked_until"]}),
    ]
    readonly_fields = ["locked_at", "locked_until"]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "company", "role", "password1", "password2"]})
    ]

    @admin.action(description=_("選択したユーザーのロックを解除"))
    def unlock(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        actor = request.user
        assert isinstance(actor, User)
        lifted = sum(services.unlock_user(user=user, actor=actor, request=request) for user in queryset)
        self.message_user(
            request,
            ngettext("%d 件のロックを解除しました。", "%d 件のロックを解除しました。", lifted) % lifted,
        )

    @admin.action(description=_("選択したユーザーの2段階認証をリセット"))
    def reset_two_factor(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        actor = request.user
        assert isinstance(actor, User)
        for user in queryset:
            two_factor.reset(request=request, user=user, actor=actor)
        self.message_user(request, _("2段階認証をリセットしました。"), messages.SUCCESS)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "company", "actor_label", "action", "target_label"]
    list_filter = ["company", "action"]
    search_fields = ["target_label", "actor_label"]
    readonly_fields = [field.name for field in AuditEntry._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
