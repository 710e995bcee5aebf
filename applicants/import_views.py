"""Import pages (upload, progress, preview, column mapping, presets, rejected rows) and the .xlsx export.

管理者 and 採用担当 only. An upload is seen only by its uploader, within its company; a preset by its company.
The pages never read the file: the jobs in applicants.tasks do, and the pages show what they kept.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import AuthenticatedHttpRequest, recruiter_required
from accounts.tenancy import company_queryset, get_company_object_or_404, request_company
from applicants import csv_export, csv_import, export_jobs, export_views, import_jobs, services
from applicants.forms import (
    ColumnMappingForm,
    ImportModeForm,
    ImportUploadForm,
)
from applicants.models import ApplicantImport, FileKind, ImportPhase, ImportPreset, ImportStatus
from applicants.views import export_selection


def _draft(request: AuthenticatedHttpRequest, import_id) -> ApplicantImport:
    draft = import_jobs.user_import(company=request_company(request), actor=request.user, import_id=import_id)
    if draft is None:
        raise Http404
    return draft


@recruiter_required
def import_upload(request: AuthenticatedHttpRequest) -> HttpResponse:
    company = request_company(request)
    services.ensure_company_defaults(company=company)  # the 応募経路 the form offers
    form = ImportUploadForm(request.POST or None, request.FILES or None, company=company)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        draft = import_jobs.create_import(
            company=company,
            actor=request.user,
            file_name=upload.name,
            content=upload.read(),
            preset=form.cleaned_data.get("preset"),
            source=form.cleaned_data.get("source"),
        )
        return redirect("applicants:import_preview", import_id=draft.pk)
    columns = [csv_import.COLUMN_BY_KEY[key] for key in csv_import.TEMPLATE_KEYS]
    context = {"form": form, "columns": columns, "presets": ImportPreset.objects.filter(company=company)}
    return render(request, "applicants/import_upload.html", context)


@recruiter_required
def import_preview(request: AuthenticatedHttpRequest, import_id) -> HttpResponse:
    """The upload's page: its progress while a job runs, the preview when checked, the result when done."""
    draft = _draft(request, import_id)
    if request.method == "POST":
        return _preview_post(request, draft)
    import_jobs.ensure_checked(draft=draft)
    progress = import_jobs.progress_of(draft)
    context: dict = {"draft": draft, "progress": progress}
    if draft.phase == ImportPhase.READY and draft.status == ImportStatus.PENDING:
        summary = csv_import.PlanSummary.from_json(draft.preview)
        if summary is not None:
            context.update(_preview_context(draft, summary, show_mapping="mapping" in request.GET))
    return render(request, "applicants/import_preview.html", context)


def _preview_context(draft: ApplicantImport, summary: csv_import.PlanSummary, *, show_mapping: bool) -> dict:
    """The preview; the column mapping when no column is the name, after a mapping, or on request."""
    context: dict = {"plan": summary, "mode_form": ImportModeForm(initial={"mode": draft.mode})}
    if summary.headers:
        context["can_map"] = True
        if show_mapping or summary.mapped or (summary.unknown_columns and summary.file_error):
            context["mapping_form"] = _mapping_form(draft, summary)
    return context


def _mapping_form(draft: ApplicantImport, summary: csv_import.PlanSummary, data=None) -> ColumnMappingForm:
    return ColumnMappingForm(
        data,
        company=draft.company,
        headers=summary.headers,
        choices=import_jobs.column_choices(),
        initial_map=import_jobs.initial_column_map(draft, summary.headers),
        initial={"source": draft.default_source_id},
    )


def _preview_post(request: AuthenticatedHttpRequest, draft: ApplicantImport) -> HttpResponse:
    if "discard" in request.POST:
        if import_jobs.discard_import(draft=draft):
            messages.info(request, _("取り込みを中止しました。"))
            return redirect("applicants:import")
        messages.error(request, _("取り込み中のため中止できません。"))
        return redirect("applicants:import_preview", import_id=draft.pk)
    form = ImportModeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("取り込み方を選んでください。"))
    elif not import_jobs.request_import(draft=draft, mode=form.cleaned_data["mode"]):
        messages.error(request, _("このファイルは既に取り込み済みか、まだチェック中です。"))
    return redirect("applicants:import_preview", import_id=draft.pk)


