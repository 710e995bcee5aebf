"""{% zoom_banners %} in base.html: the admins' banner while the Zoom link needs 認可開始 again."""

from __future__ import annotations

from django import template

from zoom_integration import selectors

register = template.Library()


@register.inclusion_tag("zoom_integration/banner.html", takes_context=True)
def zoom_banners(context: template.Context) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not getattr(user, "is_company_admin", False):
        return {"show": False}
    return {"show": selectors.needs_reauthorization(user.company)}
