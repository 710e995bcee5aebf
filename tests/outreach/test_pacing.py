"""Mail pacing: MAIL_SEND_RATE_PER_SECOND spaces sends across workers; Redis down never holds mail back."""

from __future__ import annotations

import pytest

from notifications import pacing, tasks
from notifications.models import MailStatus
from tests.notifications.factories import SentMailFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _local_pacer(settings):
    settings.MAIL_PACING_REDIS_URL = ""
    pacing.reset_local()
    yield
    pacing.reset_local()


def test_send_times_are_spaced_by_the_configured_rate(settings):
    settings.MAIL_SEND_RATE_PER_SECOND = 4
    waits = [pacing.reserve() for _ in range(5)]
    assert waits[0] == pytest.approx(0, abs=0.05)
    assert waits[4] == pytest.approx(1.0, abs=0.05)  # the fifth mail leaves a second after the first
    assert pacing.backend() == "local"


def test_a_send_time_beyond_the_horizon_is_not_reserved(settings):
    settings.MAIL_SEND_RATE_PER_SECOND = 1
    settings.MAIL_PACING_HORIZON_SECONDS = 2
    for _ in range(3):
        pacing.reserve()
    with pytest.raises(pacing.PacingBusy) as busy:
        pacing.reserve()
    assert busy.value.wait == pytest.approx(3, abs=0.1)
    assert busy.value.retry_in == pytest.approx(2, abs=0.1)


def test_rate_zero_sends_unpaced(settings):
    settings.MAIL_SEND_RATE_PER_SECOND = 0
    assert [pacing.reserve() for _ in range(100)] == [0.0] * 100


def test_redis_down_sends_unpaced_rather_than_losing_mail(settings):
    settings.MAIL_SEND_RATE_PER_SECOND = 1
    settings.MAIL_PACING_REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    assert pacing.backend() == "redis"
    assert [pacing.reserve() for _ in range(3)] == [0.0, 0.0, 0.0]


def test_the_task_reserves_only_for_a_mail_still_to_send(settings, world):
    settings.MAIL_SEND_RATE_PER_SECOND = 1
    queued = SentMailFactory(company=world.acme.company, status=MailStatus.QUEUED, attempts=0, sent_at=None)
    sent = SentMailFactory(company=world.acme.company, status=MailStatus.SENT)
    assert tasks.pacing_delay(sent_mail_id=sent.pk, send_at=None) == 0.0
    assert tasks.pacing_delay(sent_mail_id=queued.pk, send_at=None) == pytest.approx(0, abs=0.05)
    assert tasks.pacing_delay(sent_mail_id=queued.pk, send_at=None) == pytest.approx(1, abs=0.05)
    # Back at its reserved time, the task reserves nothing more.
    assert tasks.pacing_delay(sent_mail_id=queued.pk, send_at=100.0, now=99.5) == 0.5


def test_the_default_rate_is_ten_per_second():
    from e2rpro import settings as product_settings

    assert product_settings.MAIL_SEND_RATE_PER_SECOND == 10
