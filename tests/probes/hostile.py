"""The hostile-input sweep's machinery: find every form and query parameter a client can reach, fill it
with malformed, oversized, wrongly typed, other-tenant and script-bearing values, and judge each answer.

``discover`` walks the pages like ``tests/probes/pages.py``'s ``Walker`` (links, redirects, GET forms) and
collects every ``<form>`` (GET and POST, each ``formaction`` button as a form of its own) and every link
with a query string. ``hostile_variants`` turns one form into the requests to send: its baseline (the
values the page offers, completed with plausible ones so that the rest of the form passes), then one
field at a time replaced by each hostile value that fits the field, then whole-body variants (empty, too
many fields, invalid UTF-8, a forged ``company``), and the form's URL with other ids in its path.

``ChangeLog`` records every row written to the product's tables (database triggers, SQLite and
PostgreSQL), and ``Sweep`` sends each request inside a savepoint that is rolled back afterwards: every
request meets the same database, a delete button can be fired a thousand times, and "did this refused
request change anything" is an exact answer, not a checksum.
"""

from __future__ import annotations

import re
import time
import traceback
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, quote_plus, unquote_to_bytes, urljoin, urlsplit

from django.apps import apps
from django.conf import settings
from django.contrib import messages as message_levels
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, connection, models, transaction
from django.test import Client

from tests.probes.pages import IMG, SCRIPT, Page, Walker, payload


def product_app_labels() -> set[str]:
    """The project's own apps (accounts, applicants, ..., and any app added later), not Django's or a
    library's."""
    root = Path(settings.BASE_DIR).resolve()
    return {
        config.label
        for config in apps.get_app_configs()
        if Path(config.path).resolve().is_relative_to(root) and ".venv" not in Path(config.path).parts
    }


# --- the values -----------------------------------------------------------------------------------------


class Raw(str):
    """A value sent as it is written (already percent-encoded): bytes that are not UTF-8."""

    __slots__ = ()


@dataclass(frozen=True)
class Many:
    """A field sent several times (an id as a list)."""

    values: tuple[str, ...]
    label: str

    def __str__(self) -> str:
        return self.label


OVERSIZED = "x" * 100_000
HUGE = "9" * 30
NUL = "a\x00b"
INVALID_UTF8 = Raw("%FF%FE%C3%28%ED%A0%80")  # not UTF-8: 0xFF, a broken pair, an encoded lone surrogate
SCRIPT_VALUE = payload("HX")

# Every field gets these.
CORE = ("", OVERSIZED, NUL, INVALID_UTF8, SCRIPT_VALUE)
# Text fields (what a person types): the other hostile texts.
TEXTS = (" \t\r\n ", "😀\u200b\u202e\r\nX-INJECTED: 1", f"{IMG}{SCRIPT}'\"%s%n{{0}}{{{{x}}}}")
# Where an id, a number or a choice goes.
# "²" and "１２" are digits to str.isdigit(), and only the second one to int().
NUMBERS = ("abc", "-1", "0", "1.5", HUGE, "-" + HUGE, "²", "１２", "2147483648", "1e309", "NaN")
DATES = (
    "2026-02-30",
    "2026-13-01",
    "0000-00-00",
    "0001-01-01",
    "9999-12-31",
    "99999-01-01",
    "abc",
    "2026/02/28",
)
TIMES = ("25:61", "24:00", "-1:00", "abc", "10:00:00.1234567")
EMAILS = ("not-an-email", "a@" + "b" * 300 + ".jp", "a@b@c", "<script>@example.jp")


def values_for(kind: str) -> tuple[str, ...]:
    """The hostile values that fit a field of this kind (an <input type>, "select", "textarea"...)."""
    if kind in ("number", "range"):
        return CORE + NUMBERS
    if kind in ("hidden", "select", "select-multiple", "radio", "checkbox", "submit"):
        return CORE + NUMBERS[:8]
    if kind in ("date", "month", "week"):
        return CORE + DATES + NUMBERS[4:5]
    if kind == "datetime-local":
        return (*CORE, "2026-02-30T10:00", "2026-01-01T25:00", "abc", HUGE)
    if kind == "time":
        return CORE + TIMES
    if kind == "email":
        return CORE + TEXTS[:3] + EMAILS
    if kind == "file":
        return ("", NUL, OVERSIZED)  # a text where a file belongs; files get their own variants
    return CORE + TEXTS


def is_word_choice(entry: FormField) -> bool:
    """A choice among words (a role, a button) or a single checkbox, not among ids."""
    options = [value for value in entry.options if value]
    return entry.kind in ("checkbox", "radio", "select", "select-multiple", "submit") and not (
        len(options) > 1 and all(value.isdigit() for value in options)
    )


def values_for_field(entry: FormField) -> tuple[str, ...]:
    """``values_for`` the field's kind; a choice among words gets the core values and two others."""
    if is_word_choice(entry):
        return (*CORE, "abc", HUGE)
    return values_for("hidden" if entry.kind == "query" else entry.kind)


