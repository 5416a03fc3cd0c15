"""In-memory fakes of the ports, with the same conditional semantics as the real adapters.

Used by unit tests (fast, no moto) and by the throughput benchmark (so moto's own cost is not
what gets measured). A lock makes each conditional write atomic, as DynamoDB's are.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from nearmiss.adapters.dynamo import due_shard, notice_shard
from nearmiss.domain.compose import OutgoingMessage
from nearmiss.domain.events import ApplicationRejected, DomainEvent
from nearmiss.domain.models import Application, Candidate, StepState
from nearmiss.domain.notices import next_summary_slot
from nearmiss.domain.records import (
    Due,
    ForwardRecord,
    MemberSeen,
    Notice,
    NoticeState,
    PlaybookRecord,
    StepRecord,
)
from nearmiss.service.ports import (
    PROOF_MAIL_GAP,
    PROOF_MAILS_PER_DAY,
    ApplicationState,
    ClaimOutcome,
    CreateOutcome,
    HeldRejection,
    IdentityCheck,
    IdentityLookupError,
    InboundRecord,
    IntakeRoute,
    LinkGeneration,
    ProfileChanged,
    ReplyRoute,
    SendError,
    StartReads,
    Suppression,
    Waiting,
    next_proof_mail,
)


@dataclass
class MemoryStore:
    candidates: dict[str, Candidate] = field(default_factory=dict)
    applications: dict[tuple[str, str], Application] = field(default_factory=dict)
    playbooks: dict[tuple[str, str], PlaybookRecord] = field(default_factory=dict)
    stops: dict[tuple[str, str], datetime] = field(default_factory=dict)
    held: dict[tuple[str, str], ApplicationRejected] = field(default_factory=dict)
    waiting: dict[tuple[str, str, datetime], ApplicationRejected] = field(default_factory=dict)
    notices: dict[tuple[str, str, str], Notice] = field(default_factory=dict)
    steps: dict[tuple[str, str, str], StepRecord] = field(default_factory=dict)
    blocks: dict[tuple[str, str | None], str] = field(default_factory=dict)
    days: dict[tuple[str, str], str] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    reply_routes: dict[str, ReplyRoute] = field(default_factory=dict)
    inbound: dict[tuple[str, str], InboundRecord] = field(default_factory=dict)
    intake_routes: dict[str, IntakeRoute] = field(default_factory=dict)
    intakes: dict[str, str] = field(default_factory=dict)  # candidate id -> current intake id
    forwards: dict[tuple[str, str], ForwardRecord] = field(default_factory=dict)
    shards: int = 4  # due-index shards, as DynamoStore spreads them
    requests: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    proof_mails: dict[str, tuple[datetime, int, datetime, str]] = field(default_factory=dict)

    def put_candidate(
        self,
        candidate: Candidate,
        *,
        previous_email: str | None = None,
        expected: Candidate | None = None,
    ) -> None:
        with self._lock:
            self.requests += 1
            if expected is not None and self.candidates.get(candidate.candidate_id) != expected:
                raise ProfileChanged
            self.candidates[candidate.candidate_id] = candidate

    def record_proof_mail(self, candidate_id: str, address: str, at: datetime) -> datetime | None:
        """As DynamoStore.record_proof_mail: a day's window from its first mail, a gap per address."""
        with self._lock:
            self.requests += 1
            key = address.lower()
            window = self.proof_mails.get(candidate_id)
            if window is not None:
                start, count, last, last_address = window
                spaced = last < at - PROOF_MAIL_GAP or last_address != key
                fresh = start < at - timedelta(days=1)
                if not spaced or (not fresh and count >= PROOF_MAILS_PER_DAY):
                    return next_proof_mail(
                        window_start=start,
                        sent_count=count,
                        last_sent=last,
                        same_address=last_address == key,
                        at=at,
                    )
                if not fresh:
                    self.proof_mails[candidate_id] = (start, count + 1, at, key)
                    return None
            self.proof_mails[candidate_id] = (at, 1, at, key)
            return None

    def get_candidate(self, candidate_id: str) -> Candidate | None:
        self.requests += 1
        return self.candidates.get(candidate_id)

    def put_application(self, application: Application, *, previous_ats_id: str | None = None) -> None:
        self.requests += 1
        self.applications[(application.candidate_id, application.application_id)] = application

    def load(self, candidate_id: str, application_id: str) -> tuple[Candidate | None, Application | None]:
        self.requests += 1
        return self.candidates.get(candidate_id), self.applications.get((candidate_id, application_id))

    def start_reads(self, candidate_id: str, application_id: str) -> StartReads:
        self.requests += 1  # one BatchGetItem, as DynamoStore's
        key = (candidate_id, application_id)
        return StartReads(
            self.candidates.get(candidate_id),
            self.applications.get(key),
            self.playbooks.get(key),
            self.stops.get(key),
            self._member_now(candidate_id),
        )

    def application_states(self, candidate_id: str) -> list[tuple[Application, ApplicationState | None]]:
        self.requests += 1  # one Query, as DynamoStore's; every application here has its state kept
        out: list[tuple[Application, ApplicationState | None]] = []
        for (c, a), application in self.applications.items():
            if c != candidate_id:
                continue
            waits = any(k[:2] == (c, a) for k in self.waiting)
            held = (c, a) in self.held
            waiting = Waiting.NEEDS_CONTACTS if held else (Waiting.WAITING_FOR_REOPEN if waits else None)
            out.append((application, ApplicationState(started=(c, a) in self.playbooks, waiting=waiting)))
        return out

    def create_playbook(
        self, playbook: PlaybookRecord, steps: Sequence[StepRecord], notices: Sequence[Notice] = ()
    ) -> CreateOutcome:
        key = (playbook.candidate_id, playbook.application_id)
        with self._lock:
            self.requests += 1
            current = self.playbooks.get(key)
            if (current is None) != (playbook.generation == 1) or (
                current is not None and current.generation != playbook.generation - 1
            ):
                return CreateOutcome.DUPLICATE
            stopped = self.stops.get(key)
            if not playbook.stopped_first and stopped is not None and not stopped < playbook.rejected_at:
                return CreateOutcome.STOPPED
            self.playbooks[key] = playbook
            self.held.pop(key, None)  # released in the same transaction, as DynamoStore's
            for step in steps:
                self.steps[(*key, step.step_id)] = step
            for notice in notices:
                self.notices[(*key, notice.notice_id)] = notice
        return CreateOutcome.CREATED

    def get_playbook(self, candidate_id: str, application_id: str) -> PlaybookRecord | None:
        self.requests += 1
        return self.playbooks.get((candidate_id, application_id))

    def hold_rejection(self, rejection: ApplicationRejected, reason: str, at: datetime) -> None:
        self.requests += 1
        self.held[(rejection.candidate_id, rejection.application_id)] = rejection

    def held_rejection(self, candidate_id: str, application_id: str) -> HeldRejection | None:
        self.requests += 1
        held = self.held.get((candidate_id, application_id))
        return HeldRejection(held, Waiting.NEEDS_CONTACTS, held.rejected_at) if held else None

    def wait_for_reopen(self, rejection: ApplicationRejected, at: datetime) -> None:
        self.requests += 1
        self.waiting[(rejection.candidate_id, rejection.application_id, rejection.rejected_at)] = rejection

    def waiting_rejections(self, candidate_id: str, application_id: str) -> list[ApplicationRejected]:
        self.requests += 1
        found = [(k[2], r) for k, r in self.waiting.items() if k[:2] == (candidate_id, application_id)]
        return [r for _, r in sorted(found, key=lambda pair: pair[0])]

    def release_waiting(self, candidate_id: str, application_id: str, rejected_at: datetime) -> None:
        self.requests += 1
        self.waiting.pop((candidate_id, application_id, rejected_at), None)

    def _notice_key(self, notice: Notice) -> tuple[str, str, str]:
        return notice.candidate_id, notice.application_id, notice.notice_id

    def add_notice(self, notice: Notice) -> bool:
        with self._lock:
            self.requests += 1
            if self._notice_key(notice) in self.notices:
                return False
            self.notices[self._notice_key(notice)] = notice
            return True

    def add_to_summary(self, notice: Notice) -> Notice:
        with self._lock:
            slot = notice
            while True:
                self.requests += 1
                current = self.notices.get(self._notice_key(slot))
                if current is None:
                    self.notices[self._notice_key(slot)] = slot.model_copy(update={"version": 1})
                    return self.notices[self._notice_key(slot)]
                if current.state is NoticeState.PENDING:
                    entries = {e.step_id: e for e in (*current.entries, *notice.entries)}
                    merged = current.model_copy(
                        update={
                            "entries": tuple(
                                sorted(entries.values(), key=lambda e: (e.recipient, e.step_id))
                            ),
                            "version": current.version + 1,
                        }
                    )
                    self.notices[self._notice_key(slot)] = merged
                    return merged
                slot = next_summary_slot(slot)

    def replace_notice(self, old: Notice, new: Notice) -> bool:
        with self._lock:
            self.requests += 1
            current = self.notices.get(self._notice_key(old))
            if current is None or current.version != old.version:
                return False
            self.notices[self._notice_key(old)] = new
            return True

    def list_notices(self, candidate_id: str, application_id: str) -> list[Notice]:
        self.requests += 1
        return [
            n for (c, a, _), n in sorted(self.notices.items()) if (c, a) == (candidate_id, application_id)
        ]

    def release_rejection(self, candidate_id: str, application_id: str) -> None:
        self.requests += 1
        self.held.pop((candidate_id, application_id), None)

    def get_stop(self, candidate_id: str, application_id: str) -> datetime | None:
        self.requests += 1
        return self.stops.get((candidate_id, application_id))

    def record_stop(self, candidate_id: str, application_id: str, occurred_at: datetime, reason: str) -> None:
        with self._lock:
            self.requests += 1
            key = (candidate_id, application_id)
            if key not in self.stops or self.stops[key] < occurred_at:
                self.stops[key] = occurred_at

    def list_steps(self, candidate_id: str, application_id: str) -> list[StepRecord]:
        self.requests += 1
        return [s for (c, a, _), s in self.steps.items() if (c, a) == (candidate_id, application_id)]

    def get_step(self, candidate_id: str, application_id: str, step_id: str) -> StepRecord | None:
        self.requests += 1
        return self.steps.get((candidate_id, application_id, step_id))

    def decision_reads(
        self, candidate_id: str, application_id: str, step_id: str
    ) -> tuple[LinkGeneration | None, StepRecord | None]:
        generation = self.link_generation(candidate_id)  # one BatchGetItem, as DynamoStore's
        return generation, self.steps.get((candidate_id, application_id, step_id))

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
        with self._lock:
            self.requests += 1  # one TransactWriteItems, as DynamoStore's
            generation = self._generation(candidate_id)
            step = self.steps.get((candidate_id, application_id, step_id))
            if generation is None or generation.key != key_generation or step is None:
                return False
            if not (
                step.state is StepState.AWAITING_APPROVAL
                and step.planned_at == planned_at
                and step.planned_at >= now
                and step.expires_at is not None
                and step.expires_at > now
            ):
                return False
            self.steps[self._key(step)] = step.moved(
                StepState.APPROVED, now=now, due_at=step.planned_at, reason=None
            )
            return True

    def due_steps(self, now: datetime, limit: int, *, shard: int | None = None) -> list[Due]:
        self.requests += 1
        due: list[Due] = [s for s in self._due(now) if shard is None or due_shard(s, self.shards) == shard]
        due += [
            n
            for n in self.notices.values()
            if n.due_at is not None
            and n.due_at <= now
            and (shard is None or notice_shard(n, self.shards) == shard)
        ]
        return sorted(due, key=lambda s: s.due_at or now)[:limit]

    def _due(self, now: datetime) -> list[StepRecord]:
        return [s for s in self.steps.values() if s.due_at is not None and s.due_at <= now]

    def shards_with_due(self, now: datetime) -> list[int]:
        self.requests += 1
        return sorted({due_shard(s, self.shards) for s in self._due(now)})

    def _key(self, step: StepRecord) -> tuple[str, str, str]:
        return step.candidate_id, step.application_id, step.step_id

    def add_step(self, step: StepRecord) -> bool:
        with self._lock:
            self.requests += 1
            if self._key(step) in self.steps:
                return False
            self.steps[self._key(step)] = step
            return True

    def replace_step(self, old: StepRecord, new: StepRecord) -> bool:
        with self._lock:
            self.requests += 1
            current = self.steps.get(self._key(old))
            if current is None or current.version != old.version:
                return False
            self.steps[self._key(old)] = new
            return True

    def claim_send(
        self, old: StepRecord, new: StepRecord, day: str, *, reply: ReplyRoute | None = None
    ) -> ClaimOutcome:
        with self._lock:
            self.requests += 1
            current = self.steps.get(self._key(old))
            owner = "#".join(self._key(old))
            if current is None or current.version != old.version:
                return ClaimOutcome.LOST
            stopped = self.stops.get((old.candidate_id, old.application_id))
            if stopped is not None and (old.rejected_at is None or not stopped < old.rejected_at):
                return ClaimOutcome.STOPPED
            if (old.recipient_key, None) in self.blocks or (
                old.recipient_key,
                old.candidate_id,
            ) in self.blocks:
                return ClaimOutcome.SUPPRESSED
            if self.days.get((old.recipient_key, f"{old.candidate_id}#{day}"), owner) != owner:
                return ClaimOutcome.DAY_TAKEN
            if new.member is not None and new.member != self._member_now(old.candidate_id):
                return ClaimOutcome.MEMBER_CHANGED
            if reply is not None and not self._reply_free(reply):
                return ClaimOutcome.REPLY_TAKEN
            self.days[(old.recipient_key, f"{old.candidate_id}#{day}")] = owner
            self.steps[self._key(old)] = new
            if reply is not None:
                self.reply_routes[reply.reply_id] = reply
            return ClaimOutcome.CLAIMED

    def claim_draft(self, old: StepRecord, new: StepRecord) -> ClaimOutcome:
        with self._lock:
            self.requests += 1
            current = self.steps.get(self._key(old))
            if current is None or current.version != old.version:
                return ClaimOutcome.LOST
            if new.member is not None and new.member != self._member_now(old.candidate_id):
                return ClaimOutcome.MEMBER_CHANGED
            self.steps[self._key(old)] = new
            return ClaimOutcome.CLAIMED

    def _member_now(self, candidate_id: str) -> MemberSeen | None:
        generation = self._generation(candidate_id)
        return MemberSeen.of(
            self.candidates.get(candidate_id),
            generation.account if generation else None,
            generation.key if generation else None,
        )

    def member_as_now(self, candidate_id: str) -> MemberSeen | None:
        self.requests += 1
        return self._member_now(candidate_id)

    def list_applications(self, candidate_id: str) -> list[Application]:
        self.requests += 1
        return [a for (c, _), a in self.applications.items() if c == candidate_id]

    def set_candidate_key(self, candidate_id: str, key_hash: str) -> None:
        self.requests += 1
        self.keys[candidate_id] = key_hash

    def candidate_key_hash(self, candidate_id: str) -> str | None:
        self.requests += 1
        return self.keys.get(candidate_id)

    def link_generation(self, candidate_id: str) -> LinkGeneration | None:
        self.requests += 1
        return self._generation(candidate_id)

    def _generation(self, candidate_id: str) -> LinkGeneration | None:
        key = self.keys.get(candidate_id)
        # each key hash differs: a new key, a new generation (the fake keeps one per id)
        return LinkGeneration(candidate_id, key[:12]) if key else None

    def delete_candidate(self, candidate_id: str) -> int:
        with self._lock:
            self.requests += 1
            tables: list[dict[Any, Any]] = [
                self.applications,
                self.playbooks,
                self.stops,
                self.held,
                self.waiting,
                self.notices,
                self.steps,
            ]
            gone = 0
            for table in tables:
                for key in [k for k in table if k[0] == candidate_id]:
                    del table[key]
                    gone += 1
            for block in [b for b in self.blocks if b[1] == candidate_id]:
                del self.blocks[block]
                gone += 1
            for reply_id in [i for i, r in self.reply_routes.items() if r.candidate_id == candidate_id]:
                del self.reply_routes[reply_id]
                gone += 1
            intake = self.intakes.pop(candidate_id, None)
            if intake is not None:
                gone += 1
                route = self.intake_routes.get(intake)
                if route is not None and route.candidate_id == candidate_id:
                    del self.intake_routes[intake]
                    gone += 1
            for key in [k for k in self.forwards if k[0] == candidate_id]:
                del self.forwards[key]
                gone += 1
            gone += int(self.candidates.pop(candidate_id, None) is not None)
            gone += int(self.proof_mails.pop(candidate_id, None) is not None)
            gone += int(self.keys.pop(candidate_id, None) is not None)
            return gone

    def suppress(self, suppression: Suppression, at: datetime) -> None:
        with self._lock:
            self.requests += 1
            self.blocks[(suppression.recipient_key, suppression.candidate_id)] = suppression.reason

    # ---- reply addresses and received mail (DynamoStore's conditions) ------------------------------------
    def put_reply_route(self, route: ReplyRoute, at: datetime) -> bool:
        with self._lock:
            self.requests += 1
            if not self._reply_free(route):
                return False
            self.reply_routes[route.reply_id] = route
            return True

    def _reply_free(self, route: ReplyRoute) -> bool:
        """The id is free, or already names this very note (DynamoStore's condition)."""
        held = self.reply_routes.get(route.reply_id)
        same = (route.candidate_id, route.application_id, route.step_id)
        return held is None or (held.candidate_id, held.application_id, held.step_id) == same

    def reply_route(self, reply_id: str) -> ReplyRoute | None:
        self.requests += 1
        return self.reply_routes.get(reply_id)

    def get_inbound(self, message_id: str, recipient_key: str) -> InboundRecord | None:
        self.requests += 1
        return self.inbound.get((message_id, recipient_key))

    def put_inbound(self, record: InboundRecord, *, expect: str | None) -> bool:
        with self._lock:
            self.requests += 1
            key = (record.message_id, record.recipient_key)
            stored = self.inbound.get(key)
            if (stored is None) != (expect is None) or (stored is not None and stored.status != expect):
                return False
            self.inbound[key] = record
            return True

    def kept_inbound(self, limit: int) -> list[InboundRecord]:
        self.requests += 1
        kept = [r for r in self.inbound.values() if r.status == "kept"]
        return sorted(kept, key=lambda r: r.received_at, reverse=True)[:limit]

    # ---- intake addresses and forwards (DynamoStore's conditions) ------------------------------------------
    def claim_intake(self, route: IntakeRoute, at: datetime, *, previous: str | None = None) -> bool:
        with self._lock:
            self.requests += 1
            held = self.intake_routes.get(route.intake_id)
            if held is not None and held.candidate_id != route.candidate_id:
                return False
            self.intake_routes[route.intake_id] = route
            self.intakes[route.candidate_id] = route.intake_id
            old = self.intake_routes.get(previous or "")
            if previous and previous != route.intake_id and old and old.candidate_id == route.candidate_id:
                del self.intake_routes[previous]
            return True

    def intake_route(self, intake_id: str) -> IntakeRoute | None:
        self.requests += 1
        return self.intake_routes.get(intake_id)

    def intake_of(self, candidate_id: str) -> str | None:
        self.requests += 1
        return self.intakes.get(candidate_id)

    def put_forward(self, record: ForwardRecord, *, expect_version: int | None = None) -> bool:
        with self._lock:
            self.requests += 1
            key = (record.candidate_id, record.forward_id)
            stored = self.forwards.get(key)
            if (stored is None) != (expect_version is None):
                return False
            if stored is not None and stored.version != expect_version:
                return False
            self.forwards[key] = record
            return True

    def get_forward(self, candidate_id: str, forward_id: str) -> ForwardRecord | None:
        self.requests += 1
        return self.forwards.get((candidate_id, forward_id))


