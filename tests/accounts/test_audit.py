from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.audit import collected, record_audit
from accounts.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_record_audit_takes_company_from_target_and_keeps_actor_label(world):
    entry = record_audit(action="user.updated", actor=world.acme.admin, target=world.acme.recruiter)
    assert entry.company == world.acme.company
    assert entry.actor_label == world.acme.admin.display_name
    assert entry.target_type == "accounts.user"
    assert entry.target_id == str(world.acme.recruiter.pk)


def test_collected_entries_are_written_together_when_the_block_ends(world):
    with CaptureQueriesContext(connection) as queries, collected():
        record_audit(action="user.updated", actor=world.acme.admin, target=world.acme.recruiter)
        record_audit(action="user.created", actor=world.acme.admin, target=world.acme.interviewer)
        assert not AuditEntry.objects.exists()

    inserts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 1  # both entries in one statement

    assert list(AuditEntry.objects.order_by("pk").values_list("action", flat=True)) == [
        "user.updated",
        "user.created",
    ]


def test_collected_entries_of_a_failed_block_are_not_written(world):
    with pytest.raises(RuntimeError), collected():
        record_audit(action="user.updated", actor=world.acme.admin, target=world.acme.recruiter)
        raise RuntimeError("the work failed")

    record_audit(action="user.created", actor=world.acme.admin, target=world.acme.interviewer)
    assert list(AuditEntry.objects.values_list("action", flat=True)) == ["user.created"]


def test_audit_log_lists_only_own_company_and_filters(as_admin, world):
    record_audit(action="user.updated", actor=world.acme.admin, target=world.acme.recruiter)
    record_audit(action="user.updated", actor=world.other.admin, target=world.other.recruiter)
    old = record_audit(action="user.created", actor=world.acme.admin, target=world.acme.interviewer)
    AuditEntry.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=10))

    page = as_admin.get(reverse("accounts:audit_log"))
    entries = list(page.context["page"].object_list)
    assert {e.company_id for e in entries} == {world.acme.company.pk}
    assert "ユーザーを変更" in page.content.decode()

    since = (timezone.localdate() - timedelta(days=1)).isoformat()
    filtered = as_admin.get(reverse("accounts:audit_log"), {"date_from": since})
    assert [e.action for e in filtered.context["page"].object_list] == ["user.updated"]

    by_target = as_admin.get(reverse("accounts:audit_log"), {"q": world.acme.interviewer.name})
    assert [e.action for e in by_target.context["page"].object_list] == ["user.created"]


def test_audit_filter_rejects_a_foreign_actor(as_admin, world):
    record_audit(action="user.updated", actor=world.acme.admin, target=world.acme.recruiter)
    response = as_admin.get(reverse("accounts:audit_log"), {"actor": world.other.admin.pk})
    assert response.context["form"].errors
