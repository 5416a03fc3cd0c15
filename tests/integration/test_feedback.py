"""SES feedback (bounces, complaints) and replies: the address is never written to again."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from typing import Any

import pytest
from nearmiss.domain.feedback import step_tags

from tests.conftest import NOW
from tests.helpers import load_event, recipients, steps_of
from tests.integration.test_api import create


def feedback_for(stack: Any, kind: str, address: str, **bounce: Any) -> dict[str, Any]:
    """The sample SES event, pointed at a real step of Ada's application."""
    step = next(s for s in steps_of(stack, "ada", "northwind") if s.recipient_address == address)
    event = copy.deepcopy(load_event(f"handle_ses_feedback/{kind}.json"))
    # SES echoes the tags the message was sent with, and adds the configuration set's name.
    event["detail"]["mail"]["tags"] = {
        **{name: [value] for name, value in step_tags(step).items()},
        "ses:configuration-set": [stack.names["SesConfigurationSet"]],
    }
    people = "bouncedRecipients" if kind == "bounce" else "complainedRecipients"
    event["detail"][kind][people] = [{"emailAddress": address}]
    event["detail"].get("bounce", {}).update(bounce)
    return event


def rejected(stack: Any) -> None:
    create(stack, "ada")
    stack.http("POST", "/candidates/ada/applications/northwind/rejection", body={})
    stack.pump()
    stack.traveller.move_to(NOW + timedelta(days=1))
    stack.tick()


@pytest.mark.parametrize("kind", ["bounce", "complaint"])
def test_a_permanent_bounce_or_a_complaint_suppresses_the_address_for_good(stack, kind: str) -> None:  # type: ignore[no-untyped-def]
    rejected(stack)
    # Given Grace's thank-you went out, and SES reports back through the default bus
    event = feedback_for(stack, kind, "grace@northwind.example")
    # (SES may use its aws.ses source on the default bus; PutEvents refuses it to anyone else)
    stack.publish_as_aws(
        {"Source": "aws.ses", "DetailType": event["detail-type"], "Detail": json.dumps(event["detail"])}
    )
    stack.pump()
    assert stack.dead_letters == []
    # Then her pending steps are cancelled now, and nothing more reaches her, ever
    graces = [s for s in steps_of(stack, "ada", "northwind") if s.recipient_name == "Grace Park"]
    assert {s.state.value for s in graces} == {"sent", "cancelled"}
    stack.traveller.move_to(NOW + timedelta(days=120))
    stack.tick()
    assert recipients(stack).count("grace@northwind.example") == 1
    # And another candidate's notes to her are cancelled when they fall due
    create(stack, "bob")
    stack.http("POST", "/candidates/bob/applications/northwind/rejection", body={})
    stack.pump()
    # (ticked as the schedule does: a single jump past the notes' latest useful moment makes them too_late)
    while (due := stack.next_due()) is not None and due < NOW + timedelta(days=200):
        stack.traveller.move_to(due)
        stack.tick()
    assert recipients(stack).count("grace@northwind.example") == 1
    bobs = [
        s
        for s in steps_of(stack, "bob", "northwind")
        if s.recipient_name == "Grace Park" and s.kind.value == "thank_you"
    ]
    assert bobs[0].state.value == "cancelled" and "bounced" in (bobs[0].reason or "")


def test_a_transient_bounce_blocks_no_one(stack) -> None:  # type: ignore[no-untyped-def]
    rejected(stack)
    event = feedback_for(stack, "bounce", "grace@northwind.example", bounceType="Transient")
    assert stack.invoke("HandleSesFeedbackFunction", event) == {"cancelled": 0}
    while (due := stack.next_due()) is not None:
        stack.traveller.move_to(due)
        stack.tick()
    assert recipients(stack).count("grace@northwind.example") == 3


def test_a_reply_stops_every_message_to_that_person_from_this_candidate(stack) -> None:  # type: ignore[no-untyped-def]
    rejected(stack)
    status, _, text = stack.http("POST", "/candidates/ada/replies", body={"email": "Grace@Northwind.example"})
    assert status == 200 and json.loads(text)["cancelled"] == 2
    stack.traveller.move_to(NOW + timedelta(days=120))
    stack.tick()
    assert recipients(stack).count("grace@northwind.example") == 1
    assert stack.http("POST", "/candidates/ada/replies", body={"email": "not an address"})[0] == 400


def test_an_event_that_is_not_ses_feedback_is_refused_naming_the_field(stack) -> None:  # type: ignore[no-untyped-def]
    from nearmiss.domain.errors import InvalidInputError

    event = load_event("handle_ses_feedback/bounce.json")
    event["detail"]["eventType"] = "Delivery"
    with pytest.raises(InvalidInputError, match="eventType"):
        stack.invoke("HandleSesFeedbackFunction", event)
