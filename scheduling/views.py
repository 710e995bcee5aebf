from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.permissions import recruiter_required


@recruiter_required
def meeting_list(request: HttpRequest) -> HttpResponse:
    return render(request, "placeholder.html", {"title": "選考会設定"})
