"""Run the demo: the site (and, when present, the Zoom emulator beside it) until Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from accounts.management.commands.seed_demo import DEMO_PASSWORD, DEMO_USERS, OPERATOR_EMAIL


class Command(BaseCommand):
    help = "Start the demo site on 127.0.0.1:8000 (and the Zoom emulator on :8765 when it exists)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--port", type=int, default=int(os.environ.get("DEMO_PORT", 8000)))

    def handle(self, *args, port: int, **options) -> None:
        base_dir = Path(settings.BASE_DIR)
        children = []
        site_env = dict(os.environ)
        emulator = base_dir / "zoom_emulator" / "__main__.py"
        if emulator.exists():
            children.append(
                subprocess.Popen(  # noqa: S603 - fixed command line
                    [
                        sys.executable,
                        "-m",
                        "zoom_emulator",
                        "--port",
                        "8765",
                        "--webhook-url",
                        f"http://127.0.0.1:{port}/zoom/webhook/",
                        "--state-file",
                        str(base_dir / "var" / "zoom_emulator.json"),  # links survive a demo restart
                        "--redirect-uri",
                        f"http://127.0.0.1:{port}/web-interview/zoom/callback/",
                        "--redirect-uri",
                        f"http://localhost:{port}/web-interview/zoom/callback/",
                    ],
                    cwd=base_dir,
                )
            )
            # Point the site at the emulator unless the environment says otherwise.
            for key, value in {
                "ZOOM_CLIENT_ID": "e2rpro-demo-client",
                "ZOOM_CLIENT_SECRET": "e2rpro-demo-secret",
                "ZOOM_WEBHOOK_SECRET_TOKEN": "e2rpro-demo-webhook-token",
                "ZOOM_OAUTH_BASE_URL": "http://127.0.0.1:8765",
                "ZOOM_API_BASE_URL": "http://127.0.0.1:8765/v2",
            }.items():
                site_env.setdefault(key, value)
        self._print_banner(port)
        site = subprocess.Popen(  # noqa: S603
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=base_dir,
            env=site_env,
        )
        children.append(site)
        try:
            site.wait()
        except KeyboardInterrupt:
            pass
        finally:
            for child in children:
                child.send_signal(signal.SIGTERM)
            for child in children:
                child.wait(timeout=10)

    def _print_banner(self, port: int) -> None:
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"e2RPRO demo: http://127.0.0.1:{port}/"))
        self.stdout.write(f"  password for every login: {DEMO_PASSWORD}")
        for email, _name, role in DEMO_USERS:
            self.stdout.write(f"  {role:<12} {email}")
        self.stdout.write(f"  operator     {OPERATOR_EMAIL}  → http://127.0.0.1:{port}/admin/")
        self.stdout.write("  Stop with Ctrl-C.")
        self.stdout.write("")
