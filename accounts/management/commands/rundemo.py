"""Run the demo: the site (and, when present, the Zoom, Microsoft and Google emulators) until Ctrl-C or
SIGTERM.

Each child runs in a session (process group) of its own, so a Ctrl-C in the terminal reaches only rundemo,
and rundemo stops them: SIGINT, SIGTERM or SIGHUP → SIGTERM to every child's group, a wait of
``--stop-timeout`` seconds, then SIGKILL to whatever is left; another signal meanwhile skips the wait. The
site stopping on its own stops the emulators too. Nothing is left running after rundemo exits, whichever way
it was stopped (short of SIGKILL to rundemo itself).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.management.commands.seed_demo import DEMO_PASSWORD, DEMO_USERS, OPERATOR_EMAIL

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)  # SIGHUP: the terminal closed


class _Stop(Exception):
    """Raised in the main thread by the stop signals' handler to leave the wait."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class Command(BaseCommand):
    help = (
        "Start the demo site on 127.0.0.1:8000 (and the Zoom emulator on :8765, the Microsoft emulator on "
        ":8766 and the Google emulator on :8767 when they exist); Ctrl-C or SIGTERM stops them all."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--port", type=int, default=int(os.environ.get("DEMO_PORT", 8000)))
        parser.add_argument(
            "--emulator-port",
            type=int,
            default=int(os.environ.get("DEMO_EMULATOR_PORT", 8765)),
            help="port of the Zoom emulator (default 8765; the site is pointed at it unless ZOOM_* are set)",
        )
        parser.add_argument(
            "--emulator-state-file",
            default="",
            help="the emulator's state file (default var/zoom_emulator.json: links survive a restart)",
        )
        parser.add_argument(
            "--microsoft-emulator-port",
            type=int,
            default=int(os.environ.get("DEMO_MICROSOFT_EMULATOR_PORT", 8766)),
            help="port of the Microsoft (Entra ID + Graph) emulator (default 8766; 0: do not start it)",
        )
        parser.add_argument(
            "--google-emulator-port",
            type=int,
            default=int(os.environ.get("DEMO_GOOGLE_EMULATOR_PORT", 8767)),
            help="port of the Google (OAuth + Calendar + Meet) emulator (default 8767; 0: do not start it)",
        )
        parser.add_argument(
            "--stop-timeout",
            type=float,
            default=10.0,
            help="seconds the children get to stop after SIGTERM before they are killed (default 10)",
        )

    def handle(
        self,
        *args: Any,
        port: int,
        emulator_port: int,
        emulator_state_file: str,
        microsoft_emulator_port: int,
        stop_timeout: float,
        google_emulator_port: int = 0,
        **options: Any,
    ) -> None:
        self._children: list[subprocess.Popen[bytes]] = []
        self._signal: int | None = None
        self._spawning = False
        self._stopping = False
        self._hurry = False
        previous = {signum: signal.signal(signum, self._on_signal) for signum in STOP_SIGNALS}
        site: subprocess.Popen[bytes] | None = None
        try:
            site = self._run(
                port, emulator_port, emulator_state_file, microsoft_emulator_port, google_emulator_port
            )
        except _Stop as stop:
            self.stdout.write(f"Stopping the demo ({signal.Signals(stop.signum).name}) ...")
        finally:
            self._stopping = True
            self._stop_children(stop_timeout)
            for signum, handler in previous.items():
                if handler is not None:
                    signal.signal(signum, handler)
        if site is not None and site.returncode:
            raise CommandError(f"The demo site stopped with exit status {site.returncode}.")
        self.stdout.write("Demo stopped.")

    # --- children ------------------------------------------------------------------------------------

    def _run(
        self, port: int, emulator_port: int, state_file: str, microsoft_port: int = 0, google_port: int = 0
    ) -> subprocess.Popen[bytes]:
        base_dir = Path(settings.BASE_DIR)
        site_env = dict(os.environ)
        vendors: list[str] = []  # the local vendors' sign-ins, for the banner
        emulator = base_dir / "zoom_emulator" / "__main__.py"
        if emulator.exists():
            vendors.append(
                f"local Zoom       http://127.0.0.1:{emulator_port}/  zoom-admin@sample.example.com"
                " / zoom-pass"
            )
            self._spawn(
                [
                    sys.executable,
                    "-m",
                    "zoom_emulator",
                    "--port",
                    str(emulator_port),
                    "--webhook-url",
                    f"http://127.0.0.1:{port}/zoom/webhook/",
                    "--state-file",
                    state_file or str(base_dir / "var" / "zoom_emulator.json"),  # links survive a restart
                    "--redirect-uri",
                    f"http://127.0.0.1:{port}/web-interview/zoom/callback/",
                    "--redirect-uri",
                    f"http://localhost:{port}/web-interview/zoom/callback/",
                ],
                cwd=base_dir,
            )
            # Point the site at the emulator unless the environment says otherwise.
            for key, value in {
                "ZOOM_CLIENT_ID": "e2rpro-demo-client",
                "ZOOM_CLIENT_SECRET": "e2rpro-demo-secret",
                "ZOOM_WEBHOOK_SECRET_TOKEN": "e2rpro-demo-webhook-token",
                "ZOOM_OAUTH_BASE_URL": f"http://127.0.0.1:{emulator_port}",
                "ZOOM_API_BASE_URL": f"http://127.0.0.1:{emulator_port}/v2",
            }.items():
                site_env.setdefault(key, value)
        # The other emulators' state files sit beside the Zoom emulator's (var/ by default).
        zoom_state = Path(state_file) if state_file else base_dir / "var" / "zoom_emulator.json"
        if microsoft_port and (base_dir / "microsoft_emulator" / "__main__.py").exists():
            vendors.append(
                f"local Microsoft  http://127.0.0.1:{microsoft_port}/  ms-admin@sample.example.com / ms-pass"
            )
            self._spawn_microsoft_emulator(
                base_dir, port, microsoft_port, site_env, zoom_state.with_name("microsoft_emulator.json")
            )
        if google_port and (base_dir / "google_emulator" / "__main__.py").exists():
            vendors.append(
                f"local Google     http://127.0.0.1:{google_port}/  recruiter@demo.example.com / google-pass"
            )
            self._spawn_google_emulator(
                base_dir, port, google_port, site_env, zoom_state.with_name("google_emulator.json")
            )
        self._print_banner(port, vendors)
        site = self._spawn(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=base_dir,
            env=site_env,
        )
        site.wait()  # a signal interrupts it with _Stop
        return site

    def _spawn_microsoft_emulator(
        self, base_dir: Path, port: int, microsoft_port: int, site_env: dict[str, str], state_file: Path
    ) -> None:
        """The local Entra ID + Graph (docs/microsoft-emulator.md); consent survives a restart."""
        callbacks = [
            f"http://{host}:{port}/web-interview/teams/{path}/"
            for host in ("127.0.0.1", "localhost")
            for path in ("callback", "admin-consent")
        ]
        self._spawn(
            [
                sys.executable,
                "-m",
                "microsoft_emulator",
                "--port",
                str(microsoft_port),
                "--state-file",
                str(state_file),
                *[arg for uri in callbacks for arg in ("--redirect-uri", uri)],
            ],
            cwd=base_dir,
        )
        for key, value in {
            "MICROSOFT_CLIENT_ID": "0e2f7a9c-3b1d-4c5e-8f60-e2a0de000001",
            "MICROSOFT_CLIENT_SECRET": "e2rpro-demo-ms-secret",
            "MICROSOFT_LOGIN_BASE_URL": f"http://127.0.0.1:{microsoft_port}",
            "MICROSOFT_GRAPH_BASE_URL": f"http://127.0.0.1:{microsoft_port}/v1.0",
        }.items():
            site_env.setdefault(key, value)

    def _spawn_google_emulator(
        self, base_dir: Path, port: int, google_port: int, site_env: dict[str, str], state_file: Path
    ) -> None:
        """The local Google OAuth + Calendar + Meet (docs/google-emulator.md); grants survive a restart."""
        callbacks = [
            f"http://{host}:{port}/web-interview/google/callback/" for host in ("127.0.0.1", "localhost")
        ]
        self._spawn(
            [
                sys.executable,
                "-m",
                "google_emulator",
                "--port",
                str(google_port),
                "--state-file",
                str(state_file),
                *[arg for uri in callbacks for arg in ("--redirect-uri", uri)],
            ],
            cwd=base_dir,
        )
        base = f"http://127.0.0.1:{google_port}"
        for key, value in {
            "GOOGLE_CLIENT_ID": "e2rpro-demo-0001.apps.googleusercontent.com",
            "GOOGLE_CLIENT_SECRET": "e2rpro-demo-google-secret",
            "GOOGLE_OAUTH_BASE_URL": base,
            "GOOGLE_TOKEN_URL": f"{base}/token",
            "GOOGLE_CALENDAR_BASE_URL": f"{base}/calendar/v3",
        }.items():
            site_env.setdefault(key, value)

    def _spawn(self, command: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
        """Start a child in a session of its own; a stop signal that arrives meanwhile is acted on after."""
        self._spawning = True
        try:
            child = subprocess.Popen(command, start_new_session=True, **kwargs)  # noqa: S603 - fixed command
            self._children.append(child)
        finally:
            self._spawning = False
        if self._signal is not None:  # arrived while spawning
            self._stopping = True
            raise _Stop(self._signal)
        return child

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self._stopping:
            self._hurry = True  # another signal while the children stop: kill them now
            return
        self._signal = signum
        if self._spawning:
            return  # _spawn raises once the child is recorded, so it is stopped too
        self._stopping = True
        raise _Stop(signum)

    def _stop_children(self, timeout: float) -> None:
        """SIGTERM to each live child's process group, wait up to ``timeout`` s, then SIGKILL the rest."""
        alive = [child for child in self._children if child.poll() is None]
        for child in alive:
            _signal_group(child, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for child in alive:
            while child.poll() is None and not self._hurry and time.monotonic() < deadline:
                time.sleep(0.05)
        for child in self._children:
            if child.poll() is None:  # not reaped yet, so its pid (and group) is still this child's
                _signal_group(child, signal.SIGKILL)
        for child in self._children:
            child.wait()

    def _print_banner(self, port: int, vendors: list[str] | None = None) -> None:
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"e2RPRO demo: http://127.0.0.1:{port}/"))
        self.stdout.write(f"  password for every login: {DEMO_PASSWORD}")
        for email, _name, role in DEMO_USERS:
            self.stdout.write(f"  {role:<12} {email}")
        self.stdout.write(f"  operator     {OPERATOR_EMAIL}  → http://127.0.0.1:{port}/admin/")
        for line in vendors or []:
            self.stdout.write(f"  {line}")
        self.stdout.write("  Stop with Ctrl-C (or SIGTERM).")
        self.stdout.write("")


def _signal_group(child: subprocess.Popen[bytes], signum: int) -> None:
    """Signal the child's process group (its pid: it leads a session of its own)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, signum)
