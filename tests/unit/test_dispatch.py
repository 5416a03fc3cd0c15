"""send_due_steps on in-memory fakes: at most once, retries, failures, holds, caps, review mode, tags."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nearmiss.domain.compose import OutgoingMessage
from nearmiss.domain.events import ApplicationReopened
from nearmiss.domain.feedback import step_from_tags, step_tags
from nearmiss.domain.models import Mode, StepKind, StepState
from nearmiss.domain.playbook import step_id
from nearmiss.domain.records import StepRecord
from nearmiss.service.dispatch import Dispatcher, DispatchSettings, backoff
from nearmiss.service.links import Links
from nearmiss.service.playbooks import SenderPolicy, decide, start_playbook, stop_playbook
from nearmiss.service.ports import CreateOutcome, SendError, SendFailure, Suppression
from nearmiss_local.fakes import FakeIdentities, MemoryStore, RecordingMailer

from tests.conftest import NOW, make_application, make_candidate, make_rejection
from tests.helpers import load_event

LINKS = Links("https://nearmiss.example", b"s" * 32)
SENDERS = SenderPolicy(domain="mail.example")


class FakeClock:
    """A monotonic clock that moves only when someone sleeps (thread-safe)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.waits.append(seconds)
            self.now += seconds


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
    # Given three due notes, an account rate of 2 per second and a clock that only sleeping moves
    store, mailer, _ = world()
    clock = FakeClock()
    dispatcher = Dispatcher(
        store,
        mailer,
        LINKS,
        platform_address="n@m.example",
        settings=DispatchSettings(max_send_rate=2.0),
        sleep=clock.sleep,
        monotonic=clock.monotonic,
    )
    # When the run sends them
    dispatcher.run(NOW + timedelta(days=1))
    # Then they went half a second apart: the first at once, each next one after a wait
    assert len(mailer.sent) == 3
    assert clock.waits == [pytest.approx(0.5), pytest.approx(0.5)]


def test_the_dispatcher_stops_taking_steps_when_the_lambda_is_about_to_time_out() -> None:
    _, mailer, dispatcher = world()
    report = dispatcher.run(NOW + timedelta(days=1), time_left=lambda: 5.0)
    assert report.outcomes["deferred_to_next_run"] == 3 and mailer.sent == []


# ---- what SES is told: tags in its alphabet ----------------------------------------------------------
SES_TAG = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # SES v2 API reference, MessageTag (Name and Value)
IDS = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}", fullmatch=True)  # models.Identifier


def test_every_step_of_every_kind_and_offset_is_tagged_in_the_ses_alphabet_and_read_back() -> None:
    # Given a playbook with every kind of step, several check-in offsets, and ids with '.', ':', '@'
    store = MemoryStore()
    playbook = {"check_in_after_days": [7, 90, 730]}
    store.put_candidate(make_candidate(candidate_id="ada.quinn@club:2026", playbook=playbook))
    store.put_application(make_application(candidate_id="ada.quinn@club:2026", application_id="gh:1.2@x"))
    rejection = make_rejection(candidate_id="ada.quinn@club:2026", application_id="gh:1.2@x")
    start_playbook(store, rejection, SENDERS, now=NOW)
    records = steps(store)
    assert {s.kind for s in records} == set(StepKind)
    assert {s.offset_days for s in records if s.kind is StepKind.CHECK_IN} == {7, 90, 730}
    for step in records:
        # When it is tagged for SES
        tags = step_tags(step)
        # Then every name and value is in SES's alphabet, and the feedback handler reads them back
        assert all(SES_TAG.fullmatch(name) and SES_TAG.fullmatch(value) for name, value in tags.items()), tags
        echoed = {name: [value] for name, value in tags.items()}
        assert step_from_tags(echoed) == (step.candidate_id, step.application_id, step.step_id)


@settings(max_examples=200, deadline=None, database=None)
@given(candidate_id=IDS, application_id=IDS, kind=st.sampled_from(list(StepKind)), offset=st.integers(7, 730))
def test_any_ids_the_api_accepts_are_tagged_in_the_ses_alphabet(
    candidate_id: str, application_id: str, kind: StepKind, offset: int
) -> None:
    step = steps(world()[0])[0].model_copy(
        update={
            "candidate_id": candidate_id,
            "application_id": application_id,
            "step_id": step_id(
                kind, make_application().contacts[0], offset if kind is StepKind.CHECK_IN else None
            ),
        }
    )
    tags = step_tags(step)
    assert all(SES_TAG.fullmatch(name) and SES_TAG.fullmatch(value) for name, value in tags.items()), tags
    assert step_from_tags({k: [v] for k, v in tags.items()}) == (candidate_id, application_id, step.step_id)


