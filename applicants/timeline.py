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
    # Plain values and each message translated once: an applicant may have hundreds of entries.
    entered, changed = _("選考ステータス: %(to)s"), _("選考ステータスを変更: %(from)s → %(to)s")
    changes = applicant.status_changes.values_list(
        "created_at", "from_stage__name", "to_stage__name", "comment", "changed_by_label"
    )
    for at, from_name, to_name, comment, actor in changes:
        if from_name is None:
            title = entered % {"to": to_name}
        else:
            title = changed % {"from": from_name, "to": to_name}
        items.append(TimelineItem(at=at, kind="status", title=title, body=comment, actor=actor))
    memo_title = _("メモ")
    for at, body, actor in applicant.memos.values_list("created_at", "body", "author_label"):
        items.append(TimelineItem(at=at, kind="memo", title=memo_title, body=body, actor=actor))
    return items
