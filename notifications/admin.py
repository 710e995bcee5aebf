"""Django admin for operators: templates and settings per company, the mail log, the demo mailbox."""

from django.contrib import admin

from notifications.models import MailboxMessage, MailSettings, MailTemplate, SentMail


@admin.register(MailTemplate)
class MailTemplateAdmin(admin.ModelAdmin):
    list_display = ["company", "kind", "subject", "updated_at"]
    list_filter = ["company", "kind"]
    list_select_related = ["company"]
    readonly_fields = ["updated_by", "created_at", "updated_at"]


@admin.register(MailSettings)
class MailSettingsAdmin(admin.ModelAdmin):
    list_display = ["company", "sender_name", "reply_to"]
    list_select_related = ["company"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SentMail)
class SentMailAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "company", "kind", "to_email", "status", "attempts", "sent_at"]
    list_filter = ["status", "kind", "company"]
    list_select_related = ["company"]
    search_fields = ["to_email", "subject"]
    exclude = ["ics"]


@admin.register(MailboxMessage)
class MailboxMessageAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "company", "recipients", "subject"]
    list_select_related = ["company"]
    search_fields = ["recipients", "subject"]
    exclude = ["raw"]
