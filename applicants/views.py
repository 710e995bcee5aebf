"""応募者 pages. 管理者 and 採用担当 manage everything; 面接官 reads the applicants visible to them."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import MAX_URL_REDIRECT_LENGTH
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.permissions import AuthenticatedHttpRequest, admin_required, member_required, recruiter_required
from accounts.tenancy import company_queryset, get_company_object_or_404, request_company
from applicants import csv_export, export_jobs, export_views, selectors, services
from applicants.forms import (
    ApplicantFilterForm,
    ApplicantForm,
    BulkStatusForm,
    ChoiceForm,
    IdListField,
    MemoForm,
    StatusChangeForm,
)
from applicants.models import Applicant, CompanyChoice, FileKind
from applicants.registry import applicant_panels
from applicants.timeline import timeline_for

# The list's filters behind "詳しい条件" (opened when one is in use).
MORE_FILTERS = ("position", "source", "tag", "track", "applied_from", "applied_to")


def _applicant(request: AuthenticatedHttpRequest, pk: int) -> Applicant:
    """An applicant the signed-in user may read; anything else (other company, not visible) is a 404."""
    queryset = selectors.visible_applicants(request.user).select_related("stage", "position", "source")
    return get_company_object_or_404(request, queryset, pk=pk)


def _list_query(request: HttpRequest, *drop: str) -> str:
    query = request.GET.copy()
    for key in ("page", *drop):
        query.pop(key, None)
    return query.urlencode()


@member_required
def applicant_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    lists = selectors.company_lists(request_company(request))
    form = ApplicantFilterForm(request.GET, lists=lists)
    visible, filters = selectors.visible_applicants(request.user), form.filters()
    page = selectors.applicant_page(
        selectors.filter_applicants(visible, filters, lists),
        number=selectors.page_number(request.GET.get("page")),
        lists=lists,
        counted=selectors.counted_applicants(visible, filters, lists),
    )
    context = {
        "form": form,
        "page": page,
        "lists": lists,
        "query": _list_query(request),
        "export_query": _list_query(request, "encoding"),
        "can_manage": request.user.is_recruiter_or_admin,
        "filtered": any(v for k, v in request.GET.items() if k not in ("page", "sort")),
        "more_filters": any(request.GET.get(k) for k in MORE_FILTERS),
    }
    return render(request, "applicants/list.html", context)


@recruiter_required
def applicant_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    company = request_company(request)
    selectors.company_stages(company)  # the default stages exist before the form offers them
    form = ApplicantForm(request.POST or None, company=company)
    if request.method == "POST" and form.is_valid():
        applicant = services.create_applicant(
            company=company,
            actor=request.user,
            fields=form.applicant_fields,
            stage=form.cleaned_data["stage"],
            tag_names=form.cleaned_data["tags"],
            request=request,
        )
        messages.success(request, _("%(name)s さんを登録しました。") % {"name": applicant.name})
        return redirect("applicants:detail", pk=applicant.pk)
    return render(request, "applicants/form.html", {"form": form, "creating": True})


# The page shows the newest entries of the timeline and of the status history; ``?timeline=all`` shows every
# one (hundreds of entries take a few hundred milliseconds to render).
TIMELINE_LIMIT = 100
HISTORY_LIMIT = 20


@member_required
def applicant_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    applicant = _applicant(request, pk)
    timeline = timeline_for(applicant)
    history = [item for item in timeline if item.kind == "status"]
    show_all = request.GET.get("timeline") == "all"
    can_manage = request.user.is_recruiter_or_admin and not applicant.is_anonymized
    context = {
        "applicant": applicant,
        "tags": applicant.tags.all(),
        "timeline": timeline if show_all else timeline[:TIMELINE_LIMIT],
        "timeline_total": len(timeline),
        "history": history if show_all else history[:HISTORY_LIMIT],
        "history_total": len(history),
        "can_manage": can_manage,
        "can_delete": request.user.is_recruiter_or_admin and not applicant.is_anonymized,
        "status_form": StatusChangeForm(company=applicant.company, initial={"stage": applicant.stage_id})
        if can_manage
        else None,
        "memo_form": MemoForm() if can_manage else None,
        "panels": [panel(request, applicant, timeline) for panel in applicant_panels.functions()],
    }
    return render(request, "applicants/detail.html", context)


@recruiter_required
def applicant_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    applicant = _applicant(request, pk)
    if applicant.is_anonymized:
        messages.error(request, _("個人情報を削除した応募者は変更できません。"))
        return redirect("applicants:detail", pk=pk)
    form = ApplicantForm(request.POST or None, company=applicant.company, instance=applicant)
    if request.method == "POST" and form.is_valid():
        services.update_applicant(
            applicant=applicant,
            actor=request.user,
            fields=form.applicant_fields,
            tag_names=form.cleaned_data["tags"],
            request=request,
        )
        messages.success(request, _("応募者情報を保存しました。"))
        return redirect("applicants:detail", pk=pk)
    return render(request, "applicants/form.html", {"form": form, "applicant": applicant, "creating": False})


@recruiter_required
@require_POST
def applicant_status(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    applicant = _applicant(request, pk)
    form = StatusChangeForm(request.POST, company=applicant.company)
    if not form.is_valid():
        messages.error(request, _("選考ステータスを選んでください。"))
        return redirect("applicants:detail", pk=pk)
    try:
        change = services.change_status(
            applicant=applicant,
            stage=form.cleaned_data["stage"],
            comment=form.cleaned_data["comment"],
            actor=request.user,
            request=request,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if change is None:
            messages.info(request, _("選考ステータスは変わっていません。"))
        else:
            messages.success(
                request, _("選考ステータスを「%(stage)s」に変更しました。") % {"stage": change.to_stage.name}
            )
    return redirect("applicants:detail", pk=pk)


@recruiter_required
@require_POST
def applicant_memo(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    applicant = _applicant(request, pk)
    form = MemoForm(request.POST)
    if form.is_valid():
        try:
            services.add_memo(applicant=applicant, actor=request.user, body=form.cleaned_data["body"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("メモを追加しました。"))
    else:
        messages.error(request, _("メモを入力してください（5,000文字以内）。"))
    return redirect(reverse("applicants:detail", args=[pk]) + "#timeline")


@recruiter_required
def applicant_anonymize(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    applicant = _applicant(request, pk)
    if request.method == "POST":
        services.anonymize_applicant(applicant=applicant, actor=request.user, request=request)
        messages.success(request, _("個人情報を削除しました。選考の件数には引き続き含まれます。"))
        return redirect("applicants:detail", pk=pk)
    return render(request, "applicants/anonymize_confirm.html", {"applicant": applicant})


@recruiter_required
@require_POST
def bulk_status(request: AuthenticatedHttpRequest) -> HttpResponse:
    company = request_company(request)
    form = BulkStatusForm(request.POST, company=company)
    query = QueryDict(request.POST.get("query", "")).urlencode()  # re-encoded: only a query string
    back = reverse("applicants:list") + (f"?{query}" if query else "")
    if len(back) > MAX_URL_REDIRECT_LENGTH:  # Django refuses to redirect there (400), after the change
        back = reverse("applicants:list")
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(map(str, errors)))
        return redirect(back)
    moved = services.bulk_change_status(
        company=company,
        applicant_ids=form.cleaned_data["ids"],
        stage=form.cleaned_data["stage"],
        actor=request.user,
        request=request,
    )
    messages.success(
        request,
        _("%(count)d名の選考ステータスを「%(stage)s」に変更しました。")
        % {"count": moved, "stage": form.cleaned_data["stage"].name},
    )
    return redirect(back)


def export_selection(request: AuthenticatedHttpRequest, *dropped: str) -> tuple[QuerySet[Applicant], dict]:
    """What an export takes: the selected applicants (POST ``ids``; ValidationError for a bad list) or the
    list's current filter (GET), and its scope for the audit entry (the filter without ``dropped``)."""
    if request.method == "POST":
        ids = IdListField().clean(request.POST.getlist("ids"))
        queryset = selectors.applicants_by_ids(company_queryset(request, Applicant), ids)
        return queryset.order_by(*selectors.SORTS[selectors.DEFAULT_SORT]), {"selection": len(ids)}
    lists = selectors.company_lists(request_company(request))
    filters = ApplicantFilterForm(request.GET, lists=lists).filters()
    queryset = selectors.filter_applicants(company_queryset(request, Applicant), filters, lists)
    return queryset, {"filters": _list_query(request, *dropped)}


