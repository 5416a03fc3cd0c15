"""receive_webhook dying between two effects never loses a delivery (issue 11, findings 3 and 4).

The windows: killed after the delivery record was written but before the event was on the bus;
killed after publishing but before the record was completed; killed after completing but before
the answer; the bus failing; the table failing the completion; and a replay of a kept event whose
publish fails. In each, the ATS's retries (or the next replay) end in exactly one playbook whose
notes all go out once: nothing lost, nothing twice.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from nearmiss_local.faults import ProcessKilled, client_error
from nearmiss_local.sign_webhook import signed_request

from tests.conftest import NOW
from tests.helpers import EVENTS
from tests.helpers import register as register_and_prove
from tests.reliability.support import account, all_steps, local_stack, run_through, states

pytestmark = pytest.mark.reliability

SAMPLE = EVENTS / "webhooks" / "greenhouse" / "rejected.json"
# Fixed by the scenario, not read back: one registered contact (Pat, hiring manager) and the three
# people with an address the sample names (Sam and Grace, recruiters; Priya, HR): four thank-yous
# and a check-in each for Pat, Sam and Grace; nobody has a resource to share.
EXPECTED = 4 + 3


def register(stack: Any) -> None:
    from nearmiss.intake.registry import SOURCES

    body = SAMPLE.read_bytes()
    event = SOURCES["greenhouse"].parse({"content-type": "application/json"}, body)
    register_and_prove(stack, "cand-1", {"name": "Casey", "email": event.candidate_email, "mode": "auto"})
    application = {
        "company": event.company or "Acme",
        "job_title": event.job_title or "Engineer",
        "contacts": [{"name": "Pat Interviewer", "email": "pat@acme.example", "role": "hiring_manager"}],
        "source": "greenhouse",
        "ats_application_id": event.ats_application_id,
    }
    status, _, text = stack.http(
        "PUT", f"/candidates/cand-1/applications/{event.ats_application_id}", body=application
    )
    assert status == 200, text


def deliver(stack: Any) -> tuple[int, dict[str, Any]]:
    """The ATS posts (or re-posts) its rejection webhook."""
    body = SAMPLE.read_bytes()
    signature, body = signed_request(
        "greenhouse", body, stack.webhook_secrets["greenhouse"], datetime.now(UTC)
    )
    status, _, text = stack.http(
        "POST", "/webhooks/greenhouse", body=body.decode(), headers=signature, auth=False
    )
    return status, json.loads(text)


class _Publisher:
    def __init__(self, real: Any, *, before: BaseException | None, after: BaseException | None) -> None:
        self.real, self.before, self.after = real, before, after

    def publish(self, events: Any, **kwargs: Any) -> None:
        if self.before is not None:
            raise self.before
        self.real.publish(events, **kwargs)
        if self.after is not None:
            raise self.after


def _publisher(
    before: BaseException | None = None, after: BaseException | None = None
) -> Callable[[Any], Callable[[], None]]:
    def inject(intake: Any) -> Callable[[], None]:
        real = intake.publisher
        intake.publisher = _Publisher(real, before=before, after=after)
        return lambda: setattr(intake, "publisher", real)

    return inject


def _killed_after_completing(intake: Any) -> Callable[[], None]:
    real = intake.deliveries.once

    def once(key: str, route: Any) -> Any:
        real(key, route)
        raise ProcessKilled("killed after the record was completed, before the answer")

    intake.deliveries.once = once
    return lambda: delattr(intake.deliveries, "once")


def _table_fails_the_completion(intake: Any) -> Callable[[], None]:
    client = intake.deliveries.persistence.client
    real = client.update_item

    def update_item(**kwargs: Any) -> Any:
        raise client_error("UpdateItem", "InternalServerError", "Internal server error", 500)

    client.update_item = update_item
    return lambda: setattr(client, "update_item", real)


BUS_DOWN = client_error("PutEvents", "InternalException", "Internal error", 500)
# window: (inject, raised by the handler, answer of a retry within the invocation's deadline)
WINDOWS: dict[str, tuple[Callable[[Any], Callable[[], None]], type[BaseException] | None, int]] = {
    "killed after the delivery record, before publishing": (
        _publisher(before=ProcessKilled("killed before publishing")),
        ProcessKilled,
        503,
    ),
    "killed after publishing, before the record completed": (
        _publisher(after=ProcessKilled("killed after publishing")),
        ProcessKilled,
        503,
    ),
    "killed after the record completed, before the answer": (_killed_after_completing, ProcessKilled, 200),
    "EventBridge 500 on publish": (_publisher(before=BUS_DOWN), None, 200),
    "DynamoDB 500 completing the record after publishing": (_table_fails_the_completion, None, 503),
}


@pytest.mark.parametrize("window", list(WINDOWS))
def test_a_webhook_crash_in_any_window_loses_nothing_and_starts_one_playbook(window: str, table: Any) -> None:
    inject, raised, retry_within_deadline = WINDOWS[window]
    with local_stack() as stack:
        # Given a registered candidate whose ATS posts the rejection
        register(stack)
        intake = stack._container(stack.functions["ReceiveWebhookFunction"]).intake
        restore = inject(intake)
        # When the invocation dies (or fails) in the window
        if raised is not None:
            with pytest.raises(raised):
                deliver(stack)
            first = None
        else:
            first, _ = deliver(stack)
        restore()
        stack.pump()
        # Then a retry while the dead invocation could still be running is told to retry (or, once
        # the event is on the bus and recorded, that it is a duplicate) ...
        status, body = deliver(stack)
        assert status == retry_within_deadline, (first, status, body)
        # ... and the ATS's retries after the invocation's deadline get it through
        stack.traveller.shift(timedelta(minutes=2))
        retries = [deliver(stack) for _ in range(2)]
        stack.pump()
        assert all(s == 200 for s, _ in retries), retries
        run_through(stack, NOW + timedelta(days=130))
        steps = all_steps(stack)
        books = account(stack, steps)
        final = states(steps)
        starts = sum(
            1 for fn, outcome in stack.invocations if fn == "StartPlaybookFunction" and outcome == "ok"
        )
        table.add(
            f"intake crash: {window}",
            load="1 webhook + 3 ATS retries, 130 days",
            faults="1 crash in the window" if raised else "1 failure in the window",
            expected=EXPECTED,
            sent=books.accepted,
            duplicates=books.duplicates,
            needs_review=final.get("needs_review", 0),
            failed=final.get("failed", 0),
            lost=EXPECTED - books.sent_steps,
        )
        assert final.get("sent") == EXPECTED, final
        assert books.duplicates == 0 and books.accepted == EXPECTED
        assert starts >= 1


def test_a_kept_event_whose_replay_fails_to_publish_is_still_kept_and_replays_later(table: Any) -> None:
    with local_stack() as stack:
        # Given a rejection for a candidate not registered yet: kept, and waiting for the member
        status, body = deliver(stack)
        assert (status, body) == (200, {"status": "kept_unmatched", "held_reason": "unmatched"})
        register(stack)
        stack.pump()

        def held() -> list[dict[str, Any]]:
            answer = json.loads(stack.http("GET", "/candidates/cand-1/held-events")[2])
            return list(answer["held_events"])

        (waiting,) = held()
        # When the member starts it and the publish fails (the bus is down)
        api = stack._container(stack.functions["ApiFunction"]).intake
        restore = _publisher(before=BUS_DOWN)(api)
        with contextlib.suppress(Exception):  # the answer may be an error; the event must stay kept
            stack.http("POST", f"/candidates/cand-1/held-events/{waiting['held_id']}/start")
        restore()
        stack.pump()
        before = states(all_steps(stack))
        # Then the event is still kept, and starting it again starts the playbook
        assert [e["held_id"] for e in held()] == [waiting["held_id"]]
        status, _, _ = stack.http("POST", f"/candidates/cand-1/held-events/{waiting['held_id']}/start")
        assert status == 200
        stack.pump()
        run_through(stack, NOW + timedelta(days=130))
        steps = all_steps(stack)
        books = account(stack, steps)
        table.add(
            "replay: publish fails during the replay of a kept event",
            load="1 kept webhook, the member starts it twice, 130 days",
            faults="EventBridge 500 on the first start",
            expected=EXPECTED,
            sent=books.accepted,
            duplicates=books.duplicates,
            lost=EXPECTED - books.sent_steps,
        )
        assert before == {}
        assert states(steps).get("sent") == EXPECTED and books.duplicates == 0
