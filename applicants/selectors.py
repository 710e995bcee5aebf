"""Read queries for applicants. Each list page runs a fixed number of queries whatever the data size."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from django.db.models import Q, QuerySet

from accounts.models import Company, Role, User
from applicants import normalize
from applicants.models import Applicant, Position, SelectionStage, Source, StageKind, Tag
from applicants.registry import interviewer_scopes

PAGE_SIZE = 50
# "該当 10,000 件以上": counting stops here so a page never counts the whole table.
COUNT_CAP = 10_000
MAX_PAGE = 100_000

SORTS: dict[str, tuple[str, ...]] = {
    "-applied": ("-applied_on", "-id"),
    "applied": ("applied_on", "id"),
    "-updated": ("-updated_at", "-id"),
    "kana": ("kana_key", "id"),
}
DEFAULT_SORT = "-applied"
ACTIVE_STAGES = "active"  # the status filter's "選考中すべて"
# The largest id a row can have (a 64-bit signed integer). A bigger number names no row, and SQLite cannot
# even compare a column with it (OverflowError), so ids from a request are checked against it first.
MAX_ID = 2**63 - 1
# What a list row shows (templatetags/applicant_list.py); reading another field would cost a query per row.
ROW_FIELDS = (
    "name",
    "name_kana",
    "track",
    "school",
    "faculty",
    "graduation_year",
    "current_employer",
    "stage_id",
    "position_id",
    "source_id",
    "applied_on",
    "anonymized_at",
)


def visible_applicants(user: User) -> QuerySet[Applicant]:
    """The applicants ``user`` may read: the whole company for 管理者/採用担当; for 面接官 only those in the
    scopes other apps register (booking: applicants booked into slots of events they host)."""
    if not (user.is_authenticated and user.is_active and user.company_id):
        return Applicant.objects.none()
    queryset = Applicant.objects.filter(company_id=user.company_id)
    if user.role in (Role.ADMIN, Role.RECRUITER):
        return queryset
    if user.role == Role.INTERVIEWER:
        scope = Q()
        for applicant_ids in interviewer_scopes.functions():
            scope |= Q(id__in=applicant_ids(user))
        return queryset.filter(scope) if scope else queryset.none()
    return queryset.none()


@dataclass(frozen=True)
class CompanyLists:
    """The company's stages, positions, sources and tags, read once per page (filters, labels, forms)."""

    stages: list[SelectionStage]
    positions: list[Position]
    sources: list[Source]
    tags: list[Tag]
    stage_by_id: dict[int, SelectionStage] = field(init=False)
    position_by_id: dict[int, Position] = field(init=False)
    source_by_id: dict[int, Source] = field(init=False)
    tag_by_id: dict[int, Tag] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "stage_by_id", {s.pk: s for s in self.stages})
        object.__setattr__(self, "position_by_id", {p.pk: p for p in self.positions})
        object.__setattr__(self, "source_by_id", {s.pk: s for s in self.sources})
        object.__setattr__(self, "tag_by_id", {t.pk: t for t in self.tags})

    @property
    def active_stages(self) -> list[SelectionStage]:
        return [stage for stage in self.stages if stage.is_active]


def company_stages(company: Company) -> list[SelectionStage]:
    """The company's stages in order, created with the Japanese defaults on first use."""
    stages = list(SelectionStage.objects.filter(company=company))
    if stages:
        return stages
    from applicants.services import ensure_company_defaults

    ensure_company_defaults(company=company)
    return list(SelectionStage.objects.filter(company=company))


def company_lists(company: Company) -> CompanyLists:
    return CompanyLists(
        stages=company_stages(company),
        positions=list(Position.objects.filter(company=company)),
        sources=list(Source.objects.filter(company=company)),
        tags=list(Tag.objects.filter(company=company)),
    )


@dataclass(frozen=True)
class ApplicantFilters:
    q: str = ""
    stage: str = ""  # a stage id, ACTIVE_STAGES or ""
    position: int | None = None
    source: int | None = None
    tag: int | None = None
    track: str = ""
    applied_from: date | None = None
    applied_to: date | None = None
    sort: str = DEFAULT_SORT


def search_branches(query: str) -> list[Q]:
    """The prefix matches of a search, one per key: 氏名 (姓, 名), フリガナ (either kana), email and phone,
    each answered by its own prefix index."""
    terms = normalize.search_terms(query)
    branches = []
    if terms["text"]:
        branches += [Q(name_key__startswith=terms["text"]), Q(given_name_key__startswith=terms["text"])]
    if terms["kana"]:
        branches += [Q(kana_key__startswith=terms["kana"]), Q(given_kana_key__startswith=terms["kana"])]
    if terms["email"] and terms["email"].isascii():
        branches.append(Q(email_key__startswith=terms["email"]))
    if "phone" in terms:
        branches.append(Q(phone_key__startswith=terms["phone"]))
    return branches


def search_condition(query: str) -> Q:
    """Prefix match on 氏名 (姓 or 名), フリガナ (either kana), email and phone, through the key indexes."""
    condition = Q()
    for branch in search_branches(query):
        condition |= branch
    return condition


