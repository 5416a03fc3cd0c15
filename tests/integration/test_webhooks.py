"""ATS webhooks through the real receive_webhook handler, the bus and start/stop_playbook, on moto."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from nearmiss.intake.registry import SOURCES
from nearmiss_local.sign_webhook import signed_request

from tests.conftest import NOW
from tests.helpers import steps_of

SAMPLES = Path(__file__).resolve().parents[2] / "events" / "webhooks"
ALL = sorted(SOURCES)
ACCEPTED = {"status": "accepted", "rejections_queued": 1, "playbooks_started": 0}
HELD_FOR_CONFIRMATION = {"status": "kept_unmatched", "held_reason": "awaiting_decision"}


def sample(source: str, kind: str) -> tuple[dict[str, str], bytes]:
    body = (SAMPLES / source / f"{kind}.json").read_bytes()
    headers_file = SAMPLES / source / f"{kind}.headers.json"
    headers = json.loads(headers_file.read_text()) if headers_file.exists() else {}
    return headers, body


def post(
    stack: Any, source: str, kind: str, *, tamper: bool = False, secret: str | None = None
) -> tuple[int, dict[str, Any]]:
    headers, body = sample(source, kind)
    signature, body = signed_request(source, body, secret or stack.webhook_secrets[source], datetime.now(UTC))
    if tamper and source == "lever":  # Lever signs token + triggeredAt, not the body: tamper with those
        payload = json.loads(body)
        payload["triggeredAt"] += 1
        body = json.dumps(payload).encode()
    elif tamper:
        body = body.replace(b"}", b" }", 1)
    status, _, text = stack.http(
        "POST", f"/webhooks/{source}", body=body.decode(), headers={**headers, **signature}, auth=False
    )
    return status, json.loads(text)


def parsed(source: str, kind: str) -> Any:
    _, body = sample(source, kind)
    return SOURCES[source].parse({"content-type": "application/json"}, body)


def register_for(stack: Any, source: str) -> tuple[str, str]:
    """Register the candidate and the application the sample rejection names."""
    event = parsed(source, "rejected")
    email = event.candidate_email or "candidate@example.com"
    status, _, text = stack.http(
        "PUT", "/candidates/cand-1", body={"name": "Casey Candidate", "email": email, "mode": "auto"}
    )
    assert status in (200, 201), text  # 201 the first time; 200 when re-saved
    application = {
        "company": event.company or "Acme",
        "job_title": event.job_title or "Engineer",
        "contacts": [{"name": "Pat Interviewer", "email": "pat@acme.example", "role": "hiring_manager"}],
        "source": source,
        "ats_application_id": event.ats_application_id,
    }
    status, _, text = stack.http(
        "PUT", f"/candidates/cand-1/applications/{event.ats_application_id}", body=application
    )
    assert status == 200, text
    return "cand-1", event.ats_application_id


def start_held(stack: Any, cid: str) -> str:
    """The member starts the one event held for them (their explicit confirmation)."""
    (held,) = json.loads(stack.http("GET", f"/candidates/{cid}/held-events")[2])["held_events"]
    status, _, text = stack.http("POST", f"/candidates/{cid}/held-events/{held['held_id']}/start")
    assert status == 200, text
    return str(json.loads(text)["status"])


def playbooks(stack: Any) -> int:
    return sum(1 for fn, outcome in stack.invocations if fn == "StartPlaybookFunction" and outcome == "ok")


@pytest.mark.parametrize("source", ALL)
def test_a_valid_rejection_starts_exactly_one_playbook_and_a_redelivery_starts_nothing(
    stack, source: str
) -> None:  # type: ignore[no-untyped-def]
    cid, aid = register_for(stack, source)
    status, body = post(stack, source, "rejected")
    # Lever does not sign the body: its rejection waits for the candidate's confirmation
    if source == "lever":
        assert status == 200 and body == {"status": "kept_unmatched", "held_reason": "awaiting_decision"}
        stack.pump()
        assert playbooks(stack) == 0
        assert start_held(stack, cid) == "accepted"  # the member confirms it
    else:
        # put on the bus, not started yet: the start is asynchronous and the answer says so
        assert status == SOURCES[source].SUCCESS_STATUS and body == ACCEPTED
    stack.pump()
    status, body = post(stack, source, "rejected")
    assert status == SOURCES[source].SUCCESS_STATUS and body == {"status": "duplicate"}
    stack.pump()
    assert playbooks(stack) == 1
    steps = steps_of(stack, cid, aid)
    assert any(s.state.value == "scheduled" for s in steps)


@pytest.mark.parametrize("source", ALL)
def test_a_reopen_cancels_the_pending_steps(stack, source: str) -> None:  # type: ignore[no-untyped-def]
    cid, aid = register_for(stack, source)
    post(stack, source, "rejected")
    if source == "lever":
        start_held(stack, cid)  # the member confirms the held rejection
    stack.pump()
    stack.traveller.move_to(NOW + timedelta(minutes=30))
    status, body = post(stack, source, "reopened")
    assert status == SOURCES[source].SUCCESS_STATUS, body
    stack.pump()
    assert {s.state.value for s in steps_of(stack, cid, aid)} <= {"cancelled", "skipped"}


@pytest.mark.parametrize(
    "source", [s for s in ALL if (SAMPLES / s / "ping.json").exists()]
)  # Workable has none
def test_a_ping_succeeds_so_the_ats_enables_the_webhook(stack, source: str) -> None:  # type: ignore[no-untyped-def]
    status, body = post(stack, source, "ping")
    assert status == SOURCES[source].SUCCESS_STATUS and body["status"] == "ignored"


def delivery_records(stack: Any) -> list[dict[str, Any]]:
    """The webhook deliveries recorded (Powertools Idempotency's items, adapters/deliveries.py)."""
    return list(
        stack.client("dynamodb").query(
            TableName=stack.names["Table"],
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": "DELIVERY"}},
        )["Items"]
    )


@pytest.mark.parametrize("source", ALL)
def test_a_bad_or_missing_signature_or_a_tampered_body_gets_401_and_leaves_no_trace(
    stack, source: str
) -> None:  # type: ignore[no-untyped-def]
    register_for(stack, source)
    assert post(stack, source, "rejected", secret="not-the-secret")[0] == 401
    assert post(stack, source, "rejected", tamper=True)[0] == 401
    headers, body = sample(source, "rejected")
    status, _, _ = stack.http("POST", f"/webhooks/{source}", body=body.decode(), headers=headers, auth=False)
    assert status == 401
    stack.pump()
    assert playbooks(stack) == 0
    assert delivery_records(stack) == []


@pytest.mark.parametrize("source", ALL)
def test_an_unmatched_rejection_is_kept_and_starts_when_the_member_decides_to(stack, source: str) -> None:  # type: ignore[no-untyped-def]
    status, body = post(stack, source, "rejected")
    assert status == SOURCES[source].SUCCESS_STATUS and body["status"] == "kept_unmatched"
    assert body["held_reason"] == ("awaiting_decision" if source == "lever" else "unmatched")
    stack.pump()
    assert playbooks(stack) == 0
    cid, aid = register_for(stack, source)  # registering releases nothing...
    stack.pump()
    assert playbooks(stack) == 0
    held = json.loads(stack.http("GET", f"/candidates/{cid}/held-events")[2])["held_events"]
    assert [h["source"] for h in held] == [source]
    # ...the member's decision does
    status, _, text = stack.http("POST", f"/candidates/{cid}/held-events/{held[0]['held_id']}/start")
    assert status == 200 and json.loads(text)["status"] == "accepted", text
    stack.pump()
    assert playbooks(stack) == 1
    assert steps_of(stack, cid, aid)


def test_an_unknown_source_is_404_and_an_oversized_body_413(stack) -> None:  # type: ignore[no-untyped-def]
    assert stack.http("POST", "/webhooks/teamtailor", body="{}", auth=False)[0] == 404
    big = json.dumps({"x": "a" * (1024 * 1024 + 1)})
    assert stack.http("POST", "/webhooks/greenhouse", body=big, auth=False)[0] == 413


def test_malformed_json_with_a_valid_signature_is_400_naming_the_problem(stack) -> None:  # type: ignore[no-untyped-def]
    body = b'{"action": "reject_candidate", "payload": '
    signature, body = signed_request("greenhouse", body, stack.webhook_secrets["greenhouse"], NOW)
    status, _, text = stack.http(
        "POST",
        "/webhooks/greenhouse",
        body=body.decode(),
        headers={"content-type": "application/json", **signature},
        auth=False,
    )
    assert status == 400 and "JSON" in text


def test_a_greenhouse_rejection_counts_from_a_day_later_when_the_candidate_learned_of_it(stack) -> None:  # type: ignore[no-untyped-def]
    cid, aid = register_for(stack, "greenhouse")
    post(stack, "greenhouse", "rejected")
    stack.pump()
    playbook = stack._container(stack.functions["ApiFunction"]).store.get_playbook(cid, aid)
    assert playbook.learned_at - playbook.rejected_at == timedelta(days=1)


def test_an_event_is_not_lost_when_the_bus_fails_the_ats_is_asked_to_retry(stack, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    register_for(stack, "greenhouse")
    container = stack._container(stack.functions["ReceiveWebhookFunction"])

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("EventBridge unavailable")

    monkeypatch.setattr(container.publisher, "publish", broken)
    assert post(stack, "greenhouse", "rejected")[0] == 503
    monkeypatch.undo()
    assert post(stack, "greenhouse", "rejected") == (200, ACCEPTED)


@pytest.mark.parametrize("source", [*ALL, "unknown"])
def test_arbitrary_bodies_and_headers_never_get_a_5xx(stack, source: str) -> None:  # type: ignore[no-untyped-def]
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    header_names = st.sampled_from(
        [
            "content-type",
            "signature",
            "ashby-signature",
            "x-workable-signature",
            "x-recruitee-signature",
            "x-nearmiss-timestamp",
            "x-nearmiss-signature",
            "greenhouse-event-id",
            "x-other",
        ]
    )
    json_values = st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
        max_leaves=20,
    )
    bodies = st.one_of(
        st.text(max_size=300), json_values.map(json.dumps), st.just(sample(ALL[0], "rejected")[1].decode())
    )

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(body=bodies, headers=st.dictionaries(header_names, st.text(max_size=80), max_size=5))
    def check(body: str, headers: dict[str, str]) -> None:
        status, _, text = stack.http("POST", f"/webhooks/{source}", body=body, headers=headers, auth=False)
        assert status < 500, text

    check()


def test_a_lever_rejection_confirmed_by_lever_api_starts_the_playbook_and_a_denied_one_stays_held(
    stack,
) -> None:  # type: ignore[no-untyped-def]
    from nearmiss.adapters.lever import LeverEnricher

    cid, aid = register_for(stack, "lever")
    asked: list[str] = []

    def lever_api(archived: bool, reason_type: str = "non-hired") -> Any:
        def fetch(request: Any, timeout: float) -> dict[str, Any]:
            asked.append(request.full_url)
            assert request.get_header("Authorization").startswith("Basic ")
            if "/archive_reasons/" in request.full_url:
                return {"data": {"id": "reason-1", "text": "Underqualified", "type": reason_type}}
            return {
                "data": {
                    "archived": {"archivedAt": 1795619400000, "reason": "reason-1"} if archived else None,
                    "emails": ["c@x.example"],
                }
            }

        return fetch

    intake = stack._container(stack.functions["ReceiveWebhookFunction"]).intake
    # Lever says the opportunity is not archived: the body lied, nothing starts
    intake.confirm_unsigned = LeverEnricher("lever-key", fetch=lever_api(archived=False)).confirm
    assert post(stack, "lever", "rejected") == (200, HELD_FOR_CONFIRMATION)
    stack.pump()
    assert playbooks(stack) == 0 and asked == [
        f"https://api.lever.co/v1/opportunities/{aid.removeprefix('lever:')}"
    ]
    # Lever says it is archived, but as "Hired": no rejection (finding 15), still held
    intake.confirm_unsigned = LeverEnricher("lever-key", fetch=lever_api(True, "hired")).confirm
    forget_deliveries(stack)  # Lever re-sends the delivery later: as a new one
    assert post(stack, "lever", "rejected") == (200, HELD_FOR_CONFIRMATION)
    stack.pump()
    assert playbooks(stack) == 0 and asked[-1].endswith("/archive_reasons/reason-1")
    # Lever confirms it: the (new) rejection starts the playbook
    intake.confirm_unsigned = LeverEnricher("lever-key", fetch=lever_api(archived=True)).confirm
    forget_deliveries(stack)
    assert post(stack, "lever", "rejected") == (200, ACCEPTED)
    stack.pump()
    assert playbooks(stack) == 1 and steps_of(stack, cid, aid)


def forget_deliveries(stack: Any) -> None:
    for record in delivery_records(stack):
        stack.client("dynamodb").delete_item(
            TableName=stack.names["Table"], Key={"pk": record["pk"], "sk": record["sk"]}
        )


def test_a_lever_api_that_cannot_be_reached_confirms_nothing() -> None:
    import urllib.error

    from nearmiss.adapters.lever import LeverEnricher

    def down(request: Any, timeout: float) -> Any:
        raise urllib.error.URLError("no route to host")

    assert LeverEnricher("k", fetch=down).confirm(parsed("lever", "rejected")) is None
