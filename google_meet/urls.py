from django.urls import path

from google_meet import views

app_name = "google_meet"

urlpatterns = [
    path("", views.google_service, name="google"),
    path("enable/", views.enable, name="enable"),
    path("unlink/", views.unlink, name="unlink"),
    path("connect/", views.connect, name="connect"),
    path("authorize/", views.authorize, name="authorize"),
    path("callback/", views.callback, name="callback"),
    path("disconnect/", views.disconnect, name="disconnect"),
]
