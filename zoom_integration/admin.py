"""Django admin for operators: Zoom links (never the tokens), Zoom users, received webhooks."""

from django.contrib import admin

from zoom_integration.models import WebhookEvent, ZoomConnection, ZoomUser


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ZoomConnection)
class ZoomConnectionAdmin(ReadOnlyAdmin):
    list_display = ["company", "status", "zoom_account_label", "zoom_account_id", "linked_at", "released_at"]
    list_filter = ["status"]
    search_fields = ["company__name", "zoom_account_id", "zoom_account_label"]
    # The encrypted tokens are left out on purpose.
    fields = [
        "company",
        "status",
        "zoom_account_id",
        "zoom_account_label",
        "scopes",
        "expires_at",
        "linked_by",
        "linked_at",
        "released_at",
        "last_error",
        "last_error_at",
        "users_synced_at",
    ]


@admin.register(ZoomUser)
class ZoomUserAdmin(ReadOnlyAdmin):
    list_display = ["email", "display_name", "company", "user_type", "zoom_status", "in_account", "synced_at"]
    list_filter = ["in_account", "zoom_status", "company"]
    search_fields = ["email", "display_name", "zoom_user_id"]


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "event", "account_id", "processed_at", "result"]
    list_filter = ["event"]
    search_fields = ["account_id", "body_sha256"]
