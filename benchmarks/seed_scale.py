"""The scale data set: 1,000 companies, 1,000,000 applicants, 200,000 slots and 500,000 bookings.

    .venv/bin/python benchmarks/seed_scale.py [--scale 0.01] [--reuse]

Fills the PostgreSQL database of DATABASE_URL (default ``postgres://postgres@127.0.0.1:5432/e2rpro_scale``,
created and migrated when missing; SQLite is refused). One company (``scale-big``) holds 30% of the
applicants (300,000) with 20,000 slots, among them the 一次面接 event of 5,000 slots; the others share the
rest. Every applicant has its status history (the walk up to its current 選考ステータス), its normalized
search keys computed by ``applicants.normalize`` (as the services store them), and bookings respect the
product's rules: one active booking per applicant and event, each slot's ``booked_count`` equal to its active
bookings and within its capacity (checked by the database's constraints, and counted again at the end).
One applicant of the big company (``LONG_TIMELINE_EMAIL``) has a long timeline: hundreds of status
changes, memos, mails and booking history entries. The big company's interview events have two 面接官, who
submitted their evaluations of the interviews that ended more than three days ago.

Rows are written with COPY on two connections at once (applicants on one, their history on the other),
with the non-unique indexes of the big tables dropped during the load and rebuilt after it. A row in the
table ``bench_scale_seed`` records the seed's version and scale: ``--reuse`` does nothing when it matches;
without ``--reuse`` the database's rows are deleted and the data set is written again. A database with
rows but no marker is refused (it is not this seed's); the seed's own database whose migrations no longer
apply (renamed in development) gets a fresh schema. Prints progress, and a JSON line at the end.
"""

from __future__ import annotations

import argparse
import bisect
import functools
import io
import json
import operator
import os
import random
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/e2rpro_scale"
if "DJANGO_SETTINGS_MODULE" not in os.environ:  # run as a script (a test has its settings already)
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ["DJANGO_SETTINGS_MODULE"] = "e2rpro.settings"
    os.environ["E2RPRO_TESTING"] = "1"  # local secret key, plain static files, no HTTPS redirect
    os.environ["DEBUG"] = "0"  # DEBUG would record every query
    os.environ["ALLOWED_HOSTS"] = "testserver"

import warnings  # noqa: E402

import django  # noqa: E402

warnings.filterwarnings("ignore", message="No directory at")
django.setup()

import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.management.color import no_style  # noqa: E402
from django.db import DatabaseError, connection  # noqa: E402
from django.db.models import Model  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Company, Role, User  # noqa: E402
from applicants import normalize  # noqa: E402
from applicants.demo import (  # noqa: E402
    EMPLOYERS,
    FACULTIES,
    FAMILY_NAMES,
    GIVEN_NAMES,
    POSITIONS,
    STAGE_WEIGHTS,
    TAGS,
    UNIVERSITIES,
)
from applicants.models import (  # noqa: E402
    Applicant,
    Memo,
    Position,
    SelectionStage,
    Source,
    StageKind,
    StatusChange,
    Tag,
    Track,
)
from applicants.services import ensure_company_defaults  # noqa: E402
from booking.models import (  # noqa: E402
    Attendance,
    Booking,
    BookingLog,
    BookingLogKind,
    BookingSource,
    BookingStatus,
)
from interviews.models import Evaluation, EventInterviewer, Recommendation  # noqa: E402
from notifications.models import MailKind, MailStatus, SentMail  # noqa: E402
from scheduling.models import Event, SelectionMeeting, Slot  # noqa: E402

SEED_VERSION = 3  # 3: Applicant.reached_stages
MARKER_TABLE = "bench_scale_seed"
BIG_SLUG = "scale-big"
RECRUITER_EMAIL = "recruiter@scale-big.example.com"
OPERATOR_EMAIL = "operator@scale.example.com"
LONG_TIMELINE_EMAIL = "long.timeline@applicant.example.jp"
BIG_EVENT_NAME = "一次面接（個別）"
# Full-size figures, multiplied by --scale.
COMPANIES = 1_000
APPLICANTS = 1_000_000
BIG_SHARE = 0.3
SLOTS = 200_000
BIG_SLOTS = {"会社説明会": (10_000, 20), "一次面接": (5_000, 6), "二次面接": (5_000, 2)}  # slots, capacity
OTHER_CAPACITY = {"会社説明会": 10, "面接": 2}
BOOKINGS = 500_000
CANCELLED_SHARE = 0.05
LONG_HISTORY, LONG_MEMOS, LONG_MAILS, LONG_LOGS = 300, 150, 100, 60
# The big tables: their non-unique indexes are dropped during the load and built again after it.
BULK_TABLES = (
    "applicants_applicant",
    "applicants_statuschange",
    "applicants_applicant_tags",
    "scheduling_slot",
    "scheduling_booking",
)
KEEP_TABLES = ("django_migrations", "django_content_type", "auth_permission")
FLUSH_BYTES = 1 << 20

