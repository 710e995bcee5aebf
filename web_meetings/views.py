"""Web面接連携サービス (/web-interview/): every registered service and the company's link to it."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.permissions import AuthenticatedHttpRequest, recruiter_required
from accounts.tenancy import request_company
from web_meetings.providers import registered_providers


@recruiter_required
@require_GET
def services_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The services (Zoom, Microsoft Teams, Google Meet) with the company's state and a link to each
    one's 設定."""
    company = request_company(request)
    services = [
        {"provider": provider, "status": provider.link_status(company), "url": provider.settings_url()}
        for provider in registered_providers()
    ]
    return render(request, "web_meetings/services.html", {"services": services})
