"""Re-encrypt every stored Google token with the newest TOKEN_ENCRYPTION_KEYS key (key rotation)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from google_meet.models import GoogleGrant
from web_meetings.crypto import TokenDecryptionError, reencrypt_token


class Command(BaseCommand):
    help = (
        "Re-encrypt the hosts' Google tokens with the first key of TOKEN_ENCRYPTION_KEYS (run beside "
        "rotate_token_keys). Safe to run again."
    )

    def handle(self, *args, **options) -> None:
        done = 0
        failed: list[int] = []
        ids = GoogleGrant.objects.exclude(access_token_encrypted="", refresh_token_encrypted="").values_list(
            "pk", flat=True
        )
        for pk in list(ids):
            with transaction.atomic():
                # The row lock keeps a concurrent refresh from writing a token we would then overwrite.
                grant = GoogleGrant.objects.select_for_update().get(pk=pk)
                try:
                    grant.access_token_encrypted = reencrypt_token(grant.access_token_encrypted)
                    grant.refresh_token_encrypted = reencrypt_token(grant.refresh_token_encrypted)
                except TokenDecryptionError:
                    failed.append(grant.pk)
                    continue
                grant.save(update_fields=["access_token_encrypted", "refresh_token_encrypted", "updated_at"])
                done += 1
        self.stdout.write(f"Re-encrypted the Google tokens of {done} grant(s).")
        if failed:
            raise CommandError(
                f"Could not decrypt the Google grants {failed} with any configured key; "
                "keep the old key in TOKEN_ENCRYPTION_KEYS until those hosts connect again."
            )
