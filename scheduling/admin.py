"""Operator views (Django admin, superusers only): read-mostly, for support."""

from django.contrib import admin

from scheduling.models import Event, HostDailyUsage, SelectionMeeting, Slot


@admin.register(SelectionMeeting)
class SelectionMeetingAdmin(admin.ModelAdmin):
    list_display = ["name", "company", "sort_order", "created_at"]
    list_filter = ["company"]
    search_fields = ["name"]


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["name", "selection_meeting", "company", "web_meeting", "meeting_host_email"]
    list_filter = ["web_meeting", "company"]
    list_select_related = ["selection_meeting", "company"]
    search_fields = ["name", "meeting_host_email"]


@admin.register(Slot)
class SlotAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "event",
        "starts_at",
        "capacity",
        "is_published",
        "meeting_state",
        "meeting_id",
        "deleted_at",
    ]
    list_filter = ["meeting_state", "is_published", "company"]
    list_select_related = ["event__selection_meeting", "company"]
    search_fields = ["uuid", "meeting_id"]
    readonly_fields = [
        "uuid",
        "meeting_state",
        "meeting_version",
        "meeting_error",
        "wait_reason",
        "not_before",
        "meeting_id",
        "join_url",
        "meeting_host_id",
        "meeting_start",
        "meeting_duration",
        "meeting_synced_at",
        "create_in_doubt",
        "claim_token",
        "claimed_until",
        "enqueued_at",
        "attempts",
    ]
    exclude = ["meeting_passcode"]

    def get_queryset(self, request):
        return Slot.all_objects.all()


@admin.register(HostDailyUsage)
class HostDailyUsageAdmin(admin.ModelAdmin):
    list_display = ["provider", "host_id", "company", "day", "used"]
    list_filter = ["day", "company"]
