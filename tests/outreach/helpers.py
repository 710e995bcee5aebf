"""Helpers for 一括操作 tests: run after-commit work (the job task, mail delivery) in-process."""

from __future__ import annotations

from django.urls import reverse

NEW = reverse("outreach:job_new")


def job_url(name: str, job) -> str:
    return reverse(f"outreach:{name}", args=[job.pk])


def start_data(action: str, *, ids=(), scope: str = "selection", query: str = "", **options) -> dict:
    data = {"action": action, "scope": scope, "ids": [getattr(i, "pk", i) for i in ids], "query": query}
    data.update({"step": "options", "start": "1", **options})
    return data
