"""Sign a sample webhook body the way its ATS would, for local runs and for tests.

    python -m nearmiss_local.sign_webhook greenhouse events/webhooks/greenhouse/rejected.json --secret S

prints a curl command that posts it to http://127.0.0.1:8000/webhooks/greenhouse with the ATS's
headers (from the sibling `<kind>.headers.json`, if any) and a fresh signature.

The signing here is written independently of `nearmiss.intake`'s verifiers, straight from each
vendor's description, so a test that signs here and verifies there checks one against the other.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import shlex
import sys
from datetime import UTC, datetime
from pathlib import Path

SOURCES = ("greenhouse", "lever", "ashby", "workable", "recruitee", "generic")
DEFAULT_URL = "http://127.0.0.1:8000/webhooks/{source}"
# Not a secret: Lever sends its `token` in clear in the body; any string signs the same way.
LEVER_TOKEN = "nearmiss-local-token"  # noqa: S105


def _hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signed_request(
    source: str, body_bytes: bytes, secret: str, now: datetime
) -> tuple[dict[str, str], bytes]:
    """The signature headers `source` sends with `body_bytes` (and the body, rewritten for Lever,
    which signs fields inside the body: `token`, `triggeredAt` = `now` in ms, `signature`)."""
    if source == "greenhouse":
        return {"Signature": f"sha256 {_hex(secret, body_bytes)}"}, body_bytes
    if source == "ashby":
        return {"Ashby-Signature": f"sha256={_hex(secret, body_bytes)}"}, body_bytes
    if source == "workable":
        return {"X-Workable-Signature": _hex(secret, body_bytes)}, body_bytes
    if source == "recruitee":
        return {"X-Recruitee-Signature": _hex(secret, body_bytes)}, body_bytes
    if source == "generic":
        stamp = str(int(now.timestamp()))
        signature = _hex(secret, stamp.encode("ascii") + b"." + body_bytes)
        return {"X-NearMiss-Timestamp": stamp, "X-NearMiss-Signature": f"sha256={signature}"}, body_bytes
    if source == "lever":
        payload = json.loads(body_bytes)
        given = payload.get("token")
        token = given if isinstance(given, str) and given else LEVER_TOKEN
        triggered = int(now.timestamp() * 1000)
        payload.update(
            token=token, triggeredAt=triggered, signature=_hex(secret, f"{token}{triggered}".encode())
        )
        return {}, json.dumps(payload, indent=2).encode("utf-8")
    raise ValueError(f"unknown source {source!r}; expected one of {', '.join(SOURCES)}")


def sample_headers(body_path: Path) -> dict[str, str]:
    """The headers the ATS sends besides the signature: `<kind>.headers.json` next to the body."""
    headers_path = body_path.with_name(body_path.name.removesuffix(".json") + ".headers.json")
    if not headers_path.exists():
        return {"Content-Type": "application/json"}
    loaded = json.loads(headers_path.read_text(encoding="utf-8"))
    return {str(k): str(v) for k, v in loaded.items()}


def curl_command(source: str, body_path: Path, secret: str, *, now: datetime, url: str) -> str:
    signature_headers, body = signed_request(source, body_path.read_bytes(), secret, now)
    headers = {**sample_headers(body_path), **signature_headers}
    parts = ["curl", "-sS", "-i", "-X", "POST", url]
    for name, value in headers.items():
        parts += ["-H", f"{name}: {value}"]
    parts += ["--data-binary", body.decode("utf-8")]
    return " ".join(shlex.quote(part) for part in parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m nearmiss_local.sign_webhook", description=__doc__.split("\n")[0]
    )
    parser.add_argument("source", choices=SOURCES)
    parser.add_argument(
        "body", type=Path, help="a sample body, e.g. events/webhooks/greenhouse/rejected.json"
    )
    parser.add_argument(
        "--secret", required=True, help="the webhook's signing secret (Workable: the API token)"
    )
    parser.add_argument("--url", help=f"where to post (default {DEFAULT_URL})")
    args = parser.parse_args(argv)
    url = args.url or DEFAULT_URL.format(source=args.source)
    print(curl_command(args.source, args.body, args.secret, now=datetime.now(UTC), url=url))
    return 0


if __name__ == "__main__":
    sys.exit(main())
