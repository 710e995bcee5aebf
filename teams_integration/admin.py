"""Django admin for operators: Teams links (never the token), tenant users, subscriptions, notifications."""

from django.contrib import admin

from teams_integration.models import GraphNotification, GraphSubscription, TeamsConnection, TeamsUser


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(TeamsConnection)
class TeamsConnectionAdmin(ReadOnlyAdmin):
    list_display = ["company", "status", "tenant_label", "tenant_id", "linked_at", "released_at"]
    list_filter = ["status"]
    search_fields = ["company__name", "tenant_id", "tenant_label"]
    # The encrypted token is left out on purpose.
    fields = [
        "company",
        "status",
        "tenant_id",
        "tenant_label",
        "expires_at",
        "consented_by",
        "linked_at",
        "released_at",
        "last_error",
        "last_error_at",
        "users_synced_at",
    ]


@admin.register(TeamsUser)
class TeamsUserAdmin(ReadOnlyAdmin):
    list_display = ["email", "display_name", "company", "account_enabled", "in_tenant", "synced_at"]
    list_filter = ["in_tenant", "account_enabled", "company"]
    search_fields = ["email", "display_name", "user_id"]


@admin.register(GraphSubscription)
class GraphSubscriptionAdmin(ReadOnlyAdmin):
    list_display = ["company", "host_id", "subscription_id", "status", "expires_at", "last_error"]
    list_filter = ["status"]
    search_fields = ["host_id", "subscription_id"]
    # The clientState hash is left out: nothing an operator needs.
    fields = ["company", "host_id", "subscription_id", "resource", "status", "expires_at", "last_error"]


@admin.register(GraphNotification)
class GraphNotificationAdmin(ReadOnlyAdmin):
    list_display = [
        "received_at",
        "kind",
        "change_type",
        "subscription_id",
        "processed_at",
        "attempts",
        "result",
    ]
    list_filter = ["kind", "change_type"]
    search_fields = ["subscription_id", "resource"]
