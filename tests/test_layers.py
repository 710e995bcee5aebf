"""The apps' layers: lower apps reach higher ones only through required signals and registries, and a
missing receiver is a start-up error (system check hooks.E001), never a silently skipped step."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from accounts.hooks import check_required_receivers
from applicants.registry import applicant_panels, interviewer_scopes
from applicants.signals import applicant_anonymizing
from booking import panels, receivers
from notifications import receivers as notification_receivers
from scheduling import receivers as scheduling_receivers
from scheduling.registry import slot_panels
from scheduling.signals import slot_changed, slot_deleted, slot_seats_added
from web_meetings import signals as web_meeting_signals

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = [
    "e2rpro", "accounts", "applicants", "notifications", "web_meetings", "zoom_integration",
    "teams_integration", "google_meet", "scheduling", "booking", "interviews", "outreach", "reports",
    "zoom_emulator", "microsoft_emulator", "google_emulator", "emulator_kit", "benchmarks",
]  # fmt: skip


def test_every_required_receiver_is_connected_when_the_apps_are_ready():
    assert check_required_receivers() == []
    call_command("check")  # raises SystemCheckError on any error


@pytest.mark.parametrize(
    ("signal", "receiver", "uid"),
    [
        (slot_changed, receivers.on_slot_changed, "booking"),
        (slot_seats_added, receivers.on_slot_seats_added, "booking"),
        (slot_deleted, receivers.on_slot_deleted, "booking"),
        (applicant_anonymizing, receivers.on_applicant_anonymizing, "booking"),
        (applicant_anonymizing, notification_receivers.on_applicant_anonymizing, "notifications"),
        (web_meeting_signals.link_usable, scheduling_receivers.on_link_usable, "scheduling"),
        (web_meeting_signals.meeting_changed, scheduling_receivers.on_meeting_changed, "scheduling"),
    ],
    ids=lambda value: getattr(value, "name", getattr(value, "__module__", value)),
)
def test_a_signal_without_its_receiver_fails_the_system_check(signal, receiver, uid):
    app = receiver.__module__.split(".")[0]
    assert signal.disconnect(dispatch_uid=uid)
    try:
        errors = check_required_receivers()
        assert [error.id for error in errors] == ["hooks.E001"]
        assert signal.name in errors[0].msg and f"'{app}'" in errors[0].msg
        with pytest.raises(SystemCheckError):
            call_command("check")
    finally:
        signal.connect(receiver, dispatch_uid=uid)
    assert check_required_receivers() == []


@pytest.mark.parametrize(
    ("registry", "function"),
    [
        (interviewer_scopes, receivers.interviewer_applicant_ids),
        (applicant_panels, panels.applicant_bookings_panel),
        (slot_panels, panels.slot_bookings_panel),
    ],
    ids=lambda value: getattr(value, "name", getattr(value, "__name__", "")),
)
def test_a_registry_without_its_function_fails_the_system_check(registry, function):
    registry.unregister(function)
    try:
        errors = check_required_receivers()
        assert [error.id for error in errors] == ["hooks.E001"] and registry.name in errors[0].msg
    finally:
        registry.register(function)
    assert check_required_receivers() == []


def test_the_layer_contract_holds_and_catches_an_upward_import_inside_a_function(tmp_path):
    """import-linter's contracts over the real tree, then over a copy with one upward import."""
    linter = Path(sys.executable).with_name("lint-imports")
    kept = subprocess.run([str(linter)], cwd=ROOT, capture_output=True, text=True, check=False)
    assert kept.returncode == 0, kept.stdout[-2000:]

    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    selectors = tmp_path / "notifications" / "selectors.py"
    selectors.write_text(selectors.read_text() + "\n\ndef _reach_up():\n    from booking import services\n")
    broken = subprocess.run([str(linter)], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert broken.returncode != 0
    assert "notifications.selectors -> booking.services" in broken.stdout