@dataclass
class RecordingMailer:
    """A mailer that records what it sent; `failures` are raised, one per call, before succeeding."""

    sent: list[OutgoingMessage] = field(default_factory=list)
    failures: list[SendError] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=itertools.count)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, message: OutgoingMessage) -> str:
        with self._lock:
            if self.failures:
                raise self.failures.pop(0)
            self.sent.append(message)
            return f"local-{next(self._ids)}"


@dataclass
class FakeIdentities:
    """SES identities in memory: `verified` holds addresses and domains (a domain covers its
    subdomains, as in SES); `unavailable` makes every check fail as when SES cannot be asked."""

    verified: set[str] = field(default_factory=set)
    unavailable: bool = False
    asked: list[str] = field(default_factory=list)

    def can_send_from(self, address: str) -> IdentityCheck:
        self.asked.append(address)
        if self.unavailable:
            raise IdentityLookupError("could not check the sending identity with SES: ThrottlingException")
        domain = address.rpartition("@")[2].lower()
        labels = domain.split(".")
        for name in [address.lower()] + [".".join(labels[i:]) for i in range(len(labels) - 1)]:
            if name in self.verified:
                return IdentityCheck(verified=True, identity=name)
        return IdentityCheck(
            verified=False,
            reason=f"neither the address nor its domain {domain} is a verified SES identity of this account",
        )


