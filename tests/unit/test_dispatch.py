"""send_due_steps on in-memory fakes: at most once, retries, failures, caps, review mode."""

from __future__ import annotations

from datetime import timedelta

import pytest
from nearmiss.domain.events import ApplicationReopened
from nearmiss.domain.models import Mode, StepKind, StepState
from nearmiss.domain.records import StepRecord
from nearmiss.service.dispatch import Dispatcher, DispatchSettings, backoff
from nearmiss.service.links import Links
from nearmiss.service.playbooks import SenderPolicy, decide, start_playbook, stop_playbook
from nearmiss.service.ports import CreateOutcome, SendError, SendFailure, Suppression
from nearmiss_local.fakes import MemoryStore, RecordingMailer

from tests.conftest import NOW, make_application, make_candidate, make_rejection

LINKS = Links("https://nearmiss.example", b"s" * 32)
SENDERS = SenderPolicy(domain="mail.example")


def world(mode: Mode = Mode.AUTO) -> tuple[MemoryStore, RecordingMailer, Dispatcher]:
    store, mailer = MemoryStore(), RecordingMailer()
    store.put_candidate(make_candidate(mode=mode))
    store.put_application(make_application())
    outcome, _ = start_playbook(store, make_rejection(), SENDERS, now=NOW)
    assert outcome is CreateOutcome.CREATED
    dispatcher = Dispatcher(store, mailer, LINKS, platform_address="notes@mail.example", sleep=lambda s: None)
    return store, mailer, dispatcher


def steps(store: MemoryStore, kind: StepKind | None = None) -> list[StepRecord]:
    return [s for s in store.steps.values() if kind is None or s.kind is kind]


def test_a_due_step_is_sent_once_even_when_the_tick_repeats() -> None:
    store, mailer, dispatcher = world()
    at = NOW + timedelta(days=1)
    first = dispatcher.run(at)
    second = dispatcher.run(at)
    third = dispatcher.run(at + timedelta(minutes=5))
    assert first.outcomes["sent"] == 3
    assert "sent" not in second.outcomes and "sent" not in third.outcomes
    assert sorted(m.to_address for m in mailer.sent) == sorted(
        ["grace@northwind.example", "mei@northwind.example", "sam@northwind.example"]
    )
    for step in steps(store, StepKind.THANK_YOU):
        assert step.state is StepState.SENT and step.message_id and step.due_at is None


def test_nothing_is_sent_before_its_instant() -> None:
    _, mailer, dispatcher = world()
    dispatcher.run(NOW + timedelta(hours=23, minutes=59))
    assert mailer.sent == []


def test_the_message_comes_from_the_platform_with_the_candidates_name_and_reply_to() -> None:
    _, mailer, dispatcher = world()
    dispatcher.run(NOW + timedelta(days=1))
    message = mailer.sent[0]
    assert (message.from_name, message.from_address, message.reply_to) == (
        "Ada Quinn",
        "notes@mail.example",
        "ada@example.com",
    )
    assert message.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.headers["List-Unsubscribe"].startswith("<https://nearmiss.example/stop?token=")


def test_a_transient_ses_error_leaves_the_step_due_again_with_backoff_inside_the_window() -> None:
    store, mailer, dispatcher = world()
    mailer.failures = [SendError(SendFailure.TRANSIENT, "TooManyRequestsException: throttled")]
    at = NOW + timedelta(days=1)
    report = dispatcher.run(at)
    assert report.outcomes["retry_scheduled"] == 1 and report.outcomes["sent"] == 2
    retried = next(s for s in steps(store, StepKind.THANK_YOU) if s.state is StepState.SCHEDULED)
    assert retried.attempts == 1 and "throttled" in (retried.reason or "")
    assert retried.due_at is not None and at + timedelta(minutes=2) <= retried.due_at <= at + timedelta(
        hours=1
    )
    dispatcher.run(retried.due_at)
    assert (
        store.steps[(retried.candidate_id, retried.application_id, retried.step_id)].state is StepState.SENT
    )


def test_a_permanent_ses_error_marks_the_step_failed_with_the_reason() -> None:
    store, mailer, dispatcher = world()
    mailer.failures = [SendError(SendFailure.PERMANENT, "MessageRejected: Email address not verified")]
    dispatcher.run(NOW + timedelta(days=1))
    failed = [s for s in steps(store) if s.state is StepState.FAILED]
    assert (
        len(failed) == 1
        and failed[0].reason == "MessageRejected: Email address not verified"
        and failed[0].due_at is None
    )


