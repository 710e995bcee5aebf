"""OAuth 2.0 pieces both vendors implement the same way: the PKCE challenge (RFC 7636) and unpadded
base64url."""

from __future__ import annotations

import base64
import hashlib


def pkce_challenge(verifier: str, method: str = "S256") -> str:
    """RFC 7636: S256 = BASE64URL(SHA256(verifier)) without padding; plain = the verifier itself."""
    if method == "plain":
        return verifier
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return b64url(digest)


def b64url(data: bytes) -> str:
    """Base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