@pytest.mark.parametrize("kind", ["bounce", "complaint"])
def test_the_sample_feedback_events_carry_tags_in_the_ses_alphabet_that_read_back(kind: str) -> None:
    tags = load_event(f"handle_ses_feedback/{kind}.json")["detail"]["mail"]["tags"]
    ours = {name: values for name, values in tags.items() if name.startswith("nm_")}
    assert all(SES_TAG.fullmatch(name) and SES_TAG.fullmatch(v[0]) for name, v in ours.items())
    assert step_from_tags(tags) == ("ada-quinn", "northwind-staff-platform", "thank_you.0123456789abcdef0123")


@pytest.mark.parametrize(
    "tags",
    [
        {},
        {"nm_candidate": ["YWRh"], "nm_application": ["YWRh"]},
        {"nm_candidate": ["YWRh"], "nm_application": ["YWRh"], "nm_step": ["thank_you.0123456789abcdef0123"]},
        {"nm_candidate": ["//8"], "nm_application": ["YWRh"], "nm_step": ["YWRh"]},  # not UTF-8
        {"nm_candidate": [], "nm_application": ["YWRh"], "nm_step": ["YWRh"]},
    ],
)
def test_tags_that_are_not_ours_name_no_step(tags: dict[str, list[str]]) -> None:
    assert step_from_tags(tags) is None


# ---- held, not failed: the SES sandbox, and an own address no longer verified ---------------------------
SANDBOX = "the SES account is in the sandbox; recipients must be verified until production access is granted"


def test_a_sandbox_hold_waits_uncounted_with_the_reason_and_the_run_goes_on() -> None:
    # Given three thank-yous due, and SES refusing the first recipient as the sandbox does
    store, mailer, dispatcher = world()
    mailer.failures = [SendError(SendFailure.HELD, SANDBOX, retry_after=timedelta(hours=1))]
    at = NOW + timedelta(days=1)
    # When the run comes by
    report = dispatcher.run(at)
    # Then that step waits with the reason, no attempt counted; the others still go out in this run
    assert report.outcomes["held"] == 1 and report.outcomes["sent"] == 2
    held = next(s for s in steps(store, StepKind.THANK_YOU) if s.state is not StepState.SENT)
    assert held.state is StepState.SCHEDULED and held.attempts == 0
    assert held.reason == f"held: {SANDBOX}"
    assert held.due_at is not None and held.due_at >= at + timedelta(hours=1)
    # And once production access is granted, it goes out
    dispatcher.run(held.due_at)
    assert store.steps[(held.candidate_id, held.application_id, held.step_id)].state is StepState.SENT


@dataclass
class SandboxMailer(RecordingMailer):
    """SES in the sandbox: addresses not in `verified` are refused as SES refuses them there."""

    verified: set[str] = field(default_factory=set)

    def send(self, message: OutgoingMessage) -> str:
        if message.to_address not in self.verified:
            raise SendError(SendFailure.HELD, SANDBOX, retry_after=timedelta(hours=1))
        return super().send(message)


def test_a_sandbox_hold_never_fails_for_good_but_a_note_past_its_latest_moment_does() -> None:
    # Given SES in the sandbox, where only Mei and Sam were verified as recipients
    store, _, _ = world()
    mailer = SandboxMailer(verified={"mei@northwind.example", "sam@northwind.example"})
    dispatcher = Dispatcher(store, mailer, LINKS, platform_address="notes@mail.example", sleep=lambda s: None)
    step = next(s for s in steps(store, StepKind.THANK_YOU) if s.recipient_name == "Grace Park")
    key = (step.candidate_id, step.application_id, step.step_id)
    # When the dispatcher comes by each time Grace's note is due again
    at = NOW + timedelta(days=1)
    for _ in range(200):
        dispatcher.run(at)
        if store.steps[key].due_at is None:
            break
        at = store.steps[key].due_at  # type: ignore[assignment]
    # Then it was held, uncounted, until three days past its time, and only then given up, saying why
    final = store.steps[key]
    assert final.state is StepState.FAILED and final.attempts == 0
    assert final.reason == f"could not be sent within 3 days of its time: held: {SANDBOX}"
    assert final.updated_at is not None and final.updated_at - step.planned_at > timedelta(days=3)
    # And the verified recipients had theirs
    assert sorted(m.to_address for m in mailer.sent) == ["mei@northwind.example", "sam@northwind.example"]


