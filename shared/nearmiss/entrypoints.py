"""What each Lambda function does with its trigger: parse at the edge, then one use case.

Handlers in functions/ are decorators plus one call into here. Invalid events raise
InvalidInputError naming the field: the asynchronous invocation then fails, and after its
bounded retries the event lands in the function's dead-letter queue with that message.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from nearmiss.bootstrap import Container
from nearmiss.domain.errors import invalid
from nearmiss.domain.events import ApplicationRejected, BusEvent, DomainEvent
from nearmiss.observability import logger, metrics
from nearmiss.service.ports import ShardRun

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext


def now() -> datetime:
    return datetime.now(UTC)


def parse_bus_event(event: dict[str, Any]) -> DomainEvent:
    try:
        return BusEvent.model_validate(event).domain_event()
    except ValidationError as exc:
        raise invalid("event", exc) from None


def parse_shard_run(event: dict[str, Any]) -> ShardRun:
    """{"shard": n, "rate": r, "until": iso} (nearmiss.adapters.lambda_invoke.shard_event)."""
    try:
        return ShardRun(
            shard=int(event["shard"]), rate=float(event["rate"]), until=datetime.fromisoformat(event["until"])
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"a shard run needs shard, rate and until: {exc}") from None


def on_rejected(event: dict[str, Any], c: Container) -> dict[str, Any]:
    from aws_lambda_powertools.metrics import MetricUnit

    from nearmiss.service.playbooks import start_playbook

    rejection = parse_bus_event(event)
    if not isinstance(rejection, ApplicationRejected):
        raise ValueError(f"start_playbook takes 'Application Rejected', not {rejection.detail_type!r}")
    outcome, steps = start_playbook(c.store, rejection, c.senders, now=now())
    logger.info(
        "playbook start",
        extra={"outcome": outcome.value, "steps": steps, "application_id": rejection.application_id},
    )
    metrics.add_metric(name=f"Playbook{outcome.value.title()}", unit=MetricUnit.Count, value=1)
    return {"outcome": outcome.value, "steps": steps}


def on_stop(event: dict[str, Any], c: Container) -> dict[str, Any]:
    from aws_lambda_powertools.metrics import MetricUnit

    from nearmiss.service.playbooks import stop_playbook

    stop = parse_bus_event(event)
    if isinstance(stop, ApplicationRejected):
        raise ValueError("stop_playbook does not take 'Application Rejected'")
    cancelled = stop_playbook(c.store, stop, now=now(), senders=c.senders)
    logger.info(
        "playbook stop",
        extra={"reason": stop.detail_type, "cancelled": cancelled, "application_id": stop.application_id},
    )
    metrics.add_metric(name="StepsCancelled", unit=MetricUnit.Count, value=cancelled)
    return {"cancelled": cancelled}


def on_webhook(event: dict[str, Any], c: Container, context: LambdaContext | None = None) -> dict[str, Any]:
    """POST /webhooks/{source}: the raw body as the ATS sent it (base64-decoded when API Gateway says so).
    `context` bounds how long the delivery's in-progress record outlives a killed invocation."""
    import base64

    c.deliveries.register(context)
    source = ((event.get("pathParameters") or {}).get("source") or "").lower()
    raw = event.get("body") or ""
    try:
        body = base64.b64decode(raw, validate=True) if event.get("isBase64Encoded") else raw.encode()
    except ValueError:
        return http_json(400, {"error": "the body is not valid base64"})
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    try:
        answer = c.intake.receive(source, headers, body, now=now())
    except Exception:
        # Not the ATS's fault (the bus or the table failed): ask it to retry, and keep the details in our log.
        logger.exception("webhook not recorded", extra={"source": source})
        return http_json(503, {"error": "temporarily unable to record this event; please retry"})
    logger.info(
        "webhook",
        extra={
            "source": source,
            "status": answer.status,
            "outcome": answer.body.get("status") or answer.body.get("error"),
        },
    )
    return http_json(answer.status, answer.body)


def http_json(status: int, body: dict[str, Any]) -> dict[str, Any]:
    """An API Gateway (payload 2.0) answer with a JSON body, for handlers that answer on their own."""
    import json

    return {"statusCode": status, "headers": {"content-type": "application/json"}, "body": json.dumps(body)}


def on_ses_feedback(event: dict[str, Any], c: Container) -> dict[str, Any]:
    from nearmiss.domain.feedback import SesEvent
    from nearmiss.service.playbooks import on_ses_feedback

    try:
        feedback = SesEvent.model_validate(event)
    except ValidationError as exc:
        raise invalid("SES event", exc) from None
    cancelled = on_ses_feedback(c.store, feedback, now=now())
    logger.info("ses feedback", extra={"type": feedback.detail.eventType, "cancelled": cancelled})
    return {"cancelled": cancelled}


def on_schedule(
    event: dict[str, Any], c: Container, time_left: Callable[[], float] | None = None
) -> dict[str, Any]:
    from aws_lambda_powertools.metrics import MetricUnit

    if "shard" in event:  # one shard's run of a fan-out, started by a scheduled run
        run = parse_shard_run(event)
        report = c.dispatcher.run_shard(run.shard, run.rate, run.until, now, time_left=time_left)
    else:
        report = c.dispatcher.run(now(), time_left=time_left)
    outcomes = report.as_dict()
    logger.info("dispatch run", extra={"outcomes": outcomes})
    for outcome, count in outcomes.items():
        metrics.add_metric(name=f"Steps_{outcome}", unit=MetricUnit.Count, value=count)
    return {"outcomes": outcomes}


def on_inbound_mail(event: dict[str, Any], c: Container) -> dict[str, Any]:
    """SES's receipt event (a Lambda action, after the S3 action stored the message). A malformed
    event is no message: it fails naming the field (and lands in the dead-letter queue); a message
    never makes this fail, only AWS does (then Lambda retries)."""
    from aws_lambda_powertools.metrics import MetricUnit

    from nearmiss.domain.inbound import SesReceiptEvent

    try:
        receipt = SesReceiptEvent.model_validate(event)
    except ValidationError as exc:
        raise invalid("SES receipt event", exc) from None
    outcomes: dict[str, int] = {}
    for record in receipt.Records:
        for outcome in c.inbound.receive(record, now=now()):
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
    for outcome, count in outcomes.items():
        metrics.add_metric(name=f"Mail_{outcome}", unit=MetricUnit.Count, value=count)
    return {"outcomes": dict(sorted(outcomes.items()))}
