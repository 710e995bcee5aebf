"""The one way to write the audit log (操作ログ).

Apps register human labels for their action codes in AppConfig.ready(); the log page shows the label,
and the code's prefix ("user.", "zoom.", "slot.", ...) is the category the page filters by.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import models
from django.http import HttpRequest

from accounts.models import AuditEntry, Company, User
from accounts.network import client_ip

_ACTION_LABELS: dict[str, Any] = {}
_COLLECTING: ContextVar[list[AuditEntry] | None] = ContextVar("audit_collecting", default=None)
_CATEGORY_LABELS: dict[str, Any] = {}


def register_actions(labels: dict[str, Any]) -> None:
    """Give action codes a translatable label for the log page."""
    _ACTION_LABELS.update(labels)


def register_category(prefix: str, label: Any) -> None:
    _CATEGORY_LABELS[prefix] = label


def action_label(code: str) -> str:
    return str(_ACTION_LABELS.get(code, code))


def categories() -> list[tuple[str, str]]:
    prefixes = sorted({code.split(".", 1)[0] for code in _ACTION_LABELS})
    return [(prefix, str(_CATEGORY_LABELS.get(prefix, prefix))) for prefix in prefixes]


def audit_entry(
    *,
    action: str,
    actor: User | None = None,
    company: Company | None = None,
    target: models.Model | None = None,
    target_label: str = "",
    details: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEntry:
    """The entry ``record_audit`` would write, not saved yet (for ``record_audits``)."""
    if company is None:
        company = getattr(target, "company", None) or getattr(actor, "company", None)
    return AuditEntry(
        company=company,
        actor=actor if actor is not None and actor.pk else None,
        actor_label=actor.display_name if actor is not None else "system",
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_label=target_label or (str(target)[:255] if target is not None else ""),
        details=details or {},
        ip_address=client_ip(request),
    )


def record_audit(
    *,
    action: str,
    actor: User | None = None,
    company: Company | None = None,
    target: models.Model | None = None,
    target_label: str = "",
    details: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEntry:
    """Record that ``actor`` did ``action`` on ``target`` (within ``company``); inside ``collected()``, the
    entry is written when that block ends."""
    entry = audit_entry(
        action=action,
        actor=actor,
        company=company,
        target=target,
        target_label=target_label,
        details=details,
        request=request,
    )
    collecting = _COLLECTING.get()
    if collecting is not None:
        collecting.append(entry)
    else:
        entry.save(force_insert=True)
    return entry


@contextmanager
def collected() -> Iterator[None]:
    """Inside the block, ``record_audit`` keeps its entries; they are written in one INSERT when the block
    ends without an error (nothing when it raises). Use it inside the transaction that does the work."""
    entries: list[AuditEntry] = []
    token = _COLLECTING.set(entries)
    try:
        yield
    finally:
        _COLLECTING.reset(token)
    if entries:
        AuditEntry.objects.bulk_create(entries)


def record_audits(entries: list[AuditEntry]) -> None:
    """Write several entries built by ``audit_entry`` with one INSERT (a hot path: meeting issuance)."""
    if entries:
        AuditEntry.objects.bulk_create(entries)
