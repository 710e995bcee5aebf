"""The Jinja2 environment of the applicant's pages behind the personal link (templates/jinja2/booking/).

Those pages take the rushes (every invited applicant opening the link, hundreds booking one slot at once,
most of them refused 満席), and Django's template language spent about 0.45 ms of CPU on the 満席 page
alone, a fifth of the whole refused request; Jinja2, Django's other built-in backend, renders the same
page in a fraction of that (docs/architecture.md). Staff pages stay in Django's template language.

What the templates use, as Django's tags and filters would give it:
- ``_("…")`` is gettext (texts with values: ``_("%(name)s 様") % {"name": …}``, as ``{% blocktranslate %}``
  writes its msgid), so ``makemessages`` finds them; the two counted texts are ``PLURALS`` below, in
  Python, because makemessages reads ``ngettext`` only there;
- ``url(name, *args)``, ``static(path)``, ``csrf_input`` (the backend's), ``messages`` (the context
  processor's);
- the filters ``slot_when``, ``slot_time``, ``company_datetime`` (booking_tags) and ``linebreaksbr``.
Autoescaping is on, as in every Django backend.
"""

from __future__ import annotations

from typing import Any

from django.template.defaultfilters import linebreaksbr
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext, ngettext, ngettext_lazy
from jinja2 import Environment

from booking.templatetags.booking_tags import company_datetime, slot_time, slot_when

# The counted texts of the templates, chosen by the count in the dict they are formatted with:
# ``{{ PLURALS.seats_left % {"seats": n} }}``.
PLURALS = {
    "seats_left": ngettext_lazy("残り%(seats)s席", "残り%(seats)s席", "seats"),
    "full_days": ngettext_lazy("満席の日程（%(count)s件）", "満席の日程（%(count)s件）", "count"),
}


def url(name: str, *args: Any) -> str:
    """``{% url name arg … %}``."""
    return reverse(name, args=args)


def environment(**options: Any) -> Environment:
    options.pop("autoescape", None)  # Django's backend asks for it too: never off for these pages
    env = Environment(autoescape=True, extensions=["jinja2.ext.i18n"], **options)
    env.install_gettext_callables(gettext, ngettext, newstyle=False)  # type: ignore[attr-defined]
    env.globals.update(url=url, static=static, PLURALS=PLURALS)
    env.filters.update(
        slot_when=slot_when,
        slot_time=slot_time,
        company_datetime=company_datetime,
        linebreaksbr=linebreaksbr,
    )
    return env
