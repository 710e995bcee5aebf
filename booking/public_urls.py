"""The applicant's personal pages, mounted at /b/ (a short prefix: the link is typed from a phone too)."""

from django.urls import path

from booking import public_views as views

app_name = "booking"

urlpatterns = [
    path("<str:token>/", views.home, name="home"),
    path("<str:token>/slots/<int:slot_id>/", views.slot, name="slot"),
    path("<str:token>/slots/<int:slot_id>/wait/", views.wait, name="wait"),
    path("<str:token>/waits/<int:entry_id>/withdraw/", views.wait_withdraw, name="wait_withdraw"),
    path("<str:token>/bookings/<int:booking_id>/", views.booking, name="booking"),
    path("<str:token>/bookings/<int:booking_id>/calendar.ics", views.booking_ics, name="booking_ics"),
    path("<str:token>/bookings/<int:booking_id>/change/", views.change, name="change"),
    path("<str:token>/bookings/<int:booking_id>/change/<int:slot_id>/", views.change_to, name="change_to"),
    path("<str:token>/bookings/<int:booking_id>/cancel/", views.cancel, name="cancel"),
]
