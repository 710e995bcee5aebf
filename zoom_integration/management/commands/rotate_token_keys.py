"""Re-encrypt every stored Zoom token with the newest TOKEN_ENCRYPTION_KEYS key (key rotation)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from web_meetings.crypto import TokenDecryptionError, reencrypt_token
from zoom_integration.models import ZoomConnection


class Command(BaseCommand):
    help = (
        "Re-encrypt the Zoom tokens with the first key of TOKEN_ENCRYPTION_KEYS. Rotate by prepending a new "
        "key, running this, then removing the old key. Safe to run again."
    )

    def handle(self, *args, **options) -> None:
        done = 0
        failed = []
        ids = ZoomConnection.objects.exclude(
            access_token_encrypted="", refresh_token_encrypted=""
        ).values_list("pk", flat=True)
        for pk in list(ids):
            with transaction.atomic():
                # The row lock keeps a concurrent refresh from writing a pair we would then overwrite.
                connection = ZoomConnection.objects.select_for_update().get(pk=pk)
                try:
                    connection.access_token_encrypted = reencrypt_token(connection.access_token_encrypted)
                    connection.refresh_token_encrypted = reencrypt_token(connection.refresh_token_encrypted)
                except TokenDecryptionError:
                    failed.append(connection.company_id)
                    continue
                connection.save(
                    update_fields=["access_token_encrypted", "refresh_token_encrypted", "updated_at"]
                )
                done += 1
        self.stdout.write(f"Re-encrypted the Zoom tokens of {done} connection(s).")
        if failed:
            raise CommandError(
                f"Could not decrypt the tokens of companies {failed} with any configured key; "
                "keep the old key in TOKEN_ENCRYPTION_KEYS until they re-authorize."
            )