Progress = Callable[[str], None]


# --- the database ------------------------------------------------------------------------------------


def ensure_database() -> None:
    """Create the database of DATABASE_URL when it does not exist (connecting to ``postgres``)."""
    params = settings.DATABASES["default"]
    if params["ENGINE"] != "django.db.backends.postgresql":
        sys.exit("The scale seed needs PostgreSQL: point DATABASE_URL at it (see the docstring).")
    try:
        connection.ensure_connection()
        return
    except Exception:  # noqa: BLE001 - a missing database: create it below
        pass
    name = params["NAME"]
    with psycopg.connect(**_conninfo(params, dbname="postgres"), autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            admin.execute(f'CREATE DATABASE "{name}"')


def _conninfo(params: dict[str, Any], *, dbname: str | None = None) -> dict[str, Any]:
    info = {
        "dbname": dbname or params["NAME"],
        "user": params.get("USER") or None,
        "password": params.get("PASSWORD") or None,
        "host": params.get("HOST") or None,
        "port": params.get("PORT") or None,
    }
    return {key: value for key, value in info.items() if value}


def _raw_connection() -> psycopg.Connection:
    conn = psycopg.connect(**_conninfo(settings.DATABASES["default"]))
    try:  # skip the foreign key triggers during the load (superuser only); the ids are made consistent
        conn.execute("SET session_replication_role = replica")
    except psycopg.Error:
        conn.rollback()
    conn.execute("SET synchronous_commit = off")
    return conn


def _marker() -> dict | None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} (version integer NOT NULL, scale double precision "
            "NOT NULL, started_at timestamptz NOT NULL, finished_at timestamptz, summary jsonb)"
        )
        cursor.execute(f"SELECT version, scale, finished_at, summary FROM {MARKER_TABLE} LIMIT 1")
        row = cursor.fetchone()
    if row is None:
        return None
    version, scale, finished_at, summary = row
    if isinstance(summary, str):
        summary = json.loads(summary)
    return {"version": version, "scale": scale, "finished": finished_at is not None, "summary": summary}


def _wipe() -> None:
    """Delete every row of the app tables (the marker said this database is the seed's)."""
    with connection.cursor() as cursor:
        tables = [t for t in connection.introspection.table_names(cursor) if t not in KEEP_TABLES]
        cursor.execute("TRUNCATE {} RESTART IDENTITY CASCADE".format(", ".join(f'"{t}"' for t in tables)))


def _drop_indexes() -> list[str]:
    """Drop the big tables' non-unique indexes; returns their definitions to build them again."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
            "WHERE t.relname = ANY(%s) AND NOT x.indisunique AND NOT x.indisprimary",
            [list(BULK_TABLES)],
        )
        rows = cursor.fetchall()
        for name, _definition in rows:
            cursor.execute(f'DROP INDEX "{name}"')
    return [definition for _name, definition in rows]


def _build_indexes(definitions: list[str], progress: Progress) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '1GB'")
        for definition in definitions:
            cursor.execute(definition)
        progress(f"rebuilt {len(definitions)} indexes")
        for table in BULK_TABLES:
            # VACUUM sets the visibility map, so the list's id-only page query can scan the index alone.
            cursor.execute(f"{'ANALYZE' if connection.in_atomic_block else 'VACUUM ANALYZE'} {table}")
        progress("vacuumed and analyzed")


class Copier:
    """Rows in COPY text format for one table, sent in chunks over its own connection."""

    def __init__(self, conn: psycopg.Connection, model: type[Model] | str, columns: list[str]) -> None:
        table = model if isinstance(model, str) else model._meta.db_table
        self._cursor = conn.cursor()
        self._context = self._cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN")
        self._copy = self._context.__enter__()
        self._buffer = io.StringIO()
        self.rows = 0

    def add(self, *values: object) -> None:
        self._buffer.write("\t".join(map(_text, values)))
        self._buffer.write("\n")
        self.rows += 1
        if self._buffer.tell() > FLUSH_BYTES:
            self._flush()

    def _flush(self) -> None:
        self._copy.write(self._buffer.getvalue())
        self._buffer = io.StringIO()

    def close(self) -> None:
        self._flush()
        self._context.__exit__(None, None, None)


def _text(value: object) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str):
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return str(value)


def _defaults(model: type[Model], given: list[str]) -> tuple[list[str], list[object]]:
    """The columns a COPY into ``model`` must fill beyond ``given``, with each field's default."""
    columns, values = [], []
    for field in model._meta.concrete_fields:
        if field.attname in given or field.primary_key:
            continue
        default = field.get_default()
        if default is None and not field.null:
            raise ValueError(f"{model.__name__}.{field.attname} needs a value")
        columns.append(field.column)
        values.append(default)
    return columns, values


