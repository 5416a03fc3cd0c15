"""The generic source: Near Miss's own webhook format, for any system that can POST signed JSON
(an ATS without native support, a Zapier/Make step, a career-services platform).

Request::

    POST /webhooks/generic
    Content-Type: application/json
    X-NearMiss-Timestamp: 1795878600
    X-NearMiss-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>." + raw body)>

The timestamp is Unix seconds; a request more than 5 minutes from our clock is refused, so a
captured request cannot be replayed later. The signature covers the timestamp and the exact bytes.

Body (unknown fields are refused, so a typo fails loudly instead of being ignored)::

    {
      "event": "rejected" | "reopened" | "hired",
      "application_id": "acme-2026-staff-eng",     # your id: letters, digits, . _ : @ - (max 100)
      "candidate_email": "ada@example.com",         # the candidate, as registered with Near Miss
      "occurred_at": "2026-11-20T16:05:00Z",        # ISO-8601 with an offset: when it happened
      "company": "Northwind Data",                  # optional
      "job_title": "Staff Platform Engineer",       # optional
      "reason": "Went with an internal candidate",  # optional, at most 500 characters
      "withdrawn": false,                           # optional: true if the candidate withdrew
      "contacts": [                                 # optional, at most 15; see nearmiss.domain.models.Contact
        {"name": "Grace Park", "email": "grace@northwind.example", "role": "hiring_manager",
         "title": "VP Engineering", "discussed": "event sourcing"},
        {"name": "Mei Tanaka", "role": "interviewer"}  # no email: kept for the candidate to complete
      ]
    }

`{"event": "ping"}` (signed like any other request) checks the wiring and is acknowledged.
The same (event, application_id, occurred_at) sent twice is one event.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from nearmiss.domain.models import MAX_CONTACTS, Contact, Instant, ShortText
from nearmiss.intake.base import (
    MAX_REASON_CHARS,
    Parsed,
    People,
    WebhookError,
    check_size,
    check_window,
    header,
    hmac_sha256_hex,
    ignored,
    key_time,
    load_object,
    require_secret,
    same_hex,
    text,
    validate,
)

NAME = "generic"
SIGNING_OPTIONAL = False
SUCCESS_STATUS = 200
WINDOW_SECONDS = 5 * 60


# The domain's Identifier, shorter: "generic:" + this must still be an Identifier (128 characters).
ApplicationId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,99}$")]


class GenericEvent(BaseModel):
    """The documented body (see the module docstring)."""

    # Unlike an ATS's payload, our own format refuses unknown fields: a typo fails loudly.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True, defer_build=True)

    event: Literal["rejected", "reopened", "hired"]
    application_id: ApplicationId
    candidate_email: EmailStr
    occurred_at: Instant
    company: ShortText | None = None
    job_title: ShortText | None = None
    reason: Annotated[str, Field(min_length=1, max_length=500)] | None = None
    withdrawn: bool = False
    contacts: tuple[Contact, ...] = Field(default=(), max_length=MAX_CONTACTS)


class GenericPing(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    event: Literal["ping"]


def verify(headers: Mapping[str, str], body: bytes, secret: str, *, now: datetime) -> None:
    """Check `X-NearMiss-Signature: sha256=<hex>` over "<timestamp>." + body, and the 5-minute window."""
    check_size(body)
    key = require_secret(secret)
    stamp = header(headers, "x-nearmiss-timestamp")
    value = header(headers, "x-nearmiss-signature")
    if stamp is None:
        raise WebhookError(401, "x-nearmiss-timestamp: header missing")
    if value is None:
        raise WebhookError(401, "x-nearmiss-signature: header missing")
    if not stamp.isascii() or not stamp.isdigit() or len(stamp) > 12:
        raise WebhookError(401, "x-nearmiss-timestamp: must be Unix seconds")
    algorithm, _, digest = value.partition("=")
    if algorithm.strip().lower() != "sha256" or not digest.strip():
        raise WebhookError(401, "x-nearmiss-signature: expected 'sha256=<hex digest>'")
    if not same_hex(hmac_sha256_hex(key, stamp.encode("ascii") + b"." + body), digest):
        raise WebhookError(401, "x-nearmiss-signature: does not match the timestamp and body")
    if int(stamp) > 4102444800:  # 2100-01-01: beyond any window, and beyond datetime's range
        raise WebhookError(401, f"x-nearmiss-timestamp: outside the {WINDOW_SECONDS // 60}-minute window")
    check_window(datetime.fromtimestamp(int(stamp), UTC), now, WINDOW_SECONDS, "x-nearmiss-timestamp")


def parse(headers: Mapping[str, str], body: bytes) -> Parsed:
    root = load_object(headers, body)
    if root.get("event") == "ping":
        validate(GenericPing, root)
        return ignored(NAME, "ping", body)
    event = validate(GenericEvent, root)
    people = People()
    people.add_contacts(event.contacts)
    return Parsed(
        source=NAME,
        kind=event.event,
        dedupe_key=f"{NAME}:{event.event}:{event.application_id}:{key_time(event.occurred_at)}",
        ats_application_id=f"{NAME}:{event.application_id}",
        candidate_email=event.candidate_email,
        occurred_at=event.occurred_at,
        rejection_reason=text(event.reason, MAX_REASON_CHARS),
        withdrawn=event.withdrawn,
        company=event.company,
        job_title=event.job_title,
        contacts=people.contacts,
        incomplete_contacts=people.incomplete,
    )
