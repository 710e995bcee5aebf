from django.urls import path

from teams_integration import views

app_name = "teams_notifications"

urlpatterns = [
    path("notifications/", views.notifications, name="notifications"),
    path("lifecycle/", views.lifecycle, name="lifecycle"),
]
