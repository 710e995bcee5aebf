"""Interviews: the evaluation pages. 評価シート (recruiters and admins), an applicant's evaluations in a
選考会 and the evaluation form (everyone who takes part; the selectors apply the blind rule), and the
company's overdue evaluations (recruiters and admins)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.permissions import AuthenticatedHttpRequest, member_required, recruiter_required
from accounts.tenancy import get_company_object_or_404, request_company
from applicants.models import Applicant
from applicants.selectors import page_number, visible_applicants
from interviews import evaluation_boards as boards
from interviews import evaluation_selectors as selectors
from interviews import evaluations as services
from interviews.evaluation_forms import EvaluationForm, ItemForm, SheetForm
from interviews.models import EvaluationItem, EvaluationSheet
from scheduling.models import SelectionMeeting, Slot

OVERDUE_PER_PAGE = 50


def _meeting(request: AuthenticatedHttpRequest, pk: int) -> SelectionMeeting:
    return get_company_object_or_404(request, SelectionMeeting, pk=pk)


def _applicant(request: AuthenticatedHttpRequest, pk: int) -> Applicant:
    """An applicant the user may read (a 面接官: one booked into a slot they interview), else 404."""
    return get_company_object_or_404(request, visible_applicants(request.user), pk=pk)


def _item(request: AuthenticatedHttpRequest, pk: int) -> EvaluationItem:
    items = EvaluationItem.objects.filter(removed_at__isnull=True).select_related("sheet__selection_meeting")
    return get_company_object_or_404(request, items, pk=pk)


def _sheet_url(meeting_id: int) -> str:
    return reverse("interviews:evaluation_sheet", args=[meeting_id])


# --- 評価シート ---------------------------------------------------------------------------------------------


@recruiter_required
def evaluation_sheet(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    sheet = EvaluationSheet.objects.filter(selection_meeting=meeting).first()
    form = SheetForm(request.POST or None, sheet=sheet)
    if request.method == "POST" and form.is_valid():
        instructions = form.cleaned_data["instructions"].strip()
        services.update_sheet(meeting=meeting, instructions=instructions, actor=request.user, request=request)
        messages.success(request, _("評価の観点・注意事項を保存しました。"))
        return redirect(_sheet_url(meeting.pk))
    items = selectors.sheet_items(meeting)
    context = {
        "meeting": meeting,
        "sheet": sheet,
        "form": form,
        "items": items,
        "max_items": services.MAX_ITEMS,
    }
    return render(request, "interviews/evaluations/sheet.html", context)


@recruiter_required
def evaluation_item_create(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    form = ItemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            item = services.add_evaluation_item(
                meeting=meeting, fields=form.item_fields(), actor=request.user, request=request
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("評価項目「%(label)s」を追加しました。") % {"label": item.label})
            return redirect(_sheet_url(meeting.pk))
    return render(request, "interviews/evaluations/item_form.html", {"meeting": meeting, "form": form})


@recruiter_required
def evaluation_item_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = _item(request, pk)
    meeting = item.sheet.selection_meeting
    form = ItemForm(request.POST or None, item=item)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_evaluation_item(
                item=item, fields=form.item_fields(), actor=request.user, request=request
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("評価項目を保存しました。"))
            return redirect(_sheet_url(meeting.pk))
    context = {"meeting": meeting, "form": form, "item": item, "answered": selectors.item_is_answered(item)}
    return render(request, "interviews/evaluations/item_form.html", context)


@recruiter_required
@require_POST
def evaluation_item_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = _item(request, pk)
    services.remove_evaluation_item(item=item, actor=request.user, request=request)
    messages.success(request, _("評価項目「%(label)s」を削除しました。") % {"label": item.label})
    return redirect(_sheet_url(item.sheet.selection_meeting_id))


@recruiter_required
@require_POST
def evaluation_item_move(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = _item(request, pk)
    direction = request.POST.get("direction")
    if direction not in ("up", "down"):
        messages.error(request, _("移動する方向を選んでください。"))
    else:
        services.move_evaluation_item(item=item, up=direction == "up", actor=request.user, request=request)
    return redirect(f"{_sheet_url(item.sheet.selection_meeting_id)}#item-{item.pk}")


@recruiter_required
@require_POST
def evaluation_sheet_standard(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    if services.add_standard_items(meeting=meeting, actor=request.user, request=request):
        messages.success(request, _("標準の評価項目を追加しました。必要に応じて編集してください。"))
    else:
        messages.info(request, _("評価項目がすでにあるため、標準の項目は追加しませんでした。"))
    return redirect(_sheet_url(meeting.pk))


# --- evaluations --------------------------------------------------------------------------------------------


@member_required
def evaluation_detail(request: AuthenticatedHttpRequest, applicant_pk: int, meeting_pk: int) -> HttpResponse:
    applicant, meeting = _applicant(request, applicant_pk), _meeting(request, meeting_pk)
    board = boards.meeting_board(request.user, applicant, meeting)
    if board is None:
        raise Http404
    history = boards.evaluation_history(board)
    context = {
        "applicant": applicant,
        "meeting": meeting,
        "board": board,
        "histories": [(e, history.get(e.pk, [])) for e in board.columns if e.is_submitted],
        "sheet": EvaluationSheet.objects.filter(selection_meeting=meeting).first(),
    }
    return render(request, "interviews/evaluations/detail.html", context)


def _blocker(slot: Slot | None, applicant: Applicant) -> str:
    """Why the user cannot write this evaluation now ("" when they can)."""
    if applicant.is_anonymized:
        return _("個人情報を削除した応募者は評価できません。")
    if slot is None:
        return _("この応募者のこの選考会の面接（有効な予約）がないため、評価を入力できません。")
    if slot.starts_at > timezone.now():
        starts = formats.date_format(timezone.localtime(slot.starts_at), "Y/m/d H:i")
        return _("評価は面接の開始後に入力できます（開始: %(start)s）。") % {"start": starts}
    return ""


SAVED = {
    services.SaveOutcome.DRAFT: gettext_lazy("下書きを保存しました。提出するまで他の人には表示されません。"),
    services.SaveOutcome.SUBMITTED: gettext_lazy("評価を提出しました。"),
    services.SaveOutcome.CORRECTED: gettext_lazy("評価を修正しました（修正履歴に残ります）。"),
    services.SaveOutcome.UNCHANGED: gettext_lazy("変更はありません。"),
}


def _save(
    request: AuthenticatedHttpRequest,
    form: EvaluationForm,
    *,
    applicant: Applicant,
    meeting: SelectionMeeting,
    slot: Slot,
    submit: bool,
) -> services.SaveResult | None:
    """The form's evaluation saved through the service, or None with the errors on the form."""
    if not form.is_valid():
        return None
    try:
        return services.save_evaluation(
            applicant=applicant,
            meeting=meeting,
            evaluator=request.user,
            slot=slot,
            answers=form.answers(),
            recommendation=form.cleaned_data["recommendation"],
            comment=form.cleaned_data["comment"],
            submit=submit,
            request=request,
        )
    except ValidationError as exc:
        form.add_error(None, exc)
        return None


