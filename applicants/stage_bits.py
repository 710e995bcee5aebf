"""Filling ``SelectionStage.bit`` and ``Applicant.reached_stages`` for rows written before they existed.

Called by migration 0005 with its historical models (and by tests with the current ones). New rows get
their values from the writers themselves (``SelectionStage.save``, the applicants' services, the import, the
seeds): this is the one-off backfill.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

from applicants.models import MAX_STAGES

BATCH = 2000


def plan_bits(stages: Iterable[tuple[int, int, int | None]]) -> dict[int, int]:
    """For ``(id, company_id, bit)`` rows in the companies' order (sort_order, id): the bit of each stage
    without one, the lowest its company has free (bits 0..62). A company with more than 63 stages cannot
    be represented: RuntimeError (nothing is written)."""
    rows = list(stages)
    taken: dict[int, set[int]] = defaultdict(set)
    for _pk, company_id, bit in rows:
        if bit is not None:
            taken[company_id].add(bit)
    planned = {}
    for pk, company_id, bit in rows:
        if bit is not None:
            continue
        free = next((b for b in range(MAX_STAGES) if b not in taken[company_id]), None)
        if free is None:
            raise RuntimeError(
                f"company {company_id} has more than {MAX_STAGES} selection stages: deactivating is not "
                "enough, merge some (move their applicants and history) before migrating"
            )
        taken[company_id].add(free)
        planned[pk] = free
    return planned


def allocate_bits(stage_model: Any) -> int:
    """Give every stage without a bit its planned one (``plan_bits``); how many were given."""
    rows = stage_model.objects.order_by("company_id", "sort_order", "id").values_list(
        "id", "company_id", "bit"
    )
    planned = plan_bits(rows)
    stage_model.objects.bulk_update(
        [stage_model(pk=pk, bit=bit) for pk, bit in planned.items()], ["bit"], batch_size=500
    )
    return len(planned)


def fill_reached_stages(
    applicant_model: Any, change_model: Any, stage_model: Any, connection: BaseDatabaseWrapper
) -> None:
    """Set each applicant's ``reached_stages`` to the bits of its current stage and of every history
    entry's ``to_stage`` (the stages must have their bits). PostgreSQL: one UPDATE (``bit_or`` over the
    history); other databases: in Python, in batches."""
    if connection.vendor == "postgresql":
        applicants = connection.ops.quote_name(applicant_model._meta.db_table)
        changes = connection.ops.quote_name(change_model._meta.db_table)
        stages = connection.ops.quote_name(stage_model._meta.db_table)
        with connection.cursor() as cursor:
            # Grouping a million applicants' 3.6 million stages: in memory rather than spilled to disk.
            cursor.execute("SET LOCAL work_mem = '256MB'")
            cursor.execute(
                f"""
                UPDATE {applicants} AS a SET reached_stages = r.bits
                FROM (
                    SELECT x.applicant_id, bit_or(1::bigint << s.bit) AS bits
                    FROM (
                        SELECT id AS applicant_id, stage_id FROM {applicants}
                        UNION ALL
                        SELECT applicant_id, to_stage_id FROM {changes}
                    ) AS x
                    JOIN {stages} AS s ON s.id = x.stage_id
                    GROUP BY x.applicant_id
                ) AS r
                WHERE a.id = r.applicant_id AND a.reached_stages <> r.bits
                """  # noqa: S608 - table names from the models, no input
            )
        return
    mask = {pk: 1 << bit for pk, bit in stage_model.objects.values_list("id", "bit")}
    reached: dict[int, int] = {}
    for pk, stage_id in applicant_model.objects.values_list("id", "stage_id").iterator(chunk_size=BATCH):
        reached[pk] = mask[stage_id]
    for pk, stage_id in change_model.objects.values_list("applicant_id", "to_stage_id").iterator(
        chunk_size=BATCH
    ):
        reached[pk] |= mask[stage_id]
    rows = [applicant_model(pk=pk, reached_stages=bits) for pk, bits in reached.items()]
    applicant_model.objects.bulk_update(rows, ["reached_stages"], batch_size=500)
