"""The real handlers on the embedded default (template.yaml on moto), driven as their triggers fire."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest

from tests.conftest import NOW
from tests.helpers import load_event, mails, member_notices, plain_text, recipients, steps_of
from tests.helpers import register as register_and_prove

ADA = "/candidates/ada-quinn"
APP = f"{ADA}/applications/northwind-staff-platform"
MEMBER = "ada.quinn@example.com"  # events/api/put_candidate.json


def register(stack: Any, *, mode: str = "auto", **candidate: Any) -> None:
    """Ada registers and proves her address (helpers.register), then lists her application."""
    body = load_event("api/put_candidate.json")["body"]
    register_and_prove(stack, "ada-quinn", {**json.loads(body), "mode": mode, **candidate})
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


def test_every_tag_of_every_message_ses_receives_is_in_its_alphabet(stack) -> None:  # type: ignore[no-untyped-def]
    from nearmiss.domain.feedback import step_from_tags

    # Given every SendEmail request the dispatcher makes is captured as botocore builds it (moto
    # keeps no tags), in review mode so the drafts to the candidate are among them
    requests: list[dict[str, Any]] = []
    client = stack._container(stack.functions["SendDueStepsFunction"]).mailer.client
    client.meta.events.register(
        "before-parameter-build.sesv2.SendEmail", lambda params, **_: requests.append(dict(params))
    )
    register(stack, mode="review")
    reject(stack)
    # When the playbook runs through, every draft approved in time
    for _ in range(40):
        due = stack.next_due()
        if due is None:
            break
        stack.traveller.move_to(due)
        stack.tick()
        stack.pump()
        for step in steps_of(stack, "ada-quinn", "northwind-staff-platform"):
            if step.state.value == "awaiting_approval":
                status, _, text = stack.http("POST", f"{APP}/steps/{step.step_id}/approve")
                assert status == 200, text
    # Then SES received every note, and every tag name and value matched SES's MessageTag alphabet
    assert len(recipients(stack)) == len(requests) == 12  # 6 drafts and 6 notes
    tagged = [r["EmailTags"] for r in requests if "EmailTags" in r]
    assert len(tagged) == 6
    for tags in tagged:
        for tag in tags:
            assert re.fullmatch(r"^[A-Za-z0-9_-]{1,256}$", tag["Name"]), tag
            assert re.fullmatch(r"^[A-Za-z0-9_-]{1,256}$", tag["Value"]), tag
        # and SES's feedback events, which echo them, lead back to the step
        origin = step_from_tags({t["Name"]: [t["Value"]] for t in tags})
        assert origin is not None and origin[:2] == ("ada-quinn", "northwind-staff-platform")
        assert origin[2] in {s.step_id for s in steps_of(stack, "ada-quinn", "northwind-staff-platform")}


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


def test_a_reopen_a_week_before_the_rejection_does_not_block_its_notes(stack) -> None:  # type: ignore[no-untyped-def]
    # Given the application was re-opened a week before it was rejected (issue 11, finding 1)
    register(stack)
    status, _, text = stack.http(
        "POST", f"{APP}/reopened", body={"occurred_at": (NOW - timedelta(days=7)).isoformat()}
    )
    assert status == 202, text
    stack.pump()
    # When the rejection comes and the months run through
    reject(stack)
    run_until(stack, NOW + timedelta(days=120))
    # Then the stale stop blocks nothing: every scheduled note goes out
    assert states(stack) == {"sent": 6, "skipped": 2}
    assert len(recipients(stack)) == 6


def test_reject_reopen_reject_reopen_reject_runs_only_the_last_generation(stack) -> None:  # type: ignore[no-untyped-def]
    # Given an application rejected, re-opened, rejected, re-opened, and rejected again (finding 2)
    register(stack)
    for day in range(3):
        stack.traveller.move_to(NOW + timedelta(days=day))
        reject(stack)
        if day < 2:
            stack.traveller.move_to(NOW + timedelta(days=day, hours=3))
            status, _, _ = stack.http("POST", f"{APP}/reopened", body={})
            assert status == 202
            stack.pump()
    # and a late redelivery of the first rejection, and a late copy of the first re-open
    stack.invoke("StartPlaybookFunction", load_event("start_playbook/application_rejected.json"))
    stack.invoke("StopPlaybookFunction", load_event("stop_playbook/application_reopened.json"))
    # When the months run through
    run_until(stack, NOW + timedelta(days=150))
    # Then each rejection had its own generation; the two stopped ones sent nothing, the third all
    by_generation: dict[int, dict[str, int]] = {}
    for s in steps_of(stack, "ada-quinn", "northwind-staff-platform"):
        counts = by_generation.setdefault(s.generation, {})
        counts[s.state.value] = counts.get(s.state.value, 0) + 1
    assert by_generation == {
        1: {"cancelled": 6, "skipped": 2},
        2: {"cancelled": 6, "skipped": 2},
        3: {"sent": 6, "skipped": 2},
    }
    assert len(recipients(stack)) == 6


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


def test_an_own_address_on_a_verified_domain_sends_from_it_and_is_held_once_unverified(stack) -> None:  # type: ignore[no-untyped-def]
    # Given Ada's domain is a verified SES identity of the account when she chooses her own address
    ses = stack.client("sesv2")
    ses.create_email_identity(EmailIdentity="example.com")
    register(stack, sending_identity="own_address")
    reject(stack)
    # When the thank-yous fall due, they go From her own address, with no Reply-To
    run_until(stack, NOW + timedelta(days=1, hours=1))
    sent = mails(stack)
    assert len(sent) == 3
    assert {(m["From"].addresses[0].addr_spec, m["Reply-To"]) for m in sent} == {
        ("ada.quinn@example.com", None)
    }
    # And when the domain is no longer an identity, the next notes are held with the reason, not failed
    ses.delete_email_identity(EmailIdentity="example.com")
    stack.traveller.move_to(NOW + timedelta(days=3))  # past the dispatcher's five-minute cache
    run_until(stack, NOW + timedelta(days=8))
    held = [
        s
        for s in steps_of(stack, "ada-quinn", "northwind-staff-platform")
        if s.kind.value == "share_resource" and s.state.value == "scheduled"
    ]
    assert held and len(mails(stack)) == 3
    why = "held: own From address: neither the address nor its domain example.com is a verified SES"
    assert all(s.attempts == 0 and (s.reason or "").startswith(why) for s in held)


def test_an_own_address_that_ses_cannot_send_from_is_refused_when_it_is_chosen(stack) -> None:  # type: ignore[no-untyped-def]
    register(stack)  # on the platform identity, her address proved
    body = json.loads(load_event("api/put_candidate.json")["body"])
    status, _, text = stack.http("PUT", ADA, body={**body, "sending_identity": "own_address"})
    assert status == 400, text
    (error,) = json.loads(text)["fields"]
    assert error["field"] == "sending_identity"
    assert "example.com is a verified SES identity" in error["reason"]
    assert json.loads(stack.http("GET", ADA)[2])["sending_identity"] == "platform"  # nothing written


def test_in_the_ses_sandbox_notes_are_held_not_failed_and_go_out_once_production_access_is_granted(
    stack,
) -> None:  # type: ignore[no-untyped-def]
    from botocore.exceptions import ClientError

    class Sandbox:
        """SES before production access: every recipient refused, named as SES names it."""

        def send_email(self, **kwargs: Any) -> Any:
            to = kwargs["Destination"]["ToAddresses"][0]
            message = (
                "Email address is not verified. The following identities failed the check in region "
                f"EU-WEST-1: {to}"
            )
            error = {"Error": {"Code": "MessageRejected", "Message": message}}
            raise ClientError({**error, "ResponseMetadata": {"HTTPStatusCode": 400}}, "SendEmail")  # type: ignore[arg-type]

    register(stack)
    reject(stack)
    mailer = stack._container(stack.functions["SendDueStepsFunction"]).mailer
    stack.traveller.move_to(NOW + timedelta(days=1))
    # Given an account still in the sandbox: SES refuses each recipient, naming it
    real, mailer.client = mailer.client, Sandbox()
    stack.tick()
    mailer.client = real
    # Then every thank-you waits, uncounted, saying why
    thank_yous = [
        s for s in steps_of(stack, "ada-quinn", "northwind-staff-platform") if s.kind.value == "thank_you"
    ]
    why = "held: the SES account is in the sandbox; " + (
        "recipients must be verified until production access is granted"
    )
    assert all(s.state.value == "scheduled" and s.attempts == 0 and s.reason == why for s in thank_yous), [
        (s.state, s.attempts, s.reason) for s in thank_yous
    ]
    # And once SES accepts them (production access), they go out
    run_until(stack, NOW + timedelta(days=3))
    assert len(recipients(stack)) == 3


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
    run_until(stack, NOW + timedelta(days=3))
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
    report = replay(
        sqs,
        events,
        queue_url=stack.names["DeadLetterQueue"],
        bus_name=stack.names["EventBus"],
        wait_seconds=0,
    )
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


def test_a_rejection_with_nobody_to_write_to_waits_for_contacts_and_starts_when_they_are_added(stack) -> None:  # type: ignore[no-untyped-def]
    # Given an application registered with nobody in it (finding 5: Workable names nobody)
    register(stack)
    application = json.loads(load_event("api/put_application.json")["body"])
    status, _, text = stack.http("PUT", APP, body={**application, "contacts": []})
    assert status == 200, text
    # When it is rejected
    reject(stack)
    # Then no playbook is written: the timeline says it waits for contacts
    timeline = json.loads(stack.http("GET", f"{APP}/timeline")[2])
    assert timeline["steps"] == [] and timeline["waiting"]["state"] == "needs_contacts"
    assert [n["kind"] for n in timeline["notices"]] == ["needs_contacts"]
    # and the member is told once, also when the rejection is reported again (a retry)
    reject(stack)
    stack.tick()
    stack.pump()
    (notice,) = member_notices(stack)
    assert notice["To"].addresses[0].addr_spec == "ada.quinn@example.com"
    assert str(notice["Subject"]) == "Nobody to write to yet: Staff Platform Engineer at Northwind Data"
    link = re.search(r"(http://\S+/timeline\?token=\S+)", plain_text(notice))
    assert link is not None
    status, _, page = stack.http("GET", link.group(1).split("8000", 1)[1])
    assert status == 200 and "Waiting: nobody to write to." in page
    # and every answer counts it honestly: held, by reason, no playbook started
    profile = json.loads(load_event("api/put_candidate.json")["body"])
    counts = json.loads(stack.http("PUT", ADA, body={**profile, "mode": "auto"})[2])["rejections"]
    assert counts == {
        "playbooks_started": 0,
        "rejections_queued": 0,
        "held": {"total": 1, "by_reason": {"needs_contacts": 1}},
    }
    # When the member adds the people they met
    status, _, text = stack.http("PUT", APP, body=application)
    assert status == 200 and json.loads(text)["rejections"]["rejections_queued"] == 1, text
    stack.pump()
    counts = json.loads(stack.http("PUT", ADA, body={**profile, "mode": "auto"})[2])["rejections"]
    assert counts == {"playbooks_started": 1, "rejections_queued": 0, "held": {"total": 0, "by_reason": {}}}
    # Then the playbook starts from the original rejection and its notes go out
    timeline = json.loads(stack.http("GET", f"{APP}/timeline")[2])
    assert timeline["waiting"] is None
    run_until(stack, NOW + timedelta(days=120))
    assert states(stack) == {"sent": 6, "skipped": 2}
    assert len(member_notices(stack)) == 1


def test_a_rejection_reported_late_plans_only_what_is_still_useful(stack) -> None:  # type: ignore[no-untyped-def]
    # Given a rejection the member learned of ten days ago (finding 6)
    register(stack)
    ten_days_ago = (NOW - timedelta(days=10)).isoformat()
    status, _, text = stack.http("POST", f"{APP}/rejection", body={"rejected_at": ten_days_ago})
    assert status == 202, text
    stack.pump()
    run_until(stack, NOW + timedelta(days=120))
    # Then the thank-yous (useful for 7 days) are too late and never sent; the resource (21 days)
    # and the check-ins go out, planned from now rather than in the past
    by_kind: dict[str, set[str]] = {}
    for s in steps_of(stack, "ada-quinn", "northwind-staff-platform"):
        by_kind.setdefault(s.kind.value, set()).add(s.state.value)
    assert by_kind == {"thank_you": {"too_late"}, "share_resource": {"sent", "skipped"}, "check_in": {"sent"}}
    assert len([r for r in recipients(stack) if r != MEMBER]) == 3
    # and the member gets one summary of the three thank-yous that were too late
    (summary,) = member_notices(stack)
    assert str(summary["Subject"]) == "3 notes not sent: Staff Platform Engineer at Northwind Data"


def test_a_rejection_reported_thirteen_months_late_sends_nothing(stack) -> None:  # type: ignore[no-untyped-def]
    register(stack)
    long_ago = (NOW - timedelta(days=400)).isoformat()
    status, _, text = stack.http("POST", f"{APP}/rejection", body={"rejected_at": long_ago})
    assert status == 202, text
    stack.pump()
    run_until(stack, NOW + timedelta(days=120))
    assert recipients(stack) == [MEMBER]  # one summary to the member, nothing to the hiring side
    assert (
        str(member_notices(stack)[0]["Subject"])
        == "6 notes not sent: Staff Platform Engineer at Northwind Data"
    )
    assert states(stack) == {"too_late": 6, "skipped": 2}


def test_a_person_named_without_an_address_is_to_complete_and_the_address_adds_their_notes(stack) -> None:  # type: ignore[no-untyped-def]
    # Given Mei is named without an address (finding 7: Greenhouse names interviewers without one)
    register(stack)
    application = json.loads(load_event("api/put_application.json")["body"])
    without = [({**c, "email": None} if c["name"] == "Mei Tanaka" else c) for c in application["contacts"]]
    status, _, text = stack.http("PUT", APP, body={**application, "contacts": without})
    assert status == 200, text
    reject(stack)
    meis = [
        s
        for s in steps_of(stack, "ada-quinn", "northwind-staff-platform")
        if s.recipient_name == "Mei Tanaka"
    ]
    assert {s.state.value for s in meis} == {"skipped"} and "no email address" in (meis[0].reason or "")
    # When the member completes her address
    status, _, text = stack.http("PUT", APP, body=application)
    assert status == 200 and json.loads(text)["steps_added"] == 1, text
    # (saving again adds nothing twice)
    assert json.loads(stack.http("PUT", APP, body=application)[2])["steps_added"] == 0
    run_until(stack, NOW + timedelta(days=120))
    # Then her thank-you goes out like everyone's
    assert recipients(stack).count("mei.tanaka@northwind.example") == 1
    assert len([r for r in recipients(stack) if r != MEMBER]) == 6
    # and the member was told once that Mei's address was missing
    (notice,) = member_notices(stack)
    assert str(notice["Subject"]).startswith("1 person to complete") and "- Mei Tanaka" in plain_text(notice)
