"""The real handlers on the embedded default (template.yaml on moto), driven as their triggers fire."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest

from tests.conftest import NOW
from tests.helpers import load_event, mails, plain_text, recipients, steps_of

ADA = "/candidates/ada-quinn"
APP = f"{ADA}/applications/northwind-staff-platform"


def register(stack: Any, *, mode: str = "auto", **candidate: Any) -> None:
    body = load_event("api/put_candidate.json")["body"]
    status, _, text = stack.http("PUT", ADA, body={**json.loads(body), "mode": mode, **candidate})
    assert status == 201, text
    status, _, text = stack.http("PUT", APP, body=json.loads(load_event("api/put_application.json")["body"]))
    assert status == 200, text


def reject(stack: Any) -> None:
    status, _, text = stack.http("POST", f"{APP}/rejection", body={})
    assert status == 202, text
    stack.pump()


def run_until(stack: Any, when: Any) -> None:
    """Tick every five minutes of simulated time up to `when`, jumping over idle stretches."""
    while True:
        due = stack.next_due()
        if due is None or due > when:
            break
        stack.traveller.move_to(due)
        stack.tick()
        stack.pump()
    stack.traveller.move_to(when)
    stack.tick()
    stack.pump()


def states(stack: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for s in steps_of(stack, "ada-quinn", "northwind-staff-platform"):
        out[s.state.value] = out.get(s.state.value, 0) + 1
    return out


def test_a_rejection_starts_one_playbook_even_when_the_event_is_delivered_twice(stack) -> None:  # type: ignore[no-untyped-def]
    register(stack)
    reject(stack)
    event = load_event("start_playbook/application_rejected.json")
    stack.invoke("StartPlaybookFunction", event)
    event["id"] = "another-delivery-of-the-same-rejection"
    result = stack.invoke("StartPlaybookFunction", event)
    assert result == {"outcome": "duplicate", "steps": 0}
    assert states(stack) == {"scheduled": 6, "skipped": 2}


def test_every_recipient_gets_each_step_exactly_once_over_the_months(stack) -> None:  # type: ignore[no-untyped-def]
    register(stack)
    reject(stack)
    run_until(stack, NOW + timedelta(days=120))
    for _ in range(3):  # repeated ticks after the end change nothing
        stack.tick()
    sent = recipients(stack)
    assert sorted(sent) == sorted(
        ["grace.park@northwind.example"] * 3
        + ["mei.tanaka@northwind.example"]
        + ["sam.rivera@northwind.example"] * 2
    )
    assert states(stack) == {"sent": 6, "skipped": 2}
    assert all(
        s.message_id
        for s in steps_of(stack, "ada-quinn", "northwind-staff-platform")
        if s.state.value == "sent"
    )


def test_a_reopen_cancels_the_pending_steps(stack) -> None:  # type: ignore[no-untyped-def]
    register(stack)
    reject(stack)
    stack.traveller.move_to(NOW + timedelta(hours=3))
    status, _, _ = stack.http("POST", f"{APP}/reopened", body={})
    assert status == 202
    stack.pump()
    run_until(stack, NOW + timedelta(days=120))
    assert recipients(stack) == []
    assert states(stack) == {"cancelled": 6, "skipped": 2}


def test_a_reopen_that_arrives_before_the_rejection_still_wins(stack) -> None:  # type: ignore[no-untyped-def]
    register(stack)
    reopened = load_event(
        "stop_playbook/application_reopened.json"
    )  # re-opened at 21:10, after the 15:10 rejection
    stack.invoke("StopPlaybookFunction", reopened)
    stack.invoke("StartPlaybookFunction", load_event("start_playbook/application_rejected.json"))
    run_until(stack, NOW + timedelta(days=120))
    assert recipients(stack) == []
    assert states(stack) == {"cancelled": 6, "skipped": 2}


def test_review_mode_approve_skip_and_lapse_through_the_links_in_the_drafts(stack) -> None:  # type: ignore[no-untyped-def]
    register(stack, mode="review")
    reject(stack)
    run_until(stack, NOW + timedelta(hours=5))  # the thank-you drafts go out 20 h before 15:10 tomorrow
    drafts = [m for m in mails(stack) if str(m["Subject"]).startswith("Draft for your review")]
    assert len(drafts) == 3
    decisions = {"Grace Park": "approve", "Mei Tanaka": "skip"}  # Sam's is left to lapse
    for message in drafts:
        name = re.search(r"thank-you to (.+?) \(", str(message["Subject"])).group(1)  # type: ignore[union-attr]
        if name not in decisions:
            continue
        url = re.search(rf"(/steps/{decisions[name]}\?token=\S+)", plain_text(message))
        assert url, plain_text(message)
        status, _, page = stack.http("GET", url.group(1), auth=False)  # a mail scanner's GET changes nothing
        assert status == 200 and "<form" in page
        status, _, page = stack.http("POST", url.group(1), auth=False)
        assert status == 200, page
    run_until(stack, NOW + timedelta(days=4))
    by_name = {
        s.recipient_name: s.state.value
        for s in steps_of(stack, "ada-quinn", "northwind-staff-platform")
        if s.kind.value == "thank_you"
    }
    assert by_name == {"Grace Park": "sent", "Mei Tanaka": "skipped", "Sam Rivera": "lapsed"}
    assert "grace.park@northwind.example" in recipients(stack)
    assert "mei.tanaka@northwind.example" not in recipients(stack)


def test_a_tampered_or_expired_review_link_gets_a_clear_page(stack) -> None:  # type: ignore[no-untyped-def]
    status, headers, page = stack.http("POST", "/steps/approve?token=abc.def", auth=False)
    assert (
        status == 400
        and "This link cannot be used" in page
        and headers["Content-Type"].startswith("text/html")
    )


def test_sending_from_an_unverified_own_address_fails_for_good_with_the_reason(stack) -> None:  # type: ignore[no-untyped-def]
    register(stack, sending_identity="own_address")  # ada.quinn@example.com is not verified in SES
    reject(stack)
    run_until(stack, NOW + timedelta(days=2))
    failed = [
        s for s in steps_of(stack, "ada-quinn", "northwind-staff-platform") if s.state.value == "failed"
    ]
    assert len(failed) == 3
    assert all((s.reason or "").startswith("MessageRejected: Did not have authority to send") for s in failed)


def test_a_throttled_send_is_retried_later_and_then_sent(stack) -> None:  # type: ignore[no-untyped-def]
    from botocore.stub import Stubber

    register(stack)
    reject(stack)
    mailer = stack._container(stack.functions["SendDueStepsFunction"]).mailer
    stack.traveller.move_to(NOW + timedelta(days=1))
    with Stubber(mailer.client) as stub:
        for _ in range(3):
            stub.add_client_error(
                "send_email", "TooManyRequestsException", "Maximum sending rate exceeded.", 429
            )
        stack.tick()
    scheduled = [
        s for s in steps_of(stack, "ada-quinn", "northwind-staff-platform") if s.kind.value == "thank_you"
    ]
    assert all(
        s.state.value == "scheduled" and s.attempts == 1 and "TooManyRequests" in (s.reason or "")
        for s in scheduled
    )
    run_until(stack, NOW + timedelta(days=1, hours=3))
    assert len(recipients(stack)) == 3


def test_a_rejection_for_an_unknown_application_is_dead_lettered_with_the_reason(stack) -> None:  # type: ignore[no-untyped-def]
    stack.client("events").put_events(Entries=[{**_entry(), "EventBusName": stack.names["EventBus"]}])
    stack.pump()
    assert len(stack.dead_letters) == 1
    assert "no candidate registered" in stack.dead_letters[0].error
    dlq = stack.client("sqs").receive_message(QueueUrl=stack.names["DeadLetterQueue"])["Messages"]
    assert "no candidate registered" in dlq[0]["Body"]


def test_a_malformed_event_is_dead_lettered_naming_the_field(stack) -> None:  # type: ignore[no-untyped-def]
    entry = _entry()
    detail = json.loads(entry["Detail"])
    detail["data"]["learned_at"] = "yesterday"
    entry["Detail"] = json.dumps(detail)
    stack.client("events").put_events(Entries=[{**entry, "EventBusName": stack.names["EventBus"]}])
    stack.pump()
    assert "learned_at" in stack.dead_letters[0].error


def _entry() -> dict[str, Any]:
    event = load_event("start_playbook/application_rejected.json")
    return {
        "Source": event["source"],
        "DetailType": event["detail-type"],
        "Detail": json.dumps(event["detail"]),
    }


@pytest.mark.parametrize(
    ("method", "path", "body", "headers", "status", "needle"),
    [
        ("GET", ADA, None, {"x-api-key": "wrong"}, 401, "x-api-key"),
        (
            "PUT",
            ADA,
            {"name": "A", "email": "a@example.org", "time_zone": "Nowhere/City"},
            None,
            400,
            "time_zone",
        ),
        ("PUT", ADA, {"name": "A", "email": "a@example.org", "shoe_size": 9}, None, 422, "shoe_size"),
        ("PUT", ADA, "{not json", None, 422, "(body)"),
        ("GET", "/candidates/nobody", None, None, 404, "no such candidate"),
        ("POST", f"{ADA}/applications/nope/rejection", {}, None, 404, "no such application"),
        ("PUT", "/candidates/bad$id", {"name": "A", "email": "a@example.org"}, None, 400, "candidate_id"),
        (
            "PUT",
            ADA,
            {"name": "A", "email": "a@example.org", "signature": "x" * 70000},
            None,
            413,
            "larger than",
        ),
    ],
)
def test_bad_requests_get_a_clear_4xx(stack, method, path, body, headers, status, needle) -> None:  # type: ignore[no-untyped-def]
    got, _, text = stack.http(method, path, body=body, headers=headers)
    assert got == status, text
    assert needle in text


def test_a_poison_event_lands_in_the_dead_letter_queue_and_replays_once_it_can_be_processed(stack) -> None:  # type: ignore[no-untyped-def]
    from nearmiss.replay import replay

    # Given a rejection for an application nobody registered yet: it fails, and is dead-lettered
    stack.client("events").put_events(Entries=[{**_entry(), "EventBusName": stack.names["EventBus"]}])
    stack.pump()
    assert len(stack.dead_letters) == 1
    # When the application is registered and the dead-letter queue is replayed
    register(stack)
    sqs, events = stack.client("sqs"), stack.client("events")
    report = replay(sqs, events, queue_url=stack.names["DeadLetterQueue"], bus_name=stack.names["EventBus"])
    stack.pump()
    # Then the playbook starts, the queue is empty, and the replay said what the error had been
    assert report.replayed == 1 and "no candidate registered" in report.reasons[0]
    assert states(stack) == {"scheduled": 6, "skipped": 2}
    assert sqs.receive_message(QueueUrl=stack.names["DeadLetterQueue"]).get("Messages", []) == []


def test_the_dispatcher_takes_its_whole_limit_even_when_due_steps_sit_unevenly_in_the_shards(stack) -> None:  # type: ignore[no-untyped-def]
    from nearmiss.service.playbooks import SenderPolicy, plan_records

    from tests.conftest import make_rejection

    # Given 40 due steps spread unevenly over the due-index's shards
    register(stack)
    store = stack._container(stack.functions["SendDueStepsFunction"]).store
    candidate, application = store.load("ada-quinn", "northwind-staff-platform")
    rejection = make_rejection(candidate_id="ada-quinn", application_id="northwind-staff-platform")
    sender = SenderPolicy("x.example").for_candidate(candidate)
    template = plan_records(candidate, application, rejection, sender, now=NOW)[0]
    due = [template.model_copy(update={"step_id": f"thank_you.{n:020x}", "due_at": NOW}) for n in range(40)]
    for step in due:
        stack.client("dynamodb").put_item(TableName=stack.names["Table"], Item=store._step_item(step))
    assert len({store._shard(s) for s in due}) > 1
    # Then a run takes its whole limit, and never more than there is
    assert len(store.due_steps(NOW, 37)) == 37
    assert len(store.due_steps(NOW, 100)) == 40
