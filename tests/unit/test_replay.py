"""Dead-letter replay: both message shapes are read; ticks are dropped; what cannot be read stays."""

from __future__ import annotations

import json
from typing import Any

from nearmiss.replay import replay

OURS = {"source": "nearmiss.api", "detail-type": "Application Rejected", "detail": {"data": {}}}
TICK = {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}
SES = {"source": "aws.ses", "detail-type": "Email Bounced", "detail": {"eventType": "Bounce"}}


class Queue:
    def __init__(self, bodies: list[str]) -> None:
        self.messages = [{"Body": b, "ReceiptHandle": str(i)} for i, b in enumerate(bodies)]
        self.deleted: list[str] = []
        self.served = False

    def receive_message(self, **_: Any) -> dict[str, Any]:
        if self.served:  # the unreadable ones stay invisible for this run, as SQS's visibility timeout does
            return {"Messages": []}
        self.served = True
        return {"Messages": self.messages}

    def delete_message(self, QueueUrl: str, ReceiptHandle: str) -> None:
        self.deleted.append(ReceiptHandle)


class Bus:
    def __init__(self, fail: bool = False) -> None:
        self.entries: list[dict[str, Any]] = []
        self.fail = fail

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        self.entries += Entries
        return {"FailedEntryCount": int(self.fail)}


def test_events_go_back_to_their_bus_ticks_are_dropped_and_unreadable_messages_stay() -> None:
    lambda_record = {"requestPayload": OURS, "responsePayload": {"errorMessage": "no candidate registered"}}
    queue = Queue([json.dumps(lambda_record), json.dumps(TICK), json.dumps(SES), "not json", json.dumps([1])])
    bus = Bus()
    report = replay(queue, bus, queue_url="q", bus_name="nearmiss-dev")
    assert (report.replayed, report.dropped, report.unreadable) == (2, 1, 2)
    assert [e["EventBusName"] for e in bus.entries] == ["nearmiss-dev", "default"]
    assert queue.deleted == ["0", "1", "2"]
    assert "no candidate registered" in report.reasons


def test_an_event_the_bus_refuses_stays_in_the_queue() -> None:
    queue = Queue([json.dumps(OURS)])
    report = replay(queue, Bus(fail=True), queue_url="q", bus_name="b")
    assert report.replayed == 0 and queue.deleted == []