def test_a_draft_held_by_the_sandbox_waits_and_lapses_at_its_expiry_at_the_latest() -> None:
    store, mailer, dispatcher = world(Mode.REVIEW)
    step = next(s for s in steps(store, StepKind.THANK_YOU) if s.recipient_name == "Mei Tanaka")
    assert step.draft_at is not None and step.expires_at is not None
    mailer.failures = [SendError(SendFailure.HELD, SANDBOX, retry_after=timedelta(days=30))]
    report = dispatcher.run(step.draft_at)
    assert report.outcomes["held"] == 1
    held = next(s for s in steps(store, StepKind.THANK_YOU) if s.state is StepState.SCHEDULED)
    assert held.attempts == 0 and held.reason == f"held: {SANDBOX}" and held.due_at == held.expires_at


def own_address_world(
    verified: set[str], email: str = "ada@example.com"
) -> tuple[MemoryStore, RecordingMailer, FakeIdentities, Dispatcher]:
    store, mailer, identities = MemoryStore(), RecordingMailer(), FakeIdentities(verified=verified)
    store.put_candidate(make_candidate(sending_identity="own_address", email=email))
    store.put_application(make_application())
    start_playbook(store, make_rejection(), SENDERS, now=NOW)
    dispatcher = Dispatcher(
        store,
        mailer,
        LINKS,
        platform_address="notes@mail.example",
        identities=identities,
        sleep=lambda s: None,
    )
    return store, mailer, identities, dispatcher


def test_a_note_from_the_candidates_verified_domain_goes_from_their_own_address() -> None:
    _, mailer, identities, dispatcher = own_address_world({"example.com"})
    dispatcher.run(NOW + timedelta(days=1))
    assert [(m.from_address, m.reply_to) for m in mailer.sent] == [("ada@example.com", None)] * 3
    assert identities.asked == ["ada@example.com"] * 3


def test_a_note_from_an_own_address_that_lost_its_verification_is_held_not_sent_not_failed() -> None:
    # Given Ada's domain was verified when she chose her own address, and no longer is
    store, mailer, identities, dispatcher = own_address_world(set())
    at = NOW + timedelta(days=1)
    # When her thank-yous fall due
    report = dispatcher.run(at)
    # Then none is sent, each waits with the reason, no attempt counted, nobody's day taken
    assert report.outcomes["held"] == 3 and mailer.sent == [] and store.days == {}
    held = steps(store, StepKind.THANK_YOU)
    assert all(s.state is StepState.SCHEDULED and s.attempts == 0 for s in held)
    why = "held: own From address: neither the address nor its domain example.com is a verified SES"
    assert all((s.reason or "").startswith(why) for s in held)
    # And once the domain is verified again, they go out
    identities.verified.add("example.com")
    dispatcher.run(max(s.due_at for s in held if s.due_at))
    assert len(mailer.sent) == 3 and {m.from_address for m in mailer.sent} == {"ada@example.com"}


def test_a_note_planned_from_a_free_mail_own_address_is_held_without_asking_ses() -> None:
    # Given a playbook planned when an address identity at gmail.com could still be chosen
    store, mailer, identities, dispatcher = own_address_world({"ada@gmail.com"}, email="ada@gmail.com")
    # When its notes fall due, SES having verified that address
    report = dispatcher.run(NOW + timedelta(days=1))
    # Then none goes From gmail.com (it would fail DMARC), and the reason says why
    assert report.outcomes["held"] == 3 and mailer.sent == [] and identities.asked == []
    assert all("free-mail" in (s.reason or "") for s in steps(store, StepKind.THANK_YOU))


def test_when_ses_cannot_say_whether_the_own_address_is_verified_the_attempt_counts_as_transient() -> None:
    store, mailer, identities, dispatcher = own_address_world({"example.com"})
    identities.unavailable = True
    report = dispatcher.run(NOW + timedelta(days=1))
    assert report.outcomes["retry_scheduled"] == 3 and mailer.sent == []
    assert all(
        s.attempts == 1 and "ThrottlingException" in (s.reason or "")
        for s in steps(store, StepKind.THANK_YOU)
    )


