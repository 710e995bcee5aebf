from celery import shared_task

from applicants import export_jobs, import_jobs, services

# The import of 50,000 rows takes longer than the default task limit on a small machine.
IMPORT_TIME_LIMIT = 30 * 60


@shared_task
def purge_expired_imports() -> int:
    """Uploaded files are personal data: drop those nobody confirmed within a day (safe to repeat).

    The rejected-rows files of imports and the export files go after the same day.
    """
    return (
        services.purge_expired_imports()
        + import_jobs.purge_expired_files()
        + export_jobs.purge_expired_exports()
    )


@shared_task(time_limit=IMPORT_TIME_LIMIT, soft_time_limit=IMPORT_TIME_LIMIT - 60)
def check_import(import_id: str) -> None:
    """Check an uploaded file and keep its preview; a second run finds the check done."""
    import_jobs.check_import(import_id=import_id)


@shared_task(time_limit=IMPORT_TIME_LIMIT, soft_time_limit=IMPORT_TIME_LIMIT - 60)
def run_import(import_id: str) -> None:
    """Import a confirmed file; a second run finds it imported (or being imported) and does nothing."""
    import_jobs.run_import(import_id=import_id)


@shared_task(time_limit=IMPORT_TIME_LIMIT, soft_time_limit=IMPORT_TIME_LIMIT - 60)
def run_export(export_id: str) -> None:
    """Write a large export's file; a second run finds it claimed or written and does nothing."""
    export_jobs.run_export(export_id=export_id)


@shared_task
def resume_exports() -> int:
    """Beat: enqueue the exports whose task was lost (broker down at the start, worker killed)."""
    ids = export_jobs.unclaimed_export_ids()
    for export_id in ids:
        export_jobs.enqueue(export_id)
    return len(ids)
