"""What base.html needs on every page: the company, the navigation for the user's role."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from accounts import two_factor
from accounts.permissions import ADMIN_ROLES, MEMBER_ROLES, RECRUITER_ROLES, has_role

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class NavItem:
    label: StrOrPromise
    url_name: str
    roles: frozenset[str]
    section: str


NAVIGATION = [
    NavItem(_("ダッシュボード"), "dashboard", MEMBER_ROLES, "dashboard"),
    NavItem(_("マイ面接"), "interviews:my_interviews", MEMBER_ROLES, "interviews"),
    NavItem(_("カレンダー"), "interviews:calendar", MEMBER_ROLES, "calendar"),
    NavItem(_("応募者"), "applicants:list", MEMBER_ROLES, "applicants"),
    NavItem(_("選考会設定"), "scheduling:meeting_list", RECRUITER_ROLES, "scheduling"),
    NavItem(_("合否連絡"), "interviews:result_notice_list", RECRUITER_ROLES, "results"),
    NavItem(_("レポート"), "reports:index", RECRUITER_ROLES, "reports"),
    NavItem(_("Web面接連携サービス"), "web_meetings:services", RECRUITER_ROLES, "zoom"),
    NavItem(_("メール設定"), "notifications:template_list", RECRUITER_ROLES, "notifications"),
    NavItem(_("ユーザー管理"), "accounts:user_list", ADMIN_ROLES, "users"),
    NavItem(_("操作ログ"), "accounts:audit_log", ADMIN_ROLES, "audit"),
]


def shell(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.company_id:
        return {"nav_items": []}
    if two_factor.needs_verification(request):  # signed in with the password only, so far
        return {"nav_items": []}
    items = []
    for item in NAVIGATION:
        if not has_role(user, item.roles):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        active = request.path == url if url == "/" else request.path.startswith(url)
        items.append({"label": item.label, "url": url, "active": active, "section": item.section})
    return {"nav_items": items, "current_company": user.company}