def light_values_for(kind: str) -> tuple[str, ...]:
    """A few of them, for pages that cost ten times more (the Django admin)."""
    if kind in ("date", "month", "week", "datetime-local"):
        return (NUL, "2026-02-30", "99999-01-01")
    if kind == "time":
        return (NUL, "25:61")
    if kind in (
        "number",
        "range",
        "hidden",
        "select",
        "select-multiple",
        "radio",
        "checkbox",
        "submit",
        "query",
    ):
        return (NUL, HUGE, "abc")
    return (OVERSIZED, NUL)


# --- what a page offers ------------------------------------------------------------------------------------


TEXT_KINDS = {"", "text", "search", "email", "tel", "url", "password", "number", "date", "time", "textarea"}
TEXT_KINDS |= {"datetime-local", "month", "week", "range", "color"}


@dataclass
class FormField:
    name: str
    kind: str
    options: list[str] = field(default_factory=list)  # select options, radio/checkbox values, buttons
    chosen: list[str] = field(default_factory=list)  # what the page filled in, selected or checked
    attrs: dict[str, str] = field(default_factory=dict)

    @property
    def is_choice(self) -> bool:
        return self.kind in ("select", "select-multiple", "radio", "checkbox", "submit")


@dataclass
class Form:
    method: str  # "GET" or "POST"
    action: str  # path and query
    enctype: str = "application/x-www-form-urlencoded"
    fields: dict[str, FormField] = field(default_factory=dict)
    page: str = ""  # where it was found
    origin: str = "form"  # "form", or "link": one query parameter of the links of a route
    targets: tuple[str, ...] | None = None  # the fields that get hostile values (None: every field)

    @property
    def path(self) -> str:
        return urlsplit(self.action).path

    @property
    def route(self) -> str:
        return route_key(self.path)

    @property
    def key(self) -> tuple:
        if self.targets is not None:
            return (self.method, self.route, tuple(f"?{name}" for name in self.targets))
        return (self.method, self.route, tuple(sorted(self.fields)))

    def label(self) -> str:
        if self.targets is not None:
            return f"{self.method} {self.route}?{','.join(self.targets)}"
        return f"{self.method} {self.route} [{','.join(self.fields) or '-'}]"

    @property
    def hostile_fields(self) -> list[FormField]:
        names = self.fields if self.targets is None else self.targets
        return [self.fields[name] for name in names]


TOKEN_SEGMENT = re.compile(r"^/b/[^/]+")
NUMBER_SEGMENT = re.compile(r"(?<=/)\d+(?=/|$)")
UUID_SEGMENT = re.compile(r"(?<=/)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?=/|$)")


def route_key(path: str) -> str:
    """A path's kind: the applicant's token, uuids and every number between slashes replaced."""
    return NUMBER_SEGMENT.sub("N", UUID_SEGMENT.sub("U", TOKEN_SEGMENT.sub("/b/T", path)))


