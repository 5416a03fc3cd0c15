"""Workable webhooks (workable.readme.io/reference/webhook-subscriptions-candidates-employees).

Signature [documented]: header `X-Workable-Signature`, HMAC-SHA256 "on the payload", keyed with the
account's API access token (or the OAuth app's client secret): there is no separate webhook
secret, so the `secret` passed to `verify` is that token. Hex without prefix [third-party]. No
timestamp and no ping or test event are documented.

Events: there is no "disqualified" webhook [documented]. Disqualification is a flag on the
candidate, seen in `candidate_moved` [third-party]. The body is `{"data": <candidate>}` (the data
wrapper is documented; the envelope fields `id`, `event_type`, `fired_at`, `resource_type` are
third-party evidence), and `data` is the candidate's state **at sending time**, not at event time.
- `data.disqualified` true -> rejected at `data.disqualified_at`, reason `disqualification_reason`;
  `data.withdrew` true -> withdrawn (the field is documented on the candidates list);
- stage "hired" (`stage_kind`, or the stage name) -> hired [inference];
- otherwise a `candidate_moved` -> reopened [inference]: requalification and an ordinary move look
  alike, so `occurred_at` (`updated_at`) lets the consumer stop only a playbook whose rejection
  came before it.
Workable replays anything that is not HTTP 200.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from nearmiss.intake.base import (
    MAX_REASON_CHARS,
    MAX_SHORT_TEXT_CHARS,
    Parsed,
    ats_id,
    body_digest,
    boolean,
    check_body_hmac,
    check_size,
    email_address,
    full_name,
    ignored,
    instant,
    key_time,
    load_object,
    obj,
    req_ats_id,
    req_instant,
    req_obj,
    require_secret,
    string,
    text,
    word,
)

NAME = "workable"
SIGNING_OPTIONAL = False
SUCCESS_STATUS = 200  # "Response status should be 200 so that Workable won't consider it an error"

_CANDIDATE_EVENTS = frozenset({"candidate_moved", "candidate_created"})


def verify(headers: Mapping[str, str], body: bytes, secret: str, *, now: datetime) -> None:
    """Check `X-Workable-Signature: <hex>` against the raw body, keyed with the account's API token."""
    check_size(body)
    check_body_hmac(headers, body, require_secret(secret), "x-workable-signature")


def parse(headers: Mapping[str, str], body: bytes) -> Parsed:
    root = load_object(headers, body)
    event = string(root, "event_type")
    if event is not None and event not in _CANDIDATE_EVENTS:
        return ignored(NAME, f"event {word(event) or '(unnamed)'} is not one Near Miss acts on", body)
    data = req_obj(root, "data")
    candidate_id = req_ats_id(data, "id", "data")
    if event == "candidate_created":
        return ignored(NAME, "candidate_created", body, key=f"{NAME}:candidate_created:{candidate_id}")

    account = obj(data, "account", "data", required=False) or {}
    job = obj(data, "job", "data", required=False) or {}
    common: dict[str, Any] = {
        "source": NAME,
        "ats_application_id": f"{NAME}:{candidate_id}",  # a Workable candidate belongs to one job
        "candidate_email": email_address(data.get("email")),
        "candidate_name": full_name(data.get("name"))
        or full_name(data.get("firstname"), data.get("lastname")),
        "company": text(account.get("name"), MAX_SHORT_TEXT_CHARS),
        "job_title": text(job.get("title"), MAX_SHORT_TEXT_CHARS),
    }
    if boolean(data, "disqualified", "data", default=False):
        disqualified_at = req_instant(data, "disqualified_at", "data")
        return Parsed(
            kind="rejected",
            dedupe_key=f"{NAME}:disqualified:{candidate_id}:{key_time(disqualified_at)}",
            occurred_at=disqualified_at,
            rejection_reason=text(data.get("disqualification_reason"), MAX_REASON_CHARS),
            withdrawn=boolean(data, "withdrew", "data", default=False),
            **common,
        )
    updated_at = instant(data, "updated_at", "data")
    if _is_hired(data):
        return Parsed(
            kind="hired", dedupe_key=f"{NAME}:hired:{candidate_id}", occurred_at=updated_at, **common
        )
    # A duplicated stop is harmless, a swallowed one is not: key on what distinguishes this move.
    envelope_id = ats_id(root, "id", required=False)
    discriminator = envelope_id or (key_time(updated_at) if updated_at else body_digest(body))
    return Parsed(
        kind="reopened",
        dedupe_key=f"{NAME}:moved:{candidate_id}:{discriminator}",
        occurred_at=updated_at,
        **common,
    )


def _is_hired(data: Mapping[str, Any]) -> bool:
    stage_kind = string(data, "stage_kind", "data")
    stage = data.get("stage")
    stage_name = stage if isinstance(stage, str) else stage.get("name") if isinstance(stage, dict) else None
    return (stage_kind or "").lower() == "hired" or (
        isinstance(stage_name, str) and stage_name.strip().lower() == "hired"
    )
