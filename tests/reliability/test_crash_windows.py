"""A send_due_steps process that dies between two effects never leads to a second send.

The windows: after the claim but before SES; after SES accepted the message but before the step was
marked sent (the process killed, or DynamoDB failing the write); and an SES answer that never came
back. In each, the step ends `needs_review` (shown in the timeline with the reason), never sent
twice; the rest of the playbook goes on.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from nearmiss_local.faults import (
    CrashAfterSend,
    CrashBeforeSend,
    CrashingStore,
    FaultySes,
    ProcessKilled,
    client_error,
)

from tests.conftest import NOW
from tests.helpers import load_event
from tests.helpers import register as register_and_prove
from tests.reliability.support import (
    FINAL,
    account,
    all_steps,
    half_claimed,
    local_stack,
    ok,
    run_through,
    states,
)

pytestmark = pytest.mark.reliability

ADA = "/candidates/ada-quinn"
APP = f"{ADA}/applications/northwind-staff-platform"
EXPECTED = 6  # three thank-yous, one resource, two check-ins (events/api/put_application.json)


def register_and_reject(stack: Any) -> None:
    body = json.loads(load_event("api/put_candidate.json")["body"])
    register_and_prove(stack, "ada-quinn", {**body, "mode": "auto"})
    ok(stack.http("PUT", APP, body=json.loads(load_event("api/put_application.json")["body"])))
    ok(stack.http("POST", f"{APP}/rejection", body={}), 202)
    stack.pump()


def _kill_after_ses(dispatcher: Any) -> Callable[[], None]:
    dispatcher.mailer = CrashAfterSend(dispatcher.mailer)
    return lambda: setattr(dispatcher, "mailer", dispatcher.mailer.mailer)


def _kill_before_ses(dispatcher: Any) -> Callable[[], None]:
    dispatcher.mailer = CrashBeforeSend(dispatcher.mailer)
    return lambda: setattr(dispatcher, "mailer", dispatcher.mailer.mailer)


def _store_fails_after_ses(dispatcher: Any) -> Callable[[], None]:
    real = dispatcher.store
    dispatcher.store = CrashingStore(
        real,
        state="sent",
        error=lambda: client_error("PutItem", "InternalServerError", "Internal server error", 500),
    )
    return lambda: setattr(dispatcher, "store", real)


def _killed_on_the_sent_write(dispatcher: Any) -> Callable[[], None]:
    real = dispatcher.store
    dispatcher.store = CrashingStore(
        real, state="sent", error=lambda: ProcessKilled("killed while marking sent")
    )
    return lambda: setattr(dispatcher, "store", real)


def _ses_answer_lost(dispatcher: Any) -> Callable[[], None]:
    mailer = dispatcher.mailer
    real = mailer.client
    first: list[str] = []

    def once(to: str) -> bool:
        if not first:
            first.append(to)
            return True
        return False

    mailer.client = FaultySes(real, timeout_after_send=once)
    return lambda: setattr(mailer, "client", real)


WINDOWS = {
    "killed after SES accepted, before marked sent": (_kill_after_ses, ProcessKilled, 1),
    "killed while writing sent": (_killed_on_the_sent_write, ProcessKilled, 1),
    "DynamoDB 500 on the sent write after SES accepted": (
        _store_fails_after_ses,
        None,
        1,
    ),  # the run logs it and goes on
    "SES answer lost (read timeout after the request went out)": (_ses_answer_lost, None, 1),
    "killed after the claim, before SES": (_kill_before_ses, ProcessKilled, 0),
}


@pytest.mark.parametrize("window", list(WINDOWS))
def test_a_crash_between_ses_and_the_store_never_leads_to_a_second_send(window: str, table: Any) -> None:
    inject, raised, messages_for_the_crashed_step = WINDOWS[window]
    with local_stack() as stack:
        # Given a rejected application whose three thank-yous are due
        register_and_reject(stack)
        due = stack.next_due()
        assert due is not None
        stack.traveller.move_to(due)
        container = stack._container(stack.functions["SendDueStepsFunction"])
        restore = inject(container.dispatcher)

        # When the dispatcher run dies in the window (or SES never answers)
        if raised is not None:
            with pytest.raises(raised):
                stack.tick()
        else:
            stack.tick()
        restore()
        crashed_at = datetime.now(UTC)
        in_flight = [s for s in all_steps(stack) if s.state.value in ("sending", "needs_review")]
        assert len(in_flight) == 1, states(all_steps(stack))
        crashed = in_flight[0]
        assert not half_claimed(all_steps(stack))

        # Then a run before the lease ends leaves it alone; after the lease it goes to needs_review
        stack.tick()
        run_through(stack, crashed_at + timedelta(minutes=6))
        after = next(s for s in all_steps(stack) if s.step_id == crashed.step_id)
        assert after.state.value == "needs_review", after
        timeline = ok(stack.http("GET", f"{APP}/timeline"))["steps"]
        shown = next(e for e in timeline if e["step_id"] == crashed.step_id)
        assert shown["state"] == "needs_review" and shown["reason"], shown

        # and the months go on without ever sending it again
        run_through(stack, NOW + timedelta(days=130))
        steps = all_steps(stack)
        books = account(stack, steps)
        crashed_key = f"{crashed.candidate_id}/{crashed.application_id}/{crashed.step_id}"
        final = states(steps)
        print(
            f"\n  {window}: steps {final}; SES accepted {books.accepted}, of which unrecorded "
            f"{books.unrecorded}; messages for the crashed step: {books.per_step.get(crashed_key, 0)}"
        )
        table.add(
            f"crash: {window}",
            load="1 application, 6 messages, 120 days",
            faults="1 lost SES answer" if "SES answer lost" in window else "1 crash in the window",
            expected=EXPECTED,
            sent=books.accepted,
            duplicates=books.duplicates,
            needs_review=final.get("needs_review", 0),
            failed=final.get("failed", 0),
            lost=EXPECTED - books.sent_steps - final.get("needs_review", 0) - final.get("failed", 0),
        )
        assert books.duplicates == 0
        assert books.per_step.get(crashed_key, 0) == messages_for_the_crashed_step
        assert final.get("needs_review") == 1
        assert final.get("sent") == EXPECTED - 1
        assert set(final) <= FINAL | {"needs_review"}
