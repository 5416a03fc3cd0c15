"""Dead-letter replay: both message shapes are read; SES events go to their function, never to the bus
(PutEvents refuses `aws.` sources); ticks are dropped; what cannot be read or fails again stays."""

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


class Lambda:
    def __init__(self, fail: bool = False) -> None:
        self.invoked: list[tuple[str, dict[str, Any]]] = []
        self.fail = fail

    def invoke(self, FunctionName: str, InvocationType: str, Payload: bytes) -> dict[str, Any]:
        import io

        self.invoked.append((FunctionName, json.loads(Payload)))
        if self.fail:
            body = json.dumps({"errorMessage": "table throttled", "errorType": "ClientError"}).encode()
            return {"StatusCode": 200, "FunctionError": "Unhandled", "Payload": io.BytesIO(body)}
        return {"StatusCode": 200, "Payload": io.BytesIO(b"{}")}


FEEDBACK_ARN = "arn:aws:lambda:eu-west-1:123456789012:function:nearmiss-HandleSesFeedback:$LATEST"


def test_events_go_back_to_their_bus_ses_events_to_their_function_and_ticks_are_dropped() -> None:
    lambda_record = {"requestPayload": OURS, "responsePayload": {"errorMessage": "no candidate registered"}}
    ses_record = {"requestPayload": SES, "requestContext": {"functionArn": FEEDBACK_ARN}}
    queue = Queue(
        [json.dumps(lambda_record), json.dumps(TICK), json.dumps(ses_record), "not json", json.dumps([1])]
    )
    bus, functions = Bus(), Lambda()
    report = replay(queue, bus, queue_url="q", bus_name="nearmiss-dev", lambda_client=functions)
    assert (report.replayed, report.dropped, report.unreadable, report.kept) == (2, 1, 2, 0)
    # Our event went back on our bus; the SES event was given to the function it had failed in
    assert [e["EventBusName"] for e in bus.entries] == ["nearmiss-dev"]
    assert functions.invoked == [(FEEDBACK_ARN.removesuffix(":$LATEST"), SES)]
    assert queue.deleted == ["0", "1", "2"]
    assert "no candidate registered" in report.reasons


def test_an_ses_event_from_a_rule_dead_letter_goes_to_the_feedback_function_given() -> None:
    # EventBridge's own dead letter: the event as the body (no record around it)
    queue, functions = Queue([json.dumps(SES)]), Lambda()
    report = replay(
        queue, Bus(), queue_url="q", bus_name="b", lambda_client=functions, feedback_function="feedback-fn"
    )
    assert report.replayed == 1 and functions.invoked == [("feedback-fn", SES)]


def test_an_ses_event_that_fails_again_stays_in_the_queue_with_the_reason() -> None:
    queue = Queue([json.dumps(SES)])
    report = replay(
        queue, Bus(), queue_url="q", bus_name="b", lambda_client=Lambda(fail=True), feedback_function="fn"
    )
    assert report.kept == 1 and queue.deleted == []
    assert any("table throttled" in r for r in report.reasons)


def test_an_ses_event_with_no_function_to_go_to_stays_in_the_queue() -> None:
    queue = Queue([json.dumps(SES)])
    report = replay(queue, Bus(), queue_url="q", bus_name="b", lambda_client=Lambda())
    assert report.kept == 1 and queue.deleted == [] and "--feedback-function" in report.reasons[-1]


def test_an_event_the_bus_refuses_stays_in_the_queue() -> None:
    queue = Queue([json.dumps(OURS)])
    report = replay(queue, Bus(fail=True), queue_url="q", bus_name="b")
    assert report.replayed == 0 and report.kept == 1 and queue.deleted == []
