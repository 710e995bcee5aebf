"""Django admin for operators (superusers): companies, Zoom switch, users, audit log."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import AuditEntry, Company, User


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "time_zone", "zoom_enabled", "created_at"]
    list_editable = ["zoom_enabled"]
    list_filter = ["zoom_enabled"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["company__name", "email"]
    list_display = ["email", "name", "company", "role", "is_active", "is_staff"]
    list_filter = ["company", "role", "is_active", "is_staff"]
    list_select_related = ["company"]
    search_fields = ["email", "name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("所属と権限"), {"fields": ["name", "company", "role"]}),
        (_("運用者権限"), {"fields": ["is_active", "is_staff", "is_superuser"]}),
        (_("日時"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "company", "role", "password1", "password2"]})
    ]


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
