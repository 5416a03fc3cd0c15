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
from nearmiss.intake.base import (
    MAX_REASON_CHARS,
    MAX_SHORT_TEXT_CHARS,
    Parsed,
    People,
    array,
    boolean,
    check_body_hmac,
    check_size,
    email_address,
    full_name,
    header,
    ignored,
    instant,
    key_time,
    load_object,
    obj,
    req_ats_id,
    req_instant,
    req_obj,
    require_secret,
    string,
    text,
    token,
    word,
)

NAME = "greenhouse"
SIGNING_OPTIONAL = False
SUCCESS_STATUS = 200  # "a non HTTP 200 response" counts as a failure: not 202, not 204

# Greenhouse's rejection reason types; the candidate-side one means the candidate withdrew.
_WITHDRAWN_TYPES = frozenset({"they rejected us"})


def verify(headers: Mapping[str, str], body: bytes, secret: str, *, now: datetime) -> None:
    """Check `Signature: sha256 <hex>` against the raw body. `now` is unused: nothing is timestamped."""
    check_size(body)
    check_body_hmac(headers, body, require_secret(secret), "signature", scheme=" ")


def parse(headers: Mapping[str, str], body: bytes) -> Parsed:
    root = load_object(headers, body)
    action = string(root, "action")
    if action is None:
        return ignored(NAME, "no action: a ping or a payload Greenhouse does not document", body)
    if action == "ping":
        return ignored(NAME, "ping", body)
    if action not in ("reject_candidate", "unreject_candidate", "hire_candidate"):
        return ignored(NAME, f"action {word(action) or '(unnamed)'} is not one Near Miss acts on", body)

    payload = req_obj(root, "payload")
    application = req_obj(payload, "application", "payload")
    where = "payload.application"
    application_id = req_ats_id(application, "id", where)
    if boolean(application, "prospect", where, default=False):
        # A prospect was sourced by the company and never applied: not a finalist's rejection.
        return ignored(NAME, "prospect application", body, key=f"{NAME}:{action}:prospect:{application_id}")

    candidate = req_obj(application, "candidate", where)
    people = _people(application, candidate)
    common: dict[str, Any] = {
        "source": NAME,
        "ats_application_id": f"{NAME}:{application_id}",
        "candidate_email": _candidate_email(candidate),
        "candidate_name": full_name(candidate.get("first_name"), candidate.get("last_name")),
        "can_email": boolean(candidate, "can_email", f"{where}.candidate", default=True),
        "job_title": _job_title(application),
        "contacts": people.contacts,
        "incomplete_contacts": people.incomplete,
    }

    if action == "reject_candidate":
        rejected_at = req_instant(application, "rejected_at", where)
        reason, withdrawn = _rejection_reason(application)
        return Parsed(
            kind="rejected",
            dedupe_key=f"{NAME}:reject_candidate:{application_id}:{key_time(rejected_at)}",
            occurred_at=rejected_at,
            rejection_reason=reason,
            withdrawn=withdrawn,
            **common,
        )
    if action == "unreject_candidate":
        # Greenhouse gives no un-rejection time (last_activity_at can still be the rejection's), so
        # occurred_at is left to the time of receipt. For the key, the delivery's event id keeps two
        # separate un-rejections apart; a duplicated stop is harmless, a swallowed one is not.
        discriminator = _event_id(headers) or _last_activity(application)
        return Parsed(
            kind="reopened",
            dedupe_key=f"{NAME}:unreject_candidate:{application_id}:{discriminator}",
            **common,
        )
    # hire_candidate: the offer's resolved_at is "the date the offer was accepted".
    offer = obj(application, "offer", where, required=False) or {}
    hired_at = instant(offer, "resolved_at", f"{where}.offer")
    return Parsed(
        kind="hired",
        dedupe_key=f"{NAME}:hire_candidate:{application_id}",
        occurred_at=hired_at,
        **common,
    )


def _event_id(headers: Mapping[str, str]) -> str | None:
    return token(header(headers, "greenhouse-event-id"))


def _last_activity(application: Mapping[str, Any]) -> str:
    moment = instant(application, "last_activity_at", "payload.application")
    return key_time(moment) if moment else "unknown"


def _candidate_email(candidate: Mapping[str, Any]) -> str | None:
    """The personal address first (the one the candidate registered with us, most likely), then any."""
    entries = [
        e for e in array(candidate, "email_addresses", "payload.application.candidate") if isinstance(e, dict)
    ]
    ordered = sorted(entries, key=lambda e: e.get("type") != "personal")
    for entry in ordered:
        address = email_address(entry.get("value"))
        if address:
            return address
    return None


def _job_title(application: Mapping[str, Any]) -> str | None:
    # Candidates have one job; prospects 0..n. `application.job` is the deprecated singular form.
    for job in array(application, "jobs", "payload.application"):
        if isinstance(job, dict) and (title := text(job.get("name"), MAX_SHORT_TEXT_CHARS)):
            return title
    legacy = application.get("job")
    return text(legacy.get("name"), MAX_SHORT_TEXT_CHARS) if isinstance(legacy, dict) else None


def _rejection_reason(application: Mapping[str, Any]) -> tuple[str | None, bool]:
    """`rejection_reason = {id, name, type: {id, name}}`; the type tells who rejected whom."""
    reason = obj(application, "rejection_reason", "payload.application", required=False)
    if reason is None:
        return None, False
    kind = reason.get("type")
    kind_name = text(kind.get("name"), 100) if isinstance(kind, dict) else None
    withdrawn = bool(kind_name and kind_name.lower() in _WITHDRAWN_TYPES)
    return text(reason.get("name"), MAX_REASON_CHARS), withdrawn


def _people(application: Mapping[str, Any], candidate: Mapping[str, Any]) -> People:
    """Recruiter, then coordinator, then the credited-to user; interviewers by name only.

    The coordinator maps to `hr`, not `recruiter`: coordinators schedule the interviews and deserve
    the thank-you, but the keep-the-door-open check-in goes to the recruiter and hiring manager
    (the default `check_in_roles`), and a coordinator is rarely the one who reopens a search.
    `credited_to` is the user credited with sourcing the candidate: a recruiter or a referrer,
    who is exactly whom a runner-up wants to stay in touch with.
    """
    people = People()
    for key, role in (("recruiter", Role.RECRUITER), ("coordinator", Role.HR)):
        person = candidate.get(key)
        if isinstance(person, dict):
            people.add(person.get("name"), person.get("email"), role)
    credited = application.get("credited_to")
    if isinstance(credited, dict):
        people.add(credited.get("name"), credited.get("email"), Role.RECRUITER)
    stage = application.get("current_stage")
    interviews = stage.get("interviews") if isinstance(stage, dict) else None
    for interview in interviews if isinstance(interviews, list) else []:
        interviewers = interview.get("interviewers") if isinstance(interview, dict) else None
        for interviewer in interviewers if isinstance(interviewers, list) else []:
            if isinstance(interviewer, dict):
                people.add_name(interviewer.get("display_name"))
    return people
