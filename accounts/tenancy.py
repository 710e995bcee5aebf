"""Tenant scoping: every query made for a request goes through these helpers.

A model says how it reaches its company with ``company_lookup`` (default ``"company"``), e.g.
``company_lookup = "event__selection_meeting__company"``.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest

from accounts.models import Company

M = TypeVar("M", bound=Model)


def request_company(request: HttpRequest) -> Company:
    company = getattr(request.user, "company", None)
    if company is None:
        raise PermissionDenied("No company")
    return company


def company_queryset(request: HttpRequest, model_or_queryset: type[M] | QuerySet[M]) -> QuerySet[M]:
    """The rows of ``model_or_queryset`` that belong to the signed-in user's company."""
    queryset = (
        model_or_queryset
        if isinstance(model_or_queryset, QuerySet)
        else model_or_queryset._default_manager.all()
    )
    lookup = getattr(queryset.model, "company_lookup", "company")
    return queryset.filter(**{lookup: request_company(request)})


def get_company_object_or_404(
    request: HttpRequest, model_or_queryset: type[M] | QuerySet[M], **lookup: Any
) -> M:
    """One object of the user's company; another company's object is indistinguishable from none."""
    queryset = company_queryset(request, model_or_queryset)
    try:
        return queryset.get(**lookup)
    except (ObjectDoesNotExist, ValueError, ValidationError) as exc:  # the model's DoesNotExist
        raise Http404 from exc
