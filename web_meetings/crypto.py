"""Web-meeting service tokens at rest (Zoom, Microsoft Teams, Google Meet): Fernet over
settings.TOKEN_ENCRYPTION_KEYS (newest first).

The newest key encrypts; any listed key decrypts, so keys rotate without downtime: prepend a new key,
run ``manage.py rotate_token_keys``, then drop the old key.
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

__all__ = ["TokenDecryptionError", "decrypt_token", "encrypt_token", "reencrypt_token"]


class TokenDecryptionError(Exception):
    """A stored token cannot be decrypted with any configured key (the key was dropped or changed)."""


@lru_cache(maxsize=4)
def _multi_fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("TOKEN_ENCRYPTION_KEYS is empty: service tokens cannot be stored.")
    return MultiFernet([Fernet(key) for key in keys])


def _fernet() -> MultiFernet:
    # Read the setting on every call so override_settings (tests) and rotation take effect.
    return _multi_fernet(tuple(settings.TOKEN_ENCRYPTION_KEYS))


def encrypt_token(value: str) -> str:
    """The encrypted form of ``value`` ("" stays "")."""
    if not value:
        return ""
    return _fernet().encrypt(value.encode()).decode()


def decrypt_token(value: str) -> str:
    """The plain token ("" stays ""); TokenDecryptionError when no configured key opens it."""
    if not value:
        return ""
    try:
        return _fernet().decrypt(value.encode()).decode()
    except InvalidToken as exc:
        raise TokenDecryptionError("stored token cannot be decrypted with TOKEN_ENCRYPTION_KEYS") from exc


def reencrypt_token(value: str) -> str:
    """``value`` encrypted again with the newest key (for key rotation)."""
    if not value:
        return ""
    try:
        return _fernet().rotate(value.encode()).decode()
    except InvalidToken as exc:
        raise TokenDecryptionError("stored token cannot be decrypted with TOKEN_ENCRYPTION_KEYS") from exc
