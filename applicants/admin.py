"""Django admin (operators): applicants and the companies' lists. Also the baseline of the list benchmark."""

from django.contrib import admin

from applicants.models import Applicant, ApplicantImport, Position, SelectionStage, Source, StatusChange


@admin.register(Applicant)
class ApplicantAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "name_kana",
        "email",
        "phone",
        "company",
        "stage",
        "position",
        "source",
        "applied_on",
    ]
    list_select_related = ["company", "stage", "position", "source"]
    list_filter = ["stage", "track", "applied_on"]
    search_fields = ["name", "name_kana", "email", "phone"]
    list_per_page = 50  # the same page size as the product list
    raw_id_fields = ["company", "stage", "position", "source", "created_by"]
    readonly_fields = ["created_at", "updated_at", "anonymized_at"]
    exclude = ["name_key", "given_name_key", "kana_key", "given_kana_key", "email_key", "phone_key", "tags"]

    def save_model(self, request, obj, form, change):
        # An operator may set the stage here (no history entry): it counts as reached all the same.
        obj.reach(obj.stage)
        super().save_model(request, obj, form, change)


@admin.register(SelectionStage, Position, Source)
class CompanyChoiceAdmin(admin.ModelAdmin):
    list_display = ["name", "company", "sort_order", "is_active"]
    list_filter = ["company", "is_active"]
    list_select_related = ["company"]
    search_fields = ["name"]


@admin.register(StatusChange)
class StatusChangeAdmin(admin.ModelAdmin):
    list_display = ["applicant", "from_stage", "to_stage", "changed_by_label", "created_at"]
    list_select_related = ["applicant", "from_stage", "to_stage"]
    raw_id_fields = ["applicant", "from_stage", "to_stage", "changed_by"]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ApplicantImport)
class ApplicantImportAdmin(admin.ModelAdmin):
    list_display = ["file_name", "company", "status", "imported_count", "skipped_count", "created_at"]
    list_filter = ["status"]
    list_select_related = ["company"]
    exclude = ["content"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
