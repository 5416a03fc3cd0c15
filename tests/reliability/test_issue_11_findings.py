"""A scenario for each finding of issue 11 that the other files do not cover: a stale stop (1),
generations (2), a rejection with nobody to write to (5), a late report (6). Expected counts come
from the scenario's inputs: events/api/put_application.json gives three thank-yous, Grace's
resource and two check-ins (Grace, Sam)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from tests.conftest import NOW
from tests.helpers import load_event
from tests.helpers import register as register_and_prove
from tests.reliability.support import account, all_steps, local_stack, mails, ok, run_through, states

pytestmark = pytest.mark.reliability

ADA = "/candidates/ada-quinn"
APP = f"{ADA}/applications/northwind-staff-platform"
PLAYBOOK = 6  # notes of one generation for events/api/put_application.json


def register(stack: Any, **application: Any) -> None:
    body = json.loads(load_event("api/put_candidate.json")["body"])
    register_and_prove(stack, "ada-quinn", {**body, "mode": "auto"})
    ok(
        stack.http(
            "PUT", APP, body={**json.loads(load_event("api/put_application.json")["body"]), **application}
        )
    )


def reject(stack: Any, **body: Any) -> None:
    ok(stack.http("POST", f"{APP}/rejection", body=body), 202)
    stack.pump()


def reopen(stack: Any, **body: Any) -> None:
    ok(stack.http("POST", f"{APP}/reopened", body=body), 202)
    stack.pump()


def _row(table: Any, scenario: str, load: str, faults: str, expected: int, stack: Any) -> dict[str, int]:
    steps = all_steps(stack)
    books = account(stack, steps)
    final = states(steps)
    table.add(
        scenario,
        load=load,
        faults=faults,
        expected=expected,
        sent=books.accepted,
        duplicates=books.duplicates,
        needs_review=final.get("needs_review", 0),
        failed=final.get("failed", 0),
        lost=expected - books.sent_steps,
    )
    return final


def test_a_stop_a_week_before_the_rejection_blocks_nothing(table: Any) -> None:
    with local_stack() as stack:
        register(stack)
        reopen(stack, occurred_at=(NOW - timedelta(days=7)).isoformat())
        reject(stack)
        run_through(stack, NOW + timedelta(days=130))
        final = _row(
            table,
            "finding 1: re-open a week before the rejection",
            "1 application, 130 days",
            "1 stale stop",
            PLAYBOOK,
            stack,
        )
        assert final == {"sent": PLAYBOOK, "skipped": 2}


def test_reject_reopen_reject_reopen_reject_sends_the_last_generation_once(table: Any) -> None:
    with local_stack() as stack:
        register(stack)
        for day in range(3):
            stack.traveller.move_to(NOW + timedelta(days=day))
            reject(stack)
            if day < 2:
                stack.traveller.move_to(NOW + timedelta(days=day, hours=3))
                reopen(stack)
        run_through(stack, NOW + timedelta(days=130))
        final = _row(
            table,
            "finding 2: reject, re-open, reject, re-open, reject",
            "3 rejections, 2 re-opens, 130 days",
            "2 stops",
            PLAYBOOK,
            stack,
        )
        assert final == {"sent": PLAYBOOK, "cancelled": 2 * PLAYBOOK, "skipped": 6}


def test_a_rejection_with_nobody_in_it_waits_and_starts_when_contacts_are_added(table: Any) -> None:
    with local_stack() as stack:
        register(stack, contacts=[])
        reject(stack)
        assert json.loads(stack.http("GET", f"{APP}/timeline")[2])["waiting"]["state"] == "needs_contacts"
        ok(stack.http("PUT", APP, body=json.loads(load_event("api/put_application.json")["body"])))
        stack.pump()
        run_through(stack, NOW + timedelta(days=130))
        final = _row(
            table,
            "finding 5: rejection with nobody to write to, contacts added later",
            "1 application, 130 days",
            "no contacts at the rejection",
            PLAYBOOK,
            stack,
        )
        assert final.get("sent") == PLAYBOOK


@pytest.mark.parametrize(("days_late", "expected"), [(10, 3), (400, 0)])
def test_a_late_report_sends_only_what_is_still_useful(days_late: int, expected: int, table: Any) -> None:
    # 10 days late: the thank-yous (7 days) are too late; the resource (21) and the check-ins go out.
    # 400 days late: nothing is still useful.
    with local_stack() as stack:
        register(stack)
        reject(stack, rejected_at=(NOW - timedelta(days=days_late)).isoformat())
        run_through(stack, NOW + timedelta(days=130))
        final = _row(
            table,
            f"finding 6: rejection reported {days_late} days late",
            "1 application, 130 days",
            "a late report",
            expected,
            stack,
        )
        assert final.get("sent", 0) == expected
        assert final.get("too_late") == PLAYBOOK - expected


def test_a_person_named_without_an_address_gets_their_notes_once_the_address_is_added(table: Any) -> None:
    with local_stack() as stack:
        application = json.loads(load_event("api/put_application.json")["body"])
        without = [
            ({**c, "email": None} if c["name"] == "Mei Tanaka" else c) for c in application["contacts"]
        ]
        register(stack, contacts=without)
        reject(stack)
        ok(stack.http("PUT", APP, body=application))  # the member completes Mei's address
        ok(stack.http("PUT", APP, body=application))  # and saves once more: nothing is added twice
        run_through(stack, NOW + timedelta(days=130))
        final = _row(
            table,
            "finding 7: a person named without an address, completed later",
            "1 application, 2 saves, 130 days",
            "1 address missing at the rejection",
            PLAYBOOK,
            stack,
        )
        assert final.get("sent") == PLAYBOOK


def test_a_rejection_delivered_before_the_reopen_that_precedes_it_starts_its_own_generation(
    table: Any,
) -> None:
    # Given reject#1 (day 0), a re-open (day 1) and reject#2 (day 2), where reject#2 is delivered
    # before the re-open (out of order). When everything has arrived and run through,
    # Then reject#2's generation sends its notes once and reject#1's are cancelled.
    with local_stack() as stack:
        register(stack)
        reject(stack)
        stack.traveller.move_to(NOW + timedelta(days=2))
        reject(stack, rejected_at=(NOW + timedelta(days=2)).isoformat())
        waiting = json.loads(stack.http("GET", f"{APP}/timeline")[2])["waiting"]
        assert waiting is not None and waiting["state"] == "waiting_for_reopen"
        reopen(stack, occurred_at=(NOW + timedelta(days=1)).isoformat())
        run_through(stack, NOW + timedelta(days=130))
        final = _row(
            table,
            "gap: reject#2 delivered before the re-open that precedes it",
            "2 rejections, 1 re-open, 130 days",
            "out-of-order delivery",
            PLAYBOOK,
            stack,
        )
        assert final == {"sent": PLAYBOOK, "cancelled": PLAYBOOK, "skipped": 4}


def test_the_member_is_told_once_of_a_rejection_with_nobody_to_write_to(table: Any) -> None:
    # Given a rejection with nobody to write to, delivered three times (an ATS retrying)
    with local_stack() as stack:
        register(stack, contacts=[])
        for _ in range(3):
            reject(stack)
        stack.tick()
        stack.pump()
        # When the member adds the contacts and everything runs through
        ok(stack.http("PUT", APP, body=json.loads(load_event("api/put_application.json")["body"])))
        stack.pump()
        run_through(stack, NOW + timedelta(days=130))
        final = _row(
            table,
            "item 1: needs contacts, told once (1 notice), contacts added",
            "1 rejection delivered 3 times, 130 days",
            "no contacts at the rejection",
            PLAYBOOK,
            stack,
        )
        assert final.get("sent") == PLAYBOOK
        assert [m.subject for m in member_notices(stack)] == [
            "Nobody to write to yet: Staff Platform Engineer at Northwind Data"
        ]


def test_review_mode_lapses_reach_the_member_as_one_summary_a_day(table: Any) -> None:
    # Given review mode and a member who approves nothing: 3 thank-yous lapse on day 3, Grace's
    # resource on day 10, the two check-ins on day 100: three summaries, never one per step
    with local_stack() as stack:
        body = json.loads(load_event("api/put_candidate.json")["body"])
        register_and_prove(stack, "ada-quinn", {**body, "mode": "review"})
        ok(stack.http("PUT", APP, body=json.loads(load_event("api/put_application.json")["body"])))
        reject(stack)
        run_through(stack, NOW + timedelta(days=130))
        final = _row(
            table,
            "item 2: review mode, nothing approved (3 summaries for 6 lapses)",
            "1 application, 130 days",
            "no approvals",
            0,
            stack,
        )
        assert final == {"lapsed": PLAYBOOK, "skipped": 2}
        assert [m.subject for m in member_notices(stack)] == [
            "3 notes not sent: Staff Platform Engineer at Northwind Data",
            "1 note not sent: Staff Platform Engineer at Northwind Data",
            "2 notes not sent: Staff Platform Engineer at Northwind Data",
        ]


def member_notices(stack: Any) -> list[Any]:
    return [m for m in mails(stack) if m.is_draft and not m.subject.startswith("Draft")]
