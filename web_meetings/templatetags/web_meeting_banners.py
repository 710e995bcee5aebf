"""{% web_meeting_banners %} in base.html: the admins' banner for each web-meeting service whose link is in
エラー（再認可が必要）, with a link to that service's 設定 page."""

from __future__ import annotations

from django import template

from web_meetings.providers import registered_providers

register = template.Library()


@register.inclusion_tag("web_meetings/banner.html", takes_context=True)
def web_meeting_banners(context: template.Context) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not getattr(user, "is_company_admin", False):
        return {"services": []}
    company = user.company
    return {
        "services": [
            {"name": provider.display_name, "url": provider.settings_url()}
            for provider in registered_providers()
            if provider.needs_reauthorization(company)
        ]
    }
