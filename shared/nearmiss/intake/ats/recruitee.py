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
from typing import Any

from nearmiss.intake.base import (
    MAX_REASON_CHARS,
    MAX_SHORT_TEXT_CHARS,
    Kind,
    Parsed,
    WebhookError,
    array,
    ats_id,
    check_body_hmac,
    check_size,
    email_address,
    full_name,
    ignored,
    key_time,
    load_json,
    load_object,
    obj,
    req_ats_id,
    req_instant,
    req_obj,
    req_string,
    require_secret,
    text,
    word,
)

NAME = "recruitee"
SIGNING_OPTIONAL = False
SUCCESS_STATUS = 200  # "any status other than 200" is a failure


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
    event = req_string(root, "event_type")
    if event != "candidate_moved":
        return ignored(NAME, f"event {word(event) or '(unnamed)'} is not one Near Miss acts on", body)
    subtype = req_string(root, "event_subtype")
    payload = req_obj(root, "payload")
    candidate = req_obj(payload, "candidate", "payload")
    candidate_id = req_ats_id(candidate, "id", "payload.candidate")
    offer = obj(payload, "offer", "payload", required=False) or {}
    offer_id = ats_id(offer, "id", "payload.offer", required=False)
    details = obj(payload, "details", "payload", required=False) or {}
    # A Recruitee candidate can be in several jobs (offers): the application is the pair.
    application = f"{candidate_id}:{offer_id}" if offer_id else candidate_id
    occurred_at = req_instant(root, "created_at")
    discriminator = ats_id(root, "id", required=False) or key_time(occurred_at)

    kind: Kind
    if subtype == "disqualified":
        kind = "rejected"
    elif subtype == "requalified":
        kind = "reopened"
    elif subtype == "stage_changed" and _to_stage_category(details) == "hired":
        kind = "hired"
    else:
        return ignored(NAME, f"candidate_moved {word(subtype) or '(unnamed)'}", body)

    company = obj(payload, "company", "payload", required=False) or {}
    return Parsed(
        source=NAME,
        kind=kind,
        dedupe_key=f"{NAME}:{subtype}:{application}:{discriminator}",
        ats_application_id=f"{NAME}:{application}",
        candidate_email=_candidate_email(candidate),
        candidate_name=full_name(candidate.get("name")),
        occurred_at=occurred_at,
        rejection_reason=_reason(details) if kind == "rejected" else None,
        company=text(company.get("name"), MAX_SHORT_TEXT_CHARS),
        job_title=text(offer.get("title"), MAX_SHORT_TEXT_CHARS),
    )


def _is_test(body: bytes) -> bool:
    try:
        value = load_json(body)
    except WebhookError:
        return False
    return isinstance(value, dict) and value.get("test") is True


def _candidate_email(candidate: Mapping[str, Any]) -> str | None:
    for value in array(candidate, "emails", "payload.candidate"):
        if address := email_address(value):
            return address
    return email_address(candidate.get("email"))


def _reason(details: Mapping[str, Any]) -> str | None:
    reason = details.get("disqualify_reason")
    if isinstance(reason, dict):
        reason = reason.get("name")
    return text(reason, MAX_REASON_CHARS)


def _to_stage_category(details: Mapping[str, Any]) -> str | None:
    stage = details.get("to_stage")
    category = stage.get("category") if isinstance(stage, dict) else None
    return category.lower() if isinstance(category, str) else None
