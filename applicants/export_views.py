"""Pages of the exports written in the background (``applicants.export_jobs``): the export's progress and
download, and the user's recent exports. Only the user who asked sees and downloads an export."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from accounts.permissions import AuthenticatedHttpRequest, recruiter_required
from accounts.tenancy import request_company
from applicants import export_jobs
from applicants.forms import IdListField
from applicants.models import ApplicantExport, ExportState


def start_in_background(
    request: AuthenticatedHttpRequest, *, count: int, filter_query: str, file_kind: str, encoding: str = ""
) -> HttpResponse:
    """Queue the export the list asked for (its filter, or the POSTed selection) and show its page."""
    ids = IdListField().clean(request.POST.getlist("ids")) if request.method == "POST" else None
    export = export_jobs.start_export(
        company=request_company(request),
        actor=request.user,
        file_kind=file_kind,
        encoding=encoding,
        filter_query=filter_query,
        applicant_ids=ids,
        count=count,
        request=request,
    )
    messages.info(
        request,
        _("%(count)s名分のファイルを作成しています。完了するとこの画面からダウンロードできます。")
        % {"count": f"{count:,}"},
    )
    return redirect("applicants:export_detail", export_id=export.pk)


def _export(request: AuthenticatedHttpRequest, export_id) -> ApplicantExport:
    export = export_jobs.user_export(
        company=request_company(request), actor=request.user, export_id=export_id
    )
    if export is None:
        raise Http404
    return export


@recruiter_required
def export_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    exports = export_jobs.user_exports(company=request_company(request), actor=request.user)
    return render(request, "applicants/export_list.html", {"exports": exports})


@recruiter_required
def export_detail(request: AuthenticatedHttpRequest, export_id) -> HttpResponse:
    export = _export(request, export_id)
    context = {
        "export": export,
        "progress": export_jobs.progress_of(export),
        "file_name": export_jobs.download_name(export),
        "expires_at": export.created_at + export_jobs.EXPORT_LIFETIME,
    }
    return render(request, "applicants/export_detail.html", context)


@never_cache
@recruiter_required
def export_progress(request: AuthenticatedHttpRequest, export_id) -> JsonResponse:
    return JsonResponse(export_jobs.progress_of(_export(request, export_id)).to_json())


@recruiter_required
def export_download(request: AuthenticatedHttpRequest, export_id) -> HttpResponse | StreamingHttpResponse:
    export = _export(request, export_id)
    if export.state != ExportState.DONE:
        messages.error(request, _("ファイルはまだできていません。"))
        return redirect("applicants:export_detail", export_id=export.pk)
    export_jobs.record_download(export=export, actor=request.user, request=request)
    response = StreamingHttpResponse(
        export_jobs.file_chunks(export), content_type=export_jobs.content_type(export)
    )
    response["Content-Disposition"] = f'attachment; filename="{export_jobs.download_name(export)}"'
    response["Content-Length"] = str(export.size_bytes)
    response["Cache-Control"] = "private, no-store"
    return response
