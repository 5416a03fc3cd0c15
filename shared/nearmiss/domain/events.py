"""The canonical events on the Near Miss bus, and the one envelope they travel in.

Detail-types are past tense. Every detail carries a `metadata` block (version, correlation id,
occurred-at) and a typed `data` block; handlers parse the EventBridge event into `BusEvent`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from nearmiss.domain.models import MAX_CONTACTS, Contact, Identifier, Instant, Strict

SOURCE_PREFIX = "nearmiss"


class ApplicationRejected(Strict):
    """The hiring side said no. `learned_at` is when the candidate heard it: the playbook's clock."""

    detail_type: ClassVar[str] = "Application Rejected"

    candidate_id: Identifier
    application_id: Identifier
    source: str = "manual"
    rejected_at: Instant  # as the ATS (or the candidate) reported it
    learned_at: Instant  # rejected_at plus the source's delay, or when the candidate entered it
    reason: str | None = Field(default=None, max_length=500)
    withdrawn: bool = False  # the candidate withdrew: no thank-you campaign is started
    # Contacts the ATS named (with an email); merged with those the candidate registered.
    contacts: tuple[Contact, ...] = Field(default=(), max_length=MAX_CONTACTS)


class ApplicationReopened(Strict):
    detail_type: ClassVar[str] = "Application Reopened"

    candidate_id: Identifier
    application_id: Identifier
    source: str = "manual"
    occurred_at: Instant


class CandidateHired(Strict):
    detail_type: ClassVar[str] = "Candidate Hired"

    candidate_id: Identifier
    application_id: Identifier
    source: str = "manual"
    occurred_at: Instant


class PlaybookCancelled(Strict):
    """The candidate asked to stop everything for this application."""

    detail_type: ClassVar[str] = "Playbook Cancelled"

    candidate_id: Identifier
    application_id: Identifier
    source: str = "manual"
    occurred_at: Instant
    reason: str | None = Field(default=None, max_length=500)


StopEvent = ApplicationReopened | CandidateHired | PlaybookCancelled
DomainEvent = ApplicationRejected | StopEvent

EVENT_TYPES: dict[str, type[DomainEvent]] = {
    cls.detail_type: cls  # type: ignore[misc]
    for cls in (ApplicationRejected, ApplicationReopened, CandidateHired, PlaybookCancelled)
}


class Metadata(Strict):
    version: Literal["1"] = "1"
    correlation_id: str = Field(default_factory=lambda: str(uuid.uuid4()), max_length=128)
    occurred_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


class Detail(Strict):
    metadata: Metadata
    data: dict[str, Any]


class BusEvent(BaseModel):
    """An EventBridge event as a rule delivers it to a Lambda function (or, locally, to SQS).

    Powertools' EventBridgeModel requires `account`, which moto's delivery lacks, and costs
    ~100 ms of imports; this model is what the handlers need and nothing more.
    """

    model_config = ConfigDict(extra="ignore", populate_by_name=True, defer_build=True)

    id: str
    detail_type: str = Field(validation_alias=AliasChoices("detail-type", "detail_type"))
    source: str
    time: datetime
    detail: Detail

    def domain_event(self) -> DomainEvent:
        model = EVENT_TYPES.get(self.detail_type)
        if model is None:
            raise ValueError(f"detail-type {self.detail_type!r} is not a Near Miss event")
        return model.model_validate(self.detail.data)


def to_entry(
    event: DomainEvent, *, source: str, bus_name: str, correlation_id: str | None = None
) -> dict[str, Any]:
    """One PutEvents entry in the house envelope."""
    metadata = Metadata(correlation_id=correlation_id) if correlation_id else Metadata()
    detail = Detail(metadata=metadata, data=event.model_dump(mode="json"))
    return {
        "Source": f"{SOURCE_PREFIX}.{source}",
        "DetailType": event.detail_type,
        "Detail": detail.model_dump_json(),
        "EventBusName": bus_name,
    }