def filter_applicants(
    queryset: QuerySet[Applicant], filters: ApplicantFilters, lists: CompanyLists
) -> QuerySet[Applicant]:
    if filters.q.strip():
        queryset = queryset.filter(search_condition(filters.q))
    if filters.stage == ACTIVE_STAGES:
        ids = [stage.pk for stage in lists.stages if stage.kind == StageKind.IN_PROGRESS]
        queryset = queryset.filter(stage_id__in=ids)
    elif filters.stage:
        queryset = queryset.filter(stage_id=int(filters.stage))
    if filters.position:
        queryset = queryset.filter(position_id=filters.position)
    if filters.source:
        queryset = queryset.filter(source_id=filters.source)
    if filters.tag:
        queryset = queryset.filter(tags__id=filters.tag)
    if filters.track:
        queryset = queryset.filter(track=filters.track)
    if filters.applied_from:
        queryset = queryset.filter(applied_on__gte=filters.applied_from)
    if filters.applied_to:
        queryset = queryset.filter(applied_on__lte=filters.applied_to)
    return queryset.order_by(*SORTS.get(filters.sort, SORTS[DEFAULT_SORT]))


@dataclass
class ListPage:
    """One page of a list, found without counting the whole table."""

    object_list: list[Applicant]
    number: int
    per_page: int
    has_next: bool
    total: int
    total_is_capped: bool

    @property
    def total_label(self) -> str:
        return f"{self.total:,}"

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.object_list else 0

    @property
    def end_index(self) -> int:
        return (self.number - 1) * self.per_page + len(self.object_list)


def page_number(value: str | None) -> int:
    try:
        return min(max(int(value or 1), 1), MAX_PAGE)
    except (TypeError, ValueError):
        return 1


def counted_applicants(
    queryset: QuerySet[Applicant], filters: ApplicantFilters, lists: CompanyLists
) -> QuerySet[Applicant, int]:
    """The ids that ``applicant_page`` counts for ``filters``: a search's as a UNION of one id query per
    search key, each read from its prefix index alone (an OR of the keys reads every match's row: 5,946
    rows for 佐藤 in the scale data set's big company, 9 ms against 4)."""
    branches = search_branches(filters.q) if filters.q.strip() else []
    if len(branches) < 2:
        return filter_applicants(queryset, filters, lists).order_by().values_list("id", flat=True)
    rest = filter_applicants(queryset, replace(filters, q=""), lists).order_by().values_list("id", flat=True)
    return rest.filter(branches[0]).union(*(rest.filter(branch) for branch in branches[1:]))


def applicant_page(
    queryset: QuerySet[Applicant],
    *,
    number: int,
    lists: CompanyLists,
    per_page: int | None = None,
    counted: QuerySet[Applicant, int] | None = None,
) -> ListPage:
    """A page of ``queryset`` (already filtered and ordered) in four queries.

    The ids are read first (the ordering indexes cover them, so even a deep OFFSET walks the index only),
    then only those rows; stages, positions and sources come from ``lists``; tags in one query; the count
    stops past COUNT_CAP, of ``counted`` (``counted_applicants``) when given.
    """
    per_page = per_page or PAGE_SIZE
    offset = (number - 1) * per_page
    ids = list(queryset.values_list("id", flat=True)[offset : offset + per_page + 1])
    has_next = len(ids) > per_page
    ids = ids[:per_page]
    rows = {row.pk: row for row in Applicant.objects.filter(id__in=ids).only(*ROW_FIELDS)} if ids else {}
    applicants = [rows[pk] for pk in ids if pk in rows]
    attach_labels(applicants, lists)
    if counted is None:
        counted = queryset.order_by().values_list("id", flat=True)
    total = counted[: COUNT_CAP + 1].count()
    return ListPage(
        object_list=applicants,
        number=number,
        per_page=per_page,
        has_next=has_next,
        total=min(total, COUNT_CAP),
        total_is_capped=total > COUNT_CAP,
    )


def attach_labels(applicants: Sequence[Applicant], lists: CompanyLists) -> None:
    """Fill stage, position, source and a ``tag_list`` from ``lists`` plus one query for the tag links."""
    tags_by_applicant: dict[int, list[Tag]] = {}
    links = Applicant.tags.through.objects.filter(applicant_id__in=[a.pk for a in applicants])
    for applicant_id, tag_id in links.values_list("applicant_id", "tag_id") if applicants else ():
        tag = lists.tag_by_id.get(tag_id)
        if tag is not None:
            tags_by_applicant.setdefault(applicant_id, []).append(tag)
    for applicant in applicants:
        applicant.stage = lists.stage_by_id[applicant.stage_id]
        position_id, source_id = applicant.position_id, applicant.source_id
        applicant.position = lists.position_by_id.get(position_id) if position_id is not None else None
        applicant.source = lists.source_by_id.get(source_id) if source_id is not None else None
        applicant.tag_list = sorted(tags_by_applicant.get(applicant.pk, []), key=lambda tag: tag.name)


def find_duplicates(
    *, company: Company, email: str = "", phone: str = "", exclude_id: int | None = None
) -> list[Applicant]:
    """Other applicants of the company with the same email or phone (normalized)."""
    condition = Q()
    if normalize.email_key(email):
        condition |= Q(email_key=normalize.email_key(email))
    if normalize.phone_key(phone):
        condition |= Q(phone_key=normalize.phone_key(phone))
    if not condition:
        return []
    queryset = Applicant.objects.filter(condition, company=company)
    if exclude_id is not None:
        queryset = queryset.exclude(pk=exclude_id)
    return list(queryset.order_by("id")[:5])


def is_id(value: Any) -> bool:
    """A row id as a request sends it: ASCII digits up to MAX_ID ("²" and "１２" are digits to Python too)."""
    text = str(value)
    return text.isascii() and text.isdigit() and int(text) <= MAX_ID


def applicants_by_ids(queryset: QuerySet[Applicant], ids: Iterable[Any]) -> QuerySet[Applicant]:
    """The rows of ``queryset`` (already tenant-scoped) among ``ids``; anything but an id is ignored."""
    clean = {int(value) for value in ids if is_id(value)}
    return queryset.filter(id__in=clean)
