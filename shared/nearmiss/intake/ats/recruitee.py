"""Recruitee (Tellent) webhooks (docs.recruitee.com/docs/webhooks). Less certain than the others:
only part of Recruitee's page was readable, so the payload shape is third-party evidence.

Signature [third-party, several implementations agree]: header `X-Recruitee-Signature`, the hex
HMAC-SHA256 of the raw body keyed with the webhook's secret. No timestamp, no replay window.

Test request [documented]: `{"test": true}` with `User-Agent: Recruitee-Webhooks`; the "Test
payload" buttons send example payloads with the same `test` parameter. The endpoint must answer
200 or the webhook is not created, and Recruitee shows the secret only once the webhook exists,
so `verify` lets a `test` body through unsigned and `parse` ignores every `test` body: it can
start nothing. Any status other than 200 is a failure and is retried [documented].

Events [third-party]: "Candidate Pipeline Change" = `event_type: "candidate_moved"` with
`event_subtype` `disqualified` (rejected), `requalified` (reopened) or `stage_changed` (hired when
the new stage's category is "hired" [inference]; otherwise ignored). The body:
`{"id", "attempt_count", "created_at", "event_type", "event_subtype",
  "payload": {"candidate", "offer" (the job), "company", "details"}}`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from nearmiss.intake.ats.fields import (
    AtsId,
    AtsModel,
    Email,
    Instant,
    NamedText,
    NameText,
    OptionalAtsId,
    RequiredString,
    ShortText,
)
from nearmiss.intake.base import (
    MAX_REASON_CHARS,
    Kind,
    Parsed,
    WebhookError,
    check_body_hmac,
    check_size,
    ignored,
    key_time,
    load_json,
    load_object,
    require_secret,
    text,
    validate,
    word,
)

NAME = "recruitee"
SIGNING_OPTIONAL = False
SUCCESS_STATUS = 200  # "any status other than 200" is a failure


# --- the payload (only what Near Miss reads; Recruitee's other fields are ignored) -------------


class _Event(AtsModel):
    event_type: RequiredString


class _Candidate(AtsModel):
    id: AtsId
    name: NameText = None
    emails: list[Email] | None = None
    email: Email = None


class _Offer(AtsModel):
    """The job: Recruitee calls a job an offer."""

    id: OptionalAtsId = None
    title: ShortText = None


class _Stage(AtsModel):
    category: str | None = None


class _Details(AtsModel):
    disqualify_reason: NamedText = None  # plain text, or {"name": ...}
    to_stage: _Stage | None = None


class _Company(AtsModel):
    name: ShortText = None


class _Payload(AtsModel):
    candidate: _Candidate
    offer: _Offer | None = None
    details: _Details | None = None
    company: _Company | None = None


class _CandidateMoved(AtsModel):
    event_subtype: RequiredString
    payload: _Payload
    created_at: Instant
    id: OptionalAtsId = None


def verify(headers: Mapping[str, str], body: bytes, secret: str, *, now: datetime) -> None:
    """Check `X-Recruitee-Signature: <hex>` against the raw body; a `{"test": true}` body passes unsigned."""
    check_size(body)
    if _is_test(body):
        return  # before the secret check: the test comes before Recruitee reveals the secret
    check_body_hmac(headers, body, require_secret(secret), "x-recruitee-signature")


def parse(headers: Mapping[str, str], body: bytes) -> Parsed:
    root = load_object(headers, body)
    if root.get("test") is True:
        return ignored(NAME, "test request", body)
    event = validate(_Event, root).event_type
    if event != "candidate_moved":
        return ignored(NAME, f"event {word(event) or '(unnamed)'} is not one Near Miss acts on", body)
    moved = validate(_CandidateMoved, root)
    subtype, payload = moved.event_subtype, moved.payload
    offer = payload.offer or _Offer()
    details = payload.details or _Details()
    # A Recruitee candidate can be in several jobs (offers): the application is the pair.
    application = f"{payload.candidate.id}:{offer.id}" if offer.id else payload.candidate.id
    discriminator = moved.id or key_time(moved.created_at)

    kind: Kind
    if subtype == "disqualified":
        kind = "rejected"
    elif subtype == "requalified":
        kind = "reopened"
    elif subtype == "stage_changed" and _to_stage_category(details) == "hired":
        kind = "hired"
    else:
        return ignored(NAME, f"candidate_moved {word(subtype) or '(unnamed)'}", body)

    return Parsed(
        source=NAME,
        kind=kind,
        dedupe_key=f"{NAME}:{subtype}:{application}:{discriminator}",
        ats_application_id=f"{NAME}:{application}",
        candidate_email=_candidate_email(payload.candidate),
        candidate_name=payload.candidate.name,
        occurred_at=moved.created_at,
        rejection_reason=text(details.disqualify_reason, MAX_REASON_CHARS) if kind == "rejected" else None,
        company=payload.company.name if payload.company else None,
        job_title=offer.title,
    )


def _is_test(body: bytes) -> bool:
    try:
        value = load_json(body)
    except WebhookError:
        return False
    return isinstance(value, dict) and value.get("test") is True


def _candidate_email(candidate: _Candidate) -> str | None:
    return next((address for address in candidate.emails or [] if address), None) or candidate.email


def _to_stage_category(details: _Details) -> str | None:
    category = details.to_stage.category if details.to_stage else None
    return category.lower() if category is not None else None
