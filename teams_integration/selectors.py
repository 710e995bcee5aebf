"""Reads for the Teams 設定 page and the provider's link status (a fixed number of queries each)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import Company
from teams_integration.models import ConnectionStatus, TeamsConnection, TeamsUser
from teams_integration.services import teams_configured
from web_meetings.providers import LinkStatus

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
class TeamsOverview:
    """What the Teams page shows: the state (未利用 / 未設定 / a ConnectionStatus) and the link."""

    code: str
    label: str
    connection: TeamsConnection | None
    user_count: int = 0

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


def teams_overview(company: Company) -> TeamsOverview:
    """The company's Teams state; a company without a connection row is 認可待ち."""
    if not company.teams_enabled:
        return TeamsOverview(code=UNUSED, label=str(_("未利用")), connection=None)
    connection = TeamsConnection.objects.select_related("consented_by").filter(company=company).first()
    if not teams_configured():
        return TeamsOverview(code=UNCONFIGURED, label=str(_("未設定")), connection=connection)
    if connection is None:
        return TeamsOverview(
            code=ConnectionStatus.AWAITING, label=str(ConnectionStatus.AWAITING.label), connection=None
        )
    overview = TeamsOverview(
        code=connection.status, label=connection.get_status_display(), connection=connection
    )
    if connection.status == ConnectionStatus.LINKED:
        overview.user_count = TeamsUser.objects.filter(company=company, in_tenant=True).count()
    return overview


def link_status(company: Company) -> LinkStatus:
    overview = teams_overview(company)
    detail = overview.connection.tenant_label if overview.connection and overview.is_linked else ""
    return LinkStatus(code=str(overview.code), label=str(overview.label), badge=overview.badge, detail=detail)


def teams_users(company: Company) -> QuerySet[TeamsUser]:
    """The company's tenant users for the list: in the tenant first, then by name."""
    return TeamsUser.objects.filter(company=company).order_by("-in_tenant", "display_name", "email")


def is_linked(company: Company) -> bool:
    """True while the company may issue Teams meetings (Teams switched on and the link 連携中)."""
    if not company.teams_enabled:
        return False
    return TeamsConnection.objects.filter(company=company, status=ConnectionStatus.LINKED).exists()


def needs_reauthorization(company: Company) -> bool:
    """Whether the company's Teams link is in エラー（再認可が必要） (for the admins' banner)."""
    return (
        company.teams_enabled
        and TeamsConnection.objects.filter(company=company, status=ConnectionStatus.ERROR).exists()
    )