@recruiter_required
def applicant_export(request: AuthenticatedHttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The current filter (GET) or the selected applicants (POST) as CSV, streamed; more than
    ``export_jobs.inline_max_rows()`` applicants are written by a background job instead."""
    company = request_company(request)
    params = request.POST if request.method == "POST" else request.GET
    requested = params.get("encoding", "")
    encoding = requested if requested in csv_export.ENCODINGS else csv_export.UTF8
    try:
        queryset, scope = export_selection(request, "encoding", "accept_replacements")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("applicants:list")
    count = queryset.count()
    if count > export_jobs.inline_max_rows():
        filter_query = _list_query(request, "encoding", "accept_replacements")
        return export_views.start_in_background(
            request, count=count, filter_query=filter_query, file_kind=FileKind.CSV, encoding=encoding
        )
    tz = company.tzinfo
    report = None
    if encoding == csv_export.SJIS:
        report = csv_export.cp932_report(csv_export.export_rows(queryset, tz))
        if not report.clean and not params.get("accept_replacements"):
            context = {
                "report": report,
                "method": request.method,
                "ids": params.getlist("ids"),
                "query": scope,
            }
            context["utf8_query"] = _list_query(request, "encoding", "accept_replacements")
            return render(request, "applicants/export_cp932_report.html", context)
    services.record_export(
        company=company,
        actor=request.user,
        count=count,
        details={"encoding": encoding, **scope, "replaced_cells": report.total if report else 0},
        request=request,
    )
    response = StreamingHttpResponse(
        csv_export.stream_csv(csv_export.export_rows(queryset, tz), encoding=encoding),
        content_type="text/csv; charset=" + ("Shift_JIS" if encoding == csv_export.SJIS else "utf-8"),
    )
    stamp = timezone.localtime(timezone.now(), tz).strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="applicants-{stamp}.csv"'
    return response


@recruiter_required
def import_template(request: AuthenticatedHttpRequest) -> HttpResponse:
    requested = request.GET.get("encoding", "")
    encoding = requested if requested in csv_export.ENCODINGS else csv_export.UTF8
    response = HttpResponse(
        csv_export.template_csv(encoding=encoding),
        content_type="text/csv; charset=" + ("Shift_JIS" if encoding == csv_export.SJIS else "utf-8"),
    )
    response["Content-Disposition"] = 'attachment; filename="applicants-template.csv"'
    return response


# --- 応募者の設定: 選考ステータス (管理者), 募集職種 and 応募経路 (採用担当) -------------------------------


def _choice_model(kind: str) -> type[CompanyChoice]:
    model = services.CHOICE_MODELS.get(kind)
    if model is None:
        raise Http404
    return model


@recruiter_required
def applicant_settings(request: AuthenticatedHttpRequest) -> HttpResponse:
    lists = selectors.company_lists(request_company(request))
    sections = [
        ("stages", _("選考ステータス"), lists.stages, request.user.is_company_admin),
        ("positions", _("募集職種"), lists.positions, True),
        ("sources", _("応募経路"), lists.sources, True),
    ]
    context = {
        "sections": [
            {"kind": kind, "title": title, "entries": entries, "editable": editable}
            for kind, title, entries, editable in sections
        ],
        "stage_form": ChoiceForm(is_stage=True, auto_id="id_stage_%s"),
    }
    return render(request, "applicants/settings.html", context)


def _add(request: AuthenticatedHttpRequest, kind: str) -> HttpResponse:
    _choice_model(kind)
    form = ChoiceForm(request.POST, is_stage=kind == "stages")
    if form.is_valid():
        try:
            services.add_choice(
                company=request_company(request),
                kind=kind,
                name=form.cleaned_data["name"],
                stage_kind=form.cleaned_data.get("kind") or "in_progress",
                actor=request.user,
                request=request,
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("「%(name)s」を追加しました。") % {"name": form.cleaned_data["name"]})
    else:
        messages.error(request, _("名称を入力してください（50文字以内）。"))
    return redirect(reverse("applicants:settings") + f"#{kind}")


def _edit(request: AuthenticatedHttpRequest, kind: str, pk: int) -> HttpResponse:
    model = _choice_model(kind)
    choice = get_company_object_or_404(request, model, pk=pk)
    initial = {"name": choice.name, "is_active": choice.is_active, "kind": getattr(choice, "kind", None)}
    form = ChoiceForm(request.POST or None, is_stage=kind == "stages", editing=True, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_choice(
                choice=choice,
                name=form.cleaned_data["name"],
                is_active=form.cleaned_data["is_active"],
                stage_kind=form.cleaned_data.get("kind"),
                actor=request.user,
                request=request,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("保存しました。"))
            return redirect(reverse("applicants:settings") + f"#{kind}")
    context = {"form": form, "choice": choice, "kind": kind, "title": model._meta.verbose_name}
    return render(request, "applicants/choice_form.html", context)


def _move(request: AuthenticatedHttpRequest, kind: str, pk: int) -> HttpResponse:
    choice = get_company_object_or_404(request, _choice_model(kind), pk=pk)
    direction = "up" if request.POST.get("direction") == "up" else "down"
    services.move_choice(choice=choice, direction=direction, actor=request.user, request=request)
    return redirect(reverse("applicants:settings") + f"#{kind}")


# 選考ステータス: 管理者 only.
@admin_required
@require_POST
def stage_add(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _add(request, "stages")


@admin_required
def stage_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _edit(request, "stages", pk)


@admin_required
@require_POST
def stage_move(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _move(request, "stages", pk)


# 募集職種 and 応募経路 ("positions" / "sources"): 採用担当 too.
@recruiter_required
@require_POST
def choice_add(request: AuthenticatedHttpRequest, kind: str) -> HttpResponse:
    return _add(request, kind)


@recruiter_required
def choice_edit(request: AuthenticatedHttpRequest, kind: str, pk: int) -> HttpResponse:
    return _edit(request, kind, pk)


@recruiter_required
@require_POST
def choice_move(request: AuthenticatedHttpRequest, kind: str, pk: int) -> HttpResponse:
    return _move(request, kind, pk)