def test_transient_errors_give_up_after_the_attempt_limit() -> None:
    store, mailer, _ = world()
    dispatcher = Dispatcher(
        store,
        mailer,
        LINKS,
        platform_address="n@m.example",
        settings=DispatchSettings(max_attempts=2),
        sleep=lambda s: None,
    )
    at = NOW + timedelta(days=1)
    mailer.failures = [SendError(SendFailure.TRANSIENT, "503")]
    dispatcher.run(at)
    step = next(s for s in steps(store) if s.attempts)
    mailer.failures = [SendError(SendFailure.TRANSIENT, "503")]
    dispatcher.run(step.due_at or at)
    final = store.steps[(step.candidate_id, step.application_id, step.step_id)]
    assert final.state is StepState.FAILED and final.reason == "gave up after 2 attempts: 503"


def test_an_unknown_outcome_is_never_retried_blindly() -> None:
    store, mailer, dispatcher = world()
    mailer.failures = [SendError(SendFailure.UNKNOWN, "ReadTimeoutError")]
    dispatcher.run(NOW + timedelta(days=1))
    assert [s.state for s in steps(store)].count(StepState.NEEDS_REVIEW) == 1


def test_a_claim_that_expired_without_a_result_goes_to_needs_review_not_to_a_second_send() -> None:
    # Given a step claimed by a run that crashed after SES accepted the message
    store, mailer, dispatcher = world()
    at = NOW + timedelta(days=1)
    step = steps(store, StepKind.THANK_YOU)[0]
    claimed = step.moved(
        StepState.SENDING, now=at, due_at=at + timedelta(minutes=5), lease_until=at + timedelta(minutes=5)
    )
    assert store.claim_send(step, claimed, "2026-11-25").value == "claimed"
    # When later runs come by, before and after the lease
    dispatcher.run(at + timedelta(minutes=1))
    dispatcher.run(at + timedelta(minutes=6))
    # Then the step is flagged, and it was never sent by the dispatcher
    final = store.steps[(step.candidate_id, step.application_id, step.step_id)]
    assert final.state is StepState.NEEDS_REVIEW
    assert step.recipient_address not in [m.to_address for m in mailer.sent]


def test_a_suppressed_recipient_gets_nothing_and_the_step_says_why() -> None:
    store, mailer, dispatcher = world()
    grace = next(s for s in steps(store) if s.recipient_name == "Grace Park")
    store.suppress(Suppression(recipient_key=grace.recipient_key, reason="bounce"), NOW)
    dispatcher.run(NOW + timedelta(days=1))
    assert "grace@northwind.example" not in [m.to_address for m in mailer.sent]
    thank_you = next(s for s in steps(store, StepKind.THANK_YOU) if s.recipient_name == "Grace Park")
    assert thank_you.state is StepState.CANCELLED and "bounced" in (thank_you.reason or "")


def test_one_message_per_recipient_per_day_across_applications() -> None:
    # Given two applications at the same company with the same recruiter, rejected the same day
    store, _, dispatcher = world()
    store.put_application(make_application(application_id="northwind-2"))
    start_playbook(store, make_rejection(application_id="northwind-2"), SENDERS, now=NOW)
    # When the thank-yous fall due
    report = dispatcher.run(NOW + timedelta(days=1))
    # Then each person gets one that day; the others move to their next window day
    assert report.outcomes["sent"] == 3 and report.outcomes["deferred_one_day"] == 3
    moved = [s for s in steps(store, StepKind.THANK_YOU) if s.state is StepState.SCHEDULED]
    assert all(s.due_at and s.due_at.date() > (NOW + timedelta(days=1)).date() for s in moved)


def test_a_stop_that_came_first_writes_the_playbook_cancelled_and_keeps_the_rejection_reason() -> None:
    store = MemoryStore()
    store.put_candidate(make_candidate())
    store.put_application(make_application())
    store.record_stop("ada", "northwind", NOW + timedelta(hours=1), "the application was re-opened")
    outcome, scheduled = start_playbook(store, make_rejection(reason="internal hire"), SENDERS, now=NOW)
    playbook = store.get_playbook("ada", "northwind")
    assert outcome is CreateOutcome.STOPPED and scheduled == 0
    assert playbook is not None and playbook.stopped_first and playbook.reason == "internal hire"
    assert {s.state for s in steps(store)} == {StepState.CANCELLED, StepState.SKIPPED}


def test_a_stop_cancels_every_pending_step_and_nothing_is_sent_after_it() -> None:
    store, mailer, dispatcher = world()
    cancelled = stop_playbook(
        store,
        ApplicationReopened(
            candidate_id="ada", application_id="northwind", occurred_at=NOW + timedelta(hours=2)
        ),
        now=NOW + timedelta(hours=2),
    )
    assert cancelled == 6  # 3 thank-yous, 1 resource, 2 check-ins (the skipped resource steps stay skipped)
    dispatcher.run(NOW + timedelta(days=200))
    assert mailer.sent == []


