from celery import shared_task

from applicants import services


@shared_task
def purge_expired_imports() -> int:
    """Uploaded CSV files are personal data: drop those nobody confirmed within a day (safe to repeat)."""
    return services.purge_expired_imports()
