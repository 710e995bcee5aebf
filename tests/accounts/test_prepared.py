"""accounts.prepared: a query compiled once gives the same instances as the ORM, for any values."""

from __future__ import annotations

import pytest
from django.db.models import Count, Q

from accounts.models import Company
from accounts.prepared import PreparedQuery
from applicants.models import Applicant
from notifications.models import MailSettings
from tests.applicants.factories import ApplicantFactory, PositionFactory
from tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db


def _applicants(company_id: int, position_id: int):
    return (
        Applicant.objects.select_related("company__mail_settings", "stage", "position")
        .annotate(memo_count=Count("memos"))
        .filter(Q(company_id=company_id) & (Q(position_id=position_id) | Q(position__isnull=True)))
        .order_by("pk")
    )


APPLICANTS = PreparedQuery(_applicants, company_id=-1, position_id=-2)


def _same(found, expected) -> None:
    assert [a.pk for a in found] == [a.pk for a in expected]
    for mine, theirs in zip(found, expected, strict=True):
        assert mine.__dict__.keys() - {"_state"} == theirs.__dict__.keys() - {"_state"}
        assert mine.name == theirs.name and mine.memo_count == theirs.memo_count
        assert mine.stage == theirs.stage and mine.stage.name == theirs.stage.name
        assert mine.position == theirs.position
        assert mine._state.adding is False and mine._state.db == "default"


def test_the_same_instances_as_the_orm_for_every_set_of_values(django_assert_num_queries):
    company, other = CompanyFactory(), CompanyFactory()
    MailSettings.objects.create(company=company, contact="人事部 03-0000-0000")
    position = PositionFactory(company=company)
    ApplicantFactory(company=company, position=position)
    ApplicantFactory(company=company, position=None)
    ApplicantFactory(company=other)

    for company_id, position_id in ((company.pk, position.pk), (other.pk, position.pk), (0, 0)):
        with django_assert_num_queries(1):
            found = APPLICANTS.fetch(company_id=company_id, position_id=position_id)
        _same(found, list(_applicants(company_id, position_id)))

    mine = APPLICANTS.fetch(company_id=company.pk, position_id=position.pk)
    assert len(mine) == 2
    with django_assert_num_queries(0):  # every select_related object came with the row
        assert {a.company.mail_settings.contact for a in mine} == {"人事部 03-0000-0000"}
        assert {a.position_id for a in mine} == {position.pk, None}
        assert [a.position for a in mine if a.position_id is None] == [None]


def test_a_missing_reverse_one_to_one_is_known_to_be_missing(django_assert_num_queries):
    company = CompanyFactory()
    ApplicantFactory(company=company)

    (applicant,) = APPLICANTS.fetch(company_id=company.pk, position_id=0)

    with django_assert_num_queries(0), pytest.raises(Company.mail_settings.RelatedObjectDoesNotExist):
        applicant.company.mail_settings  # noqa: B018  (the access is the test)


def test_first_answers_none_when_nothing_matches():
    assert APPLICANTS.first(company_id=0, position_id=0) is None


def test_values_must_name_every_placeholder():
    with pytest.raises(TypeError):
        APPLICANTS.fetch(company_id=1)


def test_a_placeholder_that_does_not_reach_the_sql_is_refused():
    dropped = PreparedQuery(lambda company_id: Company.objects.all(), company_id=-1)

    with pytest.raises(ValueError, match="placeholder"):
        dropped.fetch(company_id=1)


def test_a_row_lock_outside_a_transaction_is_refused_as_django_refuses_it(transactional_db):
    from django.db import connection, transaction
    from django.db.transaction import TransactionManagementError

    locked = PreparedQuery(lambda pk: Company.objects.select_for_update().filter(pk=pk), pk=-1)
    company = CompanyFactory()
    with transaction.atomic():
        assert locked.first(pk=company.pk) == company

    if connection.features.has_select_for_update:
        with pytest.raises(TransactionManagementError):
            locked.first(pk=company.pk)


def test_an_id_no_integer_column_can_hold_finds_nothing():
    assert APPLICANTS.fetch(company_id=10**30, position_id=1) == []
    assert APPLICANTS.first(company_id=1, position_id=-(10**30)) is None


def _prepared_statements() -> dict[str, int]:
    """This connection's server-prepared statements: text → executions so far."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans + custom_plans FROM pg_prepared_statements")
        return dict(cursor.fetchall())


@pytest.fixture
def postgresql():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")


def test_on_postgresql_the_statement_is_prepared_once_and_still_counted(
    postgresql, django_assert_num_queries
):
    company = CompanyFactory()
    position = PositionFactory(company=company)
    ApplicantFactory(company=company, position=position)
    by_slug = PreparedQuery(lambda slug: Company.objects.filter(slug=slug), slug="")  # its own statement

    for _run in range(3):
        with django_assert_num_queries(1) as context:  # Django's cursor wrapper sees and counts it
            assert by_slug.first(slug=company.slug) == company
        assert f"\"slug\" = '{company.slug}'" in context.captured_queries[0]["sql"]  # logged with its value

    mine = {text: runs for text, runs in _prepared_statements().items() if '"slug" = $1' in text}
    assert list(mine.values()) == [3]  # one statement, planned once, run three times
    assert len(APPLICANTS.fetch(company_id=company.pk, position_id=position.pk)) == 1


def test_with_prepared_statements_off_nothing_is_prepared(postgresql, settings):
    settings.DATABASE_PREPARED_STATEMENTS = False
    company = CompanyFactory()
    by_name = PreparedQuery(lambda name: Company.objects.filter(name=name), name="")
    before = _prepared_statements()

    assert by_name.first(name=company.name) == company

    assert _prepared_statements() == before
