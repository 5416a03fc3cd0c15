"""The EventBridge publisher: the house envelope, batches of at most 10, failures raised."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from nearmiss.domain.events import DomainEvent, to_entry

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient

BATCH = 10  # PutEvents accepts at most 10 entries per call


class PublishError(RuntimeError):
    pass


class EventBridgePublisher:
    def __init__(self, client: EventBridgeClient, bus_name: str) -> None:
        self.client = client
        self.bus_name = bus_name

    def publish(
        self, events: Sequence[DomainEvent], *, source: str, correlation_id: str | None = None
    ) -> None:
        entries = [
            to_entry(e, source=source, bus_name=self.bus_name, correlation_id=correlation_id) for e in events
        ]
        for start in range(0, len(entries), BATCH):
            batch = entries[start : start + BATCH]
            response = self.client.put_events(Entries=batch)  # type: ignore[arg-type]
            if response.get("FailedEntryCount", 0):
                codes = sorted({e.get("ErrorCode", "?") for e in response["Entries"] if "ErrorCode" in e})
                raise PublishError(
                    f"{response['FailedEntryCount']} event(s) not accepted by EventBridge: {codes}"
                )
