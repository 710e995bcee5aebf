"""Seed a demo company with one user per role (and whatever each app adds in its ``demo.py``)."""

from __future__ import annotations

import importlib

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import Company, Role, User

DEMO_PASSWORD = "demo-pass-2026"
DEMO_USERS = [
    ("admin@demo.example.com", "管理 花子", Role.ADMIN),
    ("recruiter@demo.example.com", "採用 太郎", Role.RECRUITER),
    ("interviewer@demo.example.com", "面接 一郎", Role.INTERVIEWER),
]
OPERATOR_EMAIL = "operator@e2rpro.example.com"
ALLOW_FLAG = "--allow-production-demo-data"


def demo_data_allowed(*, allow_production: bool = False) -> bool:
    """Demo data (users with the published password, a superuser) belongs on a development machine: DEBUG
    or the test settings, or an explicit flag for a throw-away stack that runs the production settings."""
    return bool(settings.DEBUG or getattr(settings, "TESTING", False) or allow_production)


class Command(BaseCommand):
    help = (
        "Create (or refresh) the demo company, its users and sample data. Safe to run again. "
        f"Refuses unless DEBUG is on (or the test settings), or {ALLOW_FLAG} is given."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            ALLOW_FLAG,
            action="store_true",
            dest="allow_production_demo_data",
            help=(
                "Seed even though DEBUG is off. The demo users, the operator included (a superuser), "
                f"get the published password {DEMO_PASSWORD!r}: only for a throw-away stack."
            ),
        )

    def handle(self, *args, allow_production_demo_data: bool = False, **options) -> None:
        if not demo_data_allowed(allow_production=allow_production_demo_data):
            raise CommandError(
                "seed_demo refused: DEBUG is off, so these look like production settings, and the demo "
                f"creates users (a superuser among them) with the published password {DEMO_PASSWORD!r}. "
                "Nothing was written. Run it with DEBUG=1 (as `make demo` does), or pass "
                f"{ALLOW_FLAG} for a throw-away stack that runs the production settings."
            )
        self._seed()

    @transaction.atomic
    def _seed(self) -> None:
        company, _ = Company.objects.get_or_create(
            slug="demo",
            defaults={
                "name": "株式会社デモ商事",
                "time_zone": "Asia/Tokyo",
                "zoom_enabled": True,
                "teams_enabled": True,
                "google_enabled": True,
            },
        )
        switches = ["teams_enabled", "google_enabled"]  # a demo database seeded before these switches existed
        if not all(getattr(company, name) for name in switches):
            for name in switches:
                setattr(company, name, True)
            company.save(update_fields=switches)
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
