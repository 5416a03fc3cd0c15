"""Use cases around one application's playbook: start, stop, decide, timeline, preview."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from nearmiss.domain import compose, notices
from nearmiss.domain.events import ApplicationRejected, StopEvent
from nearmiss.domain.models import Application, Candidate, Contact, Mode, Step, StepKind, StepState
from nearmiss.domain.playbook import plan, recipient_key
from nearmiss.domain.records import MemberSeen, NoticeKind, PlaybookRecord, Sender, StepRecord
from nearmiss.domain.timing import next_send_instant
from nearmiss.service.links import Decision, SignedApproval, StepRef
from nearmiss.service.ports import CreateOutcome, Identities, Store, Waiting

if TYPE_CHECKING:
    from nearmiss.domain.feedback import SesEvent  # only handle_ses_feedback parses one


class UnknownApplicationError(LookupError):
    """An event names a candidate or application we do not have (kept by the caller, never dropped)."""


class DecisionError(ValueError):
    """A review decision that cannot be taken; `reason` is shown to the candidate."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class SenderPolicy:
    """How the From line is built: the platform's domain with the candidate's name and Reply-To,
    or the candidate's own address where SES may send From it (see `own_address_refusal`)."""

    domain: str
    local_part: str = "notes"

    def own_address_refusal(self, address: str, identities: Identities) -> str | None:
        """Why the candidate's notes may not go From `address`, or None when they may. The rules
        that need no SES come first (no SES call for a gmail.com address), then SES itself: the
        address, or its domain, must be a verified identity of this account. A proof that the
        candidate owns the address is a further check that belongs here, beside these.
        Raises IdentityLookupError when SES cannot be asked now."""
        from nearmiss.domain.sending import own_address_refusal

        refusal = own_address_refusal(address, self.domain)
        if refusal is not None:
            return refusal
        check = identities.can_send_from(address)
        if check.verified:
            return None
        return (
            f"{check.reason}: SES sends From an address only for a verified identity (verify the "
            'address or its domain in SES first), or use "platform"'
        )

    def for_candidate(self, candidate: Candidate) -> Sender:
        if candidate.sending_identity == "own_address":
            return Sender(name=candidate.name, address=str(candidate.email))
        return Sender(
            name=candidate.name, address=f"{self.local_part}@{self.domain}", reply_to=str(candidate.email)
        )


def _record(
    candidate: Candidate,
    application: Application,
    step: Step,
    sender: Sender,
    rejection: ApplicationRejected,
    generation: int,
    panel: tuple[Contact, ...],
    seen: MemberSeen | None = None,
) -> StepRecord:
    contact = step.recipient
    actionable = step.state is StepState.SCHEDULED
    due_at = (step.draft_at if candidate.mode is Mode.REVIEW else step.planned_at) if actionable else None
    return StepRecord(
        candidate_id=candidate.candidate_id,
        application_id=application.application_id,
        step_id=step.step_id,
        kind=step.kind,
        offset_days=step.offset_days,
        generation=generation,
        rejected_at=rejection.rejected_at,
        mode=candidate.mode,
        state=step.state,
        planned_at=step.planned_at,
        due_at=due_at,
        draft_at=step.draft_at,
        expires_at=step.expires_at,
        latest_at=step.latest_at,
        reason=step.skip_reason,
        time_zone=step.time_zone,
        country=step.country,
        send_window=candidate.playbook.send_window,
        recipient_name=contact.name,
        recipient_role=contact.role.value,
        recipient_address=str(contact.email) if contact.email else None,
        recipient_key=recipient_key(contact.key),
        sender=sender,
        context=compose.step_context(candidate, application, contact, step, panel=panel),
        member=seen,
    )


def plan_records(
    candidate: Candidate,
    application: Application,
    rejection: ApplicationRejected,
    sender: Sender,
    *,
    now: datetime,
    generation: int = 1,
    seen: MemberSeen | None = None,
) -> list[StepRecord]:
    steps = plan(candidate, application, rejection, now=now, generation=generation)
    # Everyone this application's notes go to, in the plan's order (the application's people, then
    # those the ATS named): one panel, whose notes never share a sentence (compose.voice).
    panel = tuple({s.recipient.key: s.recipient for s in steps}.values())
    return [_record(candidate, application, s, sender, rejection, generation, panel, seen) for s in steps]


