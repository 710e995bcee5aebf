from django.urls import path, re_path

from applicants import export_views, import_views, views

app_name = "applicants"

CHOICE_KIND = r"(?P<kind>positions|sources)"

urlpatterns = [
    path("", views.applicant_list, name="list"),
    path("new/", views.applicant_create, name="create"),
    path("<int:pk>/", views.applicant_detail, name="detail"),
    path("<int:pk>/edit/", views.applicant_edit, name="edit"),
    path("<int:pk>/status/", views.applicant_status, name="change_status"),
    path("<int:pk>/memos/", views.applicant_memo, name="add_memo"),
    path("<int:pk>/delete-personal-data/", views.applicant_anonymize, name="anonymize"),
    path("bulk/status/", views.bulk_status, name="bulk_status"),
    path("export/", views.applicant_export, name="export"),
    path("export/xlsx/", import_views.applicant_export_xlsx, name="export_xlsx"),
    path("exports/", export_views.export_list, name="exports"),
    path("exports/<uuid:export_id>/", export_views.export_detail, name="export_detail"),
    path("exports/<uuid:export_id>/progress/", export_views.export_progress, name="export_progress"),
    path("exports/<uuid:export_id>/download/", export_views.export_download, name="export_download"),
    path("import/", import_views.import_upload, name="import"),
    path("import/template.csv", views.import_template, name="import_template"),
    path("import/presets/", import_views.preset_list, name="import_presets"),
    path("import/presets/<int:pk>/delete/", import_views.preset_delete, name="import_preset_delete"),
    path("import/<uuid:import_id>/", import_views.import_preview, name="import_preview"),
    path("import/<uuid:import_id>/mapping/", import_views.import_mapping, name="import_mapping"),
    path("import/<uuid:import_id>/progress/", import_views.import_progress, name="import_progress"),
    path("import/<uuid:import_id>/rejected/", import_views.import_rejected, name="import_rejected"),
    path("settings/", views.applicant_settings, name="settings"),
    path("settings/stages/add/", views.stage_add, name="stage_add"),
    path("settings/stages/<int:pk>/", views.stage_edit, name="stage_edit"),
    path("settings/stages/<int:pk>/move/", views.stage_move, name="stage_move"),
    re_path(rf"^settings/{CHOICE_KIND}/add/$", views.choice_add, name="choice_add"),
    re_path(rf"^settings/{CHOICE_KIND}/(?P<pk>[0-9]+)/$", views.choice_edit, name="choice_edit"),
    re_path(rf"^settings/{CHOICE_KIND}/(?P<pk>[0-9]+)/move/$", views.choice_move, name="choice_move"),
]
