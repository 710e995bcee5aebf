"""Reads for the Web面接連携サービス pages and the banner (a fixed number of queries each)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import Company
from zoom_integration.models import ConnectionStatus, ZoomConnection, ZoomUser
from zoom_integration.services import missing_scopes, zoom_configured

UNUSED = "unused"
UNCONFIGURED = "unconfigured"

STATUS_BADGES = {
    UNUSED: "muted",
    UNCONFIGURED: "muted",
    ConnectionStatus.AWAITING: "warning",
    ConnectionStatus.LINKED: "success",
    ConnectionStatus.ERROR: "danger",
    ConnectionStatus.RELEASED: "muted",
}


@dataclass
class ZoomOverview:
    """What the Zoom service page shows: the state (未利用 / 未設定 / a ConnectionStatus) and the link."""

    code: str
    label: str
    connection: ZoomConnection | None
    user_count: int = 0
    missing_scopes: list[str] = field(default_factory=list)

    @property
    def badge(self) -> str:
        return STATUS_BADGES.get(self.code, "muted")

    @property
    def can_authorize(self) -> bool:
        return self.code in (ConnectionStatus.AWAITING, ConnectionStatus.ERROR, ConnectionStatus.RELEASED)

    @property
    def is_linked(self) -> bool:
        return self.code == ConnectionStatus.LINKED

    @property
    def can_unlink(self) -> bool:
        return self.code in (ConnectionStatus.LINKED, ConnectionStatus.ERROR)


def zoom_overview(company: Company) -> ZoomOverview:
    """The company's Zoom state; a company without a connection row is 認可待ち."""
    connection = (
        ZoomConnection.objects.select_related("linked_by").filter(company=company).first()
        if company.zoom_enabled
        else None
    )
    if not company.zoom_enabled:
        return ZoomOverview(code=UNUSED, label=str(_("未利用")), connection=None)
    if not zoom_configured():
        return ZoomOverview(code=UNCONFIGURED, label=str(_("未設定")), connection=connection)
    if connection is None:
        return ZoomOverview(
            code=ConnectionStatus.AWAITING, label=str(ConnectionStatus.AWAITING.label), connection=None
        )
    overview = ZoomOverview(
        code=connection.status, label=connection.get_status_display(), connection=connection
    )
    if connection.status == ConnectionStatus.LINKED:
        overview.user_count = ZoomUser.objects.filter(company=company, in_account=True).count()
        overview.missing_scopes = missing_scopes(connection.scopes)
    return overview


def zoom_users(company: Company) -> QuerySet[ZoomUser]:
    """The company's Zoom users for the list: in the account first, then by name."""
    return ZoomUser.objects.filter(company=company).order_by("-in_account", "display_name", "email")


def needs_reauthorization(company: Company) -> bool:
    """Whether the company's Zoom link is in エラー（再認可が必要） (for the admins' banner)."""
    return (
        company.zoom_enabled
        and ZoomConnection.objects.filter(company=company, status=ConnectionStatus.ERROR).exists()
    )


def zoom_is_linked(company: Company) -> bool:
    """True while the company may issue meetings (Zoom switched on and the link 連携中)."""
    if not company.zoom_enabled:
        return False
    return ZoomConnection.objects.filter(company=company, status=ConnectionStatus.LINKED).exists()