@dataclass
class RecordingPublisher:
    events: list[DomainEvent] = field(default_factory=list)

    def publish(
        self, events: Sequence[DomainEvent], *, source: str, correlation_id: str | None = None
    ) -> None:
        self.events.extend(events)


@dataclass
class MemoryIntakeStore(MemoryStore):
    """MemoryStore plus what the webhook intake needs."""

    unmatched: dict[str, dict[str, tuple[str, list[str]]]] = field(default_factory=dict)

    def find_candidate_by_email(self, email: str) -> str | None:
        self.requests += 1
        # As DynamoStore: only a proved address has a lookup.
        return next(
            (
                c.candidate_id
                for c in self.candidates.values()
                if c.usable_email is not None and c.usable_email.lower() == email.lower()
            ),
            None,
        )

    def find_application_by_ats_id(self, ats_application_id: str) -> tuple[str, str] | None:
        self.requests += 1
        for key, application in self.applications.items():
            if application.ats_application_id == ats_application_id:
                return key
        return None

    def keep_unmatched(
        self, match_keys: list[str], dedupe_key: str, document: str, reason: str, at: datetime
    ) -> None:
        for key in match_keys:
            self.unmatched.setdefault(key, {})[dedupe_key] = (document, match_keys)

    def held_events(self, match_key: str) -> list[tuple[str, str, str]]:
        return [(k, document, "") for k, (document, _) in self.unmatched.get(match_key, {}).items()]

    def take_held(self, match_key: str, dedupe_key: str) -> str | None:
        with self._lock:
            found = self.unmatched.get(match_key, {}).get(dedupe_key)
            if found is None:
                return None
            for other in found[1]:
                self.unmatched.get(other, {}).pop(dedupe_key, None)
            return found[0]


@dataclass
class MemoryDeliveries:
    """Deliveries in memory, as the Powertools record behaves: in progress until routed (or until
    the invocation's deadline, `in_progress_for`), completed after, removed when routing raised."""

    in_progress_for: float = 10.0  # seconds: the function's timeout
    records: dict[str, tuple[str, float]] = field(default_factory=dict)  # key -> (status, deadline)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def once(self, dedupe_key: str, route: Callable[[], str]) -> str | None:
        from datetime import UTC

        from nearmiss.service.intake import DeliveryInProgressError

        now = datetime.now(UTC).timestamp()
        with self._lock:
            status, deadline = self.records.get(dedupe_key, ("", 0.0))
            if status == "COMPLETED":
                return None
            if status == "INPROGRESS" and deadline > now:
                raise DeliveryInProgressError(dedupe_key)
            self.records[dedupe_key] = ("INPROGRESS", now + self.in_progress_for)
        try:
            outcome = route()
        except Exception:
            with self._lock:
                del self.records[dedupe_key]
            raise
        with self._lock:
            self.records[dedupe_key] = ("COMPLETED", 0.0)
        return outcome
