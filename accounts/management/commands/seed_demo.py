"""Seed a demo company with one user per role (and whatever each app adds in its ``demo.py``)."""

from __future__ import annotations

import importlib

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import Company, Role, User

DEMO_PASSWORD = "demo-pass-2026"
DEMO_USERS = [
    ("admin@demo.example.com", "管理 花子", Role.ADMIN),
    ("recruiter@demo.example.com", "採用 太郎", Role.RECRUITER),
    ("interviewer@demo.example.com", "面接 一郎", Role.INTERVIEWER),
]
OPERATOR_EMAIL = "operator@e2rpro.example.com"


class Command(BaseCommand):
    help = "Create (or refresh) the demo company, its users and sample data. Safe to run again."

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        company, _ = Company.objects.get_or_create(
            slug="demo",
            defaults={"name": "株式会社デモ商事", "time_zone": "Asia/Tokyo", "zoom_enabled": True},
        )
        users = {}
        for email, name, role in DEMO_USERS:
            user, created = User.objects.get_or_create(
                email=email, defaults={"name": name, "role": role, "company": company}
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
            users[role] = user
        if not User.objects.filter(email=OPERATOR_EMAIL).exists():
            User.objects.create_superuser(email=OPERATOR_EMAIL, password=DEMO_PASSWORD, name="運用者")
        for app_config in apps.get_app_configs():
            self._run_app_seed(app_config.name, company, users)
        self._print_logins()

    def _run_app_seed(self, app_name: str, company: Company, users: dict) -> None:
        try:
            module = importlib.import_module(f"{app_name}.demo")
        except ModuleNotFoundError as exc:
            if exc.name != f"{app_name}.demo":
                raise
            return
        module.seed(company=company, users=users, stdout=self.stdout)

    def _print_logins(self) -> None:
        self.stdout.write(self.style.SUCCESS(f"Demo data ready. Logins (password for all: {DEMO_PASSWORD}):"))
        for email, name, role in DEMO_USERS:
            self.stdout.write(f"  {Role(role).label:<6} {email}  ({name})")
        self.stdout.write(f"  運用者 {OPERATOR_EMAIL}  (Django admin: /admin/)")