@member_required
def evaluation_edit(request: AuthenticatedHttpRequest, applicant_pk: int, meeting_pk: int) -> HttpResponse:
    """The signed-in user's own evaluation: 下書き保存 and 提出する, or 修正を提出する once submitted."""
    applicant, meeting = _applicant(request, applicant_pk), _meeting(request, meeting_pk)
    slot = selectors.evaluation_slot(request.user, applicant=applicant, meeting=meeting)
    own = selectors.own_evaluation(request.user, applicant=applicant, meeting=meeting)
    if slot is None and own is None and not request.user.is_recruiter_or_admin:
        raise Http404
    detail_url = reverse("interviews:evaluation_detail", args=[applicant.pk, meeting.pk])
    blocker, action = _blocker(slot, applicant), request.POST.get("action", "")
    submitting = (own is not None and own.is_submitted) or action == "submit"
    data = request.POST if request.method == "POST" else None  # an empty POST is still a submission
    form = EvaluationForm(data, items=selectors.sheet_items(meeting), evaluation=own, submitting=submitting)
    if request.method == "POST" and blocker:
        messages.error(request, blocker)
        return redirect(detail_url)
    if request.method == "POST" and action not in ("draft", "submit"):
        form.is_valid()  # the field errors too, and cleaned_data for add_error
        form.add_error(None, _("「下書き保存」または「提出する」を押してください。"))
    elif request.method == "POST" and slot is not None:
        submit = action == "submit"
        if result := _save(request, form, applicant=applicant, meeting=meeting, slot=slot, submit=submit):
            messages.success(request, SAVED[result.outcome])
            draft = result.outcome == services.SaveOutcome.DRAFT
            return redirect(request.path if draft else detail_url)
    context = {
        "applicant": applicant,
        "meeting": meeting,
        "slot": slot,
        "own": own,
        "form": form,
        "blocker": blocker,
        "sheet": EvaluationSheet.objects.filter(selection_meeting=meeting).first(),
        "detail_url": detail_url,
    }
    return render(request, "interviews/evaluations/edit.html", context)


@recruiter_required
def evaluations_overdue(request: AuthenticatedHttpRequest) -> HttpResponse:
    company = request_company(request)
    number = page_number(request.GET.get("page"))
    result = selectors.overdue_evaluations(
        company, offset=(number - 1) * OVERDUE_PER_PAGE, limit=OVERDUE_PER_PAGE
    )
    page = Paginator(range(result.count), OVERDUE_PER_PAGE).get_page(number)
    if page.number != number:  # past the last page
        return redirect(f"{request.path}?page={page.number}")
    context = {
        "items": result.items,
        "count": result.count,
        "page": page,
        "due_hours": selectors.evaluation_due_hours(company),
    }
    return render(request, "interviews/evaluations/overdue.html", context)


urlpatterns: list[URLPattern] = [
    path("evaluation-sheets/<int:pk>/", evaluation_sheet, name="evaluation_sheet"),
    path("evaluation-sheets/<int:pk>/items/new/", evaluation_item_create, name="evaluation_item_create"),
    path("evaluation-sheets/<int:pk>/standard/", evaluation_sheet_standard, name="evaluation_sheet_standard"),
    path("evaluation-items/<int:pk>/edit/", evaluation_item_edit, name="evaluation_item_edit"),
    path("evaluation-items/<int:pk>/delete/", evaluation_item_delete, name="evaluation_item_delete"),
    path("evaluation-items/<int:pk>/move/", evaluation_item_move, name="evaluation_item_move"),
    path("evaluations/overdue/", evaluations_overdue, name="evaluations_overdue"),
    path("evaluations/<int:applicant_pk>/<int:meeting_pk>/", evaluation_detail, name="evaluation_detail"),
    path("evaluations/<int:applicant_pk>/<int:meeting_pk>/edit/", evaluation_edit, name="evaluation_edit"),
]