# --- the companies -------------------------------------------------------------------------------------


def _companies(count: int, progress: Progress) -> list[Company]:
    rows = [Company(name="スケール検証株式会社", slug=BIG_SLUG)]
    rows += [Company(name=f"検証商事{n:04d}株式会社", slug=f"scale-{n:04d}") for n in range(1, count)]
    companies = Company.objects.bulk_create(rows)
    for company in companies:
        ensure_company_defaults(company=company)  # the product's 選考ステータス and 応募経路
    Position.objects.bulk_create(
        Position(company=c, name=name, sort_order=(i + 1) * 10)
        for c in companies
        for i, name in enumerate(POSITIONS)
    )
    Tag.objects.bulk_create(Tag(company=c, name=name) for c in companies for name in TAGS[:3])
    users = []
    for n, company in enumerate(companies):
        domain = "scale-big.example.com" if n == 0 else f"c{n:04d}.scale.example.com"
        for role, local, label in (
            (Role.ADMIN, "admin", "管理 花子"),
            (Role.RECRUITER, "recruiter", "採用 太郎"),
            (Role.INTERVIEWER, "interviewer1", "面接 一郎"),
            (Role.INTERVIEWER, "interviewer2", "面接 二郎"),
        ):
            user = User(email=f"{local}@{domain}", name=label, company=company, role=role)
            user.set_unusable_password()
            users.append(user)
    User.objects.bulk_create(users)
    operator = User(email=OPERATOR_EMAIL, name="運用 担当", is_staff=True, is_superuser=True)
    operator.set_unusable_password()
    operator.save()
    progress(f"{len(companies):,} companies with their stages, sources, positions, tags and users")
    return companies


def _choices(model: type[Model], companies: list[Company]) -> dict[int, list[Any]]:
    by_company: dict[int, list[Any]] = {c.pk: [] for c in companies}
    for row in model.objects.order_by("company_id", "sort_order", "id"):
        by_company[row.company_id].append(row)
    return by_company


# --- the applicants and their history ----------------------------------------------------------------


class Names:
    """Every 姓 名 pair with its stored values, each key computed by applicants.normalize."""

    def __init__(self) -> None:
        self.pairs = []
        for family, family_kana, family_roman in FAMILY_NAMES:
            for given, given_kana, given_roman in GIVEN_NAMES:
                name, kana = f"{family} {given}", f"{family_kana} {given_kana}"
                self.pairs.append(
                    (
                        name,
                        kana,
                        f"{given_roman}.{family_roman}",
                        normalize.name_key(name)[:100],
                        normalize.given_name_key(name)[:100],
                        normalize.kana_key(kana)[:100],
                        normalize.given_kana_key(kana)[:100],
                    )
                )


APPLICANT_COLUMNS = [
    "id", "company_id", "name", "name_kana", "email", "phone", "track", "school", "faculty",
    "graduation_year", "current_employer", "source_id", "position_id", "stage_id", "memo", "applied_on",
    "created_at", "updated_at", "created_by_id", "anonymized_at", "name_key", "given_name_key", "kana_key",
    "given_kana_key", "email_key", "phone_key", "reached_stages",
]  # fmt: skip
HISTORY_COLUMNS = [
    "applicant_id", "from_stage_id", "to_stage_id", "changed_by_id", "changed_by_label", "comment",
    "created_at",
]  # fmt: skip


def _applicant_counts(total: int, companies: int, rng: random.Random) -> list[int]:
    big = round(total * BIG_SHARE)
    weights = [rng.lognormvariate(0, 0.6) for _ in range(companies - 1)]
    scale = (total - big) / sum(weights)
    counts = [big] + [max(1, round(w * scale)) for w in weights]
    counts[-1] = max(1, counts[-1] + total - sum(counts))
    return counts


def _walk(stages: list[SelectionStage], current: SelectionStage) -> list[SelectionStage]:
    """The stages an applicant went through to reach ``current`` (as applicants.demo writes them)."""
    in_progress = [stage for stage in stages if stage.kind == StageKind.IN_PROGRESS]
    if current in in_progress:
        return in_progress[: in_progress.index(current) + 1]
    return [*in_progress[:2], current]


