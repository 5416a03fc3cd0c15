"""Greenhouse Recruiting webhooks (developers.greenhouse.io/webhooks.html).

Signature [documented]: header `Signature: sha256 <hex>`, the lowercase hex HMAC-SHA256 of the
entire raw body keyed with the webhook's secret key. Greenhouse escapes Unicode in the JSON it
signs, so only the raw bytes verify. No timestamp is signed, so there is no replay window.

Events [documented]: `reject_candidate` (rejected), `unreject_candidate` (reopened),
`hire_candidate` (hired). Everything else, including the ping Greenhouse sends when a webhook is
saved (its body is not documented), is acknowledged and ignored: a failed ping creates the
webhook disabled. Greenhouse treats anything but HTTP 200 as a failure and retries.

What the payload does not carry: the hiring company (identify the tenant by URL or secret),
hiring managers, and interviewer emails (interviewers come with display names only, and only
for the current stage). Those names go to `incomplete_contacts` for the candidate to complete.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from nearmiss.domain.models import Role
from nearmiss.intake.ats.fields import (
    AtsId,
    AtsModel,
    Email,
    Instant,
    NameText,
    OptionalInstant,
    ReasonText,
    ShortText,
)
from nearmiss.intake.base import (
    Parsed,
    People,
    check_body_hmac,
    check_size,
    full_name,
    header,
    ignored,
    key_time,
    load_object,
    require_secret,
    text,
    token,
    validate,
    word,
)

NAME = "greenhouse"
SIGNING_OPTIONAL = False
SUCCESS_STATUS = 200  # "a non HTTP 200 response" counts as a failure: not 202, not 204

# Greenhouse's rejection reason types; the candidate-side one means the candidate withdrew.
_WITHDRAWN_TYPES = frozenset({"they rejected us"})


# --- the payload (only what Near Miss reads; Greenhouse's other fields are ignored) -------------


class _Action(AtsModel):
    action: str | None = None


class _Target(AtsModel):
    id: AtsId
    prospect: bool | None = None


class _TargetPayload(AtsModel):
    application: _Target


class _Targeted(AtsModel):
    payload: _TargetPayload


class _Person(AtsModel):
    name: NameText = None
    email: str | None = None  # People validates it: an unusable address keeps the person by name


class _EmailAddress(AtsModel):
    value: Email = None
    type: str | None = None


class _Candidate(AtsModel):
    first_name: str | None = None
    last_name: str | None = None
    can_email: bool | None = None
    email_addresses: list[_EmailAddress] | None = None
    recruiter: _Person | None = None
    coordinator: _Person | None = None


class _Job(AtsModel):
    name: ShortText = None


class _Interviewer(AtsModel):
    display_name: NameText = None


class _Interview(AtsModel):
    interviewers: list[_Interviewer] | None = None


class _Stage(AtsModel):
    interviews: list[_Interview] | None = None


class _Application(AtsModel):
    """`payload.application`, as every action Near Miss acts on carries it."""

    candidate: _Candidate
    credited_to: _Person | None = None
    current_stage: _Stage | None = None
    jobs: list[_Job] | None = None  # candidates have one job; prospects 0..n
    job: _Job | None = None  # the deprecated singular form


class _RejectionType(AtsModel):
    name: str | None = None


class _RejectionReason(AtsModel):
    """`{id, name, type: {id, name}}`; the type tells who rejected whom."""

    name: ReasonText = None
    type: _RejectionType | None = None


class _Rejected(_Application):
    rejected_at: Instant
    rejection_reason: _RejectionReason | None = None


class _Unrejected(_Application):
    last_activity_at: OptionalInstant = None


class _Offer(AtsModel):
    resolved_at: OptionalInstant = None  # "the date the offer was accepted"


class _Hired(_Application):
    offer: _Offer | None = None


_ACTIONS: dict[str, type[_Application]] = {
    "reject_candidate": _Rejected,
    "unreject_candidate": _Unrejected,
    "hire_candidate": _Hired,
}
_WHERE = "payload.application"


def verify(headers: Mapping[str, str], body: bytes, secret: str, *, now: datetime) -> None:
    """Check `Signature: sha256 <hex>` against the raw body. `now` is unused: nothing is timestamped."""
    check_size(body)
    check_body_hmac(headers, body, require_secret(secret), "signature", scheme=" ")


def parse(headers: Mapping[str, str], body: bytes) -> Parsed:
    root = load_object(headers, body)
    action = validate(_Action, root).action
    if action is None:
        return ignored(NAME, "no action: a ping or a payload Greenhouse does not document", body)
    if action == "ping":
        return ignored(NAME, "ping", body)
    if action not in _ACTIONS:
        return ignored(NAME, f"action {word(action) or '(unnamed)'} is not one Near Miss acts on", body)

    target = validate(_Targeted, root).payload.application
    if target.prospect:
        # A prospect was sourced by the company and never applied: not a finalist's rejection.
        return ignored(NAME, "prospect application", body, key=f"{NAME}:{action}:prospect:{target.id}")

    application = validate(_ACTIONS[action], root["payload"]["application"], _WHERE)
    candidate = application.candidate
    people = _people(application)
    common: dict[str, Any] = {
        "source": NAME,
        "ats_application_id": f"{NAME}:{target.id}",
        "candidate_email": _candidate_email(candidate),
        "candidate_name": full_name(candidate.first_name, candidate.last_name),
        "can_email": candidate.can_email is not False,
        "job_title": _job_title(application),
        "contacts": people.contacts,
        "incomplete_contacts": people.incomplete,
    }

    if isinstance(application, _Rejected):
        reason, withdrawn = _rejection_reason(application.rejection_reason)
        return Parsed(
            kind="rejected",
            dedupe_key=f"{NAME}:reject_candidate:{target.id}:{key_time(application.rejected_at)}",
            occurred_at=application.rejected_at,
            rejection_reason=reason,
            withdrawn=withdrawn,
            **common,
        )
    if isinstance(application, _Unrejected):
        # Greenhouse gives no un-rejection time (last_activity_at can still be the rejection's), so
        # occurred_at is left to the time of receipt. For the key, the delivery's event id keeps two
        # separate un-rejections apart; a duplicated stop is harmless, a swallowed one is not.
        last_activity = application.last_activity_at
        discriminator = _event_id(headers) or (key_time(last_activity) if last_activity else "unknown")
        return Parsed(
            kind="reopened",
            dedupe_key=f"{NAME}:unreject_candidate:{target.id}:{discriminator}",
            **common,
        )
    assert isinstance(application, _Hired)
    return Parsed(
        kind="hired",
        dedupe_key=f"{NAME}:hire_candidate:{target.id}",
        occurred_at=application.offer.resolved_at if application.offer else None,
        **common,
    )


def _event_id(headers: Mapping[str, str]) -> str | None:
    return token(header(headers, "greenhouse-event-id"))


def _candidate_email(candidate: _Candidate) -> str | None:
    """The personal address first (the one the candidate registered with us, most likely), then any."""
    entries = sorted(candidate.email_addresses or [], key=lambda e: e.type != "personal")
    return next((e.value for e in entries if e.value), None)


def _job_title(application: _Application) -> str | None:
    title = next((job.name for job in application.jobs or [] if job.name), None)
    return title or (application.job.name if application.job else None)


def _rejection_reason(reason: _RejectionReason | None) -> tuple[str | None, bool]:
    if reason is None:
        return None, False
    kind_name = text(reason.type.name, 100) if reason.type else None
    withdrawn = bool(kind_name and kind_name.lower() in _WITHDRAWN_TYPES)
    return reason.name, withdrawn


def _people(application: _Application) -> People:
    """Recruiter, then coordinator, then the credited-to user; interviewers by name only.

    The coordinator maps to `hr`, not `recruiter`: coordinators schedule the interviews and deserve
    the thank-you, but the keep-the-door-open check-in goes to the recruiter and hiring manager
    (the default `check_in_roles`), and a coordinator is rarely the one who reopens a search.
    `credited_to` is the user credited with sourcing the candidate: a recruiter or a referrer,
    who is exactly whom a runner-up wants to stay in touch with.
    """
    people = People()
    candidate = application.candidate
    for person, role in (
        (candidate.recruiter, Role.RECRUITER),
        (candidate.coordinator, Role.HR),
        (application.credited_to, Role.RECRUITER),
    ):
        if person is not None:
            people.add(person.name, person.email, role)
    stage = application.current_stage
    for interview in stage.interviews or [] if stage else []:
        for interviewer in interview.interviewers or []:
            people.add_name(interviewer.display_name)
    return people
