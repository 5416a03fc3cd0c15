"""Replay what landed in the dead-letter queue: `make replay QUEUE=<url> BUS=<name> FEEDBACK=<function>`.

The queue holds two kinds of messages, and both are read:
- an event EventBridge could not deliver to its target (the body is the event itself; the message
  attributes name the rule, the target and the error);
- a Lambda OnFailure record after the retries of an asynchronous invocation ran out
  (`requestPayload` is the event, `responsePayload.errorMessage` says why, `requestContext.functionArn`
  which function failed).
Events of ours (source "nearmiss.*") go back on our bus. Events of an AWS service (SES feedback,
source "aws.ses") cannot: PutEvents refuses an `aws.` source to anyone but the service
(NotAuthorizedForSourceException), so the function they were for is invoked with them directly
(the one the message names, else `--feedback-function`). Scheduler ticks are dropped (the next tick
does the same work). A message is deleted only after its event was accepted again; one that fails
again stays in the queue, and the report says why.
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
    kept: int = 0  # read, tried again, failed again: still in the queue
    reasons: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DeadLetter:
    event: dict[str, Any] | None
    error: str
    function: str | None = None  # the function the event was for, when the message says


def event_of(body: str) -> tuple[dict[str, Any] | None, str]:
    """The original event in a dead-letter message, and the error recorded with it."""
    letter = read(body, {})
    return letter.event, letter.error


def read(body: str, attributes: dict[str, Any]) -> DeadLetter:
    def attribute(name: str) -> str | None:
        value = (attributes.get(name) or {}).get("StringValue")
        return str(value) if value else None

    try:
        message = json.loads(body)
    except ValueError:
        return DeadLetter(None, "not JSON")
    if not isinstance(message, dict):
        return DeadLetter(None, "not a JSON object")
    if "requestPayload" in message:
        error = str((message.get("responsePayload") or {}).get("errorMessage", ""))
        payload = message["requestPayload"]
        function = (message.get("requestContext") or {}).get("functionArn")
        return DeadLetter(payload if isinstance(payload, dict) else None, error, function)
    return DeadLetter(message, attribute("ERROR_MESSAGE") or "", attribute("TARGET_ARN"))


def replay(
    sqs: Any,
    events: Any,
    *,
    queue_url: str,
    bus_name: str,
    lambda_client: Any = None,
    feedback_function: str | None = None,
    limit: int = 1000,
    wait_seconds: int = 1,
) -> ReplayReport:
    report = ReplayReport()
    seen: set[str] = set()
    while len(seen) < limit:
        # A short wait: an immediate answer samples only some of SQS's servers and can be empty while
        # messages remain. What is kept stays invisible for the rest of the run (visibility timeout), and
        # a message seen twice (it came back anyway) ends the run rather than being tried again.
        got = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=wait_seconds,
            VisibilityTimeout=900,
            MessageAttributeNames=["All"],
        )
        messages = [m for m in got.get("Messages", []) if m.get("MessageId", m["ReceiptHandle"]) not in seen]
        if not messages:
            break
        for message in messages:
            seen.add(message.get("MessageId", message["ReceiptHandle"]))
            letter = read(message["Body"], message.get("MessageAttributes") or {})
            if letter.error:
                report.reasons.append(letter.error)
            event = letter.event
            if event is None or "detail" not in event or "source" not in event:
                report.unreadable += 1  # left in the queue for a person to look at
                continue
            source = str(event["source"])
            if source == "aws.events":
                report.dropped += 1
            elif source.startswith("aws."):
                failure = _invoke(lambda_client, letter.function or feedback_function, event)
                if failure:
                    report.kept += 1
                    report.reasons.append(f"{source} event kept in the queue: {failure}")
                    continue
                report.replayed += 1
            else:
                entry = {
                    "Source": source,
                    "DetailType": str(event.get("detail-type", "")),
                    "Detail": json.dumps(event["detail"]),
                    "EventBusName": bus_name,
                }
                answer = events.put_events(Entries=[entry])
                if answer.get("FailedEntryCount"):
                    failed = (answer.get("Entries") or [{}])[0]
                    report.kept += 1
                    report.reasons.append(f"kept in the queue: the bus refused it: {failed.get('ErrorCode')}")
                    continue
                report.replayed += 1
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return report


def _invoke(lambda_client: Any, function: str | None, event: dict[str, Any]) -> str | None:
    """Run the function the event was for, synchronously; None when it succeeded, else why not."""
    if lambda_client is None or not function:
        return "no function to give it to (pass --feedback-function, the stack's FeedbackFunctionName)"
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        answer = lambda_client.invoke(
            FunctionName=function.removesuffix(":$LATEST"),
            InvocationType="RequestResponse",
            Payload=json.dumps(event).encode(),
        )
    except (ClientError, BotoCoreError) as exc:  # throttled, not found: this one stays, the run goes on
        return f"the function could not be invoked: {exc}"
    if answer.get("FunctionError"):
        payload = answer["Payload"].read() if answer.get("Payload") is not None else b"{}"
        try:
            detail = json.loads(payload).get("errorMessage", "")
        except (ValueError, AttributeError):
            detail = ""
        return f"the function failed again: {detail}".strip()
    return None


def main(argv: list[str] | None = None) -> int:
    import boto3

    parser = argparse.ArgumentParser(description="Replay the Near Miss dead-letter queue onto the bus.")
    parser.add_argument("--queue-url", required=True, help="the DeadLetterQueueUrl output of the stack")
    parser.add_argument("--bus", required=True, help="the EventBusName output of the stack")
    parser.add_argument(
        "--feedback-function",
        default=None,
        help="the FeedbackFunctionName output: SES events are given to it (the bus refuses aws.* sources)",
    )
    parser.add_argument("--limit", type=int, default=1000)
    args = parser.parse_args(argv)
    report = replay(
        boto3.client("sqs"),
        boto3.client("events"),
        queue_url=args.queue_url,
        bus_name=args.bus,
        lambda_client=boto3.client("lambda"),
        feedback_function=args.feedback_function,
        limit=args.limit,
    )
    print(
        f"replayed {report.replayed}, dropped {report.dropped} scheduler ticks, "
        f"kept {report.kept} that failed again, left {report.unreadable} unreadable"
    )
    for reason in report.reasons[:20]:
        print(f"  was: {reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