def _applicants(
    companies: list[Company],
    counts: list[int],
    choices: dict[str, dict[int, list[Any]]],
    recruiters: dict[int, User],
    rng: random.Random,
    progress: Progress,
) -> dict[int, range]:
    """Write the applicants (ids from 1, a contiguous range per company), their history and tags."""
    names = Names()
    today = timezone.localdate()
    now = timezone.now()
    tokyo = ZoneInfo("Asia/Tokyo")
    conn_a, conn_b = _raw_connection(), _raw_connection()
    # Columns other apps add later are filled with their defaults.
    more_columns, more_values = _defaults(Applicant, APPLICANT_COLUMNS)
    more_history, more_history_values = _defaults(StatusChange, HISTORY_COLUMNS)
    applicants = Copier(conn_a, Applicant, APPLICANT_COLUMNS + more_columns)
    history = Copier(conn_b, StatusChange, HISTORY_COLUMNS + more_history)
    ranges: dict[int, range] = {}
    stage_names = list(STAGE_WEIGHTS)
    cumulative = []
    for weight in STAGE_WEIGHTS.values():
        cumulative.append((cumulative[-1] if cumulative else 0) + weight)
    next_id, written, report_at, started = 1, 0, 100_000, time.perf_counter()
    for company, count in zip(companies, counts, strict=True):
        stages = choices["stages"][company.pk]
        by_name = {stage.name: stage for stage in stages}
        walks = {name: _walk(stages, by_name[name]) for name in stage_names}
        reached = {
            name: functools.reduce(operator.or_, (s.mask for s in walk)) for name, walk in walks.items()
        }
        sources, positions = choices["sources"][company.pk], choices["positions"][company.pk]
        label = recruiters[company.pk].name
        recruiter_id = recruiters[company.pk].pk
        ranges[company.pk] = range(next_id, next_id + count)
        for index in range(count):
            pk = next_id + index
            name, kana, roman, key, given_key, kana_key, given_kana_key = rng.choice(names.pairs)
            email = f"{roman}.{company.pk}x{index}@applicant.example.jp"
            if company.slug == BIG_SLUG and index == 0:
                name, kana, roman, key, given_key, kana_key, given_kana_key = names.pairs[0]
                email = LONG_TIMELINE_EMAIL
            phone = f"0{rng.choice('789')}0-{rng.randint(1000, 9999)}-{pk % 10000:04d}"
            mid_career = rng.random() < 0.35
            applied = today - timedelta(days=rng.randint(1, 365))
            created = datetime.combine(applied, clock(9), tokyo) + timedelta(minutes=rng.randint(0, 600))
            updated = min(created + timedelta(days=rng.randint(0, 20), minutes=rng.randint(0, 600)), now)
            stage_name = stage_names[bisect.bisect_right(cumulative, rng.random() * cumulative[-1])]
            walk = walks[stage_name]
            applicants.add(
                pk,
                company.pk,
                name,
                kana,
                email,
                phone,
                Track.MID_CAREER if mid_career else Track.NEW_GRADUATE,
                rng.choice(UNIVERSITIES),
                "" if mid_career else rng.choice(FACULTIES),
                rng.randint(2010, 2022) if mid_career else rng.choice((2026, 2027, 2027, 2028)),
                rng.choice(EMPLOYERS) if mid_career else "",
                rng.choice(sources).pk,
                rng.choice(positions).pk,
                walk[-1].pk,
                "",
                applied,
                created,
                updated,
                recruiter_id,
                None,
                key,
                given_key,
                kana_key,
                given_kana_key,
                normalize.email_key(email)[:254],
                normalize.phone_key(phone)[:20],
                reached[stage_name],
                *more_values,
            )
            step = (updated - created) / max(len(walk) - 1, 1)
            previous = None
            for n, stage in enumerate(walk):
                history.add(
                    pk,
                    previous,
                    stage.pk,
                    recruiter_id if previous else None,
                    label if previous else "",
                    "",
                    min(created + step * n, updated),
                    *more_history_values,
                )
                previous = stage.pk
        next_id += count
        written += count
        if written >= report_at:
            report_at = written + 100_000
            rate = written / (time.perf_counter() - started)
            progress(f"  applicants {written:,} / {sum(counts):,} ({rate:,.0f}/s), history {history.rows:,}")
    applicants.close()
    history.close()
    conn_a.commit()
    conn_b.commit()
    tags = Copier(conn_a, Applicant.tags.through._meta.db_table, ["applicant_id", "tag_id"])
    for company in companies:
        company_tags = choices["tags"][company.pk]
        for pk in ranges[company.pk]:
            if rng.random() < 0.3:
                tags.add(pk, rng.choice(company_tags).pk)
    tags.close()
    conn_a.commit()
    conn_a.close()
    conn_b.close()
    progress(f"{written:,} applicants, {history.rows:,} status changes, {tags.rows:,} tags")
    return ranges


# --- the selection meetings, slots and bookings -------------------------------------------------------


