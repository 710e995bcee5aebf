from django.urls import path

from zoom_integration import views

app_name = "zoom_integration"

urlpatterns = [
    path("", views.services, name="services"),
]
