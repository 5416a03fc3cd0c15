"""receive_webhook: an ATS says something happened; verify, record, match, put on the bus, answer.

The answer is fast and in the form each ATS expects (its success status; 401 for a bad signature,
400 naming the field for a malformed body, 413 beyond the size limit, 404 for an unknown source).
Guarantees:
- **One playbook per event**: the event's dedupe key (delivery-independent) is recorded with a
  conditional write before anything is published; a redelivery is acknowledged and starts nothing.
  If publishing then fails, the record is removed and the ATS is told to retry (503).
- **Nothing is lost**: an event that matches no candidate, or no registered application, is kept
  with its reason and replayed when the candidate registers the application (or themselves).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Protocol

from pydantic import ValidationError

from nearmiss.domain.events import ApplicationRejected, ApplicationReopened, CandidateHired, DomainEvent
from nearmiss.domain.models import Application, Candidate
from nearmiss.domain.playbook import learned_at, recipient_key
from nearmiss.intake.base import Parsed, WebhookError
from nearmiss.service.ports import LookupTaken, Publisher

MAX_WEBHOOK_BYTES = 1024 * 1024


@dataclass(frozen=True)
class WebhookAnswer:
    status: int
    body: dict[str, Any]


class IntakeStore(Protocol):
    def load(self, candidate_id: str, application_id: str) -> tuple[Candidate | None, Application | None]: ...
    def put_application(self, application: Application, *, previous_ats_id: str | None = None) -> None: ...
    def remember_delivery(self, dedupe_key: str, at: datetime) -> bool:
        """True the first time a key is seen (a conditional put), False for a redelivery."""
        ...

    def forget_delivery(self, dedupe_key: str) -> None: ...
    def find_application_by_ats_id(self, ats_application_id: str) -> tuple[str, str] | None: ...
    def find_candidate_by_email(self, email: str) -> str | None: ...
    def keep_unmatched(
        self, match_keys: list[str], dedupe_key: str, document: str, reason: str, at: datetime
    ) -> None: ...
    def take_unmatched(self, match_key: str) -> list[str]:
        """Every event kept under this key (documents), removed from the unmatched list, together
        with the copies filed under its other keys."""
        ...


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
    from nearmiss.domain.models import Contact

    data = json.loads(document)
    data["contacts"] = tuple(Contact.model_validate(c) for c in data["contacts"])
    data["incomplete_contacts"] = tuple(data["incomplete_contacts"])
    data["occurred_at"] = datetime.fromisoformat(data["occurred_at"]) if data["occurred_at"] else None
    return Parsed(**data)


class Intake:
    def __init__(
        self,
        store: IntakeStore,
        publisher: Publisher,
        secret_for: Callable[[str], str | None],
        *,
        unsigned_allowed: frozenset[str] = frozenset(),
        confirm_unsigned: Callable[[Parsed], Parsed | None] | None = None,
    ) -> None:
        self.store = store
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
        if not self.store.remember_delivery(parsed.dedupe_key, now):
            return WebhookAnswer(ok, {"status": "duplicate"})
        try:
            outcome = self.route(parsed, now=now)
        except (ValidationError, OverflowError) as exc:
            # The event parsed but cannot become a canonical one (e.g. a date that the source's delay
            # pushes past 2100): the ATS's fault, so a 400 it will not retry, and no trace kept.
            self.store.forget_delivery(parsed.dedupe_key)
            field = (
                exc.errors()[0]["loc"][-1] if isinstance(exc, ValidationError) and exc.errors() else "date"
            )
            return WebhookAnswer(400, {"error": f"{field}: out of the range Near Miss accepts"})
        except Exception:
            self.store.forget_delivery(parsed.dedupe_key)  # so the ATS's retry is not taken for a duplicate
            raise
        return WebhookAnswer(ok, {"status": outcome})

    # ---- after the answer is decided: which candidate, which application -------------------------
    def route(self, parsed: Parsed, *, now: datetime, confirmed: bool = False) -> str:
        """Publish the canonical event, or keep it for later; returns what happened.

        `confirmed`: the candidate has since registered (or re-saved) the application, which
        is their consent even where the ATS said not to email them.
        """
        if not parsed.can_email and not confirmed:
            reason = (
                "held: the ATS says this candidate may not be emailed; re-save the application to confirm"
            )
            return self._keep(parsed, reason, now)
        if parsed.needs_enrichment and self.confirm_unsigned is not None:
            checked = self.confirm_unsigned(parsed)
            if checked is not None:
                parsed, confirmed = checked, True
        if parsed.needs_enrichment and parsed.kind == "rejected" and not confirmed:
            # Lever signs its token and timestamp, not the body: a captured request replayed within its
            # window could carry another opportunity. A forged stop only cancels notes (the safe side);
            # a forged rejection would send them, so it waits for the candidate to confirm it
            # (re-saving the application replays it) until the opportunity is re-read from Lever's API.
            return self._keep(parsed, "held: unsigned body (Lever); re-save the application to confirm", now)
        found = (
            self.store.find_application_by_ats_id(parsed.ats_application_id)
            if parsed.ats_application_id
            else None
        )
        if found is None and parsed.candidate_email:
            candidate_id = self.store.find_candidate_by_email(parsed.candidate_email)
            if candidate_id is not None and parsed.ats_application_id:
                found = (candidate_id, parsed.ats_application_id)
        if found is None:
            return self._keep(parsed, "no registered candidate matches this event", now)
        candidate, application = self.store.load(*found)
        if candidate is None:
            return self._keep(parsed, "no registered candidate matches this event", now)
        if application is None:
            application = self._application_from(parsed, candidate)
            if application is None:
                return self._keep(
                    parsed, "the candidate has not registered this application (company or job unknown)", now
                )
            try:
                self.store.put_application(application)
            except LookupTaken:  # another member claimed this ATS id in the meantime: theirs, not ours
                return self._keep(parsed, "the ATS application id is registered to another member", now)
        event = self._event(parsed, candidate, application, now)
        self.publisher.publish([event], source=f"webhook.{parsed.source}")
        return "accepted"

    def _keep(self, parsed: Parsed, reason: str, now: datetime) -> str:
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
                contacts=parsed.contacts,
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
            return ApplicationRejected(
                **ids,
                source=parsed.source,
                rejected_at=at,
                learned_at=learned_at(at, parsed.source, candidate.playbook),
                reason=parsed.rejection_reason,
                withdrawn=parsed.withdrawn,
                contacts=parsed.contacts,
            )
        if parsed.kind == "reopened":
            return ApplicationReopened(**ids, source=parsed.source, occurred_at=at)
        return CandidateHired(**ids, source=parsed.source, occurred_at=at)

    def replay(self, match_key: str, *, now: datetime) -> int:
        """Route again every event kept under `match_key` (after a registration); returns how many."""
        documents = self.store.take_unmatched(match_key)
        for document in documents:
            self.route(deserialise(document), now=now, confirmed=True)
        return len(documents)
