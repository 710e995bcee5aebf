from django.contrib import admin
from django.urls import include, path, reverse_lazy
from django.views.generic import RedirectView
from django.views.i18n import set_language

from e2rpro import views
from e2rpro.admin_guard import guarded_admin_urls

admin.site.site_header = "e2RPRO 運用管理"
admin.site.site_title = "e2RPRO"

urlpatterns = [
    # First: the applicants' personal booking pages (signed link) take the rushes, and Django tries the
    # patterns in order.
    path("b/", include("booking.public_urls")),
    path("", views.dashboard, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/setlang/", set_language, name="set_language"),
    # Operators sign in through the product's login: the same throttle, lock and 2段階認証 (next= is kept).
    path(
        "admin/login/",
        RedirectView.as_view(url=reverse_lazy("accounts:login"), query_string=True),
        name="admin_login",
    ),
    path("admin/", guarded_admin_urls(admin.site.urls)),
    path("", include("accounts.urls")),
    path("applicants/", include("applicants.urls")),
    path("selection/", include("scheduling.urls")),
    path("selection/", include("booking.urls")),
    path("web-interview/", include("web_meetings.urls")),
    path("web-interview/teams/", include("teams_integration.urls")),
    path("web-interview/google/", include("google_meet.urls")),
    path("web-interview/", include("zoom_integration.urls")),
    path("zoom/", include("zoom_integration.webhook_urls")),
    path("teams/", include("teams_integration.notification_urls")),
    path("google/", include("google_meet.notification_urls")),
    path("notifications/", include("notifications.urls")),
    path("interviews/", include("interviews.urls")),
    path("outreach/", include("outreach.urls")),
    path("reports/", include("reports.urls")),
]