def start_playbook(
    store: Store, rejection: ApplicationRejected, senders: SenderPolicy, *, now: datetime
) -> tuple[CreateOutcome, int]:
    """Write every step of the application's playbook generation, once.

    Idempotent: the playbook marker is written with the steps in one conditional transaction, so
    the same rejection delivered twice (or fifty times at once) creates one playbook. Generations
    follow the events' own times, not their arrival: a rejection after a re-open (a stop newer than
    the current generation's rejection) starts the next generation, with its own steps; the
    marker's generation number is the condition, so concurrent deliveries of it still create one.
    A rejection newer than the current generation's with no stop after that one waits
    (WAITING_FOR_REOPEN, visible in the timeline): the re-open between them may still be on its way,
    and stop_playbook starts it when it comes. A rejection no newer than the current generation's
    is a DUPLICATE (the same one again, or one a newer generation superseded). A stop that is newer
    than the rejection wins even when it arrived first: the steps are then written as cancelled,
    so the timeline still says what would have happened. A rejection with nobody to write to
    writes no playbook: it is held (NEEDS_CONTACTS) until the application is saved with someone to
    write to, and the member is told once (a notice keyed by the rejection). People named without
    an address are told of once per generation (in the start transaction); steps too late already
    go into the day's summary to the member.
    """
    if rejection.withdrawn:
        return CreateOutcome.DUPLICATE, 0
    # One read: the member, the application, the marker, the stop and the link generation.
    read = store.start_reads(rejection.candidate_id, rejection.application_id)
    candidate, application, seen = read.candidate, read.application, read.seen
    if candidate is None or application is None:
        missing = "candidate" if candidate is None else "application"
        raise UnknownApplicationError(f"no {missing} registered for this rejection")
    generation = 1
    current = read.playbook
    if current is not None:
        if not current.rejected_at < rejection.rejected_at:
            return CreateOutcome.DUPLICATE, 0
        # Stops only move forward (record_stop keeps the newest), so what was read still holds
        # when the transaction runs; the marker's generation guards against a concurrent start.
        stopped_at = read.stopped_at
        if stopped_at is None or not current.rejected_at < stopped_at:
            store.wait_for_reopen(rejection, now)
            return CreateOutcome.WAITING_FOR_REOPEN, 0
        # A stop after the current generation: this rejection's generation is next. If that stop
        # is newer than this rejection too, the transaction says STOPPED and it is written cancelled.
        generation = current.generation + 1
    sender = senders.for_candidate(candidate)
    records = plan_records(
        candidate, application, rejection, sender, now=now, generation=generation, seen=seen
    )
    if not any(r.state in (StepState.SCHEDULED, StepState.TOO_LATE) for r in records):
        # Nobody to write to (no one named, or no one with an address): a playbook now would be
        # an empty marker that answers every later start DUPLICATE. The rejection waits, visible
        # in the timeline, and saving the application with contacts starts it (api.put_application).
        # Held first, told after: a retry after a crash between them holds again and tells once.
        store.hold_rejection(rejection, Waiting.NEEDS_CONTACTS.value, now)
        store.add_notice(
            notices.about_application(
                NoticeKind.NEEDS_CONTACTS,
                _iso_key(rejection.rejected_at),
                application,
                sender,
                rejected_at=rejection.rejected_at,
                now=now,
            )
        )
        return CreateOutcome.NEEDS_CONTACTS, 0
    playbook = PlaybookRecord(
        candidate_id=candidate.candidate_id,
        application_id=application.application_id,
        generation=generation,
        source=rejection.source,
        rejected_at=rejection.rejected_at,
        learned_at=rejection.learned_at,
        started_at=now,
        mode=candidate.mode,
        reason=rejection.reason,
    )
    unnamed = tuple(
        r.recipient_name for r in records if r.kind is StepKind.THANK_YOU and r.recipient_address is None
    )
    told = []
    if unnamed:  # told once per generation: the notice is written in the start transaction
        told.append(
            notices.about_application(
                NoticeKind.TO_COMPLETE,
                f"g{generation}",
                application,
                sender,
                rejected_at=rejection.rejected_at,
                now=now,
                names=unnamed,
            )
        )
    # The held rejection (if one waited for contacts) is released in the transaction that writes it.
    outcome = store.create_playbook(playbook, records, told)
    if outcome is CreateOutcome.STOPPED:
        cancelled = [
            r.moved(
                StepState.CANCELLED,
                now=now,
                due_at=None,
                reason="the application was stopped before it began",
            )
            if r.state.is_pending
            else r
            for r in records
        ]
        outcome = store.create_playbook(playbook.model_copy(update={"stopped_first": True}), cancelled)
        return (CreateOutcome.STOPPED if outcome is CreateOutcome.CREATED else outcome), 0
    created = outcome is CreateOutcome.CREATED
    too_late = [r for r in records if r.state is StepState.TOO_LATE]
    if created and too_late:
        # Not in the transaction (a summary is one item per day that many writers add to): a crash
        # right here leaves these out of the member's summary; the timeline still shows each, too_late.
        store.add_to_summary(notices.summary(too_late, now=now))
    return outcome, sum(1 for r in records if r.state is StepState.SCHEDULED) if created else 0


