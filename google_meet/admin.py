"""Django admin for operators: Google Meet links, host grants (never a token), watch channels."""

from django.contrib import admin

from google_meet.models import GoogleGrant, GoogleMeetLink, GoogleWatch


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(GoogleMeetLink)
class GoogleMeetLinkAdmin(ReadOnlyAdmin):
    list_display = ["company", "status", "linked_at", "released_at"]
    list_filter = ["status"]
    search_fields = ["company__name"]


@admin.register(GoogleGrant)
class GoogleGrantAdmin(ReadOnlyAdmin):
    list_display = ["google_email", "user", "company", "status", "linked_at", "last_error_at"]
    list_filter = ["status"]
    search_fields = ["google_email", "user__email", "company__name"]
    # The encrypted tokens are left out on purpose.
    fields = [
        "company",
        "user",
        "status",
        "google_email",
        "google_sub",
        "scope",
        "expires_at",
        "linked_at",
        "last_error",
        "last_error_at",
    ]


@admin.register(GoogleWatch)
class GoogleWatchAdmin(ReadOnlyAdmin):
    list_display = ["company", "grant", "channel_id", "status", "expires_at", "synced_at", "last_error"]
    list_filter = ["status"]
    # The token hash and the sync token are left out: nothing an operator needs.
    fields = [
        "company",
        "grant",
        "channel_id",
        "resource_id",
        "status",
        "expires_at",
        "synced_at",
        "last_error",
    ]
