"""一括操作 pages: start a job from the applicant list, follow its progress, retry its failures."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import MAX_URL_REDIRECT_LENGTH
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Company
from accounts.permissions import AuthenticatedHttpRequest, recruiter_required
from accounts.tenancy import get_company_object_or_404, request_company
from applicants.models import Applicant
from notifications import compose
from notifications.models import AdhocKind
from outreach import selectors, services
from outreach.forms import JobOptionsForm, TargetForm
from outreach.models import JobAction, JobScope, OutreachJob


def _targets(company: Company, target: dict) -> QuerySet[Applicant]:
    if target["scope"] == JobScope.FILTER:
        return selectors.filtered_applicants(company=company, query=target["query"])
    return selectors.selected_applicants(company=company, ids=target["ids"])


def _back_to_list(query: str) -> str:
    clean = QueryDict(query).urlencode()  # re-encoded: only ever a query string
    back = reverse("applicants:list") + (f"?{clean}" if clean else "")
    return back if len(back) <= MAX_URL_REDIRECT_LENGTH else reverse("applicants:list")


@recruiter_required
@require_POST
def job_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    """From the list's bulk bar: choose the action's settings, preview a mail on a real recipient, start."""
    company = request_company(request)
    target_form = TargetForm(request.POST)
    if not target_form.is_valid():
        for errors in target_form.errors.values():
            messages.error(request, " ".join(map(str, errors)))
        return redirect(_back_to_list(request.POST.get("query", "")))
    target = target_form.cleaned_data
    action = target["action"]
    applicants = _targets(company, target)
    options_bound = request.POST.get("step") == "options"
    form = JobOptionsForm(
        request.POST if options_bound else None,
        company=company,
        action=action,
        initial={"kind": AdhocKind.BULK},
    )
    preview = recipient = None
    if options_bound and form.is_valid():
        data = form.cleaned_data
        if request.POST.get("start"):
            ids = selectors.applicant_ids(applicants)
            try:
                job = services.start_job(
                    company=company,
                    actor=request.user,
                    action=action,
                    scope=target["scope"],
                    applicant_ids=ids,
                    filter_query=QueryDict(target["query"]).urlencode(),
                    event=data.get("event"),
                    stage=data.get("stage"),
                    mail_kind=data.get("kind") or "",
                    subject=data.get("subject") or "",
                    body=data.get("body") or "",
                    request=request,
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(
                    request, _("%(count)s名の一括操作を開始しました。") % {"count": f"{job.total:,}"}
                )
                return redirect("outreach:job_detail", pk=job.pk)
        if action == JobAction.MAIL:
            recipient = selectors.preview_recipient(applicants)
            if recipient is not None:
                composer = compose.composer_for(
                    company=company, kind=data["kind"], subject=data["subject"], body=data["body"]
                )
                preview = composer.render(compose.applicant_context(recipient))
    context = {
        "target_form": target_form,
        "form": form,
        "action": action,
        "action_label": JobAction(action).label,
        "scope": target["scope"],
        "count": applicants.count(),
        "limit": selectors.MAX_JOB_APPLICANTS,
        "preview": preview,
        "recipient": recipient,
        "back": _back_to_list(target["query"]),
    }
    return render(request, "outreach/job_new.html", context)


@recruiter_required
@require_GET
def job_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    page = Paginator(selectors.company_jobs(request_company(request)), 50).get_page(request.GET.get("page"))
    return render(request, "outreach/job_list.html", {"page": page})


def _job(request: AuthenticatedHttpRequest, pk: int) -> OutreachJob:
    queryset = OutreachJob.objects.select_related("created_by", "event__selection_meeting", "stage")
    return get_company_object_or_404(request, queryset, pk=pk)


def _progress(job: OutreachJob) -> dict:
    return {
        "total": job.total,
        "processed": job.processed,
        "done": job.done,
        "failed": job.failed,
        "finished": job.is_finished,
        "mail": selectors.mail_progress(job).as_dict(),
    }


@recruiter_required
@require_GET
def job_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    progress = _progress(job)
    failures = selectors.job_failures(job)
    context = {
        "job": job,
        "progress": progress,
        "failures": failures,
        "more_failures": max(0, job.failed + progress["mail"]["failed"] - len(failures)),
        "can_retry": bool(job.failed or progress["mail"]["failed"]),
        "mails": job.action in (JobAction.MAIL, JobAction.INVITATION),
    }
    return render(request, "outreach/job_detail.html", context)


@recruiter_required
@never_cache
@require_GET
def job_status(request: AuthenticatedHttpRequest, pk: int) -> JsonResponse:
    """The job's progress, polled by its page."""
    return JsonResponse(_progress(_job(request, pk)))


@recruiter_required
@require_POST
def job_retry(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    count = services.retry_failed(job=job, actor=request.user, request=request)
    if count:
        messages.success(request, _("失敗した%(count)s件を再実行します。") % {"count": f"{count:,}"})
    else:
        messages.info(request, _("再実行する失敗はありません。"))
    return redirect("outreach:job_detail", pk=job.pk)
