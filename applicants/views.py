from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.permissions import member_required


@member_required
def applicant_list(request: HttpRequest) -> HttpResponse:
    return render(request, "placeholder.html", {"title": "応募者"})
