from django.urls import path

from scheduling import views

app_name = "scheduling"

urlpatterns = [
    path("", views.meeting_list, name="meeting_list"),
    path("new/", views.meeting_create, name="meeting_create"),
    path("<int:pk>/edit/", views.meeting_edit, name="meeting_edit"),
    path("<int:pk>/delete/", views.meeting_delete, name="meeting_delete"),
    path("<int:pk>/schedule/", views.schedule, name="schedule"),
    path("<int:pk>/events/new/", views.event_create, name="event_create"),
    path("events/<int:pk>/settings/", views.event_settings, name="event_settings"),
    path("events/<int:pk>/delete/", views.event_delete, name="event_delete"),
    path("events/<int:pk>/slots/new/", views.slot_create, name="slot_create"),
    path("events/<int:pk>/slots/bulk/", views.slot_bulk_create, name="slot_bulk_create"),
    path("<int:pk>/slots/batch/", views.slot_batch_create, name="slot_batch_create"),
    path("batches/<int:pk>/", views.slot_batch_detail, name="slot_batch_detail"),
    path("batches/<int:pk>/status/", views.slot_batch_status, name="slot_batch_status"),
    path("progress/", views.issuance_progress, name="issuance_progress"),
    path("slots/", views.slot_list, name="slot_list"),
    path("slots/<int:pk>/", views.slot_detail, name="slot_detail"),
    path("slots/<int:pk>/edit/", views.slot_edit, name="slot_edit"),
    path("slots/<int:pk>/delete/", views.slot_delete, name="slot_delete"),
    path("slots/<int:pk>/reissue/", views.slot_reissue, name="slot_reissue"),
    path("slots/<int:pk>/start/", views.slot_start, name="slot_start"),
]