def test_drafts_go_from_the_platform_and_need_no_identity_check() -> None:
    store, mailer, identities = MemoryStore(), RecordingMailer(), FakeIdentities()
    store.put_candidate(make_candidate(sending_identity="own_address", mode=Mode.REVIEW))
    store.put_application(make_application())
    start_playbook(store, make_rejection(), SENDERS, now=NOW)
    dispatcher = Dispatcher(
        store,
        mailer,
        LINKS,
        platform_address="notes@mail.example",
        identities=identities,
        sleep=lambda s: None,
    )
    first_draft = min(s.draft_at for s in steps(store) if s.draft_at)
    dispatcher.run(first_draft)
    assert mailer.sent and all(m.from_address == "notes@mail.example" for m in mailer.sent)
    assert identities.asked == []


def test_a_stop_older_than_the_rejection_does_not_cancel_the_claim() -> None:
    # Given a re-open a week before the rejection (issue 11, finding 1; the fake mirrored the bug)
    store, mailer = MemoryStore(), RecordingMailer()
    store.put_candidate(make_candidate())
    store.put_application(make_application())
    store.record_stop("ada", "northwind", NOW - timedelta(days=7), "the application was re-opened")
    outcome, scheduled = start_playbook(store, make_rejection(), SENDERS, now=NOW)
    dispatcher = Dispatcher(store, mailer, LINKS, platform_address="notes@mail.example", sleep=lambda s: None)
    # When the months run through
    dispatcher.run(NOW + timedelta(days=1))
    # Then the thank-yous go out
    assert outcome is CreateOutcome.CREATED and scheduled == 6
    assert len(mailer.sent) == 3


def test_a_rejection_after_a_reopen_starts_the_next_generation_once() -> None:
    # Given a playbook stopped by a re-open
    store, _, _ = world()
    reopened = ApplicationReopened(
        candidate_id="ada", application_id="northwind", occurred_at=NOW + timedelta(hours=2)
    )
    stop_playbook(store, reopened, now=NOW + timedelta(hours=2))
    # When the next rejection is delivered three times, and the first one once more
    again = make_rejection(NOW + timedelta(days=1))
    outcomes = [start_playbook(store, again, SENDERS, now=NOW + timedelta(days=1))[0] for _ in range(3)]
    stale = start_playbook(store, make_rejection(), SENDERS, now=NOW + timedelta(days=1))[0]
    # and the re-open is delivered late once more
    stop_playbook(store, reopened, now=NOW + timedelta(days=1))
    # Then one second generation with its own steps, none of them cancelled by the old stop
    assert outcomes == [CreateOutcome.CREATED, CreateOutcome.DUPLICATE, CreateOutcome.DUPLICATE]
    assert stale is CreateOutcome.DUPLICATE
    second = [s for s in steps(store) if s.generation == 2]
    assert len(second) == 8 and {s.state for s in second} == {StepState.SCHEDULED, StepState.SKIPPED}
    assert all("_g2." in s.step_id for s in second)
    assert {s.state for s in steps(store) if s.generation == 1} == {StepState.CANCELLED, StepState.SKIPPED}


def test_a_step_held_past_its_latest_useful_moment_is_too_late_not_sent() -> None:
    # Given the thank-yous were due a day after the rejection, and no run happened for eight days
    store, mailer, dispatcher = world()
    # When the dispatcher finally runs, past the thank-you's latest useful moment (7 days)
    report = dispatcher.run(NOW + timedelta(days=8))
    # Then nothing late is sent: the thank-yous are too_late, with the reason
    thank_yous = steps(store, StepKind.THANK_YOU)
    assert report.outcomes["too_late"] == 3
    assert {s.state for s in thank_yous} == {StepState.TOO_LATE}
    assert all(s.reason and "too late" in s.reason for s in thank_yous)
    assert all(m.to_address != "grace@northwind.example" or "Thank" not in m.subject for m in mailer.sent)


# ---- only to an address the member proved (issue 10, verified addresses) --------------------------
def unproved(store: MemoryStore) -> None:
    """The member's address waits for proof (as after registering, before the link is confirmed):
    the playbook started before the proof, so its steps saw no proved address either."""
    store.candidates["ada"] = make_candidate(
        **{**store.candidates["ada"].model_dump(), "email_proved_at": None}
    )
    for key, step in store.steps.items():
        store.steps[key] = step.model_copy(update={"member": None})


