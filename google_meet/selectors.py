"""Reads for the Google Meet pages and the provider's link status."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import Company, User
from google_meet.models import ConnectionStatus, GoogleGrant, GoogleMeetLink, GrantStatus
from google_meet.services import google_configured
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
GRANT_BADGES = {GrantStatus.LINKED: "success", GrantStatus.ERROR: "danger", GrantStatus.RELEASED: "muted"}


@dataclass
class GoogleOverview:
    """The company's state (未利用 / 未設定 / a ConnectionStatus) and its hosts' grants."""

    code: str
    label: str
    link: GoogleMeetLink | None
    grants: list[GoogleGrant] = field(default_factory=list)

    @property
    def badge(self) -> str:
        return STATUS_BADGES.get(self.code, "muted")

    @property
    def can_enable(self) -> bool:
        return self.code in (ConnectionStatus.AWAITING, ConnectionStatus.RELEASED)

    @property
    def is_linked(self) -> bool:
        return self.code == ConnectionStatus.LINKED

    @property
    def can_unlink(self) -> bool:
        return self.code == ConnectionStatus.LINKED

    @property
    def usable_count(self) -> int:
        return sum(1 for grant in self.grants if grant.is_usable)

    @property
    def error_count(self) -> int:
        return sum(1 for grant in self.grants if grant.status == GrantStatus.ERROR)


def google_overview(company: Company, *, with_grants: bool = True) -> GoogleOverview:
    if not company.google_enabled:
        return GoogleOverview(code=UNUSED, label=str(_("未利用")), link=None)
    link = GoogleMeetLink.objects.select_related("enabled_by").filter(company=company).first()
    if not google_configured():
        return GoogleOverview(code=UNCONFIGURED, label=str(_("未設定")), link=link)
    if link is None:
        return GoogleOverview(
            code=ConnectionStatus.AWAITING, label=str(ConnectionStatus.AWAITING.label), link=None
        )
    overview = GoogleOverview(code=link.status, label=link.get_status_display(), link=link)
    if with_grants:
        overview.grants = list(company_grants(company))
    return overview


def company_grants(company: Company) -> QuerySet[GoogleGrant]:
    """Every host grant of the company (for the admin page): the tokens are never read here."""
    return (
        GoogleGrant.objects.filter(company=company)
        .select_related("user")
        .defer("refresh_token_encrypted", "access_token_encrypted")
        .order_by("user__name", "google_email")
    )


def host_grants(company: Company) -> QuerySet[GoogleGrant]:
    """The grants that name a host (連携中 or エラー; a released one is no host)."""
    return company_grants(company).filter(status__in=[GrantStatus.LINKED, GrantStatus.ERROR])


def user_grant(user: User) -> GoogleGrant | None:
    if user.company_id is None:
        return None
    return GoogleGrant.objects.filter(company_id=user.company_id, user=user).first()


def link_status(company: Company) -> LinkStatus:
    overview = google_overview(company, with_grants=False)
    detail = ""
    if overview.is_linked:
        count = GoogleGrant.objects.filter(company=company, status=GrantStatus.LINKED).count()
        detail = str(_("連携中のGoogleアカウント: %(count)s件")) % {"count": count}
    return LinkStatus(code=str(overview.code), label=str(overview.label), badge=overview.badge, detail=detail)


def is_linked(company: Company) -> bool:
    if not company.google_enabled or not google_configured():
        return False
    return GoogleMeetLink.objects.filter(company=company, status=ConnectionStatus.LINKED).exists()
