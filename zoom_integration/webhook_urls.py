from django.urls import path

from zoom_integration import views

app_name = "zoom_webhook"

urlpatterns = [
    path("webhook/", views.webhook, name="receive"),
]