def test_no_note_carries_an_unproved_address_as_reply_to_it_waits_uncounted_then_goes() -> None:
    store, mailer, dispatcher = world()
    unproved(store)
    report = dispatcher.run(NOW + timedelta(days=1))
    assert report.outcomes["awaiting_address"] == 3 and mailer.sent == [] and store.days == {}
    waiting = steps(store, StepKind.THANK_YOU)
    assert all(s.state is StepState.SCHEDULED and s.attempts == 0 for s in waiting)
    assert all("awaiting your address" in (s.reason or "") for s in waiting)
    # Once proved (the next run reads the member afresh), the notes go Reply-To that address
    store.candidates["ada"] = make_candidate()
    dispatcher.run(max(s.due_at for s in waiting if s.due_at))
    assert [m.reply_to for m in mailer.sent] == ["ada@example.com"] * 3


def test_a_note_waiting_for_the_proof_is_never_sent_past_its_latest_useful_moment() -> None:
    store, mailer, dispatcher = world()
    unproved(store)
    latest = max(s.latest_at for s in steps(store, StepKind.THANK_YOU) if s.latest_at)
    at = NOW + timedelta(days=1)
    while at <= latest + timedelta(days=1):
        dispatcher.run(at)
        at += timedelta(hours=6)
    assert mailer.sent == []
    assert {s.state for s in steps(store, StepKind.THANK_YOU)} <= {StepState.TOO_LATE, StepState.FAILED}


def test_no_draft_goes_to_an_unproved_address() -> None:
    store, mailer, dispatcher = world(Mode.REVIEW)
    unproved(store)
    first_draft = min(s.draft_at for s in steps(store) if s.draft_at)
    report = dispatcher.run(first_draft)
    assert report.outcomes["awaiting_address"] >= 1 and mailer.sent == []
    # A draft looks again soon (it goes to the member, at any hour), not in the recipient's window
    waiting = [s for s in steps(store) if s.reason and "awaiting your address" in s.reason]
    assert all(s.due_at == first_draft + timedelta(minutes=15) for s in waiting)


def test_no_note_goes_from_an_unproved_own_address_even_one_ses_verified() -> None:
    store, mailer, identities, dispatcher = own_address_world({"example.com"})
    unproved(store)
    report = dispatcher.run(NOW + timedelta(days=1))
    assert report.outcomes["awaiting_address"] == 3 and mailer.sent == [] and identities.asked == []


def test_an_own_address_note_goes_from_the_address_proved_now() -> None:
    # Given notes planned From ada@example.com, and a new address of the same verified domain
    # proved since (the change took over)
    store, mailer, _, dispatcher = own_address_world({"example.com"})
    store.candidates["ada"] = make_candidate(sending_identity="own_address", email="ada.q@example.com")
    dispatcher.run(NOW + timedelta(days=1))
    assert {(m.from_address, m.reply_to) for m in mailer.sent} == {("ada.q@example.com", None)}


def counted_member_reads(store: MemoryStore) -> list[str]:
    """Every member the store is asked about (profile or link generation), in order."""
    reads: list[str] = []
    for name in ("get_candidate", "member_as_now", "link_generation"):
        original = getattr(store, name)

        def counted(candidate_id: str, _original: object = original) -> object:
            reads.append(candidate_id)
            return _original(candidate_id)  # type: ignore[operator]

        setattr(store, name, counted)
    return reads


def test_a_run_reads_no_member_when_the_steps_saw_them_as_they_are() -> None:
    # Given three thank-yous planned while Ada's address was proved (they saw her as she is)
    store, mailer, dispatcher = world()
    reads = counted_member_reads(store)
    dispatcher.run(NOW + timedelta(days=1))
    # Then all three go to her proved address, and nobody is read: the claims checked her
    assert [m.reply_to for m in mailer.sent] == ["ada@example.com"] * 3
    assert reads == []


def test_a_run_reads_each_member_once_for_steps_that_saw_nobody() -> None:
    # Given three thank-yous stored with no snapshot of the member (planned before snapshots were)
    store, mailer, dispatcher = world()
    for key, step in store.steps.items():
        store.steps[key] = step.model_copy(update={"member": None})
    reads = counted_member_reads(store)
    dispatcher.run(NOW + timedelta(days=1))
    assert reads == ["ada"] and len(mailer.sent) == 3
