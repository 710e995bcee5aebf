from django.urls import path

from teams_integration import views

app_name = "teams_integration"

urlpatterns = [
    path("", views.teams_service, name="teams"),
    path("authorize/", views.authorize, name="authorize"),
    path("callback/", views.callback, name="callback"),
    path("admin-consent/", views.admin_consent, name="admin_consent"),
    path("unlink/", views.unlink, name="unlink"),
    path("users/sync/", views.users_sync, name="users_sync"),
]
