"""The candidate, the application and the events the benchmarks use (from events/, as the tests do)."""

from __future__ import annotations

import copy
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from common import ROOT

EVENTS = ROOT / "events"
NOW = datetime(2026, 11, 24, 15, 10, tzinfo=UTC)  # a Tuesday (the tests' and the demo's start)
CANDIDATE_ID = "ada-quinn"
APPLICATION_ID = "northwind-staff-platform"


def load_event(relative: str) -> dict[str, Any]:
    return json.loads((EVENTS / relative).read_text())  # type: ignore[no-any-return]


def candidate_body(mode: str = "auto", **changes: Any) -> dict[str, Any]:
    """Ada: Europe/London, GB; the sample PUT /candidates body."""
    body = json.loads(load_event("api/put_candidate.json")["body"])
    return {**body, "mode": mode, **changes}


def application_body() -> dict[str, Any]:
    """Northwind: three contacts (hiring manager with a resource, interviewer, recruiter)."""
    return json.loads(load_event("api/put_application.json")["body"])  # type: ignore[no-any-return]


def candidate(candidate_id: str = CANDIDATE_ID, mode: str = "auto", email: str | None = None) -> Any:
    from nearmiss.domain.models import Candidate

    body = candidate_body(mode)
    if email:
        body["email"] = email
    # As stored once the member proved their address (service.addresses).
    proved = {"email_proved_at": "2026-01-01T00:00:00Z"}
    return Candidate.model_validate({"candidate_id": candidate_id, **body, **proved})


def application(
    candidate_id: str = CANDIDATE_ID, application_id: str = APPLICATION_ID, unique_contacts: str = ""
) -> Any:
    """The sample application; `unique_contacts` makes every contact's address distinct (one per app)."""
    from nearmiss.domain.models import Application

    body = copy.deepcopy(application_body())
    if unique_contacts:
        for contact in body["contacts"]:
            local, _, domain = contact["email"].partition("@")
            contact["email"] = f"{local}+{unique_contacts}@{domain}"
    return Application.model_validate(
        {"candidate_id": candidate_id, "application_id": application_id, **body}
    )


def rejection(candidate_id: str, application_id: str, at: datetime = NOW) -> Any:
    from nearmiss.domain.events import ApplicationRejected

    return ApplicationRejected(
        candidate_id=candidate_id, application_id=application_id, rejected_at=at, learned_at=at
    )


def bus_event(domain_event: Any, source: str = "api") -> dict[str, Any]:
    """The EventBridge event a rule delivers to a Lambda target, from one of our domain events."""
    from nearmiss.domain.events import to_entry

    entry = to_entry(domain_event, source=source, bus_name="nearmiss-bench", correlation_id=str(uuid.uuid4()))
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": entry["DetailType"],
        "source": entry["Source"],
        "account": "123456789012",
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "eu-west-1",
        "resources": [],
        "detail": json.loads(entry["Detail"]),
    }


def http_event(
    method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """An API Gateway HTTP API (payload 2.0) event, as LocalStack.http builds it."""
    raw = body if isinstance(body, str) or body is None else json.dumps(body)
    hdrs = {k.lower(): v for k, v in (headers or {}).items()}
    if raw is not None:
        hdrs.setdefault("content-type", "application/json")
    return {
        "version": "2.0",
        "routeKey": "ANY /{proxy+}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": hdrs,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": "127.0.0.1",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "bench",
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": "ANY /{proxy+}",
            "stage": "$default",
            "time": datetime.now(UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(datetime.now(UTC).timestamp() * 1000),
        },
        "pathParameters": {"proxy": path.lstrip("/")},
        "body": raw,
        "isBase64Encoded": False,
    }


def scheduled_event() -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "eu-west-1",
        "resources": ["arn:aws:events:eu-west-1:123456789012:rule/SendDueStepsFunction"],
        "detail": {},
    }


def greenhouse_rejection(application_number: int, secret: str) -> tuple[dict[str, str], bytes]:
    """The sample Greenhouse reject_candidate webhook with its application id changed, signed."""
    from nearmiss_local.sign_webhook import sample_headers, signed_request

    path = EVENTS / "webhooks" / "greenhouse" / "rejected.json"
    payload = json.loads(path.read_text())
    payload["payload"]["application"]["id"] = 90_000_000 + application_number
    body = json.dumps(payload).encode()
    signature, signed = signed_request("greenhouse", body, secret, datetime.now(UTC))
    headers = {k.lower(): v for k, v in {**sample_headers(path), **signature}.items()}
    return headers, signed


def webhook_event(source: str, headers: dict[str, str], body: bytes) -> dict[str, Any]:
    event = http_event("POST", f"/webhooks/{source}", body.decode(), headers)
    event["routeKey"] = "POST /webhooks/{source}"
    event["requestContext"]["routeKey"] = "POST /webhooks/{source}"
    event["pathParameters"] = {"source": source}
    return event


def prove_address(stack: Any) -> None:
    """What the member does after registering: open the proof link Near Miss mailed, press Confirm.
    Without it no note or draft goes out (an address is used only once its owner proved it)."""
    import email
    import email.policy
    import re

    for message in reversed(stack.sent_messages()):
        parsed = email.message_from_bytes(message.raw_data.encode(), policy=email.policy.default)
        body = parsed.get_body(preferencelist=("plain",))
        found = re.search(r"(/address/confirm\?token=\S+)", body.get_content() if body else "")
        if found:
            status, _, page = stack.http("POST", found.group(1), auth=False)
            assert status == 200, page
            assert "Address confirmed" in page, page
            return
    raise AssertionError("no proof mail reached the member")
