"""/interviews/…: each area lists its own pages in its views module."""

from interviews import assignment_views, calendar_views, decision_views, evaluation_views

app_name = "interviews"

urlpatterns = [
    *assignment_views.urlpatterns,
    *evaluation_views.urlpatterns,
    *decision_views.urlpatterns,
    *calendar_views.urlpatterns,
]
