"""レポート: the selection funnel, interviews and 出欠, web-meeting issuance health; each as CSV and .xlsx."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from accounts.permissions import AuthenticatedHttpRequest, recruiter_required
from accounts.tenancy import request_company
from applicants.models import Position, Source
from booking.models import Attendance
from reports import exports, selectors
from reports.charts import Bar, bar_chart
from reports.forms import ReportFilterForm
from scheduling.models import MeetingState

REPORTS = ("funnel", "attendance", "zoom")


@dataclass
class Context:
    form: ReportFilterForm
    filters: selectors.Filters


def _filters(request: AuthenticatedHttpRequest) -> Context:
    company = request_company(request)
    form = ReportFilterForm(
        request.GET or None,
        sources=list(Source.objects.filter(company=company)),
        positions=list(Position.objects.filter(company=company)),
        default=selectors.default_period(company),
    )
    return Context(form=form, filters=form.filters())


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


def _funnel_chart(funnel: selectors.Funnel) -> SafeString:
    bars = [
        Bar(step.stage.name, step.reached, f"{step.reached} ({_rate(step.of_first)})", tone=step.stage.kind)
        for step in funnel.steps
    ]
    return bar_chart(_("選考ファネル"), bars)


def _attendance_chart(report: selectors.AttendanceReport) -> SafeString:
    total = report.total
    if total is None:
        return bar_chart(_("出欠"), [])
    bars = [Bar(str(label), total.counts[kind], tone=kind) for kind, label in Attendance.choices]
    bars.append(Bar(_("未記録"), total.unrecorded, tone="unrecorded"))
    return bar_chart(_("出欠"), bars)


def _issuance_chart(health: selectors.IssuanceHealth) -> SafeString:
    bars = [Bar(str(label), health.counts[state], tone=state) for state, label in MeetingState.choices]
    return bar_chart(_("Web面接の発行状況"), bars)


@recruiter_required
def index(request: AuthenticatedHttpRequest) -> HttpResponse:
    company = request_company(request)
    context = _filters(request)
    stages = selectors.funnel_stages(company)
    funnel = selectors.funnel(company, context.filters, stages)
    attendance = selectors.attendance(company, context.filters)
    health = selectors.issuance_health(company)
    return render(
        request,
        "reports/index.html",
        {
            "form": context.form,
            "filters": context.filters,
            "query": request.GET.urlencode(),
            "funnel": funnel,
            "funnel_chart": _funnel_chart(funnel),
            "funnel_table": exports.funnel_table(funnel),
            "attendance": attendance,
            "attendance_chart": _attendance_chart(attendance),
            "attendance_table": exports.attendance_table(attendance),
            "health": health,
            "issuance_chart": _issuance_chart(health),
            "issuance_table": exports.issuance_table(health),
        },
    )


@recruiter_required
def export(request: AuthenticatedHttpRequest, *, report: str, fmt: str) -> HttpResponse:
    if report not in REPORTS or fmt not in (exports.CSV, exports.XLSX):
        raise Http404
    company = request_company(request)
    context = _filters(request)
    filters = context.filters
    if report == "funnel":
        stages = selectors.funnel_stages(company)
        table = exports.funnel_table(selectors.funnel(company, filters, stages))
    elif report == "attendance":
        table = exports.attendance_table(selectors.attendance(company, filters))
    else:
        table = exports.issuance_table(selectors.issuance_health(company))
    if fmt == exports.CSV:
        response = HttpResponse(exports.to_csv(table), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(exports.to_xlsx(table), content_type=exports.XLSX_CONTENT_TYPE)
    period = f"{filters.date_from:%Y%m%d}-{filters.date_to:%Y%m%d}"
    response["Content-Disposition"] = f'attachment; filename="{report}-{period}.{fmt}"'
    return response
