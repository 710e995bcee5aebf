from django.urls import path

from scheduling import booking_views, views

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
    path("slots/", views.slot_list, name="slot_list"),
    path("slots/<int:pk>/", views.slot_detail, name="slot_detail"),
    path("slots/<int:pk>/edit/", views.slot_edit, name="slot_edit"),
    path("slots/<int:pk>/delete/", views.slot_delete, name="slot_delete"),
    path("slots/<int:pk>/reissue/", views.slot_reissue, name="slot_reissue"),
    path("slots/<int:pk>/start/", views.slot_start, name="slot_start"),
    path("slots/<int:pk>/book/", booking_views.slot_book, name="slot_book"),
    path("bookings/<int:pk>/", booking_views.booking_detail, name="booking_detail"),
    path("bookings/<int:pk>/move/", booking_views.booking_move, name="booking_move"),
    path("bookings/<int:pk>/cancel/", booking_views.booking_cancel, name="booking_cancel"),
    path("waitlist/<int:pk>/withdraw/", booking_views.wait_withdraw, name="wait_withdraw"),
    path("applicants/<int:applicant_id>/book/", booking_views.applicant_book, name="applicant_book"),
    path("applicants/<int:applicant_id>/invite/", booking_views.applicant_invite, name="applicant_invite"),
    path("invitations/<int:pk>/revoke/", booking_views.invitation_revoke, name="invitation_revoke"),
]