class FormScanner(HTMLParser):
    """Every form of a page (with its fields) and every internal link that carries a query string."""

    def __init__(self, base: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base = base
        self.forms: list[Form] = []
        self.query_links: list[str] = []
        self._form: Form | None = None
        self._alternates: list[tuple[str, str]] = []  # (formaction, formmethod) of this form's buttons
        self._select: FormField | None = None
        self._option: dict[str, str] | None = None
        self._option_text: list[str] = []
        self._textarea: FormField | None = None
        self._textarea_text: list[str] = []

    # the parser's callbacks
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "a" and "?" in values.get("href", ""):
            self.query_links.append(values["href"])
        elif tag == "form":
            method = (values.get("method") or "get").upper()
            action = values.get("action") or ""
            enctype = values.get("enctype") or "application/x-www-form-urlencoded"
            self._form = Form(method=method, action=action, enctype=enctype, page=self.base)
            self._alternates = []
        elif self._form is not None:
            self._field(tag, values)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._form is not None:
            self._close_form()
        elif tag == "select":
            self._end_option()
            self._select = None
        elif tag == "option":
            self._end_option()
        elif tag == "textarea" and self._textarea is not None:
            self._textarea.chosen = ["".join(self._textarea_text).removeprefix("\n")]
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self._option_text.append(data)
        if self._textarea is not None:
            self._textarea_text.append(data)

    def close(self) -> None:
        super().close()
        if self._form is not None:
            self._close_form()

    # helpers
    def _add(self, name: str, kind: str, attrs: dict[str, str]) -> FormField:
        assert self._form is not None
        found = self._form.fields.get(name)
        if found is None:
            found = self._form.fields[name] = FormField(name=name, kind=kind, attrs=attrs)
        return found

    def _field(self, tag: str, values: dict[str, str]) -> None:
        name = values.get("name", "")
        if tag == "option" and self._select is not None:
            self._end_option()
            self._option, self._option_text = values, []
            return
        if tag == "button" or (tag == "input" and values.get("type", "").lower() in ("submit", "image")):
            if (values.get("type") or "submit").lower() != "submit" and tag == "button":
                return
            if values.get("formaction") is not None or values.get("formmethod"):
                self._alternates.append((values.get("formaction", ""), values.get("formmethod", "")))
            if name:
                button = self._add(name, "submit", values)
                button.options.append(values.get("value", ""))
            return
        if not name or name == "csrfmiddlewaretoken":
            return
        if tag == "input":
            kind = (values.get("type") or "text").lower()
            if kind in ("reset", "button"):
                return
            found = self._add(name, kind, values)
            value = values.get("value", "on" if kind in ("checkbox", "radio") else "")
            if kind in ("checkbox", "radio"):
                found.options.append(value)
                if "checked" in values:
                    found.chosen.append(value)
            elif kind != "file":
                found.chosen = [value]
        elif tag == "select":
            kind = "select-multiple" if "multiple" in values else "select"
            self._select = self._add(name, kind, values)
        elif tag == "textarea":
            self._textarea, self._textarea_text = self._add(name, "textarea", values), []

    def _end_option(self) -> None:
        if self._option is None or self._select is None:
            self._option = None
            return
        value = self._option.get("value")
        if value is None:
            value = "".join(self._option_text).strip()
        self._select.options.append(value)
        if "selected" in self._option:
            self._select.chosen.append(value)
        self._option = None

    def _close_form(self) -> None:
        form, self._form = self._form, None
        assert form is not None
        self.forms.append(form)
        for action, method in self._alternates:
            if action or method:
                other = Form(
                    method=(method or form.method).upper(),
                    action=action or form.action,
                    enctype=form.enctype,
                    fields=form.fields,
                    page=form.page,
                )
                self.forms.append(other)


def _internal(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("", "http", "https") or parts.netloc not in ("", "testserver"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def scan_forms(page: Page) -> tuple[list[Form], list[Form]]:
    """The page's forms and its links with query strings (as GET forms of their parameters)."""
    base = f"http://testserver{page.url}"
    scanner = FormScanner(page.url)
    scanner.feed(page.text)
    scanner.close()
    forms = []
    for form in scanner.forms:
        action = _internal(urljoin(base, form.action or base))
        if action is None:
            continue
        form.action = action
        if form.method == "GET":  # a GET form's action loses its query string: the fields make it
            form.action = urlsplit(action).path
        forms.append(form)
    links = []
    for href in scanner.query_links:
        target = _internal(urljoin(base, href))
        if target is None or "?" not in target:
            continue
        path, query = target.split("?", 1)
        fields: dict[str, FormField] = {}
        for name, value in parse_qsl(query, keep_blank_values=True):
            fields.setdefault(name, FormField(name=name, kind="query")).chosen.append(value)
        for name in fields:  # one parameter each: a link is the baseline for its own parameters
            links.append(Form("GET", path, fields=fields, page=page.url, origin="link", targets=(name,)))
    return forms, links


@dataclass
class Discovery:
    """What one client can reach: its pages and its forms (one per kind, see Form.key)."""

    pages: list[Page] = field(default_factory=list)
    forms: dict[tuple, Form] = field(default_factory=dict)
    urls: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # route -> paths
    failures: list[str] = field(default_factory=list)

    def collect(self, page: Page) -> list[str]:
        path = urlsplit(page.url).path
        self.urls[route_key(path)].append(path)
        if page.status == 200 and page.is_html:
            forms, links = scan_forms(page)
            for form in [*forms, *links]:
                self.forms.setdefault(form.key, form)
        return []

    def values(self, form_key: tuple, name: str) -> list[str]:
        """The values another client's page offered for the same field of the same kind of form."""
        form = self.forms.get(form_key)
        if form is None or name not in form.fields:
            return []
        entry = form.fields[name]
        return [value for value in [*entry.options, *entry.chosen] if value.strip()]


def discover(
    client: Client,
    *starts: str,
    per_route: int = 3,
    skip: tuple[str, ...] = (),
    only: tuple[str, ...] = ("/",),
) -> Discovery:
    found = Discovery()
    walker = Walker(client, per_route=per_route, fill="a", skip=skip, only=only, check=found.collect)
    original_get = client.get

    def get(*args, **kwargs):
        # Each page in a savepoint that is rolled back: the database stays as the sweep will find it,
        # and a page that breaks the transaction (PostgreSQL) breaks only its own savepoint.
        with transaction.atomic():
            response = original_get(*args, **kwargs)
            transaction.set_rollback(True)
        return response

    raising, client.raise_request_exception = client.raise_request_exception, False  # a 500 is a finding
    client.get = get  # type: ignore[method-assign]
    try:
        walker.walk(*starts)
    finally:
        client.raise_request_exception = raising
        del client.get
    found.pages, found.failures = walker.pages, walker.failures
    return found


# --- the requests ------------------------------------------------------------------------------------------


Value = str | Many
ID_KINDS = ("hidden", "select", "select-multiple", "radio", "checkbox", "number", "query")


@dataclass
class Attempt:
    """One request of the sweep."""

    target: Form
    what: str  # which input was hostile, for the report
    method: str
    path: str
    pairs: list[tuple[str, Value]] = field(default_factory=list)
    files: dict[str, SimpleUploadedFile] = field(default_factory=dict)
    body: bytes | None = None  # sent as it is instead of the pairs
    other_tenant: bool = False  # carries another company's ids
    not_offered: bool = False  # a form of another role: must be refused

    def describe(self) -> str:
        shown = self.path if len(self.path) <= 120 else f"{self.path[:100]}…({len(self.path):,})"
        return f"{self.method} {shown} {self.what}"


def show(value: Value) -> str:
    """A value as the report shows it (long ones summarised)."""
    if isinstance(value, Many):
        return f"[{value.label}]"
    if isinstance(value, Raw):
        return f"raw {value}"
    if len(value) > 60:
        return (
            f"<{len(value):,} × {value[:1]!r}>"
            if len(set(value)) == 1
            else f"{value[:50]!r}…({len(value):,})"
        )
    return repr(value)


def encode(pairs: Iterable[tuple[str, Value]]) -> str:
    """application/x-www-form-urlencoded, with Raw values kept as written and Many values repeated."""
    parts = []
    for name, value in pairs:
        for item in value.values if isinstance(value, Many) else (value,):
            encoded = item if isinstance(item, Raw) else quote_plus(item)
            parts.append(f"{quote_plus(name)}={encoded}")
    return "&".join(parts)


def plausible(entry: FormField, today: date) -> str:
    """A value a person would type into an empty required field, so the rest of the form can pass."""
    name, kind = entry.name, entry.kind
    if kind == "email" or "email" in name:
        return "sweep.person@example.jp"
    if kind == "date":
        return (today + timedelta(days=20 if name.endswith("to") else 14)).isoformat()
    if kind == "time" or "time" in name:
        return "10:00"
    if kind in ("number", "range"):
        return entry.attrs.get("min") or "1"
    if kind == "password":
        return "Sweep-Pass-2026!x"
    if kind == "tel":
        return "090-1234-5678"
    return "掃引テスト"


def baseline(form: Form, today: date) -> list[tuple[str, Value]]:
    """The form as the page offers it, completed: what a person submitting it would send."""
    pairs: list[tuple[str, Value]] = []
    submitted = False
    for entry in form.fields.values():
        chosen = list(entry.chosen)
        if entry.kind == "submit":
            if not submitted and entry.options:
                pairs.append((entry.name, entry.options[0]))
                submitted = True
            continue
        if entry.kind == "file":
            continue
        if entry.kind == "checkbox" and not chosen and len(entry.options) > 1:
            chosen = entry.options[:1]  # a list of ids (ids, events): one of them
        elif entry.kind in ("radio", "select", "select-multiple") and not any(chosen):
            chosen = [next((value for value in entry.options if value), "")]
        elif form.method == "POST" and entry.kind in TEXT_KINDS and not any(chosen):
            chosen = [plausible(entry, today)] if "required" in entry.attrs else [""]
        pairs.extend((entry.name, value) for value in chosen)
    return pairs


def baseline_files(form: Form) -> dict[str, SimpleUploadedFile]:
    content = "氏名,メールアドレス\n掃引 太郎,sweep.file@example.jp\n".encode()
    return {
        entry.name: SimpleUploadedFile("sweep.csv", content)
        for entry in form.fields.values()
        if entry.kind == "file"
    }


def hostile_files() -> list[tuple[str, SimpleUploadedFile]]:
    """What goes where a file belongs: empty, not text, too wide, NUL bytes, hostile names."""
    cells = ",".join(f"列{i}" for i in range(300))
    return [
        ("an empty file", SimpleUploadedFile("empty.csv", b"")),
        ("NUL and invalid UTF-8", SimpleUploadedFile("nul.csv", b"\x00\xff\xfe\x00,\xc3\x28\n\x00\n")),
        ("a PNG", SimpleUploadedFile("image.csv", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)),
        ("a cell of 100,000 characters", SimpleUploadedFile("wide.csv", ("氏名\n" + OVERSIZED).encode())),
        ("300 columns", SimpleUploadedFile("cols.csv", (cells + "\n" + cells + "\n").encode())),
        ("a script file name", SimpleUploadedFile(f"{SCRIPT_VALUE}.csv", "氏名\n掃引\n".encode())),
        ("a 300-character file name", SimpleUploadedFile("n" * 300 + ".csv", "氏名\n掃引\n".encode())),
    ]


def replaced(pairs: list[tuple[str, Value]], name: str, value: Value | None) -> list[tuple[str, Value]]:
    """``pairs`` with every value of ``name`` replaced by ``value`` (left out when None)."""
    kept = [(key, old) for key, old in pairs if key != name]
    return kept if value is None else [*kept, (name, value)]


@dataclass
class Context:
    """What the attempts need beyond the form: the day, and another company's ids and pages."""

    today: date
    other_values: Callable[[Form, FormField], list[str]] = lambda form, entry: []
    other_paths: Callable[[Form], list[str]] = lambda form: []
    forged: list[tuple[str, str]] = field(default_factory=list)  # company=<another company's id>


FULL, LIGHT, TENANT, ROLE = "full", "light", "tenant", "role"


def hostile_attempts(form: Form, context: Context, mode: str = FULL) -> Iterator[Attempt]:
    """The requests that try one form.

    ``full``: every hostile value in every field, lists, whole-body variants, other ids in the path.
    ``light`` (the Django admin, whose pages cost ten times more): fewer values per field, no lists.
    ``tenant`` (a form another role was swept with): another company's ids in each field and the path.
    ``role`` (a form of another role): the page's own values, which must be refused.
    """
    base = baseline(form, context.today)
    files = baseline_files(form)
    path, method = form.action, form.method

    def attempt(what: str, pairs: list[tuple[str, Value]], **extra) -> Attempt:
        return Attempt(form, what, method, extra.pop("path", path), pairs, extra.pop("files", files), **extra)

    if mode == ROLE:
        yield attempt("(a form this role is not offered)", base, not_offered=True)
        return
    if form.origin != "link":  # a link's own query string is a page the walk visited
        yield attempt("(the page's own values)", base)
    for entry in form.hostile_fields:
        is_id = entry.kind in ID_KINDS and not is_word_choice(entry)
        current = next((value for key, value in base if key == entry.name and isinstance(value, str)), "")
        others = [
            value for value in context.other_values(form, entry) if value not in entry.options + entry.chosen
        ]
        if mode != TENANT:
            values = list(light_values_for(entry.kind) if mode == LIGHT else values_for_field(entry))
            if entry.kind == "file":
                for label, upload in hostile_files()[: 2 if mode == LIGHT else None]:
                    yield attempt(f"{entry.name}={label}", base, files={**files, entry.name: upload})
            for value in values:
                yield attempt(f"{entry.name}={show(value)}", replaced(base, entry.name, value))
        if mode == LIGHT:
            continue
        if mode != TENANT:
            yield attempt(f"{entry.name} left out", replaced(base, entry.name, None))
        for value in others[: 1 if mode == TENANT else 2]:
            yield attempt(f"{entry.name}={value!r} (another company's)", replaced(base, entry.name, value),
                          other_tenant=True)  # fmt: skip
        if not is_id:
            continue
        mixed = Many((current, *others[:1], HUGE, "abc"), "the page's, another company's, huge and text ids")
        lists = [mixed] if mode == TENANT else [Many((current, current), "the page's value twice"), mixed]
        if mode == FULL and (
            entry.kind == "select-multiple" or (len(entry.options) > 1 and entry.kind == "checkbox")
        ):
            lists.append(Many(tuple(str(number) for number in range(1, 901)), "900 ids"))
        for value in lists:
            yield attempt(f"{entry.name}={show(value)}", replaced(base, entry.name, value),
                          other_tenant=value is mixed and bool(others))  # fmt: skip
    if form.origin == "form" and mode != TENANT:
        yield attempt("no fields at all", [])
        yield attempt("10,001 fields", [*base, *(("f", str(number)) for number in range(10_001))])
        yield attempt("every field invalid UTF-8", [(key, INVALID_UTF8) for key, _value in base])
        if method == "POST" and mode == FULL:
            yield attempt("a body that is not a form", [], body=b"\xff\xfe\x00%%%&&==\xc3\x28" * 50)
    if form.origin == "form" and method == "POST" and context.forged and mode != LIGHT:
        yield attempt("a forged company", [*base, *context.forged], other_tenant=True)
    yield from path_attempts(form, context, base, mode)


def path_attempts(
    form: Form, context: Context, base: list[tuple[str, Value]], mode: str
) -> Iterator[Attempt]:
    """The form's URL with another company's object, a huge number and 0 in place of its ids; for the
    applicant's pages, a tampered, oversized, invalid UTF-8 and NUL-bearing token."""
    path = form.action

    def attempt(what: str, other_path: str, **extra) -> Attempt:
        return Attempt(form, what, form.method, other_path, base, baseline_files(form), **extra)

    if NUMBER_SEGMENT.search(urlsplit(path).path):
        for other in context.other_paths(form)[:1]:
            yield attempt("another company's object in the path", other, other_tenant=True)
        for number in (HUGE,) if mode != FULL else (HUGE, "0"):
            yield attempt(f"path id {show(number)}", NUMBER_SEGMENT.sub(number, path))
    if path.startswith("/b/") and mode == FULL:
        token = urlsplit(path).path.split("/")[2]
        tail = path.split("/", 3)[3]
        for label, bad in (
            ("a tampered token", token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")),
            ("a token of 100,000 characters", "t" * 100_000),
            ("an invalid UTF-8 token", "%FF%FE" + token),
            ("a NUL in the token", token[:5] + "%00" + token[5:]),
        ):
            yield attempt(label, f"/b/{bad}/{tail}")


def page_forms(found: Discovery) -> list[Form]:
    """Every page with an id in its path, as a form without fields: its path ids are inputs too."""
    forms = []
    for route, paths in found.urls.items():
        if NUMBER_SEGMENT.search(paths[0]) or route.startswith("/b/"):
            forms.append(Form("GET", paths[0], page=paths[0], origin="page"))
    return forms


# --- what changed in the database ------------------------------------------------------------------------


def product_models() -> list[type[models.Model]]:
    labels = product_app_labels()
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label in labels and model._meta.managed and not model._meta.proxy
    ]


class ChangeLog:
    """Database triggers that note every row inserted, really changed or deleted in the product's tables.

    The notes are rows of a table written in the same transaction: read them before the sweep's savepoint
    is rolled back (which removes them with the changes). SQLite uses temporary triggers, PostgreSQL a
    trigger function; both live inside the test's transaction.
    """

    TABLE = "hostile_sweep_changes"

    def __init__(self) -> None:
        self.tables = {model._meta.db_table: model for model in product_models()}

    def install(self) -> None:
        with connection.cursor() as cursor:
            existing = set(connection.introspection.table_names(cursor))
            self.tables = {table: model for table, model in self.tables.items() if table in existing}
            if connection.vendor == "sqlite":
                self._install_sqlite(cursor)
            elif connection.vendor == "postgresql":
                self._install_postgresql(cursor)
            else:  # pragma: no cover - the product runs on SQLite and PostgreSQL
                raise NotImplementedError(connection.vendor)

    def _install_sqlite(self, cursor) -> None:
        cursor.execute(f"CREATE TEMP TABLE {self.TABLE} (tbl TEXT, pk TEXT, op TEXT)")
        for index, (table, model) in enumerate(sorted(self.tables.items())):
            pk = f'"{model._meta.pk.column}"'
            described = connection.introspection.get_table_description(cursor, table)
            columns = [f'"{column.name}"' for column in described]  # the table's, not the model's
            changed = " OR ".join(f"OLD.{column} IS NOT NEW.{column}" for column in columns)
            for op, event, row, when in (
                ("insert", "INSERT", "NEW", ""),
                ("update", "UPDATE", "NEW", f"WHEN {changed}"),
                ("delete", "DELETE", "OLD", ""),
            ):
                cursor.execute(
                    f'CREATE TEMP TRIGGER hs_{op}_{index} AFTER {event} ON main."{table}" {when} '
                    f"BEGIN INSERT INTO {self.TABLE} VALUES ('{table}', {row}.{pk}, '{op}'); END"
                )

    def _install_postgresql(self, cursor) -> None:
        cursor.execute(f"CREATE TABLE {self.TABLE} (tbl text, pk text, op text)")
        cursor.execute(
            f"""
            CREATE FUNCTION {self.TABLE}_note() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF TG_OP = 'DELETE' THEN
                INSERT INTO {self.TABLE} VALUES (TG_TABLE_NAME, to_jsonb(OLD)->>TG_ARGV[0], 'delete');
              ELSIF TG_OP = 'INSERT' THEN
                INSERT INTO {self.TABLE} VALUES (TG_TABLE_NAME, to_jsonb(NEW)->>TG_ARGV[0], 'insert');
              ELSIF to_jsonb(NEW) IS DISTINCT FROM to_jsonb(OLD) THEN
                INSERT INTO {self.TABLE} VALUES (TG_TABLE_NAME, to_jsonb(NEW)->>TG_ARGV[0], 'update');
              END IF;
              RETURN NULL;
            END $$
            """
        )
        for table, model in sorted(self.tables.items()):
            cursor.execute(
                f'CREATE TRIGGER {self.TABLE} AFTER INSERT OR UPDATE OR DELETE ON "{table}" '
                f"FOR EACH ROW EXECUTE FUNCTION {self.TABLE}_note('{model._meta.pk.column}')"
            )

    def reset(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {self.TABLE}")

    def read(self) -> list[tuple[str, str, str]]:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT tbl, pk, op FROM {self.TABLE}")
            return [(table, str(pk), op) for table, pk, op in cursor.fetchall()]


def company_path(model: type[models.Model], seen: tuple = ()) -> str | None:
    """The lookup from ``model`` to its company ("pk" for the company itself), or None."""
    if model._meta.label == "accounts.Company":
        return "pk"
    lookup = getattr(model, "company_lookup", None)
    if lookup:
        return lookup
    fields = model._meta.concrete_fields
    if any(field.name == "company" for field in fields):
        return "company"
    for related in fields:
        target = related.related_model
        if related.many_to_one and isinstance(target, type) and target not in seen:
            sub = company_path(target, (*seen, model))
            if sub:
                return related.name if sub == "pk" else f"{related.name}__{sub}"
    return None


class Ownership:
    """Which rows of the product's tables belong to one company, before and after a request."""

    def __init__(self, company, log: ChangeLog) -> None:
        self.company = company
        self.paths = {table: company_path(model) for table, model in log.tables.items()}
        self.models = log.tables
        self.before = {
            table: {str(pk) for pk in self._owned(table).values_list("pk", flat=True)}
            for table, path in self.paths.items()
            if path
        }

    def _owned(self, table: str):
        model, path = self.models[table], self.paths[table]
        return model._base_manager.filter(**{path: self.company.pk if path == "pk" else self.company})

    def touched(self, changes: Iterable[tuple[str, str, str]]) -> list[str]:
        """The changes that hit this company's rows (before or after the change)."""
        hits = []
        for table, pk, op in changes:
            if table not in self.before:
                continue
            if pk in self.before[table] or (op != "delete" and self._owned(table).filter(pk=pk).exists()):
                hits.append(f"{op} {table} #{pk}")
        return hits


# --- sending and judging -----------------------------------------------------------------------------------

# What shows a refusal on a page: Django's form errors (product and admin) and error messages.
ERROR_MARKERS = ('class="errorlist', 'class="errornote', "message--error")


class _RolledBack(Exception):
    pass


@dataclass
class Outcome:
    status: int = 0
    verdict: str = "server error"  # or "refused", "accepted"
    changes: list[tuple[str, str, str]] = field(default_factory=list)
    other_hits: list[str] = field(default_factory=list)
    error: str = ""


def shows_refusal(response) -> bool:
    """A 4xx, an error message (shown on this page or the next), or a form error on the page."""
    if 400 <= response.status_code < 500:
        return True
    storage = getattr(response.wsgi_request, "_messages", None)
    if any(message.level >= message_levels.ERROR for message in getattr(storage, "_queued_messages", [])):
        return True
    if response.status_code != 200 or getattr(response, "streaming", False):
        return False
    if "text/html" not in response.get("Content-Type", ""):
        return False
    text = response.content.decode(response.charset or "utf-8", errors="replace")
    return any(marker in text for marker in ERROR_MARKERS)


def product_frames(exc: BaseException) -> str:
    """Where an exception was raised, in the product's own code (the innermost frames first)."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [frame for frame in frames if "/.venv/" not in frame.filename and "/tests/" not in frame.filename]
    return " ← ".join(
        f"{'/'.join(frame.filename.rsplit('/', 2)[-2:])}:{frame.lineno}" for frame in reversed(ours[-3:])
    )


def send(client: Client, attempt: Attempt):
    if attempt.method == "GET":
        query = encode(attempt.pairs)
        joiner = "&" if "?" in attempt.path else "?"
        return client.generic("GET", attempt.path + (joiner + query if query else ""))
    if attempt.body is not None:
        return client.generic("POST", attempt.path, attempt.body, "application/x-www-form-urlencoded")
    if attempt.files or "multipart" in attempt.target.enctype:
        data: dict[str, list] = defaultdict(list)
        for name, value in attempt.pairs:
            for item in value.values if isinstance(value, Many) else (value,):
                data[name].append(unquote_to_bytes(item) if isinstance(item, Raw) else item)
        for name, upload in attempt.files.items():
            upload.seek(0)
            data[name].append(upload)
        return client.post(attempt.path, dict(data))
    body = encode(attempt.pairs).encode("ascii")
    return client.generic("POST", attempt.path, body, "application/x-www-form-urlencoded")


@dataclass(frozen=True)
class Known:
    """A bug the sweep finds in code this change may not touch: reported, not failed on."""

    kind: str  # "server error", ...
    target: str  # the start of the form's label, e.g. "GET /audit/"
    inputs: tuple[str, ...]  # the hostile inputs (as the report shows them) that hit it
    note: str

    def matches(self, kind: str, attempt: Attempt) -> bool:
        return (
            kind == self.kind
            and attempt.target.label().startswith(self.target)
            and attempt.what in self.inputs
        )


@dataclass
class Sweep:
    """Sends attempts, each inside a savepoint that is rolled back, and keeps the counts and failures.

    ``other`` is the company whose rows the actors must never change; ``allowed`` names the (table, op)
    that a refused request may write, with the reason (e.g. a refused import keeping its check).
    """

    log: ChangeLog
    other: Ownership | None = None
    allowed: dict[tuple[str, str], str] = field(default_factory=dict)
    known: list[Known] = field(default_factory=list)
    known_seen: Counter = field(default_factory=Counter)
    tried: int = 0
    other_tenant: int = 0
    targets: set[tuple] = field(default_factory=set)
    per_actor: Counter = field(default_factory=Counter)
    actor_seconds: Counter = field(default_factory=Counter)
    wrote: int = 0  # attempts that wrote rows (accepted ones, rolled back)
    verdicts: Counter = field(default_factory=Counter)
    failures: dict[tuple[str, str], list[str]] = field(default_factory=lambda: defaultdict(list))
    seconds: float = 0.0

    def run(self, actor: str, client: Client, attempts: Iterable[Attempt]) -> None:
        cookies = {name: morsel.value for name, morsel in client.cookies.items()}
        for attempt in attempts:
            for name in [name for name in client.cookies if name not in cookies]:
                del client.cookies[name]  # no language or message cookie left by the last answer
            for name, value in cookies.items():
                client.cookies[name] = value
            started = time.perf_counter()
            outcome = self.try_once(client, attempt)
            spent = time.perf_counter() - started
            self.seconds += spent
            self.actor_seconds[actor] += spent
            self.wrote += bool(outcome.changes)
            self.tried += 1
            self.other_tenant += attempt.other_tenant
            self.per_actor[actor] += 1
            self.targets.add((actor, attempt.target.key))
            self.verdicts[outcome.verdict] += 1
            self.judge(actor, attempt, outcome)

    def try_once(self, client: Client, attempt: Attempt) -> Outcome:
        outcome = Outcome()
        self.log.reset()
        try:
            with transaction.atomic():
                try:
                    response = send(client, attempt)
                except Exception as exc:  # the request raised: the user gets a 500
                    outcome.status = 500
                    outcome.error = f"{type(exc).__name__}: {str(exc)[:160]} at {product_frames(exc)}"
                    raise _RolledBack from exc
                outcome.status = response.status_code
                try:
                    outcome.changes = self.log.read()
                except DatabaseError as exc:  # PostgreSQL: the request left its transaction broken
                    outcome.error = f"the request left the transaction broken: {str(exc)[:160]}"
                    raise _RolledBack from exc
                if response.status_code >= 500:
                    outcome.error = response.content[:160].decode(errors="replace")
                else:
                    outcome.verdict = "refused" if shows_refusal(response) else "accepted"
                if self.other is not None and outcome.changes:
                    outcome.other_hits = self.other.touched(outcome.changes)
                raise _RolledBack
        except _RolledBack:
            pass
        return outcome

    def judge(self, actor: str, attempt: Attempt, outcome: Outcome) -> None:
        where = f"{actor}: {attempt.describe()} → {outcome.status}"
        if outcome.verdict == "server error":
            self.fail("server error", attempt, f"{where} {outcome.error}")
            return
        changed = sorted(
            {f"{op} {table}" for table, _pk, op in outcome.changes if (table, op) not in self.allowed}
        )
        if outcome.verdict == "refused" and changed:
            self.fail("refused input changed the database", attempt, f"{where}: {', '.join(changed)}")
        if attempt.not_offered and outcome.verdict == "accepted" and changed:
            self.fail(
                "a role changed data with a form it is not offered", attempt, f"{where}: {', '.join(changed)}"
            )
        if outcome.other_hits:
            self.fail(
                "another company's data changed", attempt, f"{where}: {', '.join(outcome.other_hits[:5])}"
            )

    def walked(self, actor: str, found: Discovery) -> Discovery:
        """Keep the server errors a walk met (a page that fails before any hostile input)."""
        for failure in found.failures:
            if " answered 5" in failure:
                self.failures[("server error", "a page of the walk")].append(f"{actor}: GET {failure}")
        return found

    def fail(self, kind: str, attempt: Attempt, text: str) -> None:
        for known in self.known:
            if known.matches(kind, attempt):
                self.known_seen[known.note] += 1
                return
        self.failures[(kind, attempt.target.label())].append(text)

    @property
    def server_errors(self) -> int:
        return self.verdicts["server error"]

    def summary(self) -> str:
        actors = ", ".join(
            f"{actor} {count:,} in {self.actor_seconds[actor]:.0f} s"
            for actor, count in self.per_actor.items()
        )
        return (
            f"hostile-input sweep: {self.tried:,} inputs ({self.other_tenant:,} with another company's ids) "
            f"to {len(self.targets):,} forms/parameters, {self.server_errors:,} server errors "
            f"[{self.verdicts['refused']:,} refused, {self.verdicts['accepted']:,} accepted; {actors}; "
            f"{self.seconds:.0f} s of requests]"
        )

    def report(self) -> str:
        lines = [self.summary()]
        for note, count in sorted(self.known_seen.items()):
            lines.append(f"  known, not fixed here ({count}×): {note}")
        for (kind, target), examples in sorted(self.failures.items()):
            lines.append(f"  {kind}: {target} ({len(examples)}×), e.g.")
            lines.extend(f"      {example[:500]}" for example in examples[:3])
        return "\n".join(lines)
