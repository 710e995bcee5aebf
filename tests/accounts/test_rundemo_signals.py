"""`manage.py rundemo` stopped with SIGTERM (or Ctrl-C) stops the site and the Zoom emulator it started.

The real command runs as a subprocess on free ports (the emulator's too, so a demo already running on 8765
does not matter) with a throw-away SQLite database and emulator state file; runserver starts without
migrations. The children are found through /proc (the processes whose parent is rundemo).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def proc_stat(pid: int) -> tuple[str, int, int] | None:
    """(state, parent pid, start time) of a process, or None when it no longer exists."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = raw[raw.rindex(")") + 2 :].split()  # after "pid (comm) "
    return fields[0], int(fields[1]), int(fields[19])


def children_of(parent: int) -> dict[int, int]:
    """The live children of ``parent``: pid → start time."""
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = proc_stat(int(entry))
            if stat and stat[1] == parent and stat[0] != "Z":
                found[int(entry)] = stat[2]
    return found


def running(pid: int, started: int) -> bool:
    """The same process (not a reused pid) still exists and is not a zombie."""
    stat = proc_stat(pid)
    return stat is not None and stat[0] != "Z" and stat[2] == started


def answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def wait_until(predicate, *, timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}; rundemo's output:\n{log.read_text(errors='replace')[-3000:]}")


@pytest.fixture
def demo_env(tmp_path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "E2RPRO_", "ZOOM_", "EMAIL_", "CELERY_", "DATABASE_", "DEMO_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="e2rpro.settings",
        DEBUG="1",
        DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        PYTHONUNBUFFERED="1",
    )
    return env


@dataclass
class Demo:
    process: subprocess.Popen[bytes]
    site_port: int
    emulator_port: int
    log: Path
    microsoft_port: int = 0
    google_port: int = 0
    children: dict[int, int] = field(default_factory=dict)  # pid → start time


@pytest.fixture
def demo(tmp_path, demo_env) -> Iterator[Demo]:
    site_port, emulator_port, microsoft_port, google_port = free_port(), free_port(), free_port(), free_port()
    log = tmp_path / "rundemo.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "rundemo",
                "--port",
                str(site_port),
                "--emulator-port",
                str(emulator_port),
                "--emulator-state-file",
                str(tmp_path / "zoom_emulator.json"),
                "--microsoft-emulator-port",
                str(microsoft_port),
                "--google-emulator-port",
                str(google_port),
                "--stop-timeout",
                "5",
            ],
            cwd=BASE_DIR,
            env=demo_env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    running_demo = Demo(
        process=process,
        site_port=site_port,
        emulator_port=emulator_port,
        log=log,
        microsoft_port=microsoft_port,
        google_port=google_port,
    )
    try:
        yield running_demo
    finally:  # never leave a stray demo behind, whatever the test's outcome
        running_demo.children.update(children_of(process.pid))
        if process.poll() is None:
            process.kill()
            process.wait(timeout=5)
        for pid, started in running_demo.children.items():
            if running(pid, started):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_rundemo_stops_the_site_and_the_emulator_when_signalled(demo, signum):
    has_emulator = (BASE_DIR / "zoom_emulator" / "__main__.py").exists()
    wait_until(lambda: answers(demo.site_port), timeout=12, what="the demo site", log=demo.log)
    if has_emulator:
        wait_until(lambda: answers(demo.emulator_port), timeout=5, what="the Zoom emulator", log=demo.log)
    has_microsoft = (BASE_DIR / "microsoft_emulator" / "__main__.py").exists()
    if has_microsoft:
        wait_until(
            lambda: answers(demo.microsoft_port), timeout=5, what="the Microsoft emulator", log=demo.log
        )
    has_google = (BASE_DIR / "google_emulator" / "__main__.py").exists()
    if has_google:
        wait_until(lambda: answers(demo.google_port), timeout=5, what="the Google emulator", log=demo.log)
    demo.children.update(children_of(demo.process.pid))
    assert len(demo.children) == 1 + has_emulator + has_microsoft + has_google, demo.children

    demo.process.send_signal(signum)

    try:
        returncode = demo.process.wait(timeout=8)
    except subprocess.TimeoutExpired:
        pytest.fail("rundemo did not exit within 8 s of " + signal.Signals(signum).name)
    wait_until(
        lambda: not any(running(pid, started) for pid, started in demo.children.items()),
        timeout=2,
        what="rundemo's children (the site and the emulator) to be gone",
        log=demo.log,
    )
    assert not answers(demo.site_port) and not answers(demo.emulator_port)
    assert not answers(demo.microsoft_port)
    assert not answers(demo.google_port)
    output = demo.log.read_text(errors="replace")
    assert returncode == 0, output
    assert "Demo stopped." in output
