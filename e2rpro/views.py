from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu import Connection

from accounts.permissions import AuthenticatedHttpRequest, member_required
from accounts.tenancy import request_company
from interviews import evaluation_selectors
from scheduling import selectors as scheduling_selectors

logger = logging.getLogger(__name__)


@member_required
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    """ダッシュボード: today's slots, every issuance problem and the company's overdue evaluations; a 面接官
    sees their own upcoming slots. Everyone sees the evaluations they owe."""
    company = request_company(request)
    context: dict[str, Any] = {
        "evaluations_due": evaluation_selectors.evaluations_due(
            request.user, limit=evaluation_selectors.DASHBOARD_LIMIT
        )
    }
    if request.user.is_recruiter_or_admin:
        problems, problem_count = scheduling_selectors.issuance_problems(company)
        context.update(
            todays_slots=scheduling_selectors.todays_slots(company),
            issuance_problems=problems,
            issuance_problem_count=problem_count,
            issuance_progress=scheduling_selectors.issuance_progress(company),
            overdue_evaluations=evaluation_selectors.overdue_evaluations(company),
        )
    else:
        context["my_slots"] = scheduling_selectors.interviewer_upcoming_slots(request.user)
    return render(request, "dashboard.html", context)


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        logger.exception("healthz: database check failed")
        return False


def _broker_ok() -> bool:
    try:
        with Connection(settings.CELERY_BROKER_URL, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:  # noqa: BLE001
        logger.warning("healthz: broker unreachable")
        return False


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _database_ok()}
    if settings.CELERY_BROKER_URL:
        checks["broker"] = _broker_ok()
    healthy = all(checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", "checks": checks}, status=200 if healthy else 503
    )
