"""Demo data: one finished 一斉メール job to the demo's booked applicants (応募者 → 一括操作の履歴).

Runs after booking's demo (apps seed in INSTALLED_APPS order). Idempotent: a company with a job gets none.
"""

from __future__ import annotations

from accounts.models import Company, Role
from applicants.models import Applicant
from booking.demo import DEMO_APPLICANT_DOMAIN
from notifications.models import AdhocKind
from outreach import services
from outreach.models import JobAction, JobScope, OutreachJob

SUBJECT = "【{会社名}】会社説明会のお知らせ"
BODY = """{応募者名} 様

{会社名} 採用担当です。
来月の会社説明会の日程が決まりましたので、あらためてご案内いたします。

{問い合わせ先}
"""


def seed(*, company: Company, users: dict, stdout) -> None:
    if OutreachJob.objects.filter(company=company).exists():
        return
    ids = list(
        Applicant.objects.filter(company=company, email__endswith=DEMO_APPLICANT_DOMAIN)
        .order_by("pk")
        .values_list("pk", flat=True)[:3]
    )
    if not ids:
        return
    job = services.start_job(
        company=company,
        actor=users[Role.RECRUITER],
        action=JobAction.MAIL,
        scope=JobScope.SELECTION,
        applicant_ids=ids,
        mail_kind=AdhocKind.BULK,
        subject=SUBJECT,
        body=BODY,
    )
    services.run_job(job_id=job.pk)  # at once, whether or not a worker is running
    stdout.write("  outreach: a 一斉メール job to three applicants (応募者 → 一括操作の履歴)")
