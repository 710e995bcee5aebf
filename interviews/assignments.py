"""Interviews: the assignments area's wiring to the apps below (called from InterviewsConfig.ready())."""

from __future__ import annotations


def connect() -> None:
    """Connect this area's receivers and registries."""
