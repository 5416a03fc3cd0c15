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


# ---- reply addresses ---------------------------------------------------------------------------------
# A note's Reply-To is `reply+<token>@<receiving domain>`. A local part is at most 64 octets (RFC 5321
# 4.5.3.1.1) and some MTAs lower-case it on the way, so the token is short and of one case: lowercase
# base32 (RFC 4648 alphabet, a-z2-7), no padding. It carries no claims, only a reference: the id of a
# lookup item (owned, written conditionally) that names the member, the application, the recipient and
# the step, followed by a truncated HMAC of the id, so a guessed or altered address is refused before
# any lookup, in constant time.
REPLY_ID_LENGTH = 16  # 80 bits
REPLY_MAC_LENGTH = 10  # 50 bits: a forger needs ~2**49 tries per address, each a mail SES must accept
REPLY_TOKEN_LENGTH = REPLY_ID_LENGTH + REPLY_MAC_LENGTH
_BASE32_LOWER = re.compile(f"[a-z2-7]{{{REPLY_TOKEN_LENGTH}}}")


def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode().rstrip("=").lower()


def reply_id(secret: bytes, *names: str) -> str:
    """The lookup id of one note: keyed, so nobody without the secret can compute or guess it, and
    stable, so a retried send carries the same address and writes the same lookup again (a random
    id would leave one lookup per attempt)."""
    digest = hmac.new(secret, b"reply-id\x00" + "\x00".join(names).encode(), hashlib.sha256)
    return _b32(digest.digest())[:REPLY_ID_LENGTH]


def _reply_mac(secret: bytes, identifier: str) -> str:
    return _b32(hmac.new(secret, f"reply.{identifier}".encode(), hashlib.sha256).digest())[:REPLY_MAC_LENGTH]


def reply_token(identifier: str, *, secret: bytes) -> str:
    return identifier + _reply_mac(secret, identifier)


def read_reply_token(token: str, *, secret: bytes) -> str:
    """The lookup id of a reply token (any case), or TokenError: the form first, then the MAC,
    compared in constant time."""
    token = token.strip().lower()
    if not _BASE32_LOWER.fullmatch(token):
        raise TokenError("not a reply address of ours")
    identifier, mac = token[:REPLY_ID_LENGTH], token[REPLY_ID_LENGTH:]
    if not hmac.compare_digest(mac.encode(), _reply_mac(secret, identifier).encode()):
        raise TokenError("the reply address was altered or is not ours")
    return identifier


# ---- intake addresses --------------------------------------------------------------------------------
# A member's private intake address is `in+<token>@<receiving domain>`: the same form as a reply token
# (26 lowercase base32 characters, a lookup id and a truncated HMAC), under its own MAC purpose, so a
# reply token is never an intake token. The id is keyed on the member and their key generation: a new
# key gives a new address (the old one's lookup no longer verifies).


def intake_id(secret: bytes, candidate_id: str, key_generation: str) -> str:
    digest = hmac.new(secret, f"intake-id\x00{candidate_id}\x00{key_generation}".encode(), hashlib.sha256)
    return _b32(digest.digest())[:REPLY_ID_LENGTH]


def _intake_mac(secret: bytes, identifier: str) -> str:
    return _b32(hmac.new(secret, f"intake.{identifier}".encode(), hashlib.sha256).digest())[:REPLY_MAC_LENGTH]


def intake_token(identifier: str, *, secret: bytes) -> str:
    return identifier + _intake_mac(secret, identifier)


def read_intake_token(token: str, *, secret: bytes) -> str:
    """The lookup id of an intake token (any case), or TokenError; the MAC compared in constant time."""
    token = token.strip().lower()
    if not _BASE32_LOWER.fullmatch(token):
        raise TokenError("not an intake address of ours")
    identifier, mac = token[:REPLY_ID_LENGTH], token[REPLY_ID_LENGTH:]
    if not hmac.compare_digest(mac.encode(), _intake_mac(secret, identifier).encode()):
        raise TokenError("the intake address was altered or is not ours")
    return identifier
