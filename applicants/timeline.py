"""The applicant timeline: dated items from every app that has something to say about an applicant.

Apps register a source in their AppConfig.ready() (``timeline_sources.register(booking_items)``): a function
``source(applicant) -> iterable of TimelineItem`` that runs a fixed number of queries and returns only that
applicant's items. notifications (mails) and booking (bookings) must register one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from accounts.hooks import Registry

if TYPE_CHECKING:
    from applicants.models import Applicant


@dataclass(frozen=True)
class TimelineItem:
    at: datetime
    kind: str  # "status", "memo", "created", "booking", "mail", ... (also a CSS modifier)
    title: str
    body: str = ""
    actor: str = ""
    url: str = ""


TimelineSource = Callable[["Applicant"], Iterable[TimelineItem]]
timeline_sources: Registry[TimelineSource] = Registry(
    "applicants.timeline.timeline_sources", required_from=["applicants", "notifications", "booking"]
)


def timeline_for(applicant: Applicant) -> list[TimelineItem]:
    """Every registered source's items, newest first."""
    items = [item for source in timeline_sources.functions() for item in source(applicant)]
    return sorted(items, key=lambda item: item.at, reverse=True)


def applicant_items(applicant: Applicant) -> list[TimelineItem]:
    """This app's own items: registration, status changes and memos."""
    items = [TimelineItem(at=applicant.created_at, kind="created", title=_("応募者を登録"))]
    for change in applicant.status_changes.select_related("from_stage", "to_stage"):
        if change.from_stage is None:
            title = _("選考ステータス: %(to)s") % {"to": change.to_stage.name}
        else:
            title = _("選考ステータスを変更: %(from)s → %(to)s") % {
                "from": change.from_stage.name,
                "to": change.to_stage.name,
            }
        items.append(
            TimelineItem(
                at=change.created_at,
                kind="status",
                title=title,
                body=change.comment,
                actor=change.changed_by_label,
            )
        )
    for memo in applicant.memos.all():
        items.append(
            TimelineItem(
                at=memo.created_at, kind="memo", title=_("メモ"), body=memo.body, actor=memo.author_label
            )
        )
    return items
