"""The evaluations section of the applicant page (registered in ``applicant_panels``)."""

from __future__ import annotations

from django.template.loader import render_to_string

from accounts.permissions import AuthenticatedHttpRequest
from applicants.models import Applicant
from applicants.timeline import TimelineItem
from interviews import evaluation_boards

# Every booking and every submitted evaluation writes an item of these kinds to the timeline the page has
# already read: an applicant without one has no evaluation to show, and the panel costs no query.
RELEVANT_KINDS = frozenset({"booking", "evaluation"})


def applicant_evaluations_panel(
    request: AuthenticatedHttpRequest, applicant: Applicant, timeline: list[TimelineItem]
) -> str:
    """評価: per 選考会, the evaluations side by side as the viewer may see them (the blind rule), the
    averages, who has not submitted, and the link to evaluate."""
    if not any(item.kind in RELEVANT_KINDS for item in timeline):
        return ""
    boards = evaluation_boards.applicant_boards(request.user, applicant)
    if not boards:
        return ""
    context = {"applicant": applicant, "boards": boards, "in_panel": True}
    return render_to_string("interviews/evaluations/_panel.html", context, request=request)
