"""The product's URLs plus /bench/one-row/: the same middleware, one query, a tiny page (the baseline)."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.utils.html import escape

from accounts.models import Company
from accounts.permissions import public_view


@public_view
def one_row(request: HttpRequest) -> HttpResponse:
    company = Company.objects.only("name").order_by("pk").first()
    return HttpResponse(
        f"<!DOCTYPE html><title>one row</title><p>{escape(company.name if company else '')}</p>"
    )


urlpatterns = [
    path("bench/one-row/", one_row, name="bench_one_row"),
    path("", include("e2rpro.urls")),
]
