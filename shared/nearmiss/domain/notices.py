"""What the member is told, and when (pure: no AWS). Each notice's key makes it idempotent:

    needs_contacts#<rejected at>   one per held rejection, however often it is delivered or retried
    to_complete#g<generation>      one per playbook generation that names people without an address
    summary#<day>                  what lapsed or was too late: one per application per day (UTC),
                                   sent SUMMARY_DELAY after its first entry, so neighbours batch

A summary that was claimed already takes no more entries: they go to the next day's.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from nearmiss.domain.models import Application
from nearmiss.domain.records import Notice, NoticeEntry, NoticeKind, Sender, StepRecord

SUMMARY_DELAY = timedelta(hours=1)  # steps of one application lapse minutes apart: one email for them


def summary_key(due_at: datetime) -> str:
    return due_at.astimezone(UTC).date().isoformat()


def next_summary_slot(slot: Notice) -> Notice:
    """The next day's summary of the same application, for entries that came after the day's went."""
    day = datetime.fromisoformat(slot.key).date() + timedelta(days=1)
    start = datetime.combine(day, time(0), tzinfo=UTC)
    due = max(start, slot.due_at or start)
    return slot.model_copy(update={"key": summary_key(due), "due_at": due})


def entry(step: StepRecord) -> NoticeEntry:
    return NoticeEntry(
        step_id=step.step_id,
        kind=step.kind,
        recipient=step.recipient_name,
        role=step.recipient_role,
        state=step.state,
        reason=step.reason,
    )


def summary(steps: list[StepRecord], *, now: datetime) -> Notice:
    """The summary entries of one application's steps that lapsed or were too late (all of the
    same application); its slot is the day SUMMARY_DELAY from now."""
    first = steps[0]
    due = now + SUMMARY_DELAY
    return Notice(
        candidate_id=first.candidate_id,
        application_id=first.application_id,
        kind=NoticeKind.SUMMARY,
        key=summary_key(due),
        member=first.sender,
        company=str(first.context.get("company", "")),
        job_title=str(first.context.get("job_title", "")),
        entries=tuple(entry(s) for s in steps),
        due_at=due,
        created_at=now,
    )


def about_application(
    kind: NoticeKind,
    key: str,
    application: Application,
    member: Sender,
    *,
    rejected_at: datetime,
    now: datetime,
    names: tuple[str, ...] = (),
) -> Notice:
    """A notice due now: needs contacts (key: the rejection's instant), to complete (key: g<n>)."""
    return Notice(
        candidate_id=application.candidate_id,
        application_id=application.application_id,
        kind=kind,
        key=key,
        member=member,
        company=application.company,
        job_title=application.job_title,
        rejected_at=rejected_at,
        names=names,
        due_at=now,
        created_at=now,
    )
