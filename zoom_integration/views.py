from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.permissions import recruiter_required


@recruiter_required
def services(request: HttpRequest) -> HttpResponse:
    return render(request, "placeholder.html", {"title": "Web面接連携サービス"})
