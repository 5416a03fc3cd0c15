"""receive_webhook: an ATS says something happened; verify, record, match, put on the bus, answer.

The answer is fast and in the form each ATS expects (its success status; 401 for a bad signature,
400 naming the field for a malformed body, 413 beyond the size limit, 404 for an unknown source).
Guarantees:
- **One playbook per event**: the event's dedupe key (delivery-independent) is recorded in progress
  with a conditional write before anything is published, and completed only once the event is on
  the bus (or kept); a redelivery after that is acknowledged and starts nothing. If routing fails,
  the record is removed and the ATS is told to retry (503); if the invocation dies, the in-progress
  record expires with the invocation's deadline and the ATS's retry routes it (a delivery being
  routed right now is answered 503 too). At least once onto the bus: a death after publishing and
  before completing publishes again on retry, and starting a playbook is idempotent.
- **Nothing is lost**: an event that matches no candidate, or no registered application, is kept
  with its reason until the member it belongs to starts or discards it (`held_for`,
  `decide_held`): no registration or profile save releases anything, and a started event is
  removed only after it was routed (a failed publish leaves it kept).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from functools import partial
from typing import Any, Protocol

from pydantic import ValidationError

from nearmiss.domain.events import ApplicationRejected, ApplicationReopened, CandidateHired, DomainEvent
from nearmiss.domain.models import MAX_CONTACTS, Application, Candidate, Contact
from nearmiss.domain.playbook import learned_at, recipient_key
from nearmiss.intake.base import Parsed, WebhookError
from nearmiss.service.ports import LookupTaken, Publisher

MAX_WEBHOOK_BYTES = 1024 * 1024


@dataclass(frozen=True)
class WebhookAnswer:
    status: int
    body: dict[str, Any]


class DeliveryInProgressError(Exception):
    """Another invocation is routing this delivery now, or died doing so before its deadline."""


class Deliveries(Protocol):
    def once(self, dedupe_key: str, route: Callable[[], str]) -> str | None:
        """Run `route` to completion at most once per key: the key is in progress while it runs
        (expiring with the invocation), completed when it returned, removed when it raised.
        Returns its outcome, or None when the key was completed before (a redelivery).
        Raises DeliveryInProgressError while another run holds the key."""
        ...


class IntakeStore(Protocol):
    def load(self, candidate_id: str, application_id: str) -> tuple[Candidate | None, Application | None]: ...
    def put_application(self, application: Application, *, previous_ats_id: str | None = None) -> None: ...
    def find_application_by_ats_id(self, ats_application_id: str) -> tuple[str, str] | None: ...
    def find_candidate_by_email(self, email: str) -> str | None: ...
    def keep_unmatched(
        self, match_keys: list[str], dedupe_key: str, document: str, reason: str, at: datetime
    ) -> None: ...
    def get_candidate(self, candidate_id: str) -> Candidate | None: ...
    def list_applications(self, candidate_id: str) -> list[Application]: ...
    def held_events(self, match_key: str) -> list[tuple[str, str, str]]:
        """(dedupe key, document, reason) of each event kept under this key."""
        ...

    def take_held(self, match_key: str, dedupe_key: str) -> str | None:
        """Remove one kept event, every copy; its document, or None if another decision won."""
        ...


# Why an event is kept, as a code the answers count by (HeldEvent.reason says it in words).
UNMATCHED = "no registered candidate matches this event"
UNREGISTERED = "the candidate has not registered this application (company or job unknown)"
ANOTHER_MEMBERS = "the ATS application id is registered to another member"
OUT_OF_RANGE = "cannot be started: its date is out of range with your settings"


def held_reason_code(reason: str) -> str:
    """unmatched, unregistered_application, awaiting_decision (held until the member confirms it),
    another_member, out_of_range; `other` for a reason kept before these codes existed."""
    if reason.startswith("held:"):
        return "awaiting_decision"
    return {
        UNMATCHED: "unmatched",
        UNREGISTERED: "unregistered_application",
        ANOTHER_MEMBERS: "another_member",
        OUT_OF_RANGE: "out_of_range",
    }.get(reason, "other")


@dataclass(frozen=True)
class HeldEvent:
    """An event kept for a member until they decide on it: what they need to recognise it."""

    held_id: str
    source: str
    kind: str
    company: str | None
    job_title: str | None
    occurred_at: str | None
    reason: str
    reason_code: str = "other"  # held_reason_code(reason)


def held_id(dedupe_key: str) -> str:
    """A path-safe name for a kept event (dedupe keys hold ':' and the ATS's own ids)."""
    import hashlib

    return hashlib.sha256(dedupe_key.encode()).hexdigest()[:24]


def match_keys(parsed: Parsed) -> list[str]:
    """What an unmatched event is filed under, so a later registration finds it."""
    keys = []
    if parsed.ats_application_id:
        keys.append(f"ATS#{parsed.ats_application_id}")
    if parsed.candidate_email:
        keys.append(f"EMAIL#{recipient_key(parsed.candidate_email)}")
    return keys


def serialise(parsed: Parsed) -> str:
    data = asdict(parsed)
    data["contacts"] = [c.model_dump(mode="json") for c in parsed.contacts]
    data["occurred_at"] = parsed.occurred_at.isoformat() if parsed.occurred_at else None
    return json.dumps(data, separators=(",", ":"))


def deserialise(document: str) -> Parsed:
    """A held event as `serialise` stored it (its contacts were validated when it arrived)."""
    from nearmiss.domain.models import FROM_STORE, Contact

    data = json.loads(document)
    data["contacts"] = tuple(Contact.model_validate(c, context=FROM_STORE) for c in data["contacts"])
    data["incomplete_contacts"] = tuple(data["incomplete_contacts"])
    data["occurred_at"] = datetime.fromisoformat(data["occurred_at"]) if data["occurred_at"] else None
    return Parsed(**data)


class Intake:
    def __init__(
        self,
        store: IntakeStore,
        deliveries: Deliveries,
        publisher: Publisher,
        secret_for: Callable[[str], str | None],
        *,
        unsigned_allowed: frozenset[str] = frozenset(),
        confirm_unsigned: Callable[[Parsed], Parsed | None] | None = None,
    ) -> None:
        self.store = store
        self.deliveries = deliveries
        self.publisher = publisher
        self.secret_for = secret_for
        self.unsigned_allowed = unsigned_allowed
        self.confirm_unsigned = confirm_unsigned  # e.g. Lever: re-read the opportunity from its API

    def receive(
        self, source: str, headers: Mapping[str, str], body: bytes, *, now: datetime
    ) -> WebhookAnswer:
        from nearmiss.intake.registry import SOURCES

        module = SOURCES.get(source)
        if module is None:
            return WebhookAnswer(404, {"error": "unknown webhook source", "sources": sorted(SOURCES)})
        if len(body) > MAX_WEBHOOK_BYTES:
            return WebhookAnswer(413, {"error": f"body larger than {MAX_WEBHOOK_BYTES} bytes"})
        lowered = {k.lower(): v for k, v in headers.items()}
        secret = self.secret_for(source)
        try:
            if secret:
                module.verify(lowered, body, secret, now=now)
            elif not (module.SIGNING_OPTIONAL and source in self.unsigned_allowed):
                return WebhookAnswer(401, {"error": f"no signing secret is configured for {source}: refused"})
            parsed = module.parse(lowered, body)
        except WebhookError as exc:
            return WebhookAnswer(exc.status, {"error": exc.reason})
        ok = module.SUCCESS_STATUS
        if parsed.kind == "ignored":
            return WebhookAnswer(ok, {"status": "ignored", "reason": parsed.ignored_reason})
        try:
            # Any other exception (the bus or the table failed) removes the record, so the ATS's
            # retry is not taken for a duplicate; the caller answers 503.
            why: list[str] = []  # the code of the reason it was kept, if it was
            outcome = self.deliveries.once(parsed.dedupe_key, lambda: self.route(parsed, now=now, why=why))
        except DeliveryInProgressError:
            return WebhookAnswer(503, {"error": "this event is being recorded right now; please retry"})
        except (ValidationError, OverflowError) as exc:
            # The event parsed but cannot become a canonical one (e.g. a date that the source's delay
            # pushes past 2100): the ATS's fault, so a 400 it will not retry, and no trace kept.
            field = (
                exc.errors()[0]["loc"][-1] if isinstance(exc, ValidationError) and exc.errors() else "date"
            )
            return WebhookAnswer(400, {"error": f"{field}: out of the range Near Miss accepts"})
        if outcome is None:
            return WebhookAnswer(ok, {"status": "duplicate"})
        return WebhookAnswer(ok, self._report(outcome, parsed, why))

    @staticmethod
    def _report(outcome: str, parsed: Parsed, why: list[str]) -> dict[str, Any]:
        """The answer's body: what happened to this one event, never more. Accepted means put on
        the bus (a rejection starts its playbook, or waits, within seconds: not started yet);
        kept says why, as a code. Nothing about the member's other events: the ATS reads this."""
        body: dict[str, Any] = {"status": outcome}
        if outcome == "accepted" and parsed.kind == "rejected":
            body["rejections_queued"] = 0 if parsed.withdrawn else 1
            body["playbooks_started"] = 0  # the start is asynchronous: see the member's timeline
        elif outcome == "kept_unmatched":
            body["held_reason"] = why[0] if why else "other"
        return body

    # ---- after the answer is decided: which candidate, which application -------------------------
    def route(
        self,
        parsed: Parsed,
        *,
        now: datetime,
        confirmed: bool = False,
        only_for: str | None = None,
        why: list[str] | None = None,
    ) -> str:
        """Publish the canonical event, or keep it for later; returns what happened.

        `confirmed`: the member started this held event themselves, which is their consent even
        where the ATS said not to email them. `only_for`: the member who decided; the event goes
        to nobody else. `why`: gets the code of the reason, when the event is kept.
        """
        keep = partial(self._keep, now=now, why=why)
        if not parsed.can_email and not confirmed:
            reason = "held: the ATS says this candidate may not be emailed; start it (held events) to confirm"
            return keep(parsed, reason)
        if parsed.needs_enrichment and self.confirm_unsigned is not None:
            checked = self.confirm_unsigned(parsed)
            if checked is not None:
                parsed, confirmed = checked, True
        if parsed.needs_enrichment and parsed.kind == "rejected" and not confirmed:
            # Lever signs its token and timestamp, not the body: a captured request replayed within its
            # window could carry another opportunity. A forged stop only cancels notes (the safe side);
            # a forged rejection would send them, so it waits for the candidate to confirm it
            # (starting it from their held events) until the opportunity is re-read from Lever's API.
            return keep(parsed, "held: unsigned body (Lever); start it from your held events to confirm")
        found = (
            self.store.find_application_by_ats_id(parsed.ats_application_id)
            if parsed.ats_application_id
            else None
        )
        by_email = False
        if found is None and parsed.candidate_email:
            candidate_id = self.store.find_candidate_by_email(parsed.candidate_email)
            if candidate_id is not None and parsed.ats_application_id:
                found, by_email = (candidate_id, parsed.ats_application_id), True
        if found is None:
            return keep(parsed, UNMATCHED)
        if only_for is not None and found[0] != only_for:  # the member decided on an event not theirs
            return keep(parsed, ANOTHER_MEMBERS)
        candidate, application = self.store.load(*found)
        if candidate is None:
            return keep(parsed, UNMATCHED)
        if by_email and not _proved(candidate, parsed.candidate_email):
            # Only a proved address has a lookup; this holds for lookups written before proofs too.
            return keep(parsed, UNMATCHED)
        if application is None:
            application = self._application_from(parsed, candidate)
            if application is None:
                return keep(parsed, UNREGISTERED)
            try:
                self.store.put_application(application)
            except LookupTaken:  # another member claimed this ATS id in the meantime: theirs, not ours
                return keep(parsed, ANOTHER_MEMBERS)
        event = self._event(parsed, candidate, application, now)
        self.publisher.publish([event], source=f"webhook.{parsed.source}")
        return "accepted"

    def _keep(self, parsed: Parsed, reason: str, now: datetime, why: list[str] | None = None) -> str:
        if why is not None:
            why.append(held_reason_code(reason))
        keys = match_keys(parsed)
        if not keys:
            keys = [f"SOURCE#{parsed.source}"]
        self.store.keep_unmatched(keys, parsed.dedupe_key, serialise(parsed), reason, now)
        return "kept_unmatched"

    @staticmethod
    def _application_from(parsed: Parsed, candidate: Candidate) -> Application | None:
        if not (parsed.company and parsed.job_title and parsed.ats_application_id):
            return None
        try:
            return Application(
                candidate_id=candidate.candidate_id,
                application_id=parsed.ats_application_id,
                company=parsed.company,
                job_title=parsed.job_title,
                contacts=(parsed.contacts + _to_complete(parsed.incomplete_contacts, parsed.contacts))[
                    :MAX_CONTACTS
                ],
                source=parsed.source,
                ats_application_id=parsed.ats_application_id,
            )
        except ValidationError:
            return None

    @staticmethod
    def _event(parsed: Parsed, candidate: Candidate, application: Application, now: datetime) -> DomainEvent:
        at = parsed.occurred_at or now
        ids = {"candidate_id": candidate.candidate_id, "application_id": application.application_id}
        if parsed.kind == "rejected":
            # People the ATS names without an address come along, shown "to complete" in the
            # timeline (their steps are skipped until the candidate adds the address).
            contacts = parsed.contacts + _to_complete(parsed.incomplete_contacts, parsed.contacts)
            return ApplicationRejected(
                **ids,
                source=parsed.source,
                rejected_at=at,
                learned_at=learned_at(at, parsed.source, candidate.playbook),
                reason=parsed.rejection_reason,
                withdrawn=parsed.withdrawn,
                contacts=contacts[:MAX_CONTACTS],
            )
        if parsed.kind == "reopened":
            return ApplicationReopened(**ids, source=parsed.source, occurred_at=at)
        return CandidateHired(**ids, source=parsed.source, occurred_at=at)

    # ---- held events: released only by the member's explicit decision --------------------------
    def _member_keys(self, candidate: Candidate, applications: list[Application] | None = None) -> list[str]:
        """The match keys the member owns: their proved address (while its lookup is theirs) and the ATS
        ids of their applications (`applications`, when the caller read them already; while each
        lookup names that application)."""
        cid = candidate.candidate_id
        keys = []
        proved = candidate.usable_email  # events kept under an address wait for its proof
        if proved is not None and self.store.find_candidate_by_email(proved) == cid:
            keys.append(f"EMAIL#{recipient_key(proved)}")
        if applications is None:
            applications = self.store.list_applications(cid)
        for application in applications:
            ats = application.ats_application_id
            if ats and self.store.find_application_by_ats_id(ats) == (cid, application.application_id):
                keys.append(f"ATS#{ats}")
        return keys

    def _held(
        self,
        candidate_id: str,
        candidate: Candidate | None = None,
        applications: list[Application] | None = None,
    ) -> list[tuple[HeldEvent, str, str, Parsed]]:
        if candidate is None:
            candidate = self.store.get_candidate(candidate_id)
        if candidate is None:
            return []
        seen: dict[str, tuple[HeldEvent, str, str, Parsed]] = {}
        for key in self._member_keys(candidate, applications):
            for dedupe_key, document, reason in self.store.held_events(key):
                if dedupe_key in seen:
                    continue
                parsed = deserialise(document)
                owner = (
                    self.store.find_application_by_ats_id(parsed.ats_application_id)
                    if parsed.ats_application_id
                    else None
                )
                if owner is not None and owner[0] != candidate_id:
                    continue  # its ATS id is another member's: theirs, not shown here
                event = HeldEvent(
                    held_id=held_id(dedupe_key),
                    source=parsed.source,
                    kind=parsed.kind,
                    company=parsed.company,
                    job_title=parsed.job_title,
                    occurred_at=parsed.occurred_at.isoformat() if parsed.occurred_at else None,
                    reason=reason,
                    reason_code=held_reason_code(reason),
                )
                seen[dedupe_key] = (event, key, dedupe_key, parsed)
        return list(seen.values())

    def held_for(
        self,
        candidate_id: str,
        *,
        candidate: Candidate | None = None,
        applications: list[Application] | None = None,
    ) -> list[HeldEvent]:
        """What waits for the member's decision (source, company, role, date, why it waits). The
        member (`candidate`) and their `applications`, when the caller read them already, are not
        read again."""
        return [event for event, *_ in self._held(candidate_id, candidate, applications)]

    def decide_held(self, candidate_id: str, held: str, decision: str, *, now: datetime) -> str | None:
        """Start or discard one held event of the member's: "accepted", "kept_unmatched" (it still
        cannot be routed; kept again, with the reason), "discarded", or None when there is no such
        event (or another decision took it first)."""
        for event, key, dedupe_key, parsed in self._held(candidate_id):
            if event.held_id != held:
                continue
            if decision == "discard":
                return "discarded" if self.store.take_held(key, dedupe_key) is not None else None
            # Routed first, removed after: a publish that fails raises with the event still kept
            # (the member can start it again); one decision that loses a race publishes a second
            # copy of the event, which start_playbook's idempotent start turns into nothing.
            try:
                outcome = self.route(parsed, now=now, confirmed=True, only_for=candidate_id)
            except (ValidationError, OverflowError):
                # It cannot become an event under the member's settings (a delay that pushes its
                # date past 2100): kept again with the reason, never a 500, never lost.
                return self._keep(parsed, OUT_OF_RANGE, now)
            if outcome != "kept_unmatched":  # kept again: the same item, with its new reason
                self.store.take_held(key, dedupe_key)
            return outcome
        return None


def _proved(candidate: Candidate, address: str | None) -> bool:
    """Is `address` the one the member proved (Candidate.usable_email)?"""
    usable = candidate.usable_email
    return usable is not None and address is not None and recipient_key(usable) == recipient_key(address)


def _to_complete(names: tuple[str, ...], known: tuple[Contact, ...]) -> tuple[Contact, ...]:
    """Contacts without an address for the names an ATS gave without one (invalid names dropped)."""
    named = {c.name.casefold() for c in known}
    out = []
    for name in names:
        if name.casefold() in named:
            continue
        try:
            out.append(Contact(name=name))
        except ValidationError:
            continue
    return tuple(out)
