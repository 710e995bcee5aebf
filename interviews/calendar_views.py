"""Interviews: the staff calendar (カレンダー), week and month views of slots across 選考会."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.views.decorators.http import require_safe

from accounts.permissions import AuthenticatedHttpRequest, member_required
from accounts.tenancy import request_company
from interviews.calendar import MONTH, Calendar, build_calendar
from interviews.calendar_entries import EntryRenderer


@member_required
@require_safe
def calendar(request: AuthenticatedHttpRequest) -> HttpResponse:
    """カレンダー: the company's slots (a 面接官's own), by week or month, filtered by the query string."""
    cal = build_calendar(user=request.user, company=request_company(request), params=request.GET)
    _render_entries_once(cal)
    return render(request, "interviews/calendar/calendar.html", {"cal": cal})


def _render_entries_once(cal: Calendar) -> None:
    """Render each shown slot's full entry once: the week grid and the day list (a phone's view) show the
    same markup, and rendering it twice was half the time of a busy week (400 slots). A month cell's compact
    entries too. In Python (``interviews.calendar_entries``): through a template they took most of the page's
    time."""
    renderer = EntryRenderer()
    for day in cal.days:
        day.rendered = [renderer.render(slot) for slot in day.slots]
        if cal.view == MONTH:
            day.rendered_compact = [renderer.render(slot, compact=True) for slot in day.shown_slots]


urlpatterns: list[URLPattern] = [
    path("calendar/", calendar, name="calendar"),
]
