"""send_due_steps: every few minutes, do what is due, and never send a step twice.

Delivery semantics, per (application, recipient, step):
- **At most once.** A step is claimed with a conditional write (`sending`, with a lease) before the
  message goes to SES. A crash after SES accepted it but before the step was marked `sent` leaves it
  `sending`; when the lease runs out the next run moves it to `needs_review`, never to a blind retry.
  The same holds for an SES answer that never came back (a timeout after the request went out).
- **Transient failures retry** (throttling, 5xx, connection refused: SES did not take the message)
  with exponential backoff and full jitter, inside the recipient's send window, up to a limit;
  **permanent failures** (rejected message, unverified sender) are marked `failed` with the reason.
- **Held, not failed**: a message that cannot go *yet* through no fault of its own (the SES account
  is still in the sandbox; the candidate's own address is, for now, no longer a verified identity)
  waits with the reason and is tried again later without counting an attempt, as when SES is out
  of capacity; past MAX_CAPACITY_DELAY after its planned instant it fails, since it would be late.
- **Only to a proved address**: a draft goes to the member, and a note carries the member's address
  (Reply-To, or From for `own_address`), only once they proved it (`Candidate.usable_email`); until
  then the step waits (`awaiting_address`, the reason in the timeline), uncounted, under the same
  lateness rules as any held note.
- **The member as the step saw them, checked in the claim.** A step carries the member's proved
  address and link generation as last seen (`StepRecord.member`: set when the playbook starts,
  renewed by each claim). The claim transaction checks both against the stored member, so the
  common send reads no member at all: claim, send, record. When the check fails (a new address
  proved, a key renewed), the member is read afresh (once per member per run) and the step claimed
  again, once, with what was read; a step with no snapshot is claimed with the member as read now.
  Links (the stop link, a draft's decisions) are signed with the generation the claim proved.
- The claim also checks, in the same transaction, that the playbook was not stopped, that the
  recipient is not suppressed, and that the recipient gets no other message from us that day; with
  a receiving domain, it writes the note's reply-address lookup (owned, conditional) in the same
  transaction, so no note goes out without it.

Throughput (none of this changes the claim, so at most once holds at any concurrency):
- **Concurrent within a run.** The steps of a run are handled by a bounded pool of threads
  (`concurrency`, NEARMISS_SEND_CONCURRENCY); each step is still claim, send, record, in that
  order, in one thread. Two threads (or two runs) that take the same step race on the claim's
  conditional transaction, and exactly one wins; the other sees `lost_race` and sends nothing.
- **Paced to the account's rate.** Every step a run takes (so every send: notes and drafts, at
  most one per step) first takes a slot from one RateLimiter shared by the run's threads
  (nearmiss.service.pacing), at `max_send_rate`, or at this run's share of it when the run works one
  due-index shard. The slot is taken before the step starts, not before the send: a run that must
  stop stops before its next claim, and no send goes out on a slot reserved long before.
- **Fan-out for a backlog.** A scheduled run that finds more due than one batch (`max_steps`)
  does not work it alone: it starts one asynchronous run per due-index shard with work (a `ShardRuns`
  port: the function invokes itself with {"shard": n, "rate": share, "until": next tick}), each
  paced to rate / shards-with-work, so together they keep SES at the account's rate. A shard run
  takes batch after batch from its shard until the shard is empty or `until` (the next scheduled
  run, which looks again) comes; when its own invocation nears its timeout (10 s left) first, it
  starts its successor for the same shard and stops taking work, so the shard's pace holds across
  invocations. A shard has one run at a time (a run's deadline is the next tick, where the next
  fan-out begins), so the shares add up to the account's rate; should two overlap (a late tick, an
  event Lambda delivered twice), the claim still sends each step at most once, and SES's
  `Throttling` is a transient failure, retried later.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from nearmiss.domain import compose
from nearmiss.domain import notices as notice_rules
from nearmiss.domain.compose import OutgoingMessage
from nearmiss.domain.feedback import step_tags
from nearmiss.domain.models import Candidate, StepState
from nearmiss.domain.records import Due, MemberSeen, Notice, NoticeState, StepRecord
from nearmiss.domain.timing import next_send_instant
from nearmiss.observability import logger
from nearmiss.service.links import Links, read_once
from nearmiss.service.notices import compose_notice
from nearmiss.service.pacing import RateLimiter
from nearmiss.service.ports import (
    ClaimOutcome,
    Identities,
    IdentityLookupError,
    Mailer,
    SendError,
    SendFailure,
    ShardRun,
    ShardRuns,
    Store,
)
from nearmiss.service.reply_addresses import ReplyAddresses

BASE_BACKOFF = timedelta(minutes=2)
MAX_CAPACITY_DELAY = timedelta(days=3)  # past this, a note held back (quota, sandbox, identity) is too late
IDENTITY_WAIT = timedelta(hours=1)  # how often a note from an address SES no longer verifies is retried
ADDRESS_WAIT = timedelta(minutes=15)  # how often a step waiting for the member to prove their address looks
AWAITING_ADDRESS = (
    "held: awaiting your address: confirm the link Near Miss mailed to it (or ask for a new one); "
    "this goes on once it is confirmed, if still in time"
)
MAX_BACKOFF = timedelta(hours=6)
MEMBER_CHANGED = "member_changed"  # the claim found the member not as the step saw them: untouched
type Attempt = Callable[[StepRecord, datetime, MemberSeen | None], str]  # a claim, then its send


@dataclass
class DispatchSettings:
    lease: timedelta = timedelta(minutes=5)
    max_attempts: int = 6
    max_steps: int = 400
    max_send_rate: float = 10.0  # messages per second; SES throttles above the account's rate
    concurrency: int = 1  # sender threads per run (the deployed value comes from NEARMISS_SEND_CONCURRENCY)
    interval: timedelta = timedelta(minutes=5)  # between scheduled runs (the template's DispatchRate)


STOP_MARGIN = 10.0  # seconds: a run takes no new step when its invocation has less than this left
BATCH_SECONDS = 30.0  # a shard run asks its shard for about this long's worth of steps at a time


@dataclass
class DispatchReport:
    outcomes: Counter[str] = field(default_factory=Counter)

    def add(self, outcome: str) -> None:
        self.outcomes[outcome] += 1

    def as_dict(self) -> dict[str, int]:
        return dict(sorted(self.outcomes.items()))


def backoff(attempt: int, rng: random.Random | None = None) -> timedelta:
    """Exponential backoff with full jitter: uniform in [base, min(cap, base * 2**attempt)]."""
    ceiling = min(MAX_BACKOFF, BASE_BACKOFF * (2 ** max(0, attempt - 1)))
    spread = (ceiling - BASE_BACKOFF).total_seconds()
    return BASE_BACKOFF + timedelta(seconds=(rng or random).uniform(0, spread))


def render_step(step: StepRecord) -> compose.Rendered:
    """The message of a step exactly as it goes out: the template, or the candidate's own edit.

    Neither carries a visible stop line: the recipient's way out is in the headers `_send` puts on
    every note, the template's and the edited alike (RFC 8058 List-Unsubscribe with its one-click
    POST), and in a reply asking to stop. An edit cannot remove a header, so it cannot take the
    way out away."""
    rendered = compose.compose_step(step.context)
    if step.edited_subject or step.edited_text:  # the candidate's own words win
        text = step.edited_text or rendered.text
        return compose.from_text(step.edited_subject or rendered.subject, text)
    return rendered


def back_to_of(step: StepRecord) -> StepState:
    """Where a claimed step returns when its send did not happen."""
    return StepState.APPROVED if step.state is StepState.APPROVED else StepState.SCHEDULED


def _local(instant: datetime, zone: str) -> str:
    return instant.astimezone(ZoneInfo(zone)).strftime("%A %d %B, %H:%M %Z")


class Dispatcher:
    def __init__(
        self,
        store: Store,
        mailer: Mailer,
        links: Links,
        platform_address: str,
        settings: DispatchSettings | None = None,
        *,
        identities: Identities | None = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        shard_runs: ShardRuns | None = None,
        reply_addresses: ReplyAddresses | None = None,
    ) -> None:
        self.store = store
        self.mailer = mailer
        self._links = links
        self.links = links  # per run: each member's link generation is read once (Links.for_one_run)
        self.platform_address = platform_address  # drafts go to the candidate from the platform
        # Checks a candidate's own From address before each send; None: no check (the mailer's
        # provider refuses an unverified From by itself, for good).
        self.identities = identities
        self.settings = settings or DispatchSettings()
        self._sleep = sleep
        self._monotonic = monotonic
        # Each note's own Reply-To on the receiving domain; None (no ReceivingDomain): the member's.
        self.reply_addresses = reply_addresses
        # Starts the per-shard runs of a fan-out; None: a run works at most max_steps by itself.
        self.shard_runs = shard_runs
        self._limiter = self._pace(self.settings.max_send_rate)
        self._capacity_until: datetime | None = None  # set when SES says the account is out of capacity
        # Steps this batch lapsed or found too late, per application: one summary entry write each
        # (an UpdateItem per application, not per step) once the batch is done.
        self._unsent: dict[tuple[str, str], list[StepRecord]] = {}
        self._unsent_lock = threading.Lock()
        # Per run, each member read at most once: for notices, their profile (read_once); for steps
        # with no snapshot, or one the claim found stale, their address and generation (_fresh).
        self.members: Callable[[str], Candidate | None] = store.get_candidate
        self._fresh: dict[str, MemberSeen | None] = {}
        self._fresh_lock = threading.Lock()  # one read per member per run, however many threads ask

    def _pace(self, rate: float) -> RateLimiter:
        return RateLimiter(rate, monotonic=self._monotonic, sleep=self._sleep)

    # ---- the run ---------------------------------------------------------------------------
    def run(self, now: datetime, *, time_left: Callable[[], float] | None = None) -> DispatchReport:
        """The scheduled run: handle every step due at `now` (up to max_steps), while time_left()
        stays above 10 s; or, when more is due than that and fan-out is wired, start one paced run
        per due-index shard with work and leave the steps to them."""
        self._capacity_until = None
        self._limiter = self._pace(self.settings.max_send_rate)
        self.links = self._links.for_one_run()
        self.members = read_once(self.store.get_candidate)
        self._fresh = {}
        due = self.store.due_steps(now, self.settings.max_steps)
        if len(due) >= self.settings.max_steps and self.shard_runs is not None:
            return self._fan_out(now)
        return self._work(due, now, time_left)

    def run_shard(
        self,
        shard: int,
        rate: float,
        until: datetime,
        clock: Callable[[], datetime],
        *,
        time_left: Callable[[], float] | None = None,
    ) -> DispatchReport:
        """One shard's run of a fan-out: batch after batch from `shard`, paced to `rate`, until
        the shard has nothing due or `until` comes; near the invocation's timeout, it starts its
        successor (same shard, rate and deadline) and stops taking work."""
        report = DispatchReport()
        self._capacity_until = None
        self._limiter = self._pace(rate)
        self.links = self._links.for_one_run()
        self.members = read_once(self.store.get_candidate)
        self._fresh = {}
        handed_on = threading.Event()
        hand_on = threading.Lock()

        def left() -> float:  # asked by every sender thread before it takes a step
            if clock() >= until:
                return 0.0  # the next scheduled run is due: it looks at the backlog again
            remaining = time_left() if time_left is not None else float("inf")
            if remaining < STOP_MARGIN and self.shard_runs is not None:
                with hand_on:  # exactly one successor, started before the last sends finish
                    if not handed_on.is_set():
                        handed_on.set()
                        self.shard_runs.start(ShardRun(shard, rate, until))
            return remaining

        # Batches of about half a minute at this pace: each batch's `now` (the claims' lease, the
        # recipient's day, sent_at) stays fresh, however slow the share.
        size = max(1, min(self.settings.max_steps, int(rate * BATCH_SECONDS)))
        while left() >= STOP_MARGIN:
            now = clock()
            due = self.store.due_steps(now, size, shard=shard)
            batch = self._work(due, now, left)
            report.outcomes.update(batch.outcomes)
            if len(due) < size or self._capacity_until is not None:
                break  # the shard is empty for now (or SES is out of capacity): the next tick looks again
        if handed_on.is_set():
            report.add("shard_run_continued")
        return report

    def _fan_out(self, now: datetime) -> DispatchReport:
        assert self.shard_runs is not None
        report = DispatchReport()
        shards = self.store.shards_with_due(now)
        if not shards:
            return report
        share = self.settings.max_send_rate / len(shards)
        until = now + self.settings.interval  # the next scheduled run looks at the backlog again
        for shard in shards:
            self.shard_runs.start(ShardRun(shard, share, until))
            report.add("shard_run_started")
        logger.info("fanned out", extra={"shards": shards, "rate_per_shard": share})
        return report

    def _work(
        self, due: Iterable[Due], now: datetime, time_left: Callable[[], float] | None
    ) -> DispatchReport:
        """Handle `due` on up to `concurrency` threads; each step in one thread, start to end. Then
        what lapsed or was too late goes to the member's summary, one write per application."""
        report = DispatchReport()

        def one(step: Due) -> str:
            if time_left is not None and time_left() < STOP_MARGIN:
                return "deferred_to_next_run"
            # Paced where a step starts, not where it sends: a thread waits for its slot holding
            # nothing, so a run that must stop (its deadline, its timeout) stops before it claims,
            # and no thread sends on a slot reserved seconds ago, after a successor took over.
            self._limiter.acquire()
            if time_left is not None and time_left() < STOP_MARGIN:
                return "deferred_to_next_run"  # woke past the end: untouched, still due
            try:
                return self.handle(step, now)
            except Exception:  # one step's trouble (a throttled table) must not hold up the others
                name = step.notice_id if isinstance(step, Notice) else step.step_id
                logger.exception("step not handled", extra={"step_id": name})
                return "error"

        for outcome in self._map(one, list(due), max(1, self.settings.concurrency)):
            report.add(outcome)
        self._summarise(now, report)
        return report

    def _unsendable(self, step: StepRecord) -> None:
        """Remember a step this batch lapsed or found too late, for the member's summary."""
        with self._unsent_lock:
            self._unsent.setdefault((step.candidate_id, step.application_id), []).append(step)

    def _summarise(self, now: datetime, report: DispatchReport) -> None:
        """One summary write per application with steps that lapsed or were too late (the day's
        summary is sent SUMMARY_DELAY after its first entry, so a day's lapses go in one email).
        A crash before this write leaves those steps out of the summary, never out of the timeline."""
        with self._unsent_lock:
            unsent, self._unsent = self._unsent, {}
        for steps in unsent.values():
            try:
                self.store.add_to_summary(notice_rules.summary(steps, now=now))
                report.add("summary_entries")
            except Exception:  # the notes' own outcomes are recorded; the summary is told, not retried
                logger.exception("summary not recorded", extra={"application_id": steps[0].application_id})
                report.add("summary_error")

    def _map(self, handle: Callable[[Due], str], due: list[Due], workers: int) -> list[str]:
        """`handle` over `due` on `workers` threads, outcomes in order; returns when all are done.
        (bench/dispatch_rate.py runs the same on simulated threads and a simulated clock.)"""
        if workers == 1 or len(due) <= 1:
            return [handle(step) for step in due]
        with ThreadPoolExecutor(max_workers=min(workers, len(due)), thread_name_prefix="send") as pool:
            return list(pool.map(handle, due))

    def handle(self, step: Due, now: datetime) -> str:
        if isinstance(step, Notice):
            return self._send_notice(step, now)
        state = step.state
        if state.is_pending and step.latest_at is not None and now > step.latest_at:
            # Held, retried or moved past its latest useful moment: never sent late.
            late = step.moved(
                StepState.TOO_LATE, now=now, due_at=None, reason="too late: past its latest useful moment"
            )
            if not self.store.replace_step(step, late):
                return "lost_race"
            self._unsendable(late)
            return "too_late"
        if state is StepState.AWAITING_APPROVAL:
            return self._lapse(step, now)
        if state is StepState.SENDING:
            return self._expired_claim(step, now)
        if state is StepState.SCHEDULED and step.expires_at is not None:  # review mode, not yet drafted
            return self._send_draft(step, now)
        if state in (StepState.SCHEDULED, StepState.APPROVED):
            return self._send(step, now)
        return "not_due"  # a finished step left in the index: nothing to do

    # ---- the transitions ---------------------------------------------------------------------
    def _lapse(self, step: StepRecord, now: datetime) -> str:
        lapsed = step.moved(StepState.LAPSED, now=now, due_at=None, reason="no approval before it expired")
        if not self.store.replace_step(step, lapsed):
            return "lost_race"
        self._unsendable(lapsed)
        return "lapsed"

    def _send_notice(self, notice: Notice, now: datetime) -> str:
        """A notice to the member: claimed (one write), sent, recorded. At most once: an answer
        that never came leaves it `sending`, as a draft whose outcome is unknown; a transient
        failure tries again later, up to max_attempts."""
        member = self.members(notice.candidate_id)
        to_address = member.usable_email if member is not None else None
        if to_address is None:  # only to an address the member proved: it waits, as their drafts do
            wait = notice.moved(
                NoticeState.PENDING, due_at=now + IDENTITY_WAIT, reason="held: awaiting your proved address"
            )
            return "notice_awaiting_address" if self.store.replace_notice(notice, wait) else "lost_race"
        claimed = notice.moved(NoticeState.SENDING, due_at=None)
        if not self.store.replace_notice(notice, claimed):
            return "lost_race"  # another run, or an entry added since it was read: the fuller one goes next
        outgoing = compose_notice(
            notice,
            to_address=to_address,
            timeline_url=self.links.timeline(notice.candidate_id, notice.application_id, now=now),
            platform_address=self.platform_address,
        )
        try:
            message_id = self._deliver(outgoing)
        except SendError as exc:
            if exc.failure is SendFailure.UNKNOWN:
                return "notice_outcome_unknown"
            attempts = notice.attempts + 1
            if exc.failure is SendFailure.PERMANENT or attempts >= self.settings.max_attempts:
                failed = claimed.moved(NoticeState.FAILED, due_at=None, attempts=attempts, reason=exc.reason)
                return "notice_failed" if self.store.replace_notice(claimed, failed) else "lost_race"
            retry_at = now + (exc.retry_after or backoff(attempts))
            retry = claimed.moved(
                NoticeState.PENDING, due_at=retry_at, attempts=attempts, reason=f"retrying: {exc.reason}"
            )
            return "notice_retry_scheduled" if self.store.replace_notice(claimed, retry) else "lost_race"
        sent = claimed.moved(NoticeState.SENT, due_at=None, message_id=message_id, sent_at=now, reason=None)
        return "notice_sent" if self.store.replace_notice(claimed, sent) else "sent_but_unrecorded"

    def _expired_claim(self, step: StepRecord, now: datetime) -> str:
        review = step.moved(
            StepState.NEEDS_REVIEW,
            now=now,
            due_at=None,
            reason="the send may have happened (its claim expired without a result); not retried",
        )
        return "needs_review" if self.store.replace_step(step, review) else "lost_race"

    def _send_draft(self, step: StepRecord, now: datetime) -> str:
        assert step.expires_at is not None
        if now >= step.expires_at:
            return self._lapse(step, now)
        return self._as_seen(step, now, self._draft)

    def _as_seen(self, step: StepRecord, now: datetime, attempt: Attempt) -> str:
        """`attempt` with the member as the step last saw them; when its claim finds the member
        changed, once more with the member as read now (once per member per run). A step with no
        snapshot, or one this run already knows to be stale, goes straight to the member as read."""
        known = self._fresh.get(step.candidate_id, step.member)
        if step.member is None or known != step.member:
            return attempt(step, now, self._member_now(step.candidate_id))
        outcome = attempt(step, now, step.member)
        if outcome == MEMBER_CHANGED and step.candidate_id not in self._fresh:
            outcome = attempt(step, now, self._member_now(step.candidate_id))
        return outcome  # MEMBER_CHANGED still: untouched, still due (the member changed meanwhile)

    def _member_now(self, candidate_id: str) -> MemberSeen | None:
        """The member as stored now (address and generation in one read), once per run."""
        with self._fresh_lock:  # held while reading: a stale snapshot is rare, its read one request
            if candidate_id not in self._fresh:
                self._fresh[candidate_id] = self.store.member_as_now(candidate_id)
            return self._fresh[candidate_id]

    def _draft(self, step: StepRecord, now: datetime, seen: MemberSeen | None) -> str:
        assert step.expires_at is not None
        if seen is None:  # before the claim: a draft only to an address the member proved
            return self._awaiting_address(step, now)
        # One request (the claim, with the member's checks): the step waits for the candidate from
        # now on (and lapses at expires_at). If the draft cannot be sent, it goes back to scheduled;
        # drafts are the candidate's own mail, so a draft whose outcome is unknown is left waiting
        # rather than flagged.
        claimed = step.moved(
            StepState.AWAITING_APPROVAL, now=now, due_at=step.expires_at, lease_until=None, member=seen
        )
        outcome = self.store.claim_draft(step, claimed)
        if outcome is ClaimOutcome.MEMBER_CHANGED:
            return MEMBER_CHANGED
        if outcome is not ClaimOutcome.CLAIMED:
            return "lost_race"
        draft = render_step(step)
        links = self._links.as_seen(step.candidate_id, seen)  # the generation the claim proved
        message = compose.compose_draft(
            step.context,
            draft,
            send_local=_local(step.planned_at, step.time_zone),
            expires_local=_local(step.expires_at, step.time_zone),
            review_url=links.decision(step, "review"),
            timeline_url=links.timeline(step.candidate_id, step.application_id, now=now),
            approve_url=links.decision(step, "approve"),
            skip_url=links.decision(step, "skip"),
        )
        outgoing = OutgoingMessage(
            to_name=step.sender.name,
            to_address=seen.email,
            from_name="Near Miss",
            from_address=self.platform_address,
            reply_to=None,
            subject=message.subject,
            text=message.text,
            html=message.html,
        )
        try:
            self._deliver(outgoing)
        except SendError as exc:
            if exc.failure is SendFailure.UNKNOWN:
                return "draft_outcome_unknown"
            return self._after_failure(claimed, exc, now, back_to=StepState.SCHEDULED)
        return "draft_sent"

    def _send(self, step: StepRecord, now: datetime) -> str:
        if self._capacity_until is not None and now < self._capacity_until:
            return "deferred_capacity"  # untouched: still due, the next run tries again
        if step.recipient_address is None:
            skipped = step.moved(StepState.SKIPPED, now=now, due_at=None, reason="no email address")
            return "skipped" if self.store.replace_step(step, skipped) else "lost_race"
        return self._as_seen(step, now, self._note)

    def _note(self, step: StepRecord, now: datetime, seen: MemberSeen | None) -> str:
        assert step.recipient_address is not None  # _send skipped the steps without one
        if seen is None:  # before the claim, as a held note: it takes nobody's day
            return self._awaiting_address(step, now)
        # The kind of identity was chosen when the step was planned; the address is the one the
        # member has proved (as the claim checks): Reply-To on the platform's From, or the From itself.
        own = step.sender.reply_to is None and step.sender.address.lower() != self.platform_address.lower()
        from_address, reply_to = (seen.email, None) if own else (step.sender.address, seen.email)
        try:
            unverified = self._own_address_not_verified(from_address)
        except IdentityLookupError as exc:  # no verdict: a transient failure of this attempt
            return self._after_failure(
                step, SendError(SendFailure.TRANSIENT, str(exc)), now, back_to=step.state
            )
        if unverified is not None:  # before the claim: a held note takes nobody's day
            return self._wait(
                step, now, wait=IDENTITY_WAIT, reason=f"held: {unverified}", back_to=step.state, label="held"
            )
        lease_until = now + self.settings.lease
        claimed = step.moved(
            StepState.SENDING, now=now, due_at=lease_until, lease_until=lease_until, member=seen
        )
        route = None
        if self.reply_addresses is not None:  # only a note that goes out has an address
            claimed = claimed.model_copy(update={"reply_id": self.reply_addresses.identifier(step)})
            route = self.reply_addresses.route(claimed, account=seen.account or "")
            reply_to = self.reply_addresses.address(route.reply_id)
        day = now.astimezone(ZoneInfo(step.time_zone)).date().isoformat()
        outcome = self.store.claim_send(step, claimed, day, reply=route)
        if outcome is ClaimOutcome.LOST:
            return "lost_race"
        if outcome is ClaimOutcome.MEMBER_CHANGED:
            return MEMBER_CHANGED
        if outcome is ClaimOutcome.REPLY_TAKEN:  # nothing was claimed: this attempt did not send
            logger.warning("reply address taken by another note", extra={"step_id": step.step_id})
            failure = SendError(
                SendFailure.TRANSIENT, "reply address not recorded: its lookup is held by another note"
            )
            return self._after_failure(step, failure, now, back_to=step.state)
        if outcome in (ClaimOutcome.STOPPED, ClaimOutcome.SUPPRESSED):
            reason = (
                "the playbook was stopped"
                if outcome is ClaimOutcome.STOPPED
                else "the recipient asked not to be contacted, replied, or their address bounced"
            )
            return self._settle(step, StepState.CANCELLED, now, reason, "cancelled")
        if outcome is ClaimOutcome.DAY_TAKEN:
            tomorrow = datetime.combine(
                now.astimezone(ZoneInfo(step.time_zone)).date() + timedelta(days=1),
                datetime.min.time(),
                tzinfo=ZoneInfo(step.time_zone),
            )
            later = next_send_instant(
                tomorrow, zone=step.time_zone, country=step.country, window=step.send_window, key=step.step_id
            )
            moved = step.moved(
                step.state, now=now, due_at=later, reason="moved: one message per person per day"
            )
            return "deferred_one_day" if self.store.replace_step(step, moved) else "lost_race"

        links = self._links.as_seen(step.candidate_id, seen)  # the generation the claim proved
        stop_url = links.stop(step.candidate_id, step.recipient_key, anchor=step.planned_at)
        rendered = render_step(step)
        # RFC 8058 one-click unsubscribe: mail clients show "Unsubscribe" and POST to the link. It is
        # the note's only stop link (the text shows none), so every note carries it, edited or not.
        headers = {"List-Unsubscribe": f"<{stop_url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
        outgoing = OutgoingMessage(
            to_name=step.recipient_name,
            to_address=step.recipient_address,
            from_name=step.sender.name,
            from_address=from_address,
            reply_to=reply_to,
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            headers=headers,
            tags=step_tags(step),
        )
        try:
            message_id = self._deliver(outgoing)
        except SendError as exc:
            return self._after_failure(claimed, exc, now, back_to=back_to_of(step))
        sent = claimed.moved(
            StepState.SENT,
            now=now,
            due_at=None,
            lease_until=None,
            message_id=message_id,
            sent_at=now,
            reason=None,
        )
        if not self.store.replace_step(claimed, sent):
            # The lease ran out and another run already moved it to needs_review: say so, never resend.
            return "sent_but_unrecorded"
        return "sent"

    def _awaiting_address(self, step: StepRecord, now: datetime) -> str:
        """The step waits for the member's proof, uncounted. A note waits as any held note (in the
        recipient's windows, failing past MAX_CAPACITY_DELAY); a draft goes to the member, at any
        hour, so it simply looks again soon, and lapses at its expiry like any draft. It forgets
        the member as it last saw them: the next run reads the member before it claims."""
        step = step.model_copy(update={"member": None})
        if step.state is StepState.SCHEDULED and step.expires_at is not None:
            later = min(now + ADDRESS_WAIT, step.expires_at)
            waiting = step.moved(step.state, now=now, due_at=later, lease_until=None, reason=AWAITING_ADDRESS)
            return "awaiting_address" if self.store.replace_step(step, waiting) else "lost_race"
        return self._wait(
            step,
            now,
            wait=ADDRESS_WAIT,
            reason=AWAITING_ADDRESS,
            back_to=step.state,
            label="awaiting_address",
        )

    def _own_address_not_verified(self, address: str) -> str | None:
        """Why SES would not send From the candidate's own address now, if it would not. Checked
        before every send, not only when the candidate chose it: an identity can lose its
        verification (DNS records removed, the identity deleted) months later."""
        if self.identities is None or address.lower() == self.platform_address.lower():
            return None
        from nearmiss.domain.sending import own_address_refusal

        # The rules that need no SES, again: a step planned before they existed (a gmail address SES had
        # verified as an address identity) must not go out From free mail or the platform's domain.
        platform_domain = self.platform_address.rsplit("@", 1)[-1]
        refused = own_address_refusal(address, platform_domain)
        if refused is not None:
            return f"own From address: {refused}; the candidate must choose another address or platform"
        check = self.identities.can_send_from(address)
        if check.verified:
            return None
        return f"own From address: {check.reason}; the note goes out once it is verified again"

    def _after_failure(
        self, claimed: StepRecord, exc: SendError, now: datetime, *, back_to: StepState
    ) -> str:
        if exc.failure is SendFailure.HELD:
            wait = exc.retry_after or IDENTITY_WAIT
            return self._wait(
                claimed, now, wait=wait, reason=f"held: {exc.reason}", back_to=back_to, label="held"
            )
        if exc.retry_after is not None:
            # The account is out of capacity: this run stops sending; the step waits, uncounted.
            self._capacity_until = now + exc.retry_after
            return self._wait(
                claimed,
                now,
                wait=exc.retry_after,
                reason=f"waiting: {exc.reason}",
                back_to=back_to,
                label="deferred_capacity",
            )
        if exc.failure is SendFailure.UNKNOWN:
            return self._settle(
                claimed, StepState.NEEDS_REVIEW, now, f"outcome unknown: {exc.reason}", "needs_review"
            )
        attempts = claimed.attempts + 1
        if exc.failure is SendFailure.PERMANENT:
            return self._settle(claimed, StepState.FAILED, now, exc.reason, "failed", attempts=attempts)
        if attempts >= self.settings.max_attempts:
            reason = f"gave up after {attempts} attempts: {exc.reason}"
            return self._settle(claimed, StepState.FAILED, now, reason, "failed", attempts=attempts)
        retry_at = next_send_instant(
            now + backoff(attempts),
            zone=claimed.time_zone,
            country=claimed.country,
            window=claimed.send_window,
            key=claimed.step_id,
        )
        if claimed.state is StepState.AWAITING_APPROVAL and claimed.expires_at is not None:
            retry_at = min(retry_at, claimed.expires_at)  # a draft retried after its expiry would only lapse
        retry = claimed.moved(
            back_to,
            now=now,
            due_at=retry_at,
            lease_until=None,
            attempts=attempts,
            reason=f"retrying: {exc.reason}",
        )
        return "retry_scheduled" if self.store.replace_step(claimed, retry) else "lost_race"

    def _wait(
        self, step: StepRecord, now: datetime, *, wait: timedelta, reason: str, back_to: StepState, label: str
    ) -> str:
        """The step cannot go yet, through no fault of its own: it is due again after `wait` (in the
        recipient's next window), uncounted, but not beyond MAX_CAPACITY_DELAY past its planned
        instant (then it fails, with the reason)."""
        if now - step.planned_at > MAX_CAPACITY_DELAY:
            late = f"could not be sent within {MAX_CAPACITY_DELAY.days} days of its time: {reason}"
            return self._settle(step, StepState.FAILED, now, late, "failed")
        later = next_send_instant(
            now + wait,
            zone=step.time_zone,
            country=step.country,
            window=step.send_window,
            key=step.step_id,
        )
        if step.state is StepState.AWAITING_APPROVAL and step.expires_at is not None:
            later = min(later, step.expires_at)  # a draft tried after its expiry would only lapse
        waiting = step.moved(back_to, now=now, due_at=later, lease_until=None, reason=reason)
        return label if self.store.replace_step(step, waiting) else "lost_race"

    def _settle(
        self, step: StepRecord, state: StepState, now: datetime, reason: str, label: str, **changes: object
    ) -> str:
        final = step.moved(state, now=now, due_at=None, lease_until=None, reason=reason, **changes)
        return label if self.store.replace_step(step, final) else "lost_race"

    def _deliver(self, message: OutgoingMessage) -> str:
        """Send. Paced already: the step took a slot of the run's limiter before it started (_work),
        so the run's sends, at most one per step, keep to the account's rate or its share."""
        return self.mailer.send(message)