def _events(companies: list[Company], choices: dict[str, dict[int, list[Any]]]) -> dict[int, list[Event]]:
    """Per company: the big company's three events, or a 説明会 and a 面接 event for the others."""
    layout: dict[int, list[tuple[str, str, int]]] = {}
    for company in companies:
        if company.slug == BIG_SLUG:
            layout[company.pk] = [
                ("会社説明会", "会社説明会（オンライン）", BIG_SLOTS["会社説明会"][1]),
                ("一次面接", BIG_EVENT_NAME, BIG_SLOTS["一次面接"][1]),
                ("二次面接", "二次面接（役員）", BIG_SLOTS["二次面接"][1]),
            ]
        else:
            layout[company.pk] = [
                ("会社説明会", "会社説明会", OTHER_CAPACITY["会社説明会"]),
                ("面接", "個別面接", OTHER_CAPACITY["面接"]),
            ]
    meetings = SelectionMeeting.objects.bulk_create(
        SelectionMeeting(company=c, name=m, sort_order=i * 10)
        for c in companies
        for i, (m, _e, _cap) in enumerate(layout[c.pk])
    )
    stage_of = {c.pk: {s.name: s for s in choices["stages"][c.pk]} for c in companies}
    rows = []
    for meeting in meetings:
        _m, event_name, capacity = next(x for x in layout[meeting.company_id] if x[0] == meeting.name)
        rows.append(
            Event(
                company_id=meeting.company_id,
                selection_meeting=meeting,
                name=event_name,
                duration_minutes=60,
                default_capacity=capacity,
                booking_stage=stage_of[meeting.company_id].get(
                    "説明会" if "説明会" in meeting.name else "一次面接"
                ),
                place="本社 会議室A",
            )
        )
    events: dict[int, list[Event]] = {c.pk: [] for c in companies}
    for event in Event.objects.bulk_create(rows):
        events[event.company_id].append(event)
    return events


SLOT_GIVEN = [
    "id", "uuid", "company_id", "event_id", "starts_at", "ends_at", "capacity", "booked_count",
    "is_published",
    "created_at", "updated_at",
]  # fmt: skip
BOOKING_GIVEN = [
    "company_id", "applicant_id", "event_id", "slot_id", "status", "source", "booked_by_id", "created_at",
    "updated_at", "cancelled_at", "attendance",
]  # fmt: skip


