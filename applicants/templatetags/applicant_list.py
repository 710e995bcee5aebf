"""The rows of the applicant list, built in Python.

Measured at 100,000 applicants: the same rows through template tags took ~7 ms of a ~27 ms page (140 µs a
row); format_html does it in well under 1 ms. The markup is the table--stack layout of the other lists.
"""

from __future__ import annotations

from collections.abc import Sequence

from django import template
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from applicants.models import Applicant

register = template.Library()
EMPTY = "—"


@register.simple_tag
def applicant_rows(applicants: Sequence[Applicant], selectable: bool) -> SafeString:
    """``<tr>`` rows for applicants prepared by selectors.attach_labels (stage, position, source, tags)."""
    labels = {
        "select": _("選択"),
        "name": _("氏名"),
        "stage": _("選考ステータス"),
        "position": _("募集職種"),
        "source": _("応募経路"),
        "background": _("学校・現職"),
        "applied": _("応募日"),
        "tags": _("タグ"),
        "deleted": _("削除済み"),
    }
    # applicants:detail is "<pk>/" under the list: one reverse() per page instead of one per row.
    prefix = reverse("applicants:list")
    return mark_safe("".join(_row(applicant, selectable, labels, prefix) for applicant in applicants))  # noqa: S308 - every part is escaped by format_html


def _row(applicant: Applicant, selectable: bool, labels: dict[str, str], prefix: str) -> str:
    select = ""
    if selectable:
        box = ""
        if not applicant.anonymized_at:
            box = format_html(
                '<input type="checkbox" name="ids" value="{}" aria-label="{}">', applicant.pk, applicant.name
            )
        select = format_html('<td data-label="{}">{}</td>', labels["select"], box)
    kana = (
        format_html('<br><span class="muted">{}</span>', applicant.name_kana) if applicant.name_kana else ""
    )
    deleted = (
        format_html(' <span class="badge badge--muted">{}</span>', labels["deleted"])
        if applicant.anonymized_at
        else ""
    )
    tags = format_html_join(" ", '<span class="badge">{}</span>', ((tag.name,) for tag in applicant.tag_list))
    return format_html(
        "<tr>{}"
        '<td data-label="{}"><a href="{}{}/">{}</a>{}{}</td>'
        '<td data-label="{}"><span class="badge {}">{}</span></td>'
        '<td data-label="{}">{}</td><td data-label="{}">{}</td><td data-label="{}">{}</td>'
        '<td data-label="{}">{}</td><td data-label="{}">{}</td></tr>\n',
        select,
        labels["name"], prefix, applicant.pk, applicant.name, kana, deleted,
        labels["stage"], applicant.stage.badge_class, applicant.stage.name,
        labels["position"], applicant.position.name if applicant.position else EMPTY,
        labels["source"], applicant.source.name if applicant.source else EMPTY,
        labels["background"], applicant.background_label or EMPTY,
        labels["applied"], applicant.applied_on.strftime("%Y/%m/%d"),
        labels["tags"], tags or EMPTY,
    )  # fmt: skip
