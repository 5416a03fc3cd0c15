"""Replay what landed in the dead-letter queue: `make replay QUEUE=<url> BUS=<name>`.

The queue holds two kinds of messages, and both are read:
- an event EventBridge could not deliver to its target (the body is the event itself);
- a Lambda OnFailure record after the retries of an asynchronous invocation ran out
  (`requestPayload` is the event, `responsePayload.errorMessage` says why).
Events of ours (source "nearmiss.*") go back on our bus, SES feedback on the default bus; scheduler
ticks are dropped (the next tick does the same work). A message is deleted only after its event
was accepted again; one that fails again comes back to the queue through the same route.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ReplayReport:
    replayed: int = 0
    dropped: int = 0
    unreadable: int = 0
    reasons: list[str] = field(default_factory=list)


def event_of(body: str) -> tuple[dict[str, Any] | None, str]:
    """The original event in a dead-letter message, and the error recorded with it."""
    try:
        message = json.loads(body)
    except ValueError:
        return None, "not JSON"
    if not isinstance(message, dict):
        return None, "not a JSON object"
    if "requestPayload" in message:
        error = str((message.get("responsePayload") or {}).get("errorMessage", ""))
        payload = message["requestPayload"]
        return (payload if isinstance(payload, dict) else None), error
    return message, ""


def replay(sqs: Any, events: Any, *, queue_url: str, bus_name: str, limit: int = 1000) -> ReplayReport:
    report = ReplayReport()
    while report.replayed + report.dropped + report.unreadable < limit:
        got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        messages = got.get("Messages", [])
        if not messages:
            break
        for message in messages:
            event, error = event_of(message["Body"])
            if error:
                report.reasons.append(error)
            if event is None or "detail" not in event or "source" not in event:
                report.unreadable += 1  # left in the queue for a person to look at
                continue
            source = str(event["source"])
            if source == "aws.events":
                report.dropped += 1
            else:
                entry = {
                    "Source": source,
                    "DetailType": str(event.get("detail-type", "")),
                    "Detail": json.dumps(event["detail"]),
                    "EventBusName": "default" if source == "aws.ses" else bus_name,
                }
                answer = events.put_events(Entries=[entry])
                if answer.get("FailedEntryCount"):
                    continue  # stays in the queue
                report.replayed += 1
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return report


def main(argv: list[str] | None = None) -> int:
    import boto3

    parser = argparse.ArgumentParser(description="Replay the Near Miss dead-letter queue onto the bus.")
    parser.add_argument("--queue-url", required=True, help="the DeadLetterQueueUrl output of the stack")
    parser.add_argument("--bus", required=True, help="the EventBusName output of the stack")
    parser.add_argument("--limit", type=int, default=1000)
    args = parser.parse_args(argv)
    report = replay(
        boto3.client("sqs"),
        boto3.client("events"),
        queue_url=args.queue_url,
        bus_name=args.bus,
        limit=args.limit,
    )
    print(
        f"replayed {report.replayed}, dropped {report.dropped} scheduler ticks, "
        f"left {report.unreadable} unreadable"
    )
    for reason in report.reasons[:20]:
        print(f"  was: {reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