def _slot_counts(companies: list[Company], total: int, big: dict[str, int]) -> dict[int, dict[str, int]]:
    others = max(1, len(companies) - 1)
    per_other, extra = divmod(max(2 * others, total - sum(big.values())), others)
    counts = {}
    for n, company in enumerate(companies):
        if company.slug == BIG_SLUG:
            counts[company.pk] = big
        else:
            mine = per_other + (1 if n <= extra else 0)
            counts[company.pk] = {"会社説明会": mine // 2, "面接": mine - mine // 2}
    return counts


def _slot_times(count: int, rng: random.Random, tz: ZoneInfo) -> Iterator[datetime]:
    """``count`` starts spread over the 360 days around today, on the hour between 9:00 and 17:00."""
    today = timezone.localdate()
    for index in range(count):
        day = today + timedelta(days=index * 360 // count - 180)
        yield datetime.combine(day, clock(9 + rng.randint(0, 8)), tz)


def _slots_and_bookings(
    companies: list[Company],
    events: dict[int, list[Event]],
    ranges: dict[int, range],
    recruiters: dict[int, User],
    scale: float,
    rng: random.Random,
    progress: Progress,
) -> dict[str, int]:
    big_slots = {name: max(1, round(n * scale)) for name, (n, _cap) in BIG_SLOTS.items()}
    counts = _slot_counts(companies, round(SLOTS * scale), big_slots)
    # Fill every event's seats by the same share (an event cannot hold more bookings than its company has
    # applicants), found by bisection so the bookings add up to BOOKINGS.
    limits = [
        (counts[c.pk][key] * event.default_capacity, len(ranges[c.pk]))
        for c in companies
        for key, event in zip(counts[c.pk], events[c.pk], strict=True)
    ]
    wanted, low, high = round(BOOKINGS * scale) * (1 - CANCELLED_SHARE), 0.0, 0.9
    for _ in range(40):
        fill = (low + high) / 2
        low, high = (fill, high) if sum(min(round(s * fill), n) for s, n in limits) < wanted else (low, fill)
    now = timezone.now()
    long_id = ranges[companies[0].pk].start
    slot_columns, slot_defaults = _defaults(Slot, SLOT_GIVEN)
    booking_columns, booking_defaults = _defaults(Booking, BOOKING_GIVEN)
    conn_a, conn_b = _raw_connection(), _raw_connection()
    slot_copy = Copier(conn_a, Slot, SLOT_GIVEN + slot_columns)
    booking_copy = Copier(conn_b, Booking, BOOKING_GIVEN + booking_columns)
    slot_id = 0
    attendance = [Attendance.ATTENDED] * 16 + [Attendance.ABSENT, Attendance.NO_SHOW, Attendance.LATE, ""]
    for company in companies:
        tz = company.tzinfo
        applicant_ids = ranges[company.pk]
        recruiter = recruiters[company.pk]
        for key, event in zip(counts[company.pk], events[company.pk], strict=True):
            capacity = event.default_capacity
            starts = list(_slot_times(counts[company.pk][key], rng, tz))
            first_id = slot_id + 1
            slot_id += len(starts)
            seat_list = [first_id + i for i in range(len(starts)) for _ in range(capacity)]
            active = min(round(len(seat_list) * fill), len(applicant_ids))
            taken = rng.sample(seat_list, active)
            people = rng.sample(applicant_ids, active)
            if company.slug == BIG_SLUG and long_id not in people and people:
                people[0] = long_id
            booked = dict.fromkeys(range(first_id, slot_id + 1), 0)
            for person, seat in zip(people, taken, strict=True):
                booked[seat] += 1
                begins = starts[seat - first_id]
                booking_copy.add(
                    company.pk,
                    person,
                    event.pk,
                    seat,
                    BookingStatus.ACTIVE,
                    rng.choice((BookingSource.APPLICANT, BookingSource.APPLICANT, BookingSource.STAFF)),
                    recruiter.pk,
                    min(begins - timedelta(days=rng.randint(2, 30)), now),
                    now,
                    None,
                    rng.choice(attendance) if begins < now else "",
                    *booking_defaults,
                )
            for _ in range(round(active * CANCELLED_SHARE / (1 - CANCELLED_SHARE))):
                seat = rng.randint(first_id, slot_id)
                begins = starts[seat - first_id]
                made = min(begins - timedelta(days=rng.randint(3, 30)), now)
                booking_copy.add(
                    company.pk,
                    rng.choice(applicant_ids),
                    event.pk,
                    seat,
                    BookingStatus.CANCELLED,
                    BookingSource.APPLICANT,
                    None,
                    made,
                    now,
                    min(made + timedelta(days=1), now),
                    "",
                    *booking_defaults,
                )
            for index, begins in enumerate(starts):
                pk = first_id + index
                slot_copy.add(
                    pk,
                    uuid.uuid4(),
                    company.pk,
                    event.pk,
                    begins,
                    begins + timedelta(minutes=event.duration_minutes),
                    capacity,
                    booked[pk],
                    rng.random() < 0.95,
                    now,
                    now,
                    *slot_defaults,
                )
        if company.pk == companies[0].pk or company.pk % 200 == 0:
            progress(f"  slots {slot_copy.rows:,}, bookings {booking_copy.rows:,}")
    slot_copy.close()
    booking_copy.close()
    conn_a.commit()
    conn_b.commit()
    conn_a.close()
    conn_b.close()
    progress(f"{slot_copy.rows:,} slots, {booking_copy.rows:,} bookings")
    return {"slots": slot_copy.rows, "bookings": booking_copy.rows}


# --- the long timeline ---------------------------------------------------------------------------------


def _long_timeline(company: Company, stages: list[SelectionStage], recruiter: User) -> Applicant:
    """Hundreds of history entries, memos, mails and booking logs on one applicant of the big company."""
    applicant = Applicant.objects.get(company=company, email_key=LONG_TIMELINE_EMAIL)
    start = applicant.created_at
    span = (timezone.now() - start) / (LONG_HISTORY + 1)
    changes, previous = [], applicant.stage
    for n in range(LONG_HISTORY):
        target = stages[(n + 1) % len(stages)] if n < LONG_HISTORY - 1 else applicant.stage
        changes.append(
            StatusChange(
                applicant=applicant,
                from_stage=previous,
                to_stage=target,
                changed_by=recruiter,
                changed_by_label=recruiter.name,
                comment=f"確認事項 {n + 1}: 面談の結果を反映",
                created_at=start + span * (n + 1),
            )
        )
        previous = target
    StatusChange.objects.bulk_create(changes)
    for change in changes:
        applicant.reach(change.to_stage)
    applicant.save(update_fields=["reached_stages"])
    Memo.objects.bulk_create(
        Memo(
            applicant=applicant,
            author=recruiter,
            author_label=recruiter.name,
            body=f"面談メモ {n + 1}\n志望動機と希望勤務地を確認。次回は技術課題について話す。",
            created_at=start + span * (n * 2 + 1),
        )
        for n in range(LONG_MEMOS)
    )
    kinds = [
        MailKind.SCHEDULE_INVITATION,
        MailKind.BOOKING_CONFIRMED,
        MailKind.REMINDER,
        MailKind.RESULT_PASS,
    ]
    SentMail.objects.bulk_create(
        SentMail(
            company=company,
            kind=kinds[n % len(kinds)],
            to_email=applicant.email,
            from_email="スケール検証株式会社 採用担当 <noreply@scale-big.example.com>",
            subject=f"【スケール検証株式会社】ご案内 {n + 1}",
            body=f"{applicant.name} 様\n\nご案内 {n + 1} です。\n",
            message_id=f"<scale-long-{n}@scale.example.com>",
            status=MailStatus.SENT,
            attempts=1,
            applicant_id=applicant.pk,
            created_at=start + span * (n * 3 + 1),
            sent_at=start + span * (n * 3 + 1),
        )
        for n in range(LONG_MAILS)
    )
    booking = Booking.objects.filter(applicant=applicant).select_related("slot").first()
    logs = [BookingLogKind.BOOKED, BookingLogKind.MOVED, BookingLogKind.URL_ISSUED, BookingLogKind.ATTENDANCE]
    BookingLog.objects.bulk_create(
        BookingLog(
            company=company,
            applicant=applicant,
            booking=booking,
            kind=logs[n % len(logs)],
            title=f"{logs[n % len(logs)].label}: 2026/04/{n % 28 + 1:02d} 10:00",
            actor=recruiter,
            actor_label=recruiter.name,
            created_at=start + span * (n * 4 + 2),
        )
        for n in range(LONG_LOGS)
    )
    return applicant


def _evaluations(company: Company, events: list[Event], interviewers: list[User]) -> int:
    """Submitted evaluations by every interviewer for the interviews that ended more than three days ago,
    so only the recent ones are due (a company keeps up with its evaluations)."""
    ended = timezone.now() - timedelta(days=3)
    bookings = Booking.objects.filter(
        company=company, event__in=events, status=BookingStatus.ACTIVE, slot__ends_at__lt=ended
    ).values_list("applicant_id", "event__selection_meeting_id", "slot_id", "slot__ends_at")
    rows = [
        Evaluation(
            company=company,
            applicant_id=applicant_id,
            selection_meeting_id=meeting_id,
            slot_id=slot_id,
            evaluator=user,
            recommendation=Recommendation.B,
            comment="受け答えが明確で、志望動機も具体的。",
            submitted_at=ends_at + timedelta(hours=5),
            version=1,
            created_at=ends_at + timedelta(hours=4),
        )
        for applicant_id, meeting_id, slot_id, ends_at in bookings.iterator()
        for user in interviewers
    ]
    Evaluation.objects.bulk_create(rows, batch_size=5000)
    return len(rows)


# --- checks --------------------------------------------------------------------------------------------


CHECKS = {
    # Each query counts rows that break a rule; all must be 0.
    "seat_counters": "SELECT count(*) FROM scheduling_slot s LEFT JOIN (SELECT slot_id, count(*) n FROM "
    "scheduling_booking WHERE status = 'active' GROUP BY slot_id) b ON b.slot_id = s.id "
    "WHERE s.booked_count <> coalesce(b.n, 0) OR s.booked_count > s.capacity",
    "booking_tenant": "SELECT count(*) FROM scheduling_booking b JOIN applicants_applicant a ON a.id = "
    "b.applicant_id JOIN scheduling_slot s ON s.id = b.slot_id WHERE a.company_id <> b.company_id "
    "OR s.company_id <> b.company_id OR s.event_id <> b.event_id",
    "booking_orphans": "SELECT count(*) FROM scheduling_booking b WHERE NOT EXISTS (SELECT 1 FROM "
    "applicants_applicant a WHERE a.id = b.applicant_id) OR NOT EXISTS (SELECT 1 FROM scheduling_slot s "
    "WHERE s.id = b.slot_id)",
    "history_orphans": "SELECT count(*) FROM applicants_statuschange h WHERE NOT EXISTS (SELECT 1 FROM "
    "applicants_applicant a WHERE a.id = h.applicant_id)",
    "stage_tenant": "SELECT count(*) FROM applicants_applicant a JOIN applicants_selectionstage s ON "
    "s.id = a.stage_id WHERE s.company_id <> a.company_id",
    "double_active": "SELECT count(*) FROM (SELECT 1 FROM scheduling_booking WHERE status = 'active' "
    "GROUP BY applicant_id, event_id HAVING count(*) > 1) d",
    # reached_stages = the bits of the current stage and of every history entry's to_stage.
    "reached_stages": "SELECT count(*) FROM applicants_applicant a JOIN (SELECT x.applicant_id, "
    "bit_or(1::bigint << s.bit) bits FROM (SELECT id applicant_id, stage_id FROM applicants_applicant "
    "UNION ALL SELECT applicant_id, to_stage_id FROM applicants_statuschange) x JOIN "
    "applicants_selectionstage s ON s.id = x.stage_id GROUP BY x.applicant_id) r ON r.applicant_id = a.id "
    "WHERE a.reached_stages <> r.bits",
}


def check_consistency() -> dict[str, int]:
    """How many rows break each rule of CHECKS (all 0 for a good data set)."""
    found = {}
    with connection.cursor() as cursor:
        for name, sql in CHECKS.items():
            cursor.execute(sql)
            found[name] = cursor.fetchone()[0]
    return found


# --- the seed ------------------------------------------------------------------------------------------


def seed(*, scale: float = 1.0, reuse: bool = False, progress: Progress = print) -> dict:
    """Write the data set at ``scale`` (or, with ``reuse``, keep the one already there); its summary."""
    if connection.vendor != "postgresql":
        raise SystemExit("The scale seed needs PostgreSQL (DATABASE_URL).")
    marker = _marker()
    try:
        call_command("migrate", verbosity=0)
    except DatabaseError:
        if marker is None:
            raise
        # The seed's own database, migrated by a migration since renamed or rewritten: start it afresh.
        progress("migrations do not apply to this database: recreating its schema")
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        call_command("migrate", verbosity=0)
        marker = _marker()
    if (
        reuse
        and marker
        and marker["finished"]
        and marker["version"] == SEED_VERSION
        and marker["scale"] == scale
    ):
        progress(f"the data set (version {SEED_VERSION}, scale {scale}) is present: nothing to do")
        return {**marker["summary"], "reused": True}
    if marker is None and Company.objects.exists():
        raise SystemExit(
            "This database has rows but no seed marker: not the scale seed's; refusing to wipe it."
        )
    started = time.perf_counter()
    _wipe()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {MARKER_TABLE} (version, scale, started_at) VALUES (%s, %s, now())",
            [SEED_VERSION, scale],
        )
    rng = random.Random(18)
    company_count = max(2, round(COMPANIES * scale))
    companies = _companies(company_count, progress)
    choices = {
        "stages": _choices(SelectionStage, companies),
        "sources": _choices(Source, companies),
        "positions": _choices(Position, companies),
        "tags": {c.pk: [] for c in companies},
    }
    for tag in Tag.objects.order_by("id"):
        choices["tags"][tag.company_id].append(tag)
    recruiters = {u.company_id: u for u in User.objects.filter(role=Role.RECRUITER, company__isnull=False)}
    indexes = _drop_indexes()
    progress(f"dropped {len(indexes)} indexes for the load")
    counts = _applicant_counts(round(APPLICANTS * scale), company_count, rng)
    ranges = _applicants(companies, counts, choices, recruiters, rng, progress)
    events = _events(companies, choices)
    slot_figures = _slots_and_bookings(companies, events, ranges, recruiters, scale, rng, progress)
    _build_indexes(indexes, progress)
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [Applicant, StatusChange, Slot, Booking]):
            cursor.execute(sql)
    big = companies[0]
    big_recruiter = recruiters[big.pk]
    interviewers = list(User.objects.filter(company=big, role=Role.INTERVIEWER))
    EventInterviewer.objects.bulk_create(
        EventInterviewer(company=big, event=event, user=user)
        for event in events[big.pk][1:]
        for user in interviewers
    )
    long_applicant = _long_timeline(big, choices["stages"][big.pk], big_recruiter)
    evaluations = _evaluations(big, events[big.pk][1:], interviewers)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # the small tables too: their statistics decide the big joins' plans
    progress(f"{evaluations:,} evaluations; analyzed")
    checks = check_consistency()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        size = cursor.fetchone()[0]
    big_event = events[big.pk][1]
    summary = {
        "version": SEED_VERSION,
        "scale": scale,
        "companies": company_count,
        "applicants": sum(counts),
        "big_company_applicants": counts[0],
        "status_changes": StatusChange.objects.count(),
        **slot_figures,
        "big_event_slots": Slot.all_objects.filter(event=big_event).count(),
        "long_timeline_applicant": long_applicant.pk,
        "evaluations": evaluations,
        "checks": checks,
        "consistent": not any(checks.values()),
        "seconds": round(time.perf_counter() - started, 1),
        "database_bytes": size,
        "database_size": f"{size / 2**30:.2f} GiB",
        "reused": False,
    }
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {MARKER_TABLE} SET finished_at = now(), summary = %s", [json.dumps(summary)])
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--scale", type=float, default=1.0, help="1.0 = 1,000,000 applicants; 0.01 for a quick run"
    )
    parser.add_argument("--reuse", action="store_true", help="keep the data set when its marker matches")
    args = parser.parse_args()
    ensure_database()
    started = time.perf_counter()

    def progress(text: str) -> None:
        print(f"[{time.perf_counter() - started:7.1f} s] {text}", flush=True)

    summary = seed(scale=args.scale, reuse=args.reuse, progress=progress)
    print(json.dumps(summary, ensure_ascii=False))
    if not summary["consistent"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
