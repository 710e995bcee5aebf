"""/reports/…: the report page and each report's CSV and .xlsx."""

from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    *(
        path(f"{report}.{fmt}", views.export, {"report": report, "fmt": fmt}, name=f"{report}_{fmt}")
        for report in views.REPORTS
        for fmt in ("csv", "xlsx")
    ),
]