def _iso_key(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def add_completed_contacts(
    store: Store, senders: SenderPolicy, candidate: Candidate, application: Application, *, now: datetime
) -> int:
    """After the candidate saved the application: the notes of people who had none yet (someone
    added, or an address completed for a name the ATS gave without one) join the current
    generation of the playbook, planned from the same rejection, if it was not stopped. Returns how
    many scheduled steps were added.

    At most once: each step is written only where its (application, recipient, step) key is free,
    so a second save, or two at once, adds nothing twice.
    """
    current = store.get_playbook(candidate.candidate_id, application.application_id)
    if current is None:
        return 0
    stopped_at = store.get_stop(candidate.candidate_id, application.application_id)
    if stopped_at is not None and not stopped_at < current.rejected_at:
        return 0  # the current generation was stopped: nothing joins it
    rejection = ApplicationRejected(
        candidate_id=candidate.candidate_id,
        application_id=application.application_id,
        source=current.source,
        rejected_at=current.rejected_at,
        learned_at=current.learned_at,
        reason=current.reason,
    )
    known = {s.step_id for s in store.list_steps(candidate.candidate_id, application.application_id)}
    records = plan_records(
        candidate,
        application,
        rejection,
        senders.for_candidate(candidate),
        now=now,
        generation=current.generation,
    )
    added = 0
    for record in records:
        if record.step_id not in known and record.recipient_address is not None and store.add_step(record):
            added += record.state is StepState.SCHEDULED
    return added


def stop_playbook(
    store: Store, event: StopEvent, *, now: datetime, senders: SenderPolicy | None = None
) -> int:
    """Cancel every pending step of the generations this stop follows (those rejected before it);
    returns how many were cancelled. A late-arriving stop older than a newer rejection leaves that
    rejection's generation alone.

    The stop marker is written first: a playbook created after it sees it in its own transaction,
    and every send claim checks it against its own generation's rejection, so nothing of a stopped
    generation goes out, planned before or after the stop. Then the rejections that waited for a
    re-open (delivered before it) are started, oldest first: the first one after this stop becomes
    the next generation; one before it is superseded (its generation would be stopped) and let go.
    """
    reason = {
        "Application Reopened": "the application was re-opened",
        "Candidate Hired": "the candidate was hired",
        "Playbook Cancelled": "cancelled by the candidate",
    }[event.detail_type]
    store.record_stop(event.candidate_id, event.application_id, event.occurred_at, reason)
    cancelled = 0
    for step in store.list_steps(event.candidate_id, event.application_id):
        if step.rejected_at is not None and step.rejected_at > event.occurred_at:
            continue  # a newer generation: this stop came before its rejection
        # A step being sent right now finishes (the claim won the race); everything pending stops.
        while step.state.is_pending:
            if store.replace_step(step, step.moved(StepState.CANCELLED, now=now, due_at=None, reason=reason)):
                cancelled += 1
                break
            fresh = store.get_step(step.candidate_id, step.application_id, step.step_id)
            if fresh is None:
                break
            step = fresh
    if senders is not None:
        for waiting in store.waiting_rejections(event.candidate_id, event.application_id):
            if waiting.rejected_at > event.occurred_at:
                outcome, _ = start_playbook(store, waiting, senders, now=now)
                if outcome is CreateOutcome.WAITING_FOR_REOPEN:
                    continue  # still no stop between it and the (new) current generation
            store.release_waiting(event.candidate_id, event.application_id, waiting.rejected_at)
    return cancelled


def _decidable(step: StepRecord | None) -> StepRecord:
    if step is None:
        raise DecisionError("this message no longer exists")
    # Review mode: a draft can be decided once it reached the candidate, or ahead of it.
    review = step.expires_at is not None
    if not (step.state is StepState.AWAITING_APPROVAL or (review and step.state is StepState.SCHEDULED)):
        raise DecisionError(f"this message is already {step.state.value.replace('_', ' ')}")
    return step


def decide(store: Store, ref: StepRef, decision: Decision, *, now: datetime) -> StepRecord:
    """The candidate approves or skips a draft. An approval after the step's expiry lapses; one
    after the planned instant goes out in the recipient's next send window."""
    return decide_read(
        store, store.get_step(ref.candidate_id, ref.application_id, ref.step_id), decision, now=now
    )


def decide_read(store: Store, read: StepRecord | None, decision: Decision, *, now: datetime) -> StepRecord:
    """`decide`, for the step as it was just read (None: there was none). The write is conditional
    on that read's version: a step changed since is refused ("please reload"), never overwritten."""
    step = _decidable(read)
    if decision == "skip":
        new = step.moved(StepState.SKIPPED, now=now, due_at=None, reason="skipped by the candidate")
    elif step.expires_at is not None and now >= step.expires_at:
        new = step.moved(StepState.LAPSED, now=now, due_at=None, reason="approved too late")
    else:
        send_at = max(step.planned_at, now)
        if send_at > step.planned_at:  # approved after the planned instant: the next window from now
            send_at = next_send_instant(
                now, zone=step.time_zone, country=step.country, window=step.send_window, key=step.step_id
            )
        new = step.moved(StepState.APPROVED, now=now, due_at=send_at, reason=None)
    if not store.replace_step(step, new):
        raise DecisionError("this message changed while you were deciding; please reload")
    return new


def approve_on_time(store: Store, approval: SignedApproval, *, now: datetime) -> bool:
    """The on-time approval through its link, in one conditional write (no read): what `decide_read`
    does for a step awaiting approval approved before its planned instant (due then, approved), with
    the link's generation checked by the write. False: nothing was written, and the caller answers
    through the read and `decide_read` (late, lapsed, skipped, decided already, a dead link)."""
    if approval.planned_at < now:
        return False  # late: the next window from now, which only the read path computes
    ref = approval.ref
    return store.approve_on_time(
        ref.candidate_id,
        ref.application_id,
        ref.step_id,
        key_generation=approval.key_generation,
        planned_at=approval.planned_at,
        now=now,
    )


EDITABLE = frozenset({StepState.SCHEDULED, StepState.AWAITING_APPROVAL, StepState.APPROVED})


def edit_draft(
    store: Store, ref: StepRef, *, subject: str | None, text: str | None, now: datetime
) -> StepRecord:
    """The candidate rewrites a message before it goes: what they write is what is sent."""
    return edit_read(
        store,
        store.get_step(ref.candidate_id, ref.application_id, ref.step_id),
        subject=subject,
        text=text,
        now=now,
    )


def edit_read(
    store: Store, step: StepRecord | None, *, subject: str | None, text: str | None, now: datetime
) -> StepRecord:
    """`edit_draft`, for the step as it was just read (written only over that read's version)."""
    if step is None:
        raise DecisionError("this message no longer exists")
    if step.state not in EDITABLE:
        raise DecisionError(f"this message is already {step.state.value.replace('_', ' ')}")
    new = step.model_copy(
        update={
            "edited_subject": subject if subject is not None else step.edited_subject,
            "edited_text": text if text is not None else step.edited_text,
            "version": step.version + 1,
            "updated_at": now,
        }
    )
    if not store.replace_step(step, new):
        raise DecisionError("this message changed while you were editing; please reload")
    return new


@dataclass(frozen=True)
class TimelineEntry:
    step_id: str
    kind: str
    recipient: str
    role: str
    state: str
    planned_at_utc: str
    planned_at_local: str
    time_zone: str
    message_id: str | None
    reason: str | None


def timeline(store: Store, candidate_id: str, application_id: str) -> list[TimelineEntry]:
    return [timeline_entry(s) for s in sorted(store.list_steps(candidate_id, application_id), key=_order)]


def _order(step: StepRecord) -> tuple[datetime, str]:
    return step.planned_at, step.step_id


def timeline_entry(step: StepRecord) -> TimelineEntry:
    local = step.planned_at.astimezone(ZoneInfo(step.time_zone))
    return TimelineEntry(
        step_id=step.step_id,
        kind=step.kind.value,
        recipient=step.recipient_name,
        role=step.recipient_role,
        state=step.state.value,
        planned_at_utc=step.planned_at.strftime("%Y-%m-%d %H:%M UTC"),
        planned_at_local=local.strftime("%a %Y-%m-%d %H:%M %Z"),
        time_zone=step.time_zone,
        message_id=step.message_id,
        reason=step.reason,
    )


@dataclass(frozen=True)
class PreviewEntry:
    step_id: str
    kind: str
    recipient: str
    role: str
    state: str
    reason: str | None
    send_at_utc: str
    send_at_local: str
    time_zone: str
    draft_at_utc: str | None
    expires_at_utc: str | None
    subject: str | None
    text: str | None


def preview(
    store: Store,
    senders: SenderPolicy,
    candidate: Candidate,
    application: Application,
    *,
    rejected_at: datetime | None,
    now: datetime,
) -> tuple[bool, list[PreviewEntry]]:
    """The whole playbook of an application, each message rendered exactly as it will go out, with
    its real send instant. Before a rejection: simulated from `rejected_at` (default now). After it:
    the stored steps, with the candidate's edits. Returns (simulated, entries)."""
    from nearmiss.service.dispatch import render_step

    stored = store.list_steps(candidate.candidate_id, application.application_id)
    simulated = not stored
    if simulated:
        at = rejected_at or now
        hypothetical = ApplicationRejected(
            candidate_id=candidate.candidate_id,
            application_id=application.application_id,
            rejected_at=at,
            learned_at=at,
        )
        stored = plan_records(candidate, application, hypothetical, senders.for_candidate(candidate), now=now)
    entries = []
    for step in sorted(stored, key=_order):
        sendable = step.state not in (StepState.SKIPPED,) and step.recipient_address is not None
        rendered = render_step(step) if sendable else None
        entry = timeline_entry(step)
        entries.append(
            PreviewEntry(
                step_id=step.step_id,
                kind=step.kind.value,
                recipient=step.recipient_name,
                role=step.recipient_role,
                state=step.state.value,
                reason=step.reason,
                send_at_utc=step.planned_at.isoformat(),
                send_at_local=entry.planned_at_local,
                time_zone=step.time_zone,
                draft_at_utc=step.draft_at.isoformat() if step.draft_at else None,
                expires_at_utc=step.expires_at.isoformat() if step.expires_at else None,
                subject=rendered.subject if rendered else None,
                text=rendered.text if rendered else None,
            )
        )
    return simulated, entries


def stop_recipient(store: Store, candidate_id: str, recipient: str, *, reason: str, now: datetime) -> int:
    """A recipient asked this candidate to stop (or replied): block them and cancel, at once, every
    pending message to them from this candidate. The claim checks the block too, so a message
    being claimed right now cannot slip through."""
    from nearmiss.service.ports import Suppression

    store.suppress(Suppression(recipient_key=recipient, reason=reason, candidate_id=candidate_id), now)
    cancelled = 0
    for application in store.list_applications(candidate_id):
        for step in store.list_steps(candidate_id, application.application_id):
            if step.recipient_key != recipient or not step.state.is_pending:
                continue
            if store.replace_step(step, step.moved(StepState.CANCELLED, now=now, due_at=None, reason=reason)):
                cancelled += 1
    return cancelled


REPLIED_FROM = frozenset({StepState.SENT, StepState.NEEDS_REVIEW})  # a reply proves the send happened


def mark_replied(
    store: Store, candidate_id: str, application_id: str, step_id: str, *, now: datetime
) -> bool:
    """The step's note was answered: `replied` (from sent, or from needs_review, whose send the
    reply proves). False when the step is gone or in another state (nothing changes)."""
    for _ in range(3):  # a concurrent change (a feedback event) moves the version: read again
        step = store.get_step(candidate_id, application_id, step_id)
        if step is None or step.state not in REPLIED_FROM:
            return False
        replied = step.moved(StepState.REPLIED, now=now, due_at=None, reason="the recipient replied")
        if store.replace_step(step, replied):
            return True
    return False


OUT_OF_OFFICE_HORIZON = timedelta(days=30)  # past this, the lateness rules decide (as Mixmax does)


def move_past_return(store: Store, candidate_id: str, recipient: str, back_on: date, *, now: datetime) -> int:
    """The recipient is away until `back_on`: every pending note from this member to them that is
    due before it moves to the first send window on or after that day (on their clock), but never
    more than OUT_OF_OFFICE_HORIZON ahead of now. The step's latest useful moment does not move:
    a note moved past it is `too_late` when it falls due, by the usual rule. Returns how many moved."""
    moved = 0
    for application in store.list_applications(candidate_id):
        for step in store.list_steps(candidate_id, application.application_id):
            if step.recipient_key != recipient or not step.state.is_pending:
                continue
            zone = ZoneInfo(step.time_zone)
            earliest = min(datetime.combine(back_on, time.min, tzinfo=zone), now + OUT_OF_OFFICE_HORIZON)
            target = next_send_instant(
                earliest, zone=step.time_zone, country=step.country, window=step.send_window, key=step.step_id
            )
            if step.planned_at >= target:
                continue
            delta = target - step.planned_at
            draft_at = step.draft_at + delta if step.draft_at else None
            expires_at = step.expires_at + delta if step.expires_at else None
            if step.state is StepState.AWAITING_APPROVAL:
                due_at = expires_at  # the draft is with the member; it lapses later now
            elif step.state is StepState.SCHEDULED and expires_at is not None:
                due_at = draft_at or target  # review mode: the draft goes out later
            else:
                due_at = target
            later = step.moved(
                step.state,
                now=now,
                due_at=due_at,
                planned_at=target,
                draft_at=draft_at,
                expires_at=expires_at,
                reason=f"moved: the recipient is out of the office until {back_on.isoformat()}",
            )
            moved += int(store.replace_step(step, later))
    return moved


def suppress_bounced(
    store: Store, keys: list[str], reason: str, *, origin: tuple[str, str] | None, now: datetime
) -> int:
    """Nobody writes to these recipients again (for every member), and what is pending to them in
    the `origin` application is cancelled now (the claim refuses the rest when they fall due).
    Returns how many steps were cancelled now."""
    from nearmiss.service.ports import Suppression

    cancelled = 0
    for key in keys:
        store.suppress(Suppression(recipient_key=key, reason=reason), now)
        if origin is None:
            continue
        for step in store.list_steps(*origin):
            if step.recipient_key == key and step.state.is_pending:
                moved = step.moved(StepState.CANCELLED, now=now, due_at=None, reason=reason)
                cancelled += int(store.replace_step(step, moved))
    return cancelled


def on_ses_feedback(store: Store, event: SesEvent, *, now: datetime) -> int:
    """A permanent bounce or a complaint: nobody writes to that address again (our own suppression
    list; SES's account-level list also applies in AWS), and what was pending to it from the same
    application is cancelled now. Other candidates' steps to it are cancelled when they fall due
    (the claim checks the suppression). Returns how many steps were cancelled now."""
    from nearmiss.domain.feedback import step_from_tags

    addresses, reason = event.detail.blocked_addresses()
    origin = step_from_tags(event.detail.mail.tags)
    keys = [recipient_key(address) for address in addresses]
    return suppress_bounced(store, keys, reason, origin=origin[:2] if origin else None, now=now)
