"""Signed, expiring, single-purpose tokens for the links in emails (approve, skip, review, stop).

A token is `<base64url(claims)>.<base64url(HMAC-SHA256(secret, purpose + "." + claims))>`. The
purpose is signed but not carried, so an "approve" token can never be replayed as a "stop" token.
Verification compares in constant time and says why a token was refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from datetime import datetime
from typing import Any

MAX_TOKEN_LENGTH = 2048
_B64URL = re.compile(r"[A-Za-z0-9_-]*")


class TokenError(ValueError):
    """A link that cannot be honoured: `reason` is safe to show to the person who clicked it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    """Strict: only the base64url alphabet, no padding, and the one canonical spelling of the
    bytes. The stdlib decoder skips what it does not know, so `<token>!!` would verify as `<token>`."""
    if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError("not canonical base64url")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64(data) != text:  # unused low bits set: another spelling of the same bytes
        raise ValueError("not canonical base64url")
    return data


def _mac(secret: bytes, purpose: str, body: str) -> bytes:
    return hmac.new(secret, f"{purpose}.{body}".encode(), hashlib.sha256).digest()


def sign(purpose: str, claims: dict[str, Any], *, expires_at: datetime, secret: bytes) -> str:
    body = _b64(json.dumps({**claims, "exp": int(expires_at.timestamp())}, separators=(",", ":")).encode())
    return f"{body}.{_b64(_mac(secret, purpose, body))}"


def verify(token: str, purpose: str, *, now: datetime, secret: bytes) -> dict[str, Any]:
    """The claims of a valid token for `purpose`, or TokenError saying what is wrong with it."""
    if not token or len(token) > MAX_TOKEN_LENGTH or token.count(".") != 1:
        raise TokenError("this link is incomplete or damaged")
    body, signature = token.split(".")
    try:
        given = _unb64(signature)
        _unb64(body)
    except ValueError as exc:
        raise TokenError("this link is incomplete or damaged") from exc
    if not hmac.compare_digest(given, _mac(secret, purpose, body)):
        raise TokenError("this link is not valid (it was altered, or it is meant for something else)")
    try:
        claims = json.loads(_unb64(body))
        expires = int(claims.pop("exp"))
    except (ValueError, KeyError, TypeError) as exc:
        raise TokenError("this link is incomplete or damaged") from exc
    if now.timestamp() >= expires:
        raise TokenError("this link has expired")
    if not isinstance(claims, dict):
        raise TokenError("this link is incomplete or damaged")
    return claims
