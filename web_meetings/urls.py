from django.urls import path

from web_meetings import views

app_name = "web_meetings"

urlpatterns = [
    path("", views.services_list, name="services"),
]
