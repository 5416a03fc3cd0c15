"""Load the sample webhooks under events/webhooks and sign them as their ATS would.

Headers come back lower-cased, as the HTTP handler hands them to `verify` and `parse`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from nearmiss_local.sign_webhook import signed_request

EVENTS = Path(__file__).resolve().parents[2] / "events" / "webhooks"
SECRET = "test-signing-secret"
NOW = datetime(2026, 11, 24, 15, 10, tzinfo=UTC)


def sample_path(source: str, kind: str) -> Path:
    return EVENTS / source / f"{kind}.json"


def sample_kinds(source: str) -> list[str]:
    return sorted(p.stem for p in (EVENTS / source).glob("*.json") if not p.name.endswith(".headers.json"))


def sample_body(source: str, kind: str) -> bytes:
    return sample_path(source, kind).read_bytes()


def sample_json(source: str, kind: str) -> dict[str, object]:
    loaded = json.loads(sample_body(source, kind))
    assert isinstance(loaded, dict)
    return loaded


def sample_headers(source: str, kind: str) -> dict[str, str]:
    path = EVENTS / source / f"{kind}.headers.json"
    return {k.lower(): v for k, v in json.loads(path.read_text(encoding="utf-8")).items()}


def sign(
    source: str,
    body: bytes,
    *,
    headers: dict[str, str] | None = None,
    secret: str = SECRET,
    now: datetime = NOW,
) -> tuple[dict[str, str], bytes]:
    """Sign `body` for `source`: lower-cased headers (the given ones and the signature), and the body."""
    signature_headers, signed_body = signed_request(source, body, secret, now)
    merged = {**(headers or {"content-type": "application/json"})}
    merged.update({k.lower(): v for k, v in signature_headers.items()})
    return merged, signed_body


def signed_sample(
    source: str, kind: str, *, secret: str = SECRET, now: datetime = NOW
) -> tuple[dict[str, str], bytes]:
    return sign(
        source, sample_body(source, kind), headers=sample_headers(source, kind), secret=secret, now=now
    )


def as_body(value: object) -> bytes:
    return json.dumps(value).encode("utf-8")
