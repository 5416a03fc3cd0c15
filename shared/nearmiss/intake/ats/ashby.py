"""Ashby webhooks (developers.ashbyhq.com/docs/setting-up-webhooks).

Signature [documented]: optional. When the webhook has a secret token, header
`Ashby-Signature: sha256=<hex>` is the HMAC-SHA256 of the raw body. No timestamp, no replay window.
`verify` always requires the signature; a tenant that configured no token is the caller's decision
(`SIGNING_OPTIONAL`), and its only protection is then an unguessable URL.

Events: Ashby has no "rejected" webhook [documented]. A rejection moves the application to an
Archived stage with an archive reason, so `candidateStageChange` with `application.status`:
- `Archived` -> rejected, at `archivedAt`; `archiveReason.reasonType == "RejectedByCandidate"` -> withdrawn;
- `Active` -> reopened [inference]: the payload has no previous stage, so an un-archive cannot be told
  from an ordinary stage move. `occurred_at` (the application's `updatedAt`) lets the consumer stop
  only a playbook whose rejection came before it;
- `Hired` -> hired. `candidateHire` -> hired too (Ashby sends both, with the same webhookActionId).
`applicationUpdate` is a related webhook of every stage change [documented] and is ignored, so one
rejection is not counted twice. `ping` ({"action": "ping", "data": {"webhookActionType": "ping"}})
must be answered 2xx, or Ashby leaves the webhook disabled.

Dedupe [documented]: `webhookActionId` is the same across retries and across related webhooks, so
the key is (webhookActionId, action).
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
    RequiredString,
    ShortText,
)
from nearmiss.intake.base import (
    Kind,
    Parsed,
    People,
    check_body_hmac,
    check_size,
    full_name,
    ignored,
    load_object,
    require_secret,
    validate,
    word,
)

NAME = "ashby"
SIGNING_OPTIONAL = True
SUCCESS_STATUS = 200  # Ashby retries any non-2xx; its payload docs say "Return a 200 status"

# hiringTeam[].role is free text set per organisation; these are Ashby's default role titles.
_ROLES = {
    "hiring manager": Role.HIRING_MANAGER,
    "recruiter": Role.RECRUITER,
    "sourcer": Role.RECRUITER,  # finds candidates: the person most likely to bring a runner-up back
    "coordinator": Role.HR,  # schedules interviews: thanked, but not asked to keep the door open
    "recruiting coordinator": Role.HR,
}


# --- the payload (only what Near Miss reads; Ashby's other fields are ignored) ------------------


class _Action(AtsModel):
    action: RequiredString


class _ActionId(AtsModel):
    webhookActionId: AtsId


class _Status(AtsModel):
    id: AtsId
    status: RequiredString


class _StatusData(AtsModel):
    application: _Status


class _StatusChange(AtsModel):
    data: _StatusData


class _EmailAddress(AtsModel):
    value: Email = None


class _Candidate(AtsModel):
    name: NameText = None
    primaryEmailAddress: _EmailAddress | None = None


class _Job(AtsModel):
    title: ShortText = None


class _User(AtsModel):
    firstName: str | None = None
    lastName: str | None = None
    email: str | None = None  # People validates it: an unusable address keeps the person by name


class _TeamMember(_User):
    role: str | None = None  # free text set per organisation


class _Application(AtsModel):
    """`data.application`, as every status Near Miss acts on carries it."""

    candidate: _Candidate | None = None
    job: _Job | None = None
    hiringTeam: list[_TeamMember] | None = None
    creditedToUser: _User | None = None


class _ArchiveReason(AtsModel):
    text: ReasonText = None
    reasonType: str | None = None


class _Archived(_Application):
    archivedAt: Instant
    archiveReason: _ArchiveReason | None = None


class _Moved(_Application):
    updatedAt: OptionalInstant = None


_WHERE = "data.application"


def verify(headers: Mapping[str, str], body: bytes, secret: str, *, now: datetime) -> None:
    """Check `Ashby-Signature: sha256=<hex>` against the raw body. `now` is unused: nothing is timestamped."""
    check_size(body)
    check_body_hmac(headers, body, require_secret(secret), "ashby-signature", scheme="=")


def parse(headers: Mapping[str, str], body: bytes) -> Parsed:
    root = load_object(headers, body)
    action = validate(_Action, root).action
    if action == "ping":
        return ignored(NAME, "ping", body)
    action_id = validate(_ActionId, root).webhookActionId
    if action not in ("candidateStageChange", "candidateHire"):
        name = word(action) or "(unnamed)"
        return ignored(
            NAME, f"action {name} is not one Near Miss acts on", body, key=f"{NAME}:{action_id}:{name}"
        )

    status = validate(_StatusChange, root).data.application
    key = f"{NAME}:{action_id}:{action}"
    kind: Kind
    if action == "candidateHire" or status.status == "Hired":
        kind = "hired"
    elif status.status == "Archived":
        kind = "rejected"
    elif status.status == "Active":
        kind = "reopened"
    else:  # "Lead", or a status Ashby adds later
        return ignored(NAME, f"application status {word(status.status) or '(unnamed)'}", body, key=key)

    raw = root["data"]["application"]
    application = validate(_Archived, raw, _WHERE) if kind == "rejected" else validate(_Moved, raw, _WHERE)
    candidate = application.candidate
    primary = candidate.primaryEmailAddress if candidate else None
    people = _people(application)
    common: dict[str, Any] = {
        "source": NAME,
        "dedupe_key": key,
        "ats_application_id": f"{NAME}:{status.id}",
        "candidate_email": primary.value if primary else None,
        "candidate_name": candidate.name if candidate else None,
        "job_title": application.job.title if application.job else None,
        "contacts": people.contacts,
        "incomplete_contacts": people.incomplete,
    }
    if isinstance(application, _Archived):
        reason = application.archiveReason
        return Parsed(
            kind="rejected",
            occurred_at=application.archivedAt,
            rejection_reason=reason.text if reason else None,
            withdrawn=reason is not None and reason.reasonType == "RejectedByCandidate",
            **common,
        )
    assert isinstance(application, _Moved)
    return Parsed(kind=kind, occurred_at=application.updatedAt, **common)


def _people(application: _Application) -> People:
    """The hiring team (Ashby's payload carries their emails), then the credited-to user.
    Interviewers are not in application webhooks; they come with interview schedules."""
    people = People()
    # Hiring managers and recruiters first, so a person listed under two roles keeps the stronger one.
    team = sorted(
        application.hiringTeam or [],
        key=lambda m: _role(m.role) not in (Role.HIRING_MANAGER, Role.RECRUITER),
    )
    for member in team:
        people.add(full_name(member.firstName, member.lastName), member.email, _role(member.role))
    credited = application.creditedToUser
    if credited is not None:
        people.add(full_name(credited.firstName, credited.lastName), credited.email, Role.RECRUITER)
    return people


def _role(value: str | None) -> Role:
    """Unknown roles become interviewer: they get the thank-you note, not the months-later check-in."""
    if value is None:
        return Role.INTERVIEWER
    return _ROLES.get(" ".join(value.lower().split()), Role.INTERVIEWER)
