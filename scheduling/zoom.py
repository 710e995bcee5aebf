"""The one seam between scheduling and zoom_integration (the contract in /zoom_integration/client.py).

Imports are lazy so scheduling works (and its tests can replace these functions) whatever the state of
the Zoom link app; the unit tests monkeypatch the functions of this module.
"""

from __future__ import annotations

from typing import Any

from accounts.models import Company


def usable_connection(company: Company) -> Any:
    """The company's ZoomConnection; raises client.ZoomNotLinked with a Japanese reason otherwise."""
    from zoom_integration import services

    return services.usable_connection(company)


def create_meeting(connection: Any, *, host_id: str, body: dict) -> dict:
    from zoom_integration import client

    return client.create_meeting(connection, host_id=host_id, body=body)


def get_meeting(connection: Any, *, meeting_id: int) -> dict:
    from zoom_integration import client

    return client.get_meeting(connection, meeting_id=meeting_id)


def update_meeting(connection: Any, *, meeting_id: int, body: dict) -> None:
    from zoom_integration import client

    client.update_meeting(connection, meeting_id=meeting_id, body=body)


def delete_meeting(connection: Any, *, meeting_id: int) -> None:
    from zoom_integration import client

    client.delete_meeting(connection, meeting_id=meeting_id)


def list_user_meetings(connection: Any, *, host_id: str) -> list[dict]:
    from zoom_integration import client

    return client.list_user_meetings(connection, host_id=host_id, meeting_type="scheduled")


def connection_is_linked(company: Company) -> bool:
    """True while the company may issue meetings (Zoom switched on and the link 連携中)."""
    from zoom_integration.models import ConnectionStatus, ZoomConnection

    if not company.zoom_enabled:
        return False
    return ZoomConnection.objects.filter(company=company, status=ConnectionStatus.LINKED).exists()
