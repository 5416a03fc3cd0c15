"""What the store keeps about a playbook and each of its steps (pure data, no AWS)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from nearmiss.domain.models import Candidate, Mode, SendWindow, StepKind, StepState


class Sender(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    name: str
    address: str
    reply_to: str | None = None


class MemberSeen(BaseModel):
    """The member as a step last saw them: the address they proved (Candidate.usable_email) and
    their account's link generation (None: the account has no key item). The dispatcher sends with
    it only after its claim transaction checked both against the stored member (the PROFILE item's
    `proved_email`, the KEY item's generations); when that check fails, it reads the member afresh."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    email: str
    account: str | None = None
    key: str | None = None

    @staticmethod
    def of(candidate: Candidate | None, account: str | None, key: str | None) -> MemberSeen | None:
        """The snapshot of `candidate` with its link generation; None while no address is proved."""
        email = candidate.usable_email if candidate is not None else None
        if email is None:
            return None
        return MemberSeen(email=email, account=account, key=key)


class StepRecord(BaseModel):
    """One (application, recipient, step) as stored. `version` guards every change (optimistic lock).

    `due_at` is set only while the step has something to do at that instant (send, draft, lapse, or
    look at an expired claim); it is the sort key of the sparse due-index, so finished steps cost
    the dispatcher nothing.
    """

    model_config = ConfigDict(extra="forbid", defer_build=True)

    candidate_id: str
    application_id: str
    step_id: str
    kind: StepKind
    offset_days: int | None = None
    # The playbook generation this step belongs to (a rejection after a re-open starts the next
    # one) and that generation's rejection: a stop applies to this step only when it happened
    # after it. None on steps stored before generations: then any stop applies, as it did.
    generation: int = 1
    rejected_at: datetime | None = None
    mode: Mode
    state: StepState
    version: int = 0
    planned_at: datetime
    due_at: datetime | None = None
    draft_at: datetime | None = None
    expires_at: datetime | None = None
    latest_at: datetime | None = None  # the latest useful moment: past it the step is too_late
    lease_until: datetime | None = None
    attempts: int = 0
    message_id: str | None = None
    reason: str | None = None
    time_zone: str
    country: str | None = None
    send_window: SendWindow = SendWindow()  # on the recipient's clock; re-used when a send is moved
    recipient_name: str
    recipient_role: str
    recipient_address: str | None = None
    recipient_key: str
    sender: Sender
    context: dict[str, Any]
    # The candidate's edits to the draft, if any: what is sent instead of the rendered template.
    edited_subject: str | None = None
    edited_text: str | None = None
    updated_at: datetime | None = None
    sent_at: datetime | None = None
    # The id of the note's reply-address lookup (nearmiss.service.reply_addresses), set when the
    # send is claimed; deleting the member deletes the lookup through it.
    reply_id: str | None = None
    # The member as last seen (set when the playbook starts, renewed by each claim); None: the
    # dispatcher reads the member before it claims.
    member: MemberSeen | None = None

    def moved(
        self, state: StepState, *, now: datetime, due_at: datetime | None, **changes: Any
    ) -> StepRecord:
        """The next version of this record: a new state, its next due instant, and any other changes."""
        return self.model_copy(
            update={
                "state": state,
                "due_at": due_at,
                "version": self.version + 1,
                "updated_at": now,
                **changes,
            }
        )


class PlaybookRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    candidate_id: str
    application_id: str
    # 1 for the first rejection; each rejection after a re-open (a stop newer than the previous
    # generation's rejection) starts the next, with its own steps. The stored marker is the newest.
    generation: int = 1
    source: str
    rejected_at: datetime
    learned_at: datetime
    started_at: datetime
    mode: Mode
    reason: str | None = None  # the rejection's reason, as the ATS or the candidate gave it
    # Written already cancelled: a stop newer than the rejection arrived first. Such a playbook is
    # created without checking the stop marker again (the stop is the reason it exists this way).
    stopped_first: bool = False


class NoticeKind(StrEnum):
    """What the member is told about, by email (from the platform, never to the hiring side)."""

    NEEDS_CONTACTS = "needs_contacts"  # a rejection waits: nobody to write to yet
    TO_COMPLETE = "to_complete"  # people the ATS named without an address: their notes wait for it
    SUMMARY = "summary"  # what lapsed or was too late, batched: one per application per day at most


class NoticeState(StrEnum):
    PENDING = "pending"  # due at `due_at`; a summary still takes entries
    SENDING = "sending"  # claimed: at most once, so an answer that never came leaves it here
    SENT = "sent"
    FAILED = "failed"  # could not be sent, with the reason


class NoticeEntry(BaseModel):
    """One step a summary reports: whose, which, and why it did not go."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    step_id: str
    kind: StepKind
    recipient: str
    role: str
    state: StepState
    reason: str | None = None


class Notice(BaseModel):
    """One email to the member about an application. Its key makes it idempotent: one per held
    rejection (needs contacts), one per generation (to complete), one per day (summary)."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    candidate_id: str
    application_id: str
    kind: NoticeKind
    key: str  # the held rejection's instant, the generation, or the summary's day
    member: Sender  # the member's own sending identity: their address comes from it (notices.member_address)
    company: str
    job_title: str
    rejected_at: datetime | None = None
    names: tuple[str, ...] = ()  # to complete: the people named without an address
    entries: tuple[NoticeEntry, ...] = ()  # summary: what lapsed or was too late
    state: NoticeState = NoticeState.PENDING
    version: int = 0
    due_at: datetime | None = None
    created_at: datetime
    attempts: int = 0
    reason: str | None = None
    message_id: str | None = None
    sent_at: datetime | None = None

    @property
    def notice_id(self) -> str:
        return f"{self.kind.value}#{self.key}"

    def moved(self, state: NoticeState, *, due_at: datetime | None, **changes: Any) -> Notice:
        return self.model_copy(
            update={"state": state, "due_at": due_at, "version": self.version + 1, **changes}
        )


# What the dispatcher finds due: a step to send, draft or lapse, or a notice to the member.
Due = StepRecord | Notice


class ForwardPerson(BaseModel):
    """Someone a forwarded invitation named (the organiser or an interviewer)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    name: str
    address: str
    role: str


class ForwardRecord(BaseModel):
    """What Near Miss understood of one forward (never its content): kept for the member's decision.
    `kind`: rejection | maybe_rejection (no rejection phrase: the member is asked) | invitation |
    not_rejection (read as an invitation, offer, ... : nothing starts) | unreadable. `state`:
    open (waits for the member) | started | dismissed | undone. One per SES message id."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    candidate_id: str
    forward_id: str  # the SES message id
    kind: str
    reason: str
    company: str | None = None
    company_domain: str | None = None
    job_title: str | None = None
    received_at: datetime | None = None  # the original's Date: when the member learned of it
    application_id: str | None = None  # the application it was added to (an invitation)
    named: tuple[ForwardPerson, ...] = ()  # everyone an invitation named (the member left out)
    people: tuple[ForwardPerson, ...] = ()  # those of them that were added (the others were known)
    interview_at: datetime | None = None
    cancelled: bool = False
    uid: str | None = None
    sequence: int = 0
    state: str = "open"
    version: int = 0
    created_at: datetime
