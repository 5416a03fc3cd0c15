"""SES misbehaving for months: throttling, 5xx, a quota burst, rejections, a sender that lost its
verification.

The fault wrapper (nearmiss_local.faults.FaultySes) sits around the REAL sesv2 client (moto) inside
the send_due_steps function's mailer, so SesMailer classifies real botocore ClientErrors. Transient
faults must end `sent` (retried with backoff); permanent ones `failed` with the reason; a note held
(its own From address no longer verified) waits and fails only past its latest useful moment;
nothing is silently dropped: every step ends in a final state and sent + failed == the messages planned.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from nearmiss.service import dispatch
from nearmiss_local.faults import FaultySes

from tests.conftest import NOW
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

CANDIDATES = 8
BOUNCING = "@bounces.example"  # SES refuses these for good (MessageRejected)


def contacts(i: int) -> list[dict[str, Any]]:
    people = [
        {
            "name": f"Grace Park{i}",
            "email": f"grace{i}@northwind{i}.example",
            "role": "hiring_manager",
            "time_zone": "America/New_York",
            "country": "US",
            "discussed": "event sourcing",
            "resource": {
                "kind": "link",
                "title": "the billing write-up",
                "url": "https://example.org/billing",
            },
        },
        {
            "name": f"Mei Tanaka{i}",
            "email": f"mei{i}@northwind{i}.example",
            "role": "interviewer",
            "time_zone": "Europe/Berlin",
            "country": "DE",
            **(
                {"resource": {"kind": "information", "title": "the conference dates", "note": "4-6 May."}}
                if i % 2 == 0
                else {}
            ),
        },
        {"name": f"Sam Rivera{i}", "email": f"sam{i}@northwind{i}.example", "role": "recruiter"},
    ]
    if i % 3 == 0:
        people.append({"name": f"Lee Bounce{i}", "email": f"lee{i}{BOUNCING}", "role": "interviewer"})
    return people


def notes_for(i: int) -> int:
    """What contacts(i) must produce, fixed by the inputs (never read back from the stored steps):
    a thank-you each (Grace, Mei, Sam, and Lee when i % 3 == 0), Grace's resource and Mei's when
    i % 2 == 0, and a check-in each for Grace and Sam (hiring manager, recruiter)."""
    return 6 + (i % 3 == 0) + (i % 2 == 0)


def register(stack: Any, i: int, *, own_address: bool = False) -> tuple[str, str]:
    cid, aid = f"cand-{i}", f"app-{i}"
    if own_address:  # verified when the candidate chooses it (the API checks), removed right after
        stack.client("sesv2").create_email_identity(EmailIdentity=f"ada{i}@candidates.example")
    profile = {
        "name": f"Ada Quinn{i}",
        "email": f"ada{i}@candidates.example",
        "time_zone": "Europe/London",
        "country": "GB",
        "mode": "auto",
        "sending_identity": "own_address" if own_address else "platform",
    }
    register_and_prove(stack, cid, profile)  # own_address is chosen once the address is proved
    application = {"company": f"Northwind {i}", "job_title": "Staff Engineer", "contacts": contacts(i)}
    ok(stack.http("PUT", f"/candidates/{cid}/applications/{aid}", body=application))
    ok(stack.http("POST", f"/candidates/{cid}/applications/{aid}/rejection", body={}), 202)
    if own_address:
        stack.client("sesv2").delete_email_identity(EmailIdentity=f"ada{i}@candidates.example")
    return cid, aid


def wire(stack: Any, faulty: Any) -> Any:
    mailer = stack._container(stack.functions["SendDueStepsFunction"]).mailer
    real = mailer.client
    mailer.client = faulty(real)
    return mailer.client


def test_transient_ses_faults_end_sent_and_permanent_ones_failed_with_the_reason(
    table: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dispatch, "random", random.Random(20261124))  # the backoff's jitter, replayable
    with local_stack() as stack:
        # Given eight candidates rejected today, one sending from an address SES no longer verifies
        for i in range(CANDIDATES):
            register(stack, i, own_address=(i == CANDIDATES - 1))
        stack.pump()
        planned = [s for s in all_steps(stack) if s.state.value == "scheduled"]
        unverified = {s.step_id for s in planned if s.candidate_id == f"cand-{CANDIDATES - 1}"}
        bouncing = {
            (s.candidate_id, s.step_id) for s in planned if (s.recipient_address or "").endswith(BOUNCING)
        }
        # and SES throttling 20% of calls, failing 5% with a 5xx, hitting its quota for a burst
        ses = wire(
            stack,
            lambda real: FaultySes(
                real,
                seed=7,
                throttle=0.20,
                server_errors=0.05,
                reject=lambda to: to.endswith(BOUNCING),
                quota_after=10,
                quota_burst=5,
            ),
        )

        # When the months run through
        ticks = run_through(stack, NOW + timedelta(days=130))

        # Then every step is final, transient faults ended sent, permanent ones failed with the reason
        steps = all_steps(stack)
        books = account(stack, steps)
        final = states(steps)
        by_state: dict[str, list[Any]] = {}
        for s in steps:
            by_state.setdefault(s.state.value, []).append(s)
        sent, failed = by_state.get("sent", []), by_state.get("failed", [])
        retried = [s for s in sent if s.attempts > 0]
        expected = sum(notes_for(i) for i in range(CANDIDATES))
        assert len(planned) == expected
        faults = ", ".join(f"{code} {n}" for code, n in sorted(ses.injected.items()))
        print(
            f"\n  {ticks} dispatcher runs over 130 days; SES calls {ses.calls}; injected: {faults}; "
            f"steps {final}; sent after retries: {len(retried)} (attempts "
            f"{dict(sorted(Counter(s.attempts for s in retried).items()))})"
        )
        for s in failed[:3]:
            print(f"  failed: {s.step_id} -> {s.reason}")
        table.add(
            "SES faults",
            load=f"{CANDIDATES} applications, {expected} messages, {ses.calls} SES calls",
            faults=faults + ", own address unverified after it was chosen",
            expected=expected,
            sent=books.accepted,
            duplicates=books.duplicates,
            needs_review=final.get("needs_review", 0),
            failed=len(failed),
            lost=expected - len(sent) - len(failed) - final.get("needs_review", 0),
        )
        assert set(final) <= FINAL, final
        assert not half_claimed(steps)
        assert len(sent) + len(failed) == expected
        assert books.duplicates == 0 and books.unrecorded == 0 and books.accepted == len(sent)
        assert ses.injected["TooManyRequestsException"] and ses.injected["LimitExceededException"] == 5
        assert ses.injected["InternalFailure"] + ses.injected["ServiceUnavailable"] > 0
        assert retried, "some sends must have needed a retry"
        assert {
            (s.candidate_id, s.step_id) for s in failed if s.candidate_id != f"cand-{CANDIDATES - 1}"
        } == bouncing
        own = f"cand-{CANDIDATES - 1}"
        assert all((s.reason or "").startswith("MessageRejected") for s in failed if s.candidate_id != own), [
            s.reason for s in failed
        ]
        # the unverified sender's notes were held (never sent to SES), then given up past their time
        late = "could not be sent within 3 days of its time: held: own From address: "
        assert all((s.reason or "").startswith(late) for s in failed if s.candidate_id == own), [
            s.reason for s in failed if s.candidate_id == own
        ]
        assert {s.step_id for s in failed if s.candidate_id == own} == unverified
        # the candidate sees why, in the timeline
        timeline = ok(stack.http("GET", "/candidates/cand-0/applications/app-0/timeline"))["steps"]
        assert any(e["state"] == "failed" and "MessageRejected" in (e["reason"] or "") for e in timeline)


def test_a_daily_quota_exhausted_defers_sends_to_a_later_day_instead_of_failing_them(
    table: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dispatch, "random", random.Random(5))
    with local_stack() as stack:
        # Given three rejected applications (nine thank-yous due tomorrow) and a quota of 3 a day
        for i in range(3):
            register(stack, i + 1)
        stack.pump()
        expected = sum(notes_for(i + 1) for i in range(3))
        assert sum(1 for s in all_steps(stack) if s.state.value == "scheduled") == expected
        ses = wire(stack, lambda real: FaultySes(real, daily_quota=3))

        # When the months run through
        run_through(stack, NOW + timedelta(days=130))

        # Then everything is sent eventually (the quota frees up every day); nothing fails for it
        steps = all_steps(stack)
        books = account(stack, steps)
        failed = [s for s in steps if s.state.value == "failed"]
        print(
            f"\n  daily quota 3: SES calls {ses.calls}, "
            f"LimitExceededException {ses.injected['LimitExceededException']}; "
            f"steps {states(steps)}; first failure: {failed[0].reason if failed else None}"
        )
        table.add(
            "SES daily quota exhausted (bug fixed)",
            load=f"3 applications, {expected} messages, quota 3/day",
            faults=f"LimitExceededException {ses.injected['LimitExceededException']}",
            expected=expected,
            sent=books.accepted,
            duplicates=books.duplicates,
            needs_review=states(steps).get("needs_review", 0),
            failed=len(failed),
            lost=expected - books.sent_steps - len(failed),
        )
        assert not failed, [s.reason for s in failed]
        assert books.sent_steps == expected