def test_review_mode_drafts_go_to_the_candidate_and_approval_sends_at_the_planned_instant() -> None:
    store, mailer, dispatcher = world(Mode.REVIEW)
    step = next(s for s in steps(store, StepKind.THANK_YOU) if s.recipient_name == "Mei Tanaka")
    dispatcher.run(step.draft_at)  # type: ignore[arg-type]
    drafts = [m for m in mailer.sent if m.to_address == "ada@example.com"]
    assert len(drafts) == 3 and all(m.from_name == "Near Miss" for m in drafts)
    waiting = store.steps[(step.candidate_id, step.application_id, step.step_id)]
    assert waiting.state is StepState.AWAITING_APPROVAL and waiting.due_at == waiting.expires_at
    # The candidate approves
    ref = LINKS.read_decision(
        LINKS.decision(waiting, "approve").split("token=")[1], "approve", now=step.draft_at
    )  # type: ignore[arg-type]
    approved = decide(store, ref, "approve", now=step.draft_at + timedelta(hours=1))  # type: ignore[operator]
    assert approved.state is StepState.APPROVED and approved.due_at == step.planned_at
    dispatcher.run(step.planned_at)
    assert "mei@northwind.example" in [m.to_address for m in mailer.sent]


def test_review_mode_skip_and_lapse() -> None:
    store, mailer, dispatcher = world(Mode.REVIEW)
    thank_yous = steps(store, StepKind.THANK_YOU)
    draft_at = min(s.draft_at for s in thank_yous if s.draft_at)
    dispatcher.run(draft_at)
    skipped, *rest = [store.steps[(s.candidate_id, s.application_id, s.step_id)] for s in thank_yous]
    from nearmiss.service.links import StepRef

    decide(
        store, StepRef(skipped.candidate_id, skipped.application_id, skipped.step_id), "skip", now=draft_at
    )
    expiry = max(s.expires_at for s in rest if s.expires_at)
    report = dispatcher.run(expiry + timedelta(minutes=1))
    assert report.outcomes["lapsed"] >= 2
    states = {store.steps[(s.candidate_id, s.application_id, s.step_id)].state for s in thank_yous}
    assert states == {StepState.SKIPPED, StepState.LAPSED}
    assert [m for m in mailer.sent if m.to_address != "ada@example.com"] == []


def test_an_approval_after_expiry_lapses() -> None:
    store, _, dispatcher = world(Mode.REVIEW)
    step = steps(store, StepKind.THANK_YOU)[0]
    dispatcher.run(step.draft_at)  # type: ignore[arg-type]
    from nearmiss.service.links import StepRef

    late = decide(
        store, StepRef(step.candidate_id, step.application_id, step.step_id), "approve", now=step.expires_at
    )  # type: ignore[arg-type]
    assert late.state is StepState.LAPSED


def test_an_approval_after_the_planned_instant_sends_in_the_next_window() -> None:
    store, _, dispatcher = world(Mode.REVIEW)
    step = next(s for s in steps(store, StepKind.THANK_YOU) if s.recipient_name == "Mei Tanaka")
    dispatcher.run(step.draft_at)  # type: ignore[arg-type]
    from nearmiss.service.links import StepRef

    evening = step.planned_at + timedelta(hours=6)  # 22:10 in Berlin: outside the window
    approved = decide(
        store, StepRef(step.candidate_id, step.application_id, step.step_id), "approve", now=evening
    )
    assert approved.due_at is not None and approved.due_at > evening
    assert approved.due_at.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Berlin")).hour == 9


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    import random

    rng = random.Random(7)
    samples = [backoff(n, rng) for n in range(1, 12)]
    assert all(timedelta(minutes=2) <= s <= timedelta(hours=6) for s in samples)
    assert max(backoff(1, random.Random(i)) for i in range(50)) <= timedelta(minutes=2)
    assert max(backoff(5, random.Random(i)) for i in range(50)) > timedelta(minutes=8)


def test_sends_are_paced_to_the_account_rate() -> None:
    store, mailer, _ = world()
    waits: list[float] = []
    clock = iter(float(i) * 0.01 for i in range(1000))
    dispatcher = Dispatcher(
        store,
        mailer,
        LINKS,
        platform_address="n@m.example",
        settings=DispatchSettings(max_send_rate=2.0),
        sleep=waits.append,
        monotonic=lambda: next(clock),
    )
    dispatcher.run(NOW + timedelta(days=1))
    assert (
        len(mailer.sent) == 3 and len(waits) == 2 and all(w == pytest.approx(0.49, abs=0.02) for w in waits)
    )


def test_the_dispatcher_stops_taking_steps_when_the_lambda_is_about_to_time_out() -> None:
    _, mailer, dispatcher = world()
    report = dispatcher.run(NOW + timedelta(days=1), time_left=lambda: 5.0)
    assert report.outcomes["deferred_to_next_run"] == 3 and mailer.sent == []
