"""The applicant timeline: dated items from every app that has something to say about an applicant.

Other apps add their own items (bookings, sent mails) in their AppConfig.ready()::

    from applicants.timeline import TimelineItem, register_timeline_source

    def booking_items(applicant) -> list[TimelineItem]:
        return [TimelineItem(at=b.created_at, kind="booking", title=..., url=...) for b in ...]

    register_timeline_source(booking_items)

A source must run a fixed number of queries per applicant and return only that applicant's items.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

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
_SOURCES: dict[str, TimelineSource] = {}


def register_timeline_source(source: TimelineSource) -> None:
    """Add ``source(applicant) -> iterable of TimelineItem``; registering a function twice is a no-op."""
    _SOURCES[f"{source.__module__}.{source.__qualname__}"] = source


def timeline_for(applicant: Applicant) -> list[TimelineItem]:
    """Every registered source's items, newest first."""
    items = [item for source in _SOURCES.values() for item in source(applicant)]
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
