"""The small interfaces the use cases need; adapters implement them, tests pass fakes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from nearmiss.domain.compose import OutgoingMessage
from nearmiss.domain.events import ApplicationRejected, DomainEvent
from nearmiss.domain.models import Application, Candidate
from nearmiss.domain.records import Due, ForwardRecord, MemberSeen, Notice, PlaybookRecord, StepRecord


class CreateOutcome(StrEnum):
    CREATED = "created"
    DUPLICATE = "duplicate"  # a playbook for this application exists already
    STOPPED = "stopped"  # a stop newer than the rejection arrived first
    NEEDS_CONTACTS = "needs_contacts"  # nobody to write to yet: the rejection waits, visible
    # A rejection newer than the current generation's with no re-open seen between them: the
    # re-open may still be on its way (deliveries out of order). It waits, visible, and the stop
    # that comes between them starts it as the next generation.
    WAITING_FOR_REOPEN = "waiting_for_reopen"


class Waiting(StrEnum):
    """Why a rejection of a registered application waits (the timeline's `waiting.state`)."""

    NEEDS_CONTACTS = "needs_contacts"
    WAITING_FOR_REOPEN = "waiting_for_reopen"


@dataclass(frozen=True)
class HeldRejection:
    rejection: ApplicationRejected
    state: Waiting
    since: datetime


@dataclass(frozen=True)
class ApplicationState:
    """What became of an application's rejections, kept beside the application by the very writes
    that start, hold or release one (so the member's counts are one read, not three per application):
    `started`, a playbook (any generation) was written; `waiting`, why a rejection of it waits
    (needs contacts before waiting for a re-open, as the timeline says), None when none does."""

    started: bool = False
    waiting: Waiting | None = None


@dataclass(frozen=True)
class StartReads:
    """What starting a playbook reads, in one request: the member, the application, the newest
    generation's marker, the newest stop and the member as now (its proved address and link
    generation, the steps' snapshot); None where there is none."""

    candidate: Candidate | None
    application: Application | None
    playbook: PlaybookRecord | None
    stopped_at: datetime | None
    seen: MemberSeen | None = None


class ClaimOutcome(StrEnum):
    CLAIMED = "claimed"
    LOST = "lost"  # someone else changed the step first (another dispatcher, a stop, a decision)
    STOPPED = "stopped"  # the application's playbook was stopped
    SUPPRESSED = "suppressed"  # the recipient bounced, complained, replied or asked to stop
    DAY_TAKEN = "day_taken"  # the recipient already has a message from us that day
    MEMBER_CHANGED = "member_changed"  # the member's address or link generation is not as the step saw it
    REPLY_TAKEN = "reply_taken"  # the note's reply-address lookup is held by another note


@dataclass(frozen=True)
class LinkGeneration:
    """What the links of an account are bound to. `account` is new when the account is created
    (so re-creating a deleted id starts afresh); `key` is new with every key (creation, rotation)."""

    account: str
    key: str


class LookupTaken(Exception):
    """A lookup key (an ATS application id, an email address) is held by another member: the
    conditional write that claims it failed and nothing was written. `field` names the input."""

    def __init__(self, field: str) -> None:
        super().__init__(f"{field} is registered to another member")
        self.field = field


class ProfileChanged(Exception):
    """The stored profile is not the one the write was based on (another save came first)."""


# Proof mails (service.addresses): each goes to an address the member typed, perhaps someone
# else's, so a member can send only a few, and the same address gets at most one per gap.
PROOF_MAILS_PER_DAY = 5
PROOF_MAIL_GAP = timedelta(minutes=10)


def next_proof_mail(
    *,
    window_start: datetime | None,
    sent_count: int,
    last_sent: datetime | None,
    same_address: bool,
    at: datetime,
) -> datetime:
    """When the next proof mail may go, given what was sent (for the answer to a refused one)."""
    after = at
    if same_address and last_sent is not None:
        after = max(after, last_sent + PROOF_MAIL_GAP)
    if window_start is not None and sent_count >= PROOF_MAILS_PER_DAY:
        after = max(after, window_start + timedelta(days=1))
    return after


@dataclass(frozen=True)
class Suppression:
    recipient_key: str
    reason: str
    candidate_id: str | None = None  # None: for every candidate (bounce, complaint)


@dataclass(frozen=True)
class ReplyRoute:
    """Where a note's reply address leads: the lookup item `reply_id` names (nearmiss.domain.tokens).
    `account` is the member's account generation when the note went out: an address of a closed (or
    re-created) account leads nowhere."""

    reply_id: str
    candidate_id: str
    application_id: str
    step_id: str
    recipient_key: str
    account: str


class ReplyRoutes(Protocol):
    def put_reply_route(self, route: ReplyRoute, at: datetime) -> bool:
        """Claim the lookup for this note: written only where the id is free or already names the
        same note (a retried send); False when another note holds it (nothing is written)."""
        ...

    def reply_route(self, reply_id: str) -> ReplyRoute | None: ...


@dataclass(frozen=True)
class IntakeRoute:
    """Where a member's intake address leads: the lookup item `intake_id` names. `key` is the
    member's key generation it was made for: a new key makes a new address, and the old one leads
    nowhere."""

    intake_id: str
    candidate_id: str
    key: str


class IntakeRoutes(Protocol):
    def claim_intake(self, route: IntakeRoute, at: datetime, *, previous: str | None = None) -> bool:
        """Claim the lookup for this member (free, or already theirs) and note its id on the member,
        in one transaction; the lookup of `previous` (the member's earlier address) is deleted while
        it is still theirs. False when another member holds the id (nothing is written)."""
        ...

    def intake_route(self, intake_id: str) -> IntakeRoute | None: ...
    def intake_of(self, candidate_id: str) -> str | None:
        """The id of the member's current intake address, if one was made."""
        ...


class Forwards(Protocol):
    def put_forward(self, record: ForwardRecord, *, expect_version: int | None = None) -> bool:
        """Write the record only if none exists (`expect_version` None) or the stored one is still
        at `expect_version`; False otherwise."""
        ...

    def get_forward(self, candidate_id: str, forward_id: str) -> ForwardRecord | None: ...


@dataclass(frozen=True)
class InboundRecord:
    """The facts of one message SES received for one of our addresses (never its content): what
    became of it, why, SES's verdicts, where the raw message is, and whose it is once known."""

    message_id: str  # SES's messageId (the S3 object's name)
    recipient_key: str  # which of our addresses (hashed, as every address in a key)
    status: str  # received | forwarding | acted | recorded | kept
    reason: str
    received_at: datetime
    s3_key: str
    verdicts: dict[str, str]
    candidate_id: str | None = None
    kind: str | None = None  # the classification, once read


class Inbox(Protocol):
    def get_inbound(self, message_id: str, recipient_key: str) -> InboundRecord | None: ...
    def put_inbound(self, record: InboundRecord, *, expect: str | None) -> bool:
        """Write the record only if none exists (`expect` None) or the stored one has status
        `expect`; False otherwise. A kept record is also listed for the operator."""
        ...

    def kept_inbound(self, limit: int) -> list[InboundRecord]:
        """The newest kept messages first (the operator's view)."""
        ...


class Store(Protocol):
    def put_candidate(
        self,
        candidate: Candidate,
        *,
        previous_email: str | None = None,
        expected: Candidate | None = None,
    ) -> None:
        """The profile and the email lookup of its proved address, claimed for this candidate; an
        address waiting for proof checked free (LookupTaken otherwise, nothing written); the lookup
        of `previous_email` released in the same transaction. With `expected`: only over exactly
        that stored profile (ProfileChanged otherwise)."""
        ...

    def record_proof_mail(self, candidate_id: str, address: str, at: datetime) -> datetime | None:
        """Take one proof mail to `address` from the member's allowance: None when taken (send
        it), else when the next may go (PROOF_MAILS_PER_DAY, PROOF_MAIL_GAP per address)."""
        ...

    def get_candidate(self, candidate_id: str) -> Candidate | None: ...
    def put_application(self, application: Application, *, previous_ats_id: str | None = None) -> None:
        """The application and its ATS lookup, claimed for it (LookupTaken otherwise)."""
        ...

    def load(self, candidate_id: str, application_id: str) -> tuple[Candidate | None, Application | None]: ...

    def start_reads(self, candidate_id: str, application_id: str) -> StartReads:
        """The member, the application, its playbook marker and its stop, in one consistent read."""
        ...

    def application_states(self, candidate_id: str) -> list[tuple[Application, ApplicationState | None]]:
        """The member's applications, each with its state, in one paginated read. None: the
        application was stored before states were kept beside it (read its items instead)."""
        ...

    def create_playbook(
        self, playbook: PlaybookRecord, steps: Sequence[StepRecord], notices: Sequence[Notice] = ()
    ) -> CreateOutcome:
        """All steps, the member's notices and the playbook marker in one transaction, which also
        releases the application's held rejection (a playbook was written). Generation 1: unless a
        marker exists; generation n: only over the marker of generation n - 1. STOPPED when a stop
        newer than the rejection came first (unless `playbook.stopped_first`)."""
        ...

    def get_playbook(self, candidate_id: str, application_id: str) -> PlaybookRecord | None:
        """The newest generation's marker (consistent read)."""
        ...

    def get_stop(self, candidate_id: str, application_id: str) -> datetime | None:
        """When the newest stop of the application happened (consistent read), if any."""
        ...

    def record_stop(
        self, candidate_id: str, application_id: str, occurred_at: datetime, reason: str
    ) -> None: ...
    def hold_rejection(self, rejection: ApplicationRejected, reason: str, at: datetime) -> None:
        """Keep a rejection that has nobody to write to yet (one per application, the newest)."""
        ...

    def held_rejection(self, candidate_id: str, application_id: str) -> HeldRejection | None: ...
    def release_rejection(self, candidate_id: str, application_id: str) -> None:
        """Forget the held rejection, once a playbook was written for the application."""
        ...

    def wait_for_reopen(self, rejection: ApplicationRejected, at: datetime) -> None:
        """Keep a rejection that waits for the re-open before it (one item per rejection time)."""
        ...

    def waiting_rejections(self, candidate_id: str, application_id: str) -> list[ApplicationRejected]:
        """The rejections waiting for a re-open, oldest first."""
        ...

    def release_waiting(self, candidate_id: str, application_id: str, rejected_at: datetime) -> None: ...

    def add_notice(self, notice: Notice) -> bool:
        """Write a notice only where its key is free (one per held rejection, one per generation);
        False when it exists, so a redelivery or a retry tells the member nothing twice."""
        ...

    def add_to_summary(self, notice: Notice) -> Notice:
        """Add `notice.entries` to the application's summary of the notice's day, due at
        `notice.due_at` unless it is due already; once that day's summary was claimed, to the next
        day's. Returns the summary as it now stands (at most one is sent per application per day)."""
        ...

    def replace_notice(self, old: Notice, new: Notice) -> bool:
        """Write `new` only if the stored notice is still at `old.version` (an entry added since
        changes the version: the claim then fails and the fuller summary goes next run)."""
        ...

    def list_notices(self, candidate_id: str, application_id: str) -> list[Notice]: ...

    def list_steps(self, candidate_id: str, application_id: str) -> list[StepRecord]: ...
    def get_step(self, candidate_id: str, application_id: str, step_id: str) -> StepRecord | None: ...
    def decision_reads(
        self, candidate_id: str, application_id: str, step_id: str
    ) -> tuple[LinkGeneration | None, StepRecord | None]:
        """The account's link generation and the step, in one consistent read (a decision link is
        checked against the first before anything of the second is used)."""
        ...

    def approve_on_time(
        self,
        candidate_id: str,
        application_id: str,
        step_id: str,
        *,
        key_generation: str,
        planned_at: datetime,
        now: datetime,
    ) -> bool:
        """One conditional write: the step, awaiting approval, planned at exactly `planned_at`, not
        before `now`, not expired, of a member whose key generation is still `key_generation`, is
        approved and due at its planned instant (as `decide_read` would). False: nothing was written
        (any other case, or contention); the caller reads the step and decides as before."""
        ...

    def due_steps(self, now: datetime, limit: int, *, shard: int | None = None) -> list[Due]:
        """Up to `limit` steps (and notices to members) due at `now`, oldest first: from every
        due-index shard, or one."""
        ...

    def shards_with_due(self, now: datetime) -> list[int]:
        """The due-index shards that hold at least one step due at `now`."""
        ...

    def add_step(self, step: StepRecord) -> bool:
        """Write a new step only where its key is free; False when it exists."""
        ...

    def replace_step(self, old: StepRecord, new: StepRecord) -> bool:
        """Write `new` only if the stored step is still at `old.version`; False when it was not."""
        ...

    def claim_send(
        self, old: StepRecord, new: StepRecord, day: str, *, reply: ReplyRoute | None = None
    ) -> ClaimOutcome:
        """Move a step to `sending` only if it is unchanged, no stop happened after the rejection of
        the step's generation (`old.rejected_at`; any stop when it is None), the recipient
        is not suppressed, the recipient has no other message from us on `day` (their calendar),
        and the member is as `new.member` says (when it is set); with `reply`, the note's reply
        lookup is claimed too (free, or this note's already). One transaction: all or nothing."""
        ...

    def claim_draft(self, old: StepRecord, new: StepRecord) -> ClaimOutcome:
        """Write `new` (the draft's claim) only if the stored step is still at `old.version` and the
        member is as `new.member` says (when it is set): CLAIMED, LOST or MEMBER_CHANGED."""
        ...

    def member_as_now(self, candidate_id: str) -> MemberSeen | None:
        """The member's proved address and link generation, read together; None while no address is
        proved (or there is no such member)."""
        ...

    def suppress(self, suppression: Suppression, at: datetime) -> None: ...
    def list_applications(self, candidate_id: str) -> list[Application]: ...
    def set_candidate_key(self, candidate_id: str, key_hash: str) -> None: ...
    def candidate_key_hash(self, candidate_id: str) -> str | None: ...
    def link_generation(self, candidate_id: str) -> LinkGeneration | None:
        """The account's current link generation (None: no such account)."""
        ...

    def delete_candidate(self, candidate_id: str) -> int:
        """Everything of the candidate, now; returns how many items went."""
        ...


@dataclass(frozen=True)
class ShardRun:
    """One asynchronous dispatch run over one due-index shard, at `rate` messages per second,
    taking no new step after `until`."""

    shard: int
    rate: float
    until: datetime


class ShardRuns(Protocol):
    def start(self, run: ShardRun) -> None:
        """Start `run` asynchronously (at least once: the claim makes a repeated run harmless)."""
        ...


class Mailer(Protocol):
    def send(self, message: OutgoingMessage) -> str:
        """Send one message; returns the provider's message id. Raises SendError."""
        ...


@dataclass(frozen=True)
class IdentityCheck:
    """Whether SES would send From an address for this account, and why not.

    `identity` is the SES identity that covers the address (the address itself, its domain, or a
    parent domain). SES verification proves the account controls the address or domain, not that
    the candidate does: proof of the candidate's own ownership is a separate check, beside this one.
    """

    verified: bool
    identity: str | None = None
    reason: str = ""  # for the candidate, when not verified; names the domain, never the address


class IdentityLookupError(Exception):
    """SES could not be asked right now (throttled, unreachable, not permitted): no verdict."""


class Identities(Protocol):
    def can_send_from(self, address: str) -> IdentityCheck:
        """Is `address`, or its domain, a verified SES identity of this account? Raises
        IdentityLookupError when there is no answer to be had now."""
        ...


class Publisher(Protocol):
    def publish(
        self, events: Sequence[DomainEvent], *, source: str, correlation_id: str | None = None
    ) -> None: ...


class SendFailure(StrEnum):
    TRANSIENT = "transient"  # not accepted; safe to try again later (throttling, 5xx, connection refused)
    PERMANENT = "permanent"  # will never be accepted as it is (rejected, unverified sender)
    UNKNOWN = "unknown"  # may or may not have been accepted (a timeout after the request went out)
    # Not accepted, and will not be until someone acts (the account leaves the SES sandbox): the
    # message itself is fine, so it waits `retry_after`, uncounted, and the run goes on with others.
    HELD = "held"


class SendError(Exception):
    """`retry_after`: how long to wait before trying this message again without counting a failed
    attempt. With TRANSIENT, the provider is out of capacity (a daily quota, paused sending) and the
    run stops sending; with HELD, only this message waits."""

    def __init__(self, failure: SendFailure, reason: str, *, retry_after: timedelta | None = None) -> None:
        super().__init__(reason)
        self.failure = failure
        self.reason = reason
        self.retry_after = retry_after
