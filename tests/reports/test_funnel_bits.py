"""The funnel read from Applicant.reached_stages equals the funnel read from the history (the query it
replaced, kept here as the oracle) on applicants moved by the product's own services."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from django.db import connections
from django.db.models import Case, IntegerField, Max, Value, When
from django.db.models.functions import Coalesce, Greatest

from applicants import services
from applicants.selectors import company_stages
from reports import selectors
from reports.selectors import Filters, funnel_applicants

pytestmark = pytest.mark.django_db

TODAY = date(2026, 4, 1)
PERIOD = Filters(date_from=date(2026, 1, 1), date_to=TODAY)


def _rank_case(field_name: str, ranks: dict[int, int]) -> Case:
    whens = [When(**{field_name: stage_id}, then=Value(rank)) for stage_id, rank in ranks.items()]
    return Case(*whens, default=Value(-1), output_field=IntegerField())


def oracle(company, filters: Filters, stages) -> tuple[list[int], int]:
    """The funnel as it was computed before reached_stages: GREATEST(rank of the current stage, MAX rank
    over the history) per applicant, counted per step and summed from the last."""
    ranks = {stage.pk: rank for rank, stage in enumerate(stages)}
    applicants = funnel_applicants(company, filters)  # the same population; the count is the old one
    per_applicant = (
        applicants.annotate(
            furthest=Greatest(
                _rank_case("stage_id", ranks),
                Coalesce(Max(_rank_case("status_changes__to_stage_id", ranks)), Value(-1)),
                output_field=IntegerField(),
            )
        )
        .order_by()
        .values("furthest")
    )
    sql, params = per_applicant.query.sql_with_params()
    with connections[per_applicant.db].cursor() as cursor:
        cursor.execute(f"SELECT furthest, COUNT(*) FROM ({sql}) AS per_applicant GROUP BY furthest", params)
        by_rank = dict(cursor.fetchall())
    reached, running = [0] * len(stages), 0
    for rank in range(len(stages) - 1, -1, -1):
        running += by_rank.get(rank, 0)
        reached[rank] = running
    return reached, sum(by_rank.values())


def test_the_funnel_equals_the_history_oracle_on_random_walks(world):
    company, actor = world.acme.company, world.acme.recruiter
    stages = company_stages(company)
    active = [stage for stage in stages if stage.is_active]
    by_name = {stage.name: stage for stage in stages}
    rng = random.Random(20261206)
    people = []
    for n in range(60):
        applied = TODAY - timedelta(days=rng.randint(0, 120))  # some before the period
        person = services.create_applicant(
            company=company,
            actor=actor,
            fields={"name": f"応募 太郎{n}", "applied_on": applied},
            stage=rng.choice(active[:3]),
        )
        # Forward with skips, back, and into 不合格 / 辞退 (closed: no step).
        for _ in range(rng.randint(0, 5)):
            services.change_status(applicant=person, stage=rng.choice(active), actor=actor)
        people.append(person)
    services.bulk_change_status(
        company=company,
        applicant_ids=[p.pk for p in people[:15]],
        stage=by_name["不合格"],
        actor=actor,
    )
    services.bulk_change_status(
        company=company, applicant_ids=[p.pk for p in people[10:20]], stage=by_name["最終面接"], actor=actor
    )
    services.anonymize_applicant(applicant=people[20], actor=world.acme.admin)
    for filters in (PERIOD, Filters(TODAY - timedelta(days=10), TODAY)):
        steps = selectors.funnel_stages(company)
        funnel = selectors.funnel(company, filters, steps)
        expected, total = oracle(company, filters, steps)
        assert [step.reached for step in funnel.steps] == expected
        assert funnel.total == total
        assert total > 0 and expected[0] == total
    # The order and the kinds are read when the funnel is: a reordered or re-classified stage still agrees.
    services.move_choice(choice=by_name["二次面接"], direction="up", actor=world.acme.admin)
    services.update_choice(
        choice=by_name["内定承諾"],
        name="内定承諾",
        is_active=True,
        stage_kind="closed",
        actor=world.acme.admin,
    )
    steps = selectors.funnel_stages(company)
    assert "内定承諾" not in [stage.name for stage in steps]
    funnel = selectors.funnel(company, PERIOD, steps)
    assert ([step.reached for step in funnel.steps], funnel.total) == oracle(company, PERIOD, steps)


def test_the_funnel_is_one_query_that_does_not_read_the_history(world, django_assert_num_queries):
    company = world.acme.company
    company_stages(company)  # the defaults
    steps = selectors.funnel_stages(company)
    with django_assert_num_queries(1) as captured:
        selectors.funnel(company, PERIOD, steps)
    assert "statuschange" not in captured.captured_queries[0]["sql"]
