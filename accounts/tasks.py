from celery import shared_task
from django.core.management import call_command


@shared_task
def purge_expired_sessions() -> None:
    """Delete expired sessions (safe to run any number of times)."""
    call_command("clearsessions")
