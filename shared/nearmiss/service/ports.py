"""The small interfaces the use cases need; adapters implement them, tests pass fakes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from nearmiss.domain.compose import OutgoingMessage
from nearmiss.domain.events import DomainEvent
from nearmiss.domain.models import Application, Candidate
from nearmiss.domain.records import PlaybookRecord, StepRecord


class CreateOutcome(StrEnum):
    CREATED = "created"
    DUPLICATE = "duplicate"  # a playbook for this application exists already
    STOPPED = "stopped"  # a stop newer than the rejection arrived first


class ClaimOutcome(StrEnum):
    CLAIMED = "claimed"
    LOST = "lost"  # someone else changed the step first (another dispatcher, a stop, a decision)
    STOPPED = "stopped"  # the application's playbook was stopped
    SUPPRESSED = "suppressed"  # the recipient bounced, complained, replied or asked to stop
    DAY_TAKEN = "day_taken"  # the recipient already has a message from us that day


@dataclass(frozen=True)
class Suppression:
    recipient_key: str
    reason: str
    candidate_id: str | None = None  # None: for every candidate (bounce, complaint)


class Store(Protocol):
    def put_candidate(self, candidate: Candidate) -> None: ...
    def get_candidate(self, candidate_id: str) -> Candidate | None: ...
    def put_application(self, application: Application) -> None: ...
    def load(self, candidate_id: str, application_id: str) -> tuple[Candidate | None, Application | None]: ...

    def create_playbook(self, playbook: PlaybookRecord, steps: Sequence[StepRecord]) -> CreateOutcome:
        """All steps and the playbook marker in one transaction, unless one exists or a stop came first."""
        ...

    def get_playbook(self, candidate_id: str, application_id: str) -> PlaybookRecord | None: ...
    def record_stop(
        self, candidate_id: str, application_id: str, occurred_at: datetime, reason: str
    ) -> None: ...
    def list_steps(self, candidate_id: str, application_id: str) -> list[StepRecord]: ...
    def get_step(self, candidate_id: str, application_id: str, step_id: str) -> StepRecord | None: ...
    def due_steps(self, now: datetime, limit: int) -> list[StepRecord]: ...

    def replace_step(self, old: StepRecord, new: StepRecord) -> bool:
        """Write `new` only if the stored step is still at `old.version`; False when it was not."""
        ...

    def claim_send(self, old: StepRecord, new: StepRecord, day: str) -> ClaimOutcome:
        """Move a step to `sending` only if it is unchanged, the playbook is not stopped, the recipient
        is not suppressed, and the recipient has no other message from us on `day` (their calendar)."""
        ...

    def suppress(self, suppression: Suppression, at: datetime) -> None: ...
    def list_applications(self, candidate_id: str) -> list[Application]: ...
    def set_candidate_key(self, candidate_id: str, key_hash: str) -> None: ...
    def candidate_key_hash(self, candidate_id: str) -> str | None: ...
    def delete_candidate(self, candidate_id: str) -> int:
        """Everything of the candidate, now; returns how many items went."""
        ...


class Mailer(Protocol):
    def send(self, message: OutgoingMessage) -> str:
        """Send one message; returns the provider's message id. Raises SendError."""
        ...


class Publisher(Protocol):
    def publish(
        self, events: Sequence[DomainEvent], *, source: str, correlation_id: str | None = None
    ) -> None: ...


class SendFailure(StrEnum):
    TRANSIENT = "transient"  # not accepted; safe to try again later (throttling, 5xx, connection refused)
    PERMANENT = "permanent"  # will never be accepted as it is (rejected, unverified sender)
    UNKNOWN = "unknown"  # may or may not have been accepted (a timeout after the request went out)


class SendError(Exception):
    """`retry_after`: the provider is out of capacity for a while (a daily quota, paused sending);
    waiting that long is not a failed attempt of this message."""

    def __init__(self, failure: SendFailure, reason: str, *, retry_after: timedelta | None = None) -> None:
        super().__init__(reason)
        self.failure = failure
        self.reason = reason
        self.retry_after = retry_after