@recruiter_required
@require_POST
def import_mapping(request: AuthenticatedHttpRequest, import_id) -> HttpResponse:
    """Read the file again with the columns mapped by hand, optionally saving the mapping as a preset."""
    draft = _draft(request, import_id)
    summary = csv_import.PlanSummary.from_json(draft.preview)
    if draft.phase != ImportPhase.READY or draft.status != ImportStatus.PENDING or summary is None:
        messages.error(request, _("このファイルは今は変更できません。"))
        return redirect("applicants:import_preview", import_id=draft.pk)
    form = _mapping_form(draft, summary, data=request.POST)
    if not form.is_valid():
        context = {
            "draft": draft,
            "progress": import_jobs.progress_of(draft),
            **_preview_context(draft, summary, show_mapping=False),
            "mapping_form": form,
        }
        return render(request, "applicants/import_preview.html", context, status=400)
    column_map, source = form.cleaned_data["column_map"], form.cleaned_data["source"]
    preset = None
    if form.cleaned_data["preset_name"]:
        preset = import_jobs.save_preset(
            company=draft.company,
            actor=request.user,
            name=form.cleaned_data["preset_name"],
            headers=csv_import.header_keys(summary.headers),
            column_map=column_map,
            source=source,
            request=request,
        )
        messages.success(
            request,
            _("取り込み設定「%(name)s」を保存しました。") % {"name": form.cleaned_data["preset_name"]},
        )
    try:
        import_jobs.remap_import(draft=draft, column_map=column_map, source=source, preset=preset)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("applicants:import_preview", import_id=draft.pk)


@recruiter_required
@require_GET
def import_progress(request: AuthenticatedHttpRequest, import_id) -> JsonResponse:
    """How far the upload's job is, polled by its page (static/js/applicant_import.js)."""
    return JsonResponse(import_jobs.progress_of(_draft(request, import_id)).to_json())


@recruiter_required
@require_GET
def import_rejected(request: AuthenticatedHttpRequest, import_id) -> HttpResponse:
    """The rows an import left out, as they were in the file, with a 理由 column."""
    draft = _draft(request, import_id)
    if draft.status != ImportStatus.IMPORTED or not draft.rejected_content:
        raise Http404
    content, content_type, file_name = import_jobs.rejected_download(draft)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, file_name) or "attachment"
    return response


@recruiter_required
def preset_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    presets = company_queryset(request, ImportPreset).select_related("source")
    return render(request, "applicants/import_presets.html", {"presets": presets})


@recruiter_required
@require_POST
def preset_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    preset = get_company_object_or_404(request, ImportPreset, pk=pk)
    import_jobs.delete_preset(preset=preset, actor=request.user, request=request)
    messages.success(request, _("取り込み設定「%(name)s」を削除しました。") % {"name": preset.name})
    return redirect("applicants:import_presets")


@recruiter_required
def applicant_export_xlsx(request: AuthenticatedHttpRequest) -> HttpResponse | FileResponse:
    """The current filter (GET) or the selected applicants (POST) as .xlsx, written to a temporary file;
    more than ``export_jobs.inline_max_rows()`` applicants are written by a background job instead."""
    company = request_company(request)
    try:
        queryset, scope = export_selection(request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("applicants:list")
    count = queryset.count()
    if count > export_jobs.inline_max_rows():
        return export_views.start_in_background(
            request, count=count, filter_query=scope.get("filters", ""), file_kind=FileKind.XLSX
        )
    services.record_export(
        company=company,
        actor=request.user,
        count=count,
        details={"format": "xlsx", **scope},
        request=request,
    )
    stamp = timezone.localtime(timezone.now(), company.tzinfo).strftime("%Y%m%d-%H%M")
    return FileResponse(
        csv_export.export_xlsx(queryset, company.tzinfo),
        as_attachment=True,
        filename=f"applicants-{stamp}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
