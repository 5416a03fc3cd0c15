"""The playbook: which message goes to whom, and when.

    thank-you        each person involved        N days after the candidate learned of it
    share-a-resource each person with a resource M business days after; skipped when there is none
    check-in         hiring manager + recruiter  each configured offset (default 90 days)

`plan` is pure: the same candidate, application, rejection and `now` always give the same steps,
so the preview shows exactly what `send_due_steps` will later send, at the same instants.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta

from nearmiss.domain.events import ApplicationRejected
from nearmiss.domain.models import (
    Application,
    Candidate,
    Contact,
    Mode,
    PlaybookSettings,
    Step,
    StepKind,
    StepState,
)
from nearmiss.domain.timing import add_business_days, next_send_instant, recipient_zone


def recipient_key(address: str) -> str:
    """A short, stable, non-reversible id for an address: used in keys and logs instead of the address."""
    return hashlib.sha256(address.strip().lower().encode()).hexdigest()[:20]


# What step_id() makes: "<kind>[_<offset>][_g<generation>].<20 hex>", URL-safe because it appears
# in API paths. The first generation has no suffix, so the ids of steps stored before generations hold.
STEP_ID = re.compile(r"[a-z_0-9]{1,40}\.[0-9a-f]{20}")


def step_id(kind: StepKind, contact: Contact, offset_days: int | None = None, generation: int = 1) -> str:
    label = f"{kind.value}_{offset_days}" if offset_days is not None else kind.value
    if generation > 1:
        label += f"_g{generation}"
    return f"{label}.{recipient_key(contact.key)}"  # URL-safe: it appears in API paths


def merge_contacts(registered: tuple[Contact, ...], from_ats: tuple[Contact, ...]) -> tuple[Contact, ...]:
    """The candidate's own list wins; the ATS adds people it names, and can forbid emailing someone."""
    merged = {c.key: c for c in registered}
    for contact in from_ats:
        known = merged.get(contact.key)
        if known is None:
            merged[contact.key] = contact
        elif not contact.may_email and known.may_email:
            merged[contact.key] = known.model_copy(update={"may_email": False})
    return tuple(merged.values())


def _why_not_emailable(contact: Contact) -> str | None:
    if contact.email is None:
        return "no email address for this person yet"
    if not contact.may_email:
        return "this person may not be emailed"
    return None


def plan(
    candidate: Candidate,
    application: Application,
    rejection: ApplicationRejected,
    *,
    now: datetime,
    generation: int = 1,
) -> list[Step]:
    """Every step of the playbook for one rejected application, skipped ones included with their
    reason. `generation` counts the rejections after re-opens; each has its own step ids."""
    settings = candidate.playbook
    window = settings.send_window
    learned = rejection.learned_at
    contacts = merge_contacts(application.contacts, rejection.contacts)
    steps: list[Step] = []

    def add(
        kind: StepKind,
        contact: Contact,
        earliest: datetime,
        offset: int | None = None,
        skip: str | None = None,
    ) -> None:
        zone, country = recipient_zone(contact, candidate)
        sid = step_id(kind, contact, offset, generation)
        # A late report or a replay months later plans from now, never in the past; whatever
        # cannot go out before its latest useful moment is too_late, not sent late.
        latest = learned + timedelta(days=offset or 0) + settings.latest_useful(kind)
        planned = next_send_instant(
            max(earliest, now),
            zone=zone,
            country=country,
            window=window,
            key=f"{application.application_id}#{sid}",
        )
        if skip is None and planned > latest:
            skip = f"too late: past its latest useful moment ({latest:%Y-%m-%d %H:%M} UTC)"
            state = StepState.TOO_LATE
        else:
            state = StepState.SKIPPED if skip else StepState.SCHEDULED
        draft_at = expires_at = None
        if candidate.mode is Mode.REVIEW and state is StepState.SCHEDULED:
            draft_at = max(now, planned - timedelta(hours=settings.review_lead_hours))
            expires_at = min(planned + timedelta(hours=settings.grace_hours(kind)), latest)
        steps.append(
            Step(
                kind=kind,
                step_id=sid,
                offset_days=offset,
                recipient=contact,
                planned_at=planned,
                time_zone=zone,
                country=country,
                state=state,
                skip_reason=skip,
                draft_at=draft_at,
                expires_at=expires_at,
                latest_at=latest,
            )
        )

    for contact in contacts:
        blocked = _why_not_emailable(contact)
        zone, country = recipient_zone(contact, candidate)
        add(
            StepKind.THANK_YOU, contact, learned + timedelta(days=settings.thank_you_after_days), skip=blocked
        )

        resource_day = add_business_days(
            learned, settings.resource_after_business_days, zone=zone, country=country, window=window
        )
        add(
            StepKind.SHARE_RESOURCE,
            contact,
            resource_day,
            skip=blocked or (None if contact.resource else "nothing to share with this person"),
        )

        if contact.role in settings.check_in_roles:
            for offset in settings.check_in_after_days:
                add(StepKind.CHECK_IN, contact, learned + timedelta(days=offset), offset, skip=blocked)

    steps.sort(key=lambda s: (s.planned_at, s.step_id))
    return steps


def learned_at(rejected_at: datetime, source: str, settings: PlaybookSettings) -> datetime:
    """When the candidate learned of the rejection: the ATS time plus the source's configured delay
    (never negative: DelayHours is bounded to 0..720)."""
    return rejected_at + timedelta(hours=settings.source_delay_hours.get(source, 0.0))
