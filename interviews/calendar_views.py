"""Interviews: the staff calendar (カレンダー), week and month views of slots across 選考会."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.views.decorators.http import require_safe

from accounts.permissions import AuthenticatedHttpRequest, member_required
from accounts.tenancy import request_company
from interviews.calendar import build_calendar


@member_required
@require_safe
def calendar(request: AuthenticatedHttpRequest) -> HttpResponse:
    """カレンダー: the company's slots (a 面接官's own), by week or month, filtered by the query string."""
    cal = build_calendar(user=request.user, company=request_company(request), params=request.GET)
    return render(request, "interviews/calendar/calendar.html", {"cal": cal})


urlpatterns: list[URLPattern] = [
    path("calendar/", calendar, name="calendar"),
]
