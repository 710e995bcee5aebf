from django.urls import path

from google_meet import views

app_name = "google_notifications"

urlpatterns = [
    path("notifications/", views.notifications, name="notifications"),
]
