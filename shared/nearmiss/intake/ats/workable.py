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

from nearmiss.intake.ats.fields import (
    AtsId,
    AtsModel,
    Email,
    Instant,
    NamedText,
    OptionalAtsId,
    OptionalInstant,
    ReasonText,
    ShortText,
)
from nearmiss.intake.base import (
    Parsed,
    body_digest,
    check_body_hmac,
    check_size,
    full_name,
    ignored,
    key_time,
    load_object,
    require_secret,
    validate,
    word,
)

NAME = "workable"
SIGNING_OPTIONAL = False
SUCCESS_STATUS = 200  # "Response status should be 200 so that Workable won't consider it an error"

_CANDIDATE_EVENTS = frozenset({"candidate_moved", "candidate_created"})


# --- the payload (only what Near Miss reads; Workable's other fields are ignored) --------------


class _Event(AtsModel):
    event_type: str | None = None


class _Target(AtsModel):
    id: AtsId


class _Targeted(AtsModel):
    data: _Target


class _Account(AtsModel):
    name: ShortText = None


class _Job(AtsModel):
    title: ShortText = None


class _Candidate(AtsModel):
    """`data`: the candidate's state at sending time."""

    account: _Account | None = None
    job: _Job | None = None
    email: Email = None
    name: str | None = None
    firstname: str | None = None
    lastname: str | None = None
    disqualified: bool | None = None


class _Disqualified(_Candidate):
    disqualified_at: Instant
    disqualification_reason: ReasonText = None
    withdrew: bool | None = None


class _Moved(_Candidate):
    updated_at: OptionalInstant = None
    stage_kind: str | None = None
    stage: NamedText = None  # the stage's name, or {"name": ...}


class _Envelope(AtsModel):
    id: OptionalAtsId = None


def verify(headers: Mapping[str, str], body: bytes, secret: str, *, now: datetime) -> None:
    """Check `X-Workable-Signature: <hex>` against the raw body, keyed with the account's API token."""
    check_size(body)
    check_body_hmac(headers, body, require_secret(secret), "x-workable-signature")


def parse(headers: Mapping[str, str], body: bytes) -> Parsed:
    root = load_object(headers, body)
    event = validate(_Event, root).event_type
    if event is not None and event not in _CANDIDATE_EVENTS:
        return ignored(NAME, f"event {word(event) or '(unnamed)'} is not one Near Miss acts on", body)
    candidate_id = validate(_Targeted, root).data.id
    if event == "candidate_created":
        return ignored(NAME, "candidate_created", body, key=f"{NAME}:candidate_created:{candidate_id}")

    data = validate(_Candidate, root["data"], "data")
    common: dict[str, Any] = {
        "source": NAME,
        "ats_application_id": f"{NAME}:{candidate_id}",  # a Workable candidate belongs to one job
        "candidate_email": data.email,
        "candidate_name": full_name(data.name) or full_name(data.firstname, data.lastname),
        "company": data.account.name if data.account else None,
        "job_title": data.job.title if data.job else None,
    }
    if data.disqualified:
        disqualified = validate(_Disqualified, root["data"], "data")
        return Parsed(
            kind="rejected",
            dedupe_key=f"{NAME}:disqualified:{candidate_id}:{key_time(disqualified.disqualified_at)}",
            occurred_at=disqualified.disqualified_at,
            rejection_reason=disqualified.disqualification_reason,
            withdrawn=disqualified.withdrew is True,
            **common,
        )
    moved = validate(_Moved, root["data"], "data")
    if _is_hired(moved):
        return Parsed(
            kind="hired", dedupe_key=f"{NAME}:hired:{candidate_id}", occurred_at=moved.updated_at, **common
        )
    # A duplicated stop is harmless, a swallowed one is not: key on what distinguishes this move.
    envelope_id = validate(_Envelope, root).id
    updated_at = moved.updated_at
    discriminator = envelope_id or (key_time(updated_at) if updated_at else body_digest(body))
    return Parsed(
        kind="reopened",
        dedupe_key=f"{NAME}:moved:{candidate_id}:{discriminator}",
        occurred_at=updated_at,
        **common,
    )


def _is_hired(data: _Moved) -> bool:
    return (data.stage_kind or "").lower() == "hired" or (data.stage or "").strip().lower() == "hired"
