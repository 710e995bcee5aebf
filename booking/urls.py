"""Staff booking pages, mounted beside scheduling's under /selection/."""

from django.urls import path

from booking import views

app_name = "booking_staff"

urlpatterns = [
    path("slots/<int:pk>/book/", views.slot_book, name="slot_book"),
    path("slots/<int:pk>/attendance/", views.slot_attendance, name="slot_attendance"),
    path("bookings/<int:pk>/", views.booking_detail, name="booking_detail"),
    path("bookings/<int:pk>/move/", views.booking_move, name="booking_move"),
    path("bookings/<int:pk>/cancel/", views.booking_cancel, name="booking_cancel"),
    path("waitlist/<int:pk>/withdraw/", views.wait_withdraw, name="wait_withdraw"),
    path("applicants/<int:applicant_id>/book/", views.applicant_book, name="applicant_book"),
    path("applicants/<int:applicant_id>/invite/", views.applicant_invite, name="applicant_invite"),
    path("invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation_revoke"),
]
