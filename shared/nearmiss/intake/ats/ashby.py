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
from nearmiss.intake.base import (
    MAX_REASON_CHARS,
    MAX_SHORT_TEXT_CHARS,
    Kind,
    Parsed,
    People,
    array,
    check_body_hmac,
    check_size,
    email_address,
    full_name,
    ignored,
    instant,
    load_object,
    obj,
    req_ats_id,
    req_instant,
    req_obj,
    req_string,
    require_secret,
    string,
    text,
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


def verify(headers: Mapping[str, str], body: bytes, secret: str, *, now: datetime) -> None:
    """Check `Ashby-Signature: sha256=<hex>` against the raw body. `now` is unused: nothing is timestamped."""
    check_size(body)
    check_body_hmac(headers, body, require_secret(secret), "ashby-signature", scheme="=")


def parse(headers: Mapping[str, str], body: bytes) -> Parsed:
    root = load_object(headers, body)
    action = req_string(root, "action")
    if action == "ping":
        return ignored(NAME, "ping", body)
    action_id = req_ats_id(root, "webhookActionId")
    if action not in ("candidateStageChange", "candidateHire"):
        name = word(action) or "(unnamed)"
        return ignored(
            NAME, f"action {name} is not one Near Miss acts on", body, key=f"{NAME}:{action_id}:{name}"
        )

    data = req_obj(root, "data")
    application = req_obj(data, "application", "data")
    where = "data.application"
    application_id = req_ats_id(application, "id", where)
    status = req_string(application, "status", where)
    key = f"{NAME}:{action_id}:{action}"
    kind: Kind
    if action == "candidateHire" or status == "Hired":
        kind = "hired"
    elif status == "Archived":
        kind = "rejected"
    elif status == "Active":
        kind = "reopened"
    else:  # "Lead", or a status Ashby adds later
        return ignored(NAME, f"application status {word(status) or '(unnamed)'}", body, key=key)

    candidate = obj(application, "candidate", where, required=False) or {}
    primary = candidate.get("primaryEmailAddress")
    job = obj(application, "job", where, required=False) or {}
    people = _people(application)
    common: dict[str, Any] = {
        "source": NAME,
        "dedupe_key": key,
        "ats_application_id": f"{NAME}:{application_id}",
        "candidate_email": email_address(primary.get("value")) if isinstance(primary, dict) else None,
        "candidate_name": full_name(candidate.get("name")),
        "job_title": text(job.get("title"), MAX_SHORT_TEXT_CHARS),
        "contacts": people.contacts,
        "incomplete_contacts": people.incomplete,
    }
    if kind == "rejected":
        archived_at = req_instant(application, "archivedAt", where)
        reason = obj(application, "archiveReason", where, required=False) or {}
        return Parsed(
            kind="rejected",
            occurred_at=archived_at,
            rejection_reason=text(reason.get("text"), MAX_REASON_CHARS),
            withdrawn=string(reason, "reasonType", f"{where}.archiveReason") == "RejectedByCandidate",
            **common,
        )
    return Parsed(kind=kind, occurred_at=instant(application, "updatedAt", where), **common)


def _people(application: Mapping[str, Any]) -> People:
    """The hiring team (Ashby's payload carries their emails), then the credited-to user.
    Interviewers are not in application webhooks; they come with interview schedules."""
    people = People()
    team = [m for m in array(application, "hiringTeam", "data.application") if isinstance(m, dict)]
    # Hiring managers and recruiters first, so a person listed under two roles keeps the stronger one.
    team.sort(key=lambda m: _role(m.get("role")) not in (Role.HIRING_MANAGER, Role.RECRUITER))
    for member in team:
        people.add(
            full_name(member.get("firstName"), member.get("lastName")),
            member.get("email"),
            _role(member.get("role")),
        )
    credited = application.get("creditedToUser")
    if isinstance(credited, dict):
        people.add(
            full_name(credited.get("firstName"), credited.get("lastName")),
            credited.get("email"),
            Role.RECRUITER,
        )
    return people


def _role(value: object) -> Role:
    """Unknown roles become interviewer: they get the thank-you note, not the months-later check-in."""
    if not isinstance(value, str):
        return Role.INTERVIEWER
    return _ROLES.get(" ".join(value.lower().split()), Role.INTERVIEWER)
