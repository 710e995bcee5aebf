from django.urls import path

from zoom_integration import views

app_name = "zoom_integration"

urlpatterns = [
    path("zoom/", views.zoom_service, name="zoom"),
    path("zoom/status/", views.zoom_status, name="status"),
    path("zoom/authorize/", views.authorize, name="authorize"),
    path("zoom/callback/", views.callback, name="callback"),
    path("zoom/unlink/", views.unlink, name="unlink"),
    path("zoom/users/sync/", views.users_sync, name="users_sync"),
]
