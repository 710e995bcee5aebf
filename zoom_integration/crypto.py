"""Moved to web_meetings.crypto (shared by every web-meeting provider); kept for existing imports."""

from web_meetings.crypto import TokenDecryptionError, decrypt_token, encrypt_token, reencrypt_token

__all__ = ["TokenDecryptionError", "decrypt_token", "encrypt_token", "reencrypt_token"]
