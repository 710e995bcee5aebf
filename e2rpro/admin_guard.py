"""The operators' Django admin, with the request data that Django's admin trusts checked first.

Django's changelist runs an action on ``pk__in=<the posted _selected_action values>`` without checking them
(text there raises ValueError: a 500), and its search puts the whole term into LIKE patterns (SQLite
refuses a pattern over 50,000 bytes: a 500 again), and PostgreSQL refuses a NUL character in any text its
filters compare (DataError). On SQLite, a number beyond
64 bits that reaches a query (a many-to-many choice such as a group's permissions) raises OverflowError.

``guarded_admin_urls`` wraps the view of every ModelAdmin: such a selection and such a number are refused
with a message (and nothing is changed), the query string loses its NUL characters and the search
term is cut to ``MAX_SEARCH_CHARS``. The site's own views (index, login) are left as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.views.main import SEARCH_VAR
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.urls import URLPattern, URLResolver
from django.utils.translation import gettext as _

MAX_SEARCH_CHARS = 200
# The largest value of a 64-bit signed integer column (every id of the product).
MAX_INTEGER = 2**63 - 1


def guarded_admin_urls(urls: tuple[list, str, str]) -> tuple[list, str, str]:
    """``admin.site.urls`` with every ModelAdmin view guarded (see the module docstring)."""
    patterns, app_name, namespace = urls
    return [_guard(pattern) for pattern in patterns], app_name, namespace


def _guard(entry: URLPattern | URLResolver) -> URLPattern | URLResolver:
    if isinstance(entry, URLResolver):
        if not isinstance(entry.urlconf_name, list | tuple):
            return entry
        return URLResolver(
            entry.pattern,
            [_guard(item) for item in entry.urlconf_name],
            entry.default_kwargs,
            entry.app_name,
            entry.namespace,
        )
    model_admin = getattr(entry.callback, "model_admin", None)  # set by ModelAdmin.get_urls
    if model_admin is None:
        return entry
    return URLPattern(entry.pattern, _guarded(entry.callback, model_admin), entry.default_args, entry.name)


def _guarded(view: Callable[..., HttpResponse], model_admin: Any) -> Callable[..., HttpResponse]:
    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not model_admin.admin_site.has_permission(request):
            return view(request, *args, **kwargs)  # the admin sends the visitor to its login
        if request.method == "POST" and not _ids_of(
            model_admin.model, request.POST.getlist(ACTION_CHECKBOX_NAME)
        ):
            return _refuse(request, _("選択内容が正しくありません。"))
        values = [value for _name, items in request.GET.lists() for value in items]
        if (
            any("\x00" in value for value in values)
            or len(request.GET.get(SEARCH_VAR, "")) > MAX_SEARCH_CHARS
        ):
            request.GET = _cleaned(request.GET)  # type: ignore[assignment]  # a copy, only read by the views
        try:
            return view(request, *args, **kwargs)
        except OverflowError:  # SQLite: the number reached a query (the view's transaction is rolled back)
            return _refuse(request, _("数値が大きすぎます。"))

    return guarded


def _cleaned(query: QueryDict) -> QueryDict:
    """The query string without NUL characters, its search term cut to MAX_SEARCH_CHARS."""
    clean = query.copy()
    for name, values in query.lists():
        clean.setlist(name, [value.replace("\x00", "") for value in values])
    if SEARCH_VAR in clean:
        clean.setlist(SEARCH_VAR, [value[:MAX_SEARCH_CHARS] for value in clean.getlist(SEARCH_VAR)])
    return clean


def _ids_of(model: type[models.Model], values: list[str]) -> bool:
    """Every value names a row of ``model`` as its primary key would (an integer within the column)."""
    pk = model._meta.pk
    assert pk is not None
    for value in values:
        try:
            clean = pk.to_python(value)
        except ValidationError:
            return False
        if clean is None or (isinstance(clean, int) and not 0 < clean <= MAX_INTEGER):
            return False
    return True


def _refuse(request: HttpRequest, message: str) -> HttpResponse:
    messages.error(request, message)
    return HttpResponseRedirect(request.get_full_path())
