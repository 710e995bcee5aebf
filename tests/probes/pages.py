"""Walk every page a client can reach, and look for markup that user text managed to inject.

``Walker`` starts from a few pages and follows every internal link (``a[href]``), every internal redirect
and every GET form (submitted once with a payload in each text input), so a page added later is visited
without editing the probes. Each HTML answer is parsed with ``html.parser``; ``html_problems`` lists what
no page of this product should contain: an event-handler attribute (strict CSP: no inline handlers at
all), an inline ``<script>``, the payload's ``<img src=x>``, a ``javascript:`` URL, or a payload's raw
``<script>alert`` / ``<img src=x`` in the source.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import icalendar
from django.test import Client

# The payloads, after a tag naming the field they were typed into (so a failure says which field leaked).
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
QUOTE = "' onfocus='alert(2)"
TEMPLATE = "{{7*7}}{応募者名}"
# What a multi-line field may carry to break out of a line-based format (.ics, mail headers).
LINE_BREAK = "\r\nX-INJECTED:1\r\nATTENDEE:mailto:evil@example.com"
RAW_NEEDLES = ("<script>alert", "<img src=x")


def payload(tag: str) -> str:
    """Every payload after ``tag`` (under 100 characters for a tag of up to 6)."""
    return f"{tag}{SCRIPT}{IMG}{QUOTE}{TEMPLATE}"


def short_payload(tag: str, *, img: bool = False) -> str:
    """One payload and the quotes, for fields of 50 characters."""
    return f"{tag}{IMG}'{{7*7}}" if img else f"{tag}{SCRIPT}'\"{{応募者名}}"


URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "poster", "xlink:href"}
DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:text/html")
TEXT_INPUTS = {"", "text", "search", "email", "tel", "url", "number", "date", "time"}


@dataclass
class GetForm:
    action: str
    fields: list[tuple[str, str, str]] = field(default_factory=list)  # (name, type, value)
    selects: dict[str, str] = field(default_factory=dict)  # name -> first option's value
    _open_select: str | None = None


class PageScanner(HTMLParser):
    """Collects problems, visible text and attribute values, links and GET forms of one HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.texts: list[str] = []
        self.links: list[str] = []
        self.forms: list[GetForm] = []
        self._form: GetForm | None = None
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        for name, value in values.items():
            if name.startswith("on"):
                self.problems.append(f"<{tag}> carries an event handler {name}={value[:60]!r}")
            if name in URL_ATTRIBUTES and value.strip().lower().startswith(DANGEROUS_SCHEMES):
                self.problems.append(f"<{tag} {name}> is a script URL {value[:60]!r}")
            self.texts.append(value)
        if tag == "script":
            self._in_script = True
            if not values.get("src"):
                self.problems.append(f"inline <script> {values}")
        if tag == "img" and values.get("src") == "x":
            self.problems.append("<img src=x> injected")
        if tag in ("a", "area") and values.get("href"):
            self.links.append(values["href"])
        self._collect_form(tag, values)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag == "script":
            self._in_script = False

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False
        elif tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None
        elif tag == "select" and self._form is not None:
            self._form._open_select = None

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.problems.append(f"script content {data.strip()[:60]!r}")
        self.texts.append(data)

    def _collect_form(self, tag: str, values: dict[str, str]) -> None:
        if tag == "form":
            method = (values.get("method") or "get").lower()
            self._form = GetForm(action=values.get("action", "")) if method == "get" else None
            return
        form = self._form
        if form is None or not values.get("name"):
            if tag == "option" and form is not None and form._open_select:
                form.selects.setdefault(form._open_select, values.get("value", ""))
            return
        if tag == "input":
            form.fields.append((values["name"], values.get("type", "").lower(), values.get("value", "")))
        elif tag == "textarea":
            form.fields.append((values["name"], "textarea", ""))
        elif tag == "select":
            form._open_select = values["name"]


def scan_html(content: str) -> PageScanner:
    scanner = PageScanner()
    scanner.feed(content)
    scanner.close()
    lowered = content.lower()
    for needle in RAW_NEEDLES:
        if needle in lowered:
            at = lowered.index(needle)
            scanner.problems.append(f"raw {needle!r} in the source: …{content[max(0, at - 40) : at + 60]!r}")
    return scanner


def html_problems(content: str) -> list[str]:
    return scan_html(content).problems


# --- text formats ------------------------------------------------------------------------------------

HTML_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|apos|#x?[0-9a-fA-F]+);")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def text_problems(text: str, *, where: str) -> list[str]:
    """Plain text (a mail, an .ics) must carry user text as typed: no HTML entities."""
    found = HTML_ENTITY.findall(text)
    return [f"{where}: HTML-escaped text {sorted(set(found))}"] if found else []


def csv_problems(text: str, *, where: str) -> list[str]:
    """A cell a spreadsheet would run as a formula (the export must prefix those with a quote)."""
    problems = []
    for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))):
        for cell in row:
            if cell.startswith(FORMULA_PREFIXES):
                problems.append(f"{where}: formula cell {cell[:40]!r}")
    return problems


def unfold_ics(ics: str) -> str:
    return re.sub(r"\r?\n[ \t]", "", ics)


