"""The dispatcher at the account's rate: concurrent sends, one shared pace, fan-out by shard.

Counts and ordering only, on fake clocks: no test here measures a time (bench/ does).
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime, timedelta

import pytest
from nearmiss.adapters.dynamo import due_shard
from nearmiss.entrypoints import parse_shard_run
from nearmiss.service.dispatch import Dispatcher, DispatchSettings
from nearmiss.service.links import Links
from nearmiss.service.pacing import RateLimiter
from nearmiss.service.playbooks import SenderPolicy, plan_records
from nearmiss.service.ports import ShardRun
from nearmiss_local.fakes import MemoryStore, RecordingMailer

from tests.conftest import NOW, make_application, make_candidate, make_rejection
from tests.unit.test_dispatch import FakeClock

LINKS = Links("https://nearmiss.example", b"s" * 32)
AT = NOW + timedelta(days=2)


def backlog(n: int) -> MemoryStore:
    """`n` scheduled notes due before AT, each to its own recipient (no one-per-day deferrals),
    each of its own member (with a proved address)."""
    candidate, application = make_candidate(), make_application()
    sender = SenderPolicy("mail.example").for_candidate(candidate)
    planned = plan_records(candidate, application, make_rejection(), sender, now=NOW)
    base = next(r for r in planned if r.recipient_address and r.state.value == "scheduled")
    store = MemoryStore()
    for i in range(n):
        step = base.model_copy(
            update={
                "candidate_id": f"c{i}",
                "application_id": f"a{i}",
                "recipient_key": f"r{i:05d}",
                "recipient_address": f"person{i}@example.org",
                "due_at": AT - timedelta(seconds=1 + i),
            }
        )
        store.steps[(step.candidate_id, step.application_id, step.step_id)] = step
        store.candidates[step.candidate_id] = candidate.model_copy(update={"candidate_id": step.candidate_id})
    return store


class RecordedShardRuns:
    def __init__(self) -> None:
        self.started: list[ShardRun] = []
        self._lock = threading.Lock()

    def start(self, run: ShardRun) -> None:
        with self._lock:
            self.started.append(run)


def dispatcher(
    store: MemoryStore,
    mailer: RecordingMailer,
    *,
    shard_runs: RecordedShardRuns | None = None,
    **settings: object,
) -> Dispatcher:
    return Dispatcher(
        store,
        mailer,
        LINKS,
        platform_address="notes@mail.example",
        settings=DispatchSettings(**{"max_send_rate": 1e9, **settings}),  # type: ignore[arg-type]
        sleep=lambda s: None,
        shard_runs=shard_runs,
    )


def sent_per_recipient(mailer: RecordingMailer) -> Counter[str]:
    return Counter(m.to_address for m in mailer.sent)


def test_the_limiter_never_starts_more_than_the_rate_in_any_second_whatever_the_threads() -> None:
    # Given a limiter at 14 per second on a clock that only sleeping moves
    clock = FakeClock()
    limiter = RateLimiter(14.0, monotonic=clock.monotonic, sleep=clock.sleep)
    slots: list[float] = []
    lock = threading.Lock()

    def sender() -> None:
        for _ in range(25):
            slot = limiter.acquire()
            with lock:
                slots.append(slot)

    # When 16 threads take 400 slots between them
    threads = [threading.Thread(target=sender) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then every slot is its own, and no 15 of them fall within one second
    slots.sort()
    assert len(slots) == 400 == len(set(slots))
    assert all(later - first >= 1.0 - 1e-9 for first, later in zip(slots, slots[14:], strict=False))


def test_a_run_on_eight_threads_sends_every_due_note_exactly_once() -> None:
    # Given 300 due notes and a run with eight sender threads
    store, mailer = backlog(300), RecordingMailer()
    # When it runs
    report = dispatcher(store, mailer, concurrency=8).run(AT)
    # Then each recipient got exactly one note, and every step is recorded as sent
    assert report.as_dict() == {"sent": 300}
    assert len(mailer.sent) == 300 and set(sent_per_recipient(mailer).values()) == {1}
    assert {s.state.value for s in store.steps.values()} == {"sent"}


def test_two_runs_on_eight_threads_over_the_same_notes_send_each_once() -> None:
    # Given 200 due notes and two runs that start together, eight threads each
    store, mailer = backlog(200), RecordingMailer()
    runs = [dispatcher(store, mailer, concurrency=8) for _ in range(2)]
    reports = []
    threads = [threading.Thread(target=lambda d=d: reports.append(d.run(AT))) for d in runs]
    # When both run
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then every claim was won once: 200 sent in total, the rest lost to the other run
    outcomes = sum((r.outcomes for r in reports), Counter())
    assert outcomes["sent"] == 200 == len(mailer.sent)
    assert set(sent_per_recipient(mailer).values()) == {1}
    assert set(outcomes) <= {"sent", "lost_race", "not_due"}


def test_a_backlog_larger_than_one_run_fans_out_one_run_per_shard_at_its_share_of_the_rate() -> None:
    # Given more due than one run takes (max_steps 50, 200 due) and fan-out wired
    store, mailer, shard_runs = backlog(200), RecordingMailer(), RecordedShardRuns()
    d = dispatcher(store, mailer, shard_runs=shard_runs, max_steps=50, max_send_rate=14.0)
    # When the scheduled run looks
    report = d.run(AT)
    # Then it sent nothing itself and started one run per shard, each at a quarter of the rate,
    # working until the next scheduled run
    assert not mailer.sent
    assert report.as_dict() == {"shard_run_started": 4}
    assert sorted(r.shard for r in shard_runs.started) == [0, 1, 2, 3]
    assert [r.rate for r in shard_runs.started] == [3.5] * 4
    assert {r.until for r in shard_runs.started} == {AT + timedelta(minutes=5)}


def test_a_backlog_one_run_can_take_is_worked_by_the_scheduled_run_itself() -> None:
    # Given fewer due than max_steps
    store, mailer, shard_runs = backlog(30), RecordingMailer(), RecordedShardRuns()
    # When the scheduled run looks
    report = dispatcher(store, mailer, shard_runs=shard_runs, max_steps=50).run(AT)
    # Then it sends them and starts no other run
    assert report.as_dict() == {"sent": 30} and not shard_runs.started


def test_a_shard_run_works_its_shard_batch_after_batch_and_leaves_the_others() -> None:
    # Given 200 due notes over four shards, and batches of 10
    store, mailer = backlog(200), RecordingMailer()
    mine = [s for s in store.steps.values() if due_shard(s, store.shards) == 2]
    # When shard 2's run works until its shard is empty
    report = dispatcher(store, mailer, max_steps=10, concurrency=4).run_shard(
        2, 50.0, AT + timedelta(minutes=5), lambda: AT
    )
    # Then it sent exactly shard 2's notes, across several batches, and nothing else
    assert report.as_dict() == {"sent": len(mine)} and len(mine) > 10
    assert {m.to_address for m in mailer.sent} == {s.recipient_address for s in mine}
    untouched = [s for s in store.steps.values() if due_shard(s, store.shards) != 2]
    assert {s.state.value for s in untouched} == {"scheduled"}


def test_a_shard_run_near_its_timeout_starts_one_successor_and_stops_taking_work() -> None:
    # Given a shard run whose invocation has 10 s left after its 20th send
    store, mailer, shard_runs = backlog(400), RecordingMailer(), RecordedShardRuns()
    until = AT + timedelta(minutes=5)

    def time_left() -> float:
        return 60.0 if len(mailer.sent) < 20 else 9.0

    d = dispatcher(store, mailer, shard_runs=shard_runs, max_steps=1000)
    # When it runs
    report = d.run_shard(1, 3.5, until, lambda: AT, time_left=time_left)
    # Then it sent 20, left the rest of its shard to a successor with the same shard, rate and deadline
    assert len(mailer.sent) == 20
    assert shard_runs.started == [ShardRun(1, 3.5, until)]
    assert report.outcomes["shard_run_continued"] == 1
    assert report.outcomes["deferred_to_next_run"] > 0


def test_a_shard_run_takes_no_work_after_its_deadline_and_starts_no_successor() -> None:
    # Given a shard run whose clock passes its deadline (the next scheduled run) after 5 sends
    store, mailer, shard_runs = backlog(400), RecordingMailer(), RecordedShardRuns()
    until = AT + timedelta(seconds=5)

    def clock() -> datetime:
        return AT + timedelta(seconds=len(mailer.sent))

    d = dispatcher(store, mailer, shard_runs=shard_runs, max_steps=1000)
    # When it runs, with plenty of its own invocation left
    d.run_shard(0, 3.5, until, clock, time_left=lambda: 200.0)
    # Then it stopped at the deadline and left the shard to the next scheduled run
    assert len(mailer.sent) == 5
    assert not shard_runs.started


def test_a_shard_run_event_is_read_back_as_it_was_started() -> None:
    from nearmiss.adapters.lambda_invoke import shard_event

    run = ShardRun(3, 25.0, AT + timedelta(minutes=5))
    assert parse_shard_run(shard_event(run)) == run
    with pytest.raises(ValueError, match="shard, rate and until"):
        parse_shard_run({"shard": 1})


def test_a_run_whose_deadline_comes_while_it_waits_for_a_slot_claims_nothing_after_it() -> None:
    # Given a shard run at 1 note per second whose deadline is 3 s away, on a clock only sleeping moves
    store, mailer = backlog(40), RecordingMailer()
    fake = FakeClock()
    d = Dispatcher(
        store,
        mailer,
        LINKS,
        platform_address="notes@mail.example",
        settings=DispatchSettings(max_send_rate=1e9, max_steps=100),
        sleep=fake.sleep,
        monotonic=fake.monotonic,
    )
    per_shard = Counter(due_shard(s, store.shards) for s in store.steps.values())
    shard, mine = per_shard.most_common(1)[0]
    assert mine > 3
    # When it runs: its 4th slot is granted at the deadline itself
    report = d.run_shard(shard, 1.0, AT + timedelta(seconds=3), lambda: AT + timedelta(seconds=fake.now))
    # Then the notes of the slots before the deadline went, and the one that woke at it was left untouched
    assert len(mailer.sent) == 3 == report.outcomes["sent"]
    untouched = [s for s in store.steps.values() if s.state.value == "scheduled"]
    assert len(untouched) == 40 - 3
