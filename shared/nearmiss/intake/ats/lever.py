"""Lever webhooks (hire.lever.co/developer/documentation#webhooks).

Signature [third-party evidence, several independent implementations agree; Lever's own page was
not readable]: no header. The body carries `token`, `triggeredAt` (epoch milliseconds) and
`signature` = lowercase hex HMAC-SHA256(webhook signature token, token + triggeredAt).

The body itself is NOT signed: a replayed signature with a tampered `data` block verifies. Hence:
- `verify` refuses a `triggeredAt` more than `WINDOW_SECONDS` from our clock (replay guard);
- every event Near Miss acts on has `needs_enrichment=True`: the consumer re-reads the opportunity
  from Lever's API before acting (it has to anyway: the payload holds ids only, no name, no email,
  no job title, no archive-reason text, no hiring team).

Events: Lever has no "reject"; a rejection archives the opportunity. `candidateArchiveChange` with
`data.toArchived` set -> rejected (at `toArchived.archivedAt`); with `toArchived` null and
`fromArchived` set -> reopened. An archive reason can also be a "hired" reason, and a withdrawal:
only the API (`GET /archive_reasons/{id}`) tells, so enrichment decides. `candidateHired` -> hired.
Lever's connection test sends a signed body without `data.opportunityId`: ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from nearmiss.intake.ats.fields import (
    AtsModel,
    EpochMillis,
    OptionalAtsId,
    OptionalEpochMillis,
    RequiredString,
)
from nearmiss.intake.base import (
    Parsed,
    WebhookError,
    check_size,
    check_window,
    hmac_sha256_hex,
    ignored,
    load_object,
    require_secret,
    same_hex,
    validate,
    word,
)

NAME = "lever"
SIGNING_OPTIONAL = False
SUCCESS_STATUS = 200  # Lever's expected status is not documented where we could read; 200 is the safe 2xx
WINDOW_SECONDS = 10 * 60  # [assumption] whether Lever re-signs its retries is unknown


# --- the payload (ids and times only; Lever's other fields are ignored) ------------------------


class _Opportunity(AtsModel):
    opportunityId: OptionalAtsId = None


class _Event(AtsModel):
    event: RequiredString
    data: _Opportunity | None = None


class _Triggered(AtsModel):
    triggeredAt: EpochMillis


class _ToArchived(AtsModel):
    archivedAt: EpochMillis


class _FromArchived(AtsModel):
    archivedAt: OptionalEpochMillis = None


class _ArchiveChangeData(AtsModel):
    toArchived: _ToArchived | None = None
    fromArchived: _FromArchived | None = None


class _ArchiveChange(AtsModel):
    data: _ArchiveChangeData


def verify(headers: Mapping[str, str], body: bytes, secret: str, *, now: datetime) -> None:
    """Check the body's `signature` over `token + triggeredAt`, and that `triggeredAt` is recent."""
    check_size(body)
    key = require_secret(secret)
    root = load_object(headers, body)
    token, triggered, signature = root.get("token"), root.get("triggeredAt"), root.get("signature")
    if not isinstance(signature, str) or not signature.strip():
        raise WebhookError(401, "signature: missing from the body")
    if not isinstance(token, str) or not token:
        raise WebhookError(401, "token: missing from the body")
    if isinstance(triggered, bool) or not isinstance(triggered, int) or triggered < 0:
        raise WebhookError(401, "triggeredAt: missing from the body, or not milliseconds since the epoch")
    message = f"{token}{triggered}".encode("utf-8", "replace")
    if not same_hex(hmac_sha256_hex(key, message), signature):
        raise WebhookError(401, "signature: does not match token and triggeredAt")
    if triggered > 4102444800000:  # 2100-01-01: beyond any window, and beyond datetime's range
        raise WebhookError(401, f"triggeredAt: outside the {WINDOW_SECONDS // 60}-minute window")
    check_window(datetime.fromtimestamp(triggered / 1000, UTC), now, WINDOW_SECONDS, "triggeredAt")


def parse(headers: Mapping[str, str], body: bytes) -> Parsed:
    root = load_object(headers, body)
    envelope = validate(_Event, root)
    opportunity = envelope.data.opportunityId if envelope.data else None
    if opportunity is None:
        return ignored(NAME, "no opportunityId: Lever's connection test", body)
    triggered_at = validate(_Triggered, root).triggeredAt
    common: dict[str, Any] = {
        "source": NAME,
        "ats_application_id": f"{NAME}:{opportunity}",
        "needs_enrichment": True,
    }

    if envelope.event == "candidateArchiveChange":
        change = validate(_ArchiveChange, root).data
        if change.toArchived is not None:
            archived_at = change.toArchived.archivedAt
            return Parsed(
                kind="rejected",
                dedupe_key=f"{NAME}:archive:{opportunity}:{int(archived_at.timestamp() * 1000)}",
                occurred_at=archived_at,
                **common,
            )
        if change.fromArchived is not None:
            # The archive being undone identifies this un-archive: retries share it, and a second
            # archive/un-archive cycle has another archivedAt.
            undone = change.fromArchived.archivedAt or triggered_at
            return Parsed(
                kind="reopened",
                dedupe_key=f"{NAME}:unarchive:{opportunity}:{int(undone.timestamp() * 1000)}",
                occurred_at=triggered_at,
                **common,
            )
        raise WebhookError(400, "data: toArchived or fromArchived is required for candidateArchiveChange")
    if envelope.event == "candidateHired":
        return Parsed(
            kind="hired",
            dedupe_key=f"{NAME}:candidateHired:{opportunity}",
            occurred_at=triggered_at,
            **common,
        )
    name = word(envelope.event) or "(unnamed)"
    return ignored(NAME, f"event {name} is not one Near Miss acts on", body)