def ics_problems(ics: str, *, where: str) -> list[str]:
    """An .ics must parse, hold one VEVENT, and keep user text inside its properties."""
    problems = text_problems(ics, where=where)
    for line in unfold_ics(ics).splitlines():
        if line.upper().startswith("X-INJECTED") or line.upper().startswith("ATTENDEE:MAILTO:EVIL"):
            problems.append(f"{where}: a line injected by user text: {line[:60]!r}")
    calendar = icalendar.Calendar.from_ical(ics)
    events = calendar.walk("VEVENT")
    if len(events) != 1:
        problems.append(f"{where}: {len(events)} VEVENTs")
    else:
        attendees = events[0].get("attendee")
        if isinstance(attendees, list):
            problems.append(f"{where}: {len(attendees)} attendees")
    return problems


def ics_texts(ics: str) -> list[str]:
    """The decoded text of every property and parameter of the invite's VEVENT."""
    calendar = icalendar.Calendar.from_ical(ics)
    texts = []
    for event in calendar.walk("VEVENT"):
        for value in event.values():
            for item in value if isinstance(value, list) else [value]:
                texts.append(str(item))
                texts.extend(str(param) for param in getattr(item, "params", {}).values())
    return texts


# --- the walker ----------------------------------------------------------------------------------------


@dataclass
class Page:
    url: str
    status: int
    content_type: str
    text: str
    problems: list[str]
    texts: list[str]

    @property
    def is_html(self) -> bool:
        return "text/html" in self.content_type


def route_of(path: str) -> str:
    """The page's kind: ids replaced, so a list of 500 records is a few visits, not 500."""
    return re.sub(r"\d+", "N", path)


def _internal(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("", "http", "https") or parts.netloc not in ("", "testserver"):
        return None
    if not parts.path.startswith("/"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


@dataclass
class Walker:
    """Visits every page reachable from the start pages (see the module docstring).

    ``per_route`` caps the URLs of one kind (route_of) so lists and pagination do not explode; ``fill`` is
    typed into every text input of each GET form (submitted once per form); paths under ``skip`` or outside
    ``only`` are left alone; ``check`` runs on every answer and returns extra problems (CSV, .ics, ...).
    """

    client: Client
    per_route: int = 40
    fill: str = ""
    skip: tuple[str, ...] = ()
    only: tuple[str, ...] = ("/",)
    check: Callable[[Page], list[str]] | None = None
    max_pages: int = 3000
    pages: list[Page] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    external: set[str] = field(default_factory=set)
    _seen: set[str] = field(default_factory=set)
    _routes: Counter = field(default_factory=Counter)
    _forms: set[tuple] = field(default_factory=set)
    _referrers: dict[str, str] = field(default_factory=dict)

    ALWAYS_SKIP = ("/static/", "/accounts/logout/", "/i18n/", "/media/")

    def walk(self, *starts: str) -> list[Page]:
        queue: deque[str] = deque()
        for start in starts:
            self._enqueue(queue, start, capped=False)
        while queue and len(self.pages) < self.max_pages:
            self._visit(queue.popleft(), queue)
        return self.pages

    def _skipped(self, path: str) -> bool:
        return path.startswith(self.ALWAYS_SKIP + self.skip) or not path.startswith(self.only)

    def _enqueue(self, queue: deque[str], url: str, *, capped: bool = True, source: str = "") -> None:
        target = _internal(url)
        if target is None:
            if url.startswith("http"):
                self.external.add(url)
            return
        if target in self._seen or self._skipped(target):
            return
        route = route_of(urlsplit(target).path)
        if capped and self._routes[route] >= self.per_route:
            return
        self._routes[route] += 1
        self._seen.add(target)
        self._referrers[target] = source
        queue.append(target)

    def _visit(self, url: str, queue: deque[str]) -> None:
        response = self.client.get(url)
        if response.status_code in (301, 302, 303, 307, 308):
            location = urljoin(f"http://testserver{url}", response["Location"])
            self._enqueue(queue, location, capped=False, source=self._referrers.get(url, ""))
            return
        body = b"".join(response.streaming_content) if response.streaming else response.content
        content_type = response.get("Content-Type", "")
        charset = "cp932" if "shift_jis" in content_type.lower() else (response.charset or "utf-8")
        text = body.decode(charset, errors="replace")
        page = Page(url, response.status_code, content_type, text, [], [])
        if response.status_code != 200:
            source = self._referrers.get(url)
            self.failures.append(
                f"{url} answered {response.status_code}" + (f" (from {source})" if source else "")
            )
        if page.is_html:
            scanner = scan_html(text)
            page.problems.extend(scanner.problems)
            page.texts = scanner.texts
            base = f"http://testserver{url}"
            for link in scanner.links:
                self._enqueue(queue, urljoin(base, link), source=url)
            for form in scanner.forms:
                self._enqueue_form(queue, base, form, source=url)
        if self.check is not None:
            page.problems.extend(self.check(page))
        self.pages.append(page)

    def _enqueue_form(self, queue: deque[str], base: str, form: GetForm, *, source: str) -> None:
        action = _internal(urljoin(base, form.action or base))
        if action is None or not self.fill:
            return
        path = urlsplit(action).path
        key = (route_of(path), tuple(sorted(name for name, _type, _value in form.fields)))
        if key in self._forms:
            return
        self._forms.add(key)
        pairs = list(parse_qsl(urlsplit(action).query))
        for name, kind, value in form.fields:
            if kind in TEXT_INPUTS or kind == "textarea":
                pairs.append((name, self.fill))
            elif kind in ("hidden", "checkbox", "radio") and value:
                pairs.append((name, value))
        pairs.extend(form.selects.items())
        self._enqueue(queue, f"{path}?{urlencode(pairs)}", capped=False, source=source)


def problems_of(pages: Iterable[Page]) -> list[str]:
    return [f"{page.url}: {problem}" for page in pages for problem in page.problems]
