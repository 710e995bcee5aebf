"""How far a background job of the applicants area has come (the import's check and import, a large
export), as its page shows it and as the page's JSON endpoint answers (``static/js/applicant_import.js``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class JobProgress:
    phase: str
    label: str
    done: int
    total: int
    running: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "phase": self.phase,
            "label": self.label,
            "done": self.done,
            "total": self.total,
            "running": self.running,
        }
