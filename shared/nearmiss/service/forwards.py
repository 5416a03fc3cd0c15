"""Mail a member forwards to their private intake address (`in+<token>@<receiving domain>`): the
rejection emails and interview invitations they receive.

A forward is acted on only when every one of these holds (anything else is kept, with the reason,
for the operator, and never acted on; no answer goes to a sender we could not verify, so a forged
mail cannot make us write to anyone):
- the intake token verifies (constant time) and leads to a member whose key generation it was made for;
- SES's virus and spam verdicts pass and the message is within the size limit (service.inbound);
- the From address is one of the member's (`member_addresses`), and SES's DKIM or SPF verdict passes
  aligned with the From domain (domain.inbound.vouched_for); or the member's own mailbox forwarded it
  automatically (Gmail's filters: the original as it came, From the company, with an envelope sender
  of the member's that SPF vouches for; `forwarded_by`), and then it is read as the original itself.
Gmail's forwarding-confirmation mail (sent when a member sets up automatic forwarding) is the one
exception: from exactly forwarding-noreply@google.com with a passing DKIM signature of google.com, it
is passed on to the member's own address so they can confirm it.

A verified forward is unwrapped and read (nearmiss.intake.mail) and answered with one email to the
member saying what Near Miss understood; nothing starts from a forward alone. A rejection starts the
playbook only from the answer's "start the notes" link (a page whose button POSTs: mail scanners
open links), with the original's Date as when the member learned of it. An invitation adds its
people to the application of the same company (by its mail domain) and says so, with an undo link;
a new application is made otherwise. A forward that cannot be read is kept and the member is told
what could not be read. The answer goes at most once per SES message (service.inbound).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from nearmiss.domain import compose, tokens
from nearmiss.domain.compose import ROLE_LABELS, OutgoingMessage
from nearmiss.domain.events import ApplicationRejected
from nearmiss.domain.inbound import SesRecord, ses_dkim_domains, vouched_for
from nearmiss.domain.models import MAX_CONTACTS, Application, Candidate, Contact, Role
from nearmiss.domain.records import ForwardPerson, ForwardRecord
from nearmiss.intake.mail import calendar, forwards, rejections
from nearmiss.intake.mail.message import MailError, MailMessage, parse
from nearmiss.observability import logger
from nearmiss.service.links import ForwardAction, Links
from nearmiss.service.ports import Forwards, IntakeRoute, IntakeRoutes, LinkGeneration, Publisher, Store

GMAIL_CONFIRMATION_SENDER = "forwarding-noreply@google.com"
GMAIL_CONFIRMATION_DOMAIN = "google.com"
_GMAIL_CONFIRMATION_SUBJECT = re.compile(r"^\(#\d{6,12}\) Gmail Forwarding Confirmation - Receive Mail from ")
NEW_PERSON = "new"  # the edit page's line for someone the mail did not name
MAIL_SOURCE = "mail"  # the source of a rejection started from a forward (no source delay: its Date is exact)


def member_addresses(candidate: Candidate) -> set[str]:
    """The addresses a forward is accepted From: the address the member proved (issue 10,
    `Candidate.usable_email`), lower-cased; none while they have proved none."""
    proved = candidate.usable_email
    return {proved.lower()} if proved else set()


def forwarded_by(candidate: Candidate, envelope_from: str, verdicts: dict[str, str]) -> str | None:
    """The member's address whose mailbox forwarded this message automatically, or None. Gmail's
    automatic forwarding (a filter's "Forward it to") passes the mail on as it came, From the company,
    with the envelope sender `<member's local part>+caf_=<our address, '@' as '='>@<member's domain>`;
    an SPF PASS for that envelope means the member's own mail provider sent it from their mailbox."""
    if verdicts.get("spf") != "PASS":
        return None
    local, _, domain = envelope_from.strip().lower().rpartition("@")
    for address in member_addresses(candidate):
        own_local, _, own_domain = address.rpartition("@")
        if domain == own_domain and local.startswith(f"{own_local}+caf_="):
            return address
    return None


# ---- the intake address --------------------------------------------------------------------------------
@dataclass(frozen=True)
class IntakeAddresses:
    domain: str
    secret: bytes
    routes: IntakeRoutes
    generations: Callable[[str], LinkGeneration | None]

    def address(self, intake_id: str) -> str:
        return f"in+{tokens.intake_token(intake_id, secret=self.secret)}@{self.domain}"

    def for_member(self, candidate_id: str, *, now: datetime) -> str | None:
        """The member's intake address for their current key, its lookup claimed first (on
        registration, on a GET of the profile; a new key makes a new one and deletes the old lookup).
        None when the account has no key yet, or the id is held by someone else (never shared)."""
        current = self.generations(candidate_id)
        if current is None:
            return None
        identifier = tokens.intake_id(self.secret, candidate_id, current.key)
        previous = self.routes.intake_of(candidate_id)
        if previous != identifier or self.routes.intake_route(identifier) is None:
            route = IntakeRoute(identifier, candidate_id, current.key)
            if not self.routes.claim_intake(route, now, previous=previous):
                logger.warning("intake address taken", extra={"candidate_id": candidate_id})
                return None
        return self.address(identifier)

    def read(self, token: str) -> IntakeRoute:
        """The member an intake token leads to, or TokenError (its reason names no one)."""
        identifier = tokens.read_intake_token(token, secret=self.secret)
        route = self.routes.intake_route(identifier)
        if route is None:
            raise tokens.TokenError("no member has this intake address (or their data was deleted)")
        current = self.generations(route.candidate_id)
        if current is None or not hmac.compare_digest(current.key.encode(), route.key.encode()):
            raise tokens.TokenError("the intake address was replaced (a new key) or its account closed")
        return route


# ---- what one forward comes to -------------------------------------------------------------------------
@dataclass(frozen=True)
class ForwardOutcome:
    status: str  # "kept" (with or without telling the member) | "acted"
    reason: str
    candidate_id: str | None = None
    kind: str | None = None
    answer: OutgoingMessage | None = None  # the one email to the member (sent at most once)


class ForwardStore(Store, Forwards, IntakeRoutes, Protocol):
    pass


def _kept(reason: str, candidate_id: str | None = None) -> ForwardOutcome:
    return ForwardOutcome("kept", reason, candidate_id)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "company"


def application_id_for(candidate_id: str, company: str, domain: str | None) -> str:
    """A new application's id, derived (the same company gives the same id: a redelivered or repeated
    forward never makes a second one)."""
    digest = hashlib.sha256(f"{candidate_id}\x00{(domain or company).lower()}".encode()).hexdigest()[:8]
    return f"mail-{_slug(company)}-{digest}"


def _domains(application: Application) -> set[str]:
    return {c.email.rpartition("@")[2].lower() for c in application.contacts if c.email}


def match_application(
    applications: list[Application], *, company: str | None, domain: str | None
) -> Application | None:
    """The member's application of the same company: one whose people write from `domain`, else one of
    the same company name (or the domain's name) whose people write from no other domain. Never one of
    another company."""
    if domain:
        for application in applications:
            if domain in _domains(application):
                return application
    names = [_words(company)] if company else []
    if domain:
        names.append([domain.split(".")[0].casefold()])  # "northwind.example": "northwind"
    for application in applications:
        others = _domains(application) - ({domain} if domain else set())
        if domain and others:
            continue  # its people write from another domain: another company
        theirs = _words(application.company)
        if any(name and _same_company(name, theirs) for name in names):
            return application
    return None


def _words(name: str | None) -> list[str]:
    return re.findall(r"[^\W_]+", (name or "").casefold())


def _same_company(a: list[str], b: list[str]) -> bool:
    """The same name, or one the first words of the other ("Northwind" and "Northwind Data")."""
    shorter, longer = sorted((a, b), key=len)
    return bool(shorter) and longer[: len(shorter)] == shorter


@dataclass
class ForwardIntake:
    store: ForwardStore
    links: Links
    addresses: IntakeAddresses
    platform_address: str
    max_bytes: int = 10 * 1024 * 1024
    answered: list[str] = field(default_factory=list)  # (tests) kinds answered, in order

    # ---- receive_mail's side ---------------------------------------------------------------------------
    def receive(
        self, token: str, record: SesRecord, raw: bytes | None, *, missing: bool, size: int, now: datetime
    ) -> ForwardOutcome:
        try:
            route = self.addresses.read(token)
        except tokens.TokenError as exc:
            return _kept(f"intake address refused: {exc.reason}")
        candidate = self.store.get_candidate(route.candidate_id)
        cid = route.candidate_id
        if candidate is None:
            return _kept("the intake address's member no longer exists", cid)
        if missing:
            return _kept("the stored message is gone (past the bucket's retention); nothing was done", cid)
        if raw is None:
            return _kept(f"over the size limit: {size} bytes (at most {self.max_bytes})", cid)
        try:
            message = parse(raw, max_bytes=self.max_bytes)
        except MailError as exc:  # no sender we can verify: nobody is written to
            return _kept(f"unreadable: {exc.reason}", cid)
        except Exception as exc:  # the parser's own bug on hostile content: kept, never a retry loop
            logger.exception("forward not parsed", extra={"message_id": record.ses.mail.messageId})
            return _kept(f"unreadable: {type(exc).__name__}", cid)
        sender = message.from_.address.lower() if message.from_ else ""
        verdicts = record.ses.receipt.verdicts()
        dkim = ses_dkim_domains(record.ses.mail.headers)
        if sender == GMAIL_CONFIRMATION_SENDER:
            return self._gmail_confirmation(candidate, message, verdicts, dkim)
        automatic = False
        if sender not in member_addresses(candidate):
            if forwarded_by(candidate, record.ses.mail.source, verdicts) is None:
                return _kept("not from the member's address: kept, never acted on, nobody told", cid)
            automatic = True  # the member's own mailbox passed it on (a filter): SPF vouched for it
        else:
            vouched = vouched_for(
                sender.rpartition("@")[2], verdicts, envelope_from=record.ses.mail.source, dkim_domains=dkim
            )
            if not vouched.ok:
                return _kept(f"sender not verified: {vouched.reason}; nobody told", cid)
        try:
            return self._read(candidate, record.ses.mail.messageId, message, now, automatic=automatic)
        except ValidationError as exc:  # a value we could not store (a name, a title): kept, member told
            logger.warning("forward not stored", extra={"message_id": record.ses.mail.messageId})
            reason = f"could not be stored ({exc.error_count()} field(s) refused)"
            return self._unreadable(candidate, record.ses.mail.messageId, reason, now)

    def _gmail_confirmation(
        self, candidate: Candidate, message: MailMessage, verdicts: dict[str, str], dkim: frozenset[str]
    ) -> ForwardOutcome:
        cid = candidate.candidate_id
        if verdicts.get("dkim") != "PASS" or GMAIL_CONFIRMATION_DOMAIN not in dkim:
            return _kept("claims to be Gmail's forwarding confirmation without google.com's DKIM", cid)
        if not _GMAIL_CONFIRMATION_SUBJECT.match(message.subject):
            return _kept("from Gmail's forwarding address, but not a forwarding confirmation", cid)
        from nearmiss.service.inbound import forward_message

        to = candidate.usable_email  # only the address they proved
        if to is None:
            return _kept("Gmail's forwarding confirmation: no address of the member's to pass it to", cid)
        answer = forward_message(
            message,
            recipient_name="Gmail",
            recipient_address=message.from_.address if message.from_ else None,  # checked above: Google's
            member_name=candidate.name,
            member_address=to,
            platform_address=self.platform_address,
        )
        return ForwardOutcome(
            "acted",
            "Gmail forwarding confirmation passed on to the member",
            cid,
            "gmail_confirmation",
            answer,
        )

    def _read(
        self, candidate: Candidate, forward_id: str, message: MailMessage, now: datetime, *, automatic: bool
    ) -> ForwardOutcome:
        zone = ZoneInfo(candidate.time_zone)
        original = forwards.as_original(message) if automatic else forwards.unwrap(message, member_zone=zone)
        if isinstance(original, forwards.Refusal):
            return self._unreadable(candidate, forward_id, original.reason, now)
        decision = rejections.decide(original)
        if calendar.calendar_parts(original.attachments):
            invitation = calendar.read_invitation(
                original.attachments, own_addresses=member_addresses(candidate), default_zone=zone
            )
            if isinstance(invitation, forwards.Refusal):
                return self._unreadable(candidate, forward_id, invitation.reason, now)
            return self._invitation(candidate, forward_id, original, decision, invitation, now)
        if decision.is_rejection:
            kind, reason = "rejection", decision.reason
        elif decision.reason == "no rejection phrase":
            kind, reason = "maybe_rejection", "no rejection phrase: the member is asked"
        else:
            kind, reason = "not_rejection", decision.reason
        company = decision.company or (original.sender.domain or None)
        fresh = ForwardRecord(
            candidate_id=candidate.candidate_id,
            forward_id=forward_id,
            kind=kind,
            reason=reason,
            company=company,
            company_domain=decision.company_domain,
            job_title=decision.job_title,
            received_at=decision.received_at,
            created_at=now,
        )
        stored = self._store_once(fresh)
        answer = self.answer(candidate, stored, now=now)
        status = "acted" if kind != "not_rejection" else "recorded"
        return ForwardOutcome(
            status, f"{kind}: {reason}; the member was answered", candidate.candidate_id, kind, answer
        )

    def _store_once(self, record: ForwardRecord) -> ForwardRecord:
        if self.store.put_forward(record):
            return record
        stored = self.store.get_forward(record.candidate_id, record.forward_id)
        return stored or record  # an earlier attempt wrote it (the invocation is being retried)

    def _unreadable(
        self, candidate: Candidate, forward_id: str, reason: str, now: datetime
    ) -> ForwardOutcome:
        stored = self._store_once(
            ForwardRecord(
                candidate_id=candidate.candidate_id,
                forward_id=forward_id,
                kind="unreadable",
                reason=reason,
                state="kept",
                created_at=now,
            )
        )
        answer = self.answer(candidate, stored, now=now)
        return ForwardOutcome(
            "kept", f"{reason}; the member was told", candidate.candidate_id, "unreadable", answer
        )

    def _invitation(
        self,
        candidate: Candidate,
        forward_id: str,
        original: forwards.Original,
        decision: rejections.RejectionDecision,
        invitation: calendar.Invitation,
        now: datetime,
    ) -> ForwardOutcome:
        organiser_domain = invitation.organizer.address.rpartition("@")[2] if invitation.organizer else None
        domain = decision.company_domain or organiser_domain
        company = decision.company or domain or original.sender.domain or "Unknown company"
        applications = self.store.list_applications(candidate.candidate_id)
        application = match_application(applications, company=decision.company, domain=domain)
        people: list[ForwardPerson] = []
        if application is None:
            title = decision.job_title or invitation.summary or "Interview"
            application = Application(
                candidate_id=candidate.candidate_id,
                application_id=application_id_for(candidate.candidate_id, company, domain),
                company=company[:200],
                job_title=title[:200],
                source=MAIL_SOURCE,
            )
        contacts = list(application.contacts)
        known = {c.key for c in contacts}
        for person in () if invitation.cancelled else invitation.people:  # a cancel keeps, never adds
            if person.address in known or len(contacts) >= MAX_CONTACTS:
                continue
            try:
                contact = Contact(name=person.name or person.address, email=person.address, role=person.role)
            except ValidationError:
                continue  # a name or address we cannot use: left out, the member can add them
            contacts.append(contact)
            known.add(contact.key)
            people.append(ForwardPerson(name=contact.name, address=person.address, role=person.role.value))
        fresh = ForwardRecord(
            candidate_id=candidate.candidate_id,
            forward_id=forward_id,
            kind="invitation",
            reason=f"{invitation.method.lower()} (sequence {invitation.sequence})",
            company=application.company,
            company_domain=domain,
            job_title=application.job_title,
            received_at=original.date,
            application_id=application.application_id,
            named=tuple(
                ForwardPerson(name=p.name or p.address, address=p.address, role=p.role.value)
                for p in invitation.people
            ),
            people=tuple(people),
            interview_at=invitation.starts_at,
            cancelled=invitation.cancelled,
            uid=invitation.uid[:500] or None,
            sequence=invitation.sequence,
            created_at=now,
        )
        stored = self._store_once(fresh)
        if stored.state == "open" and people:
            self.store.put_application(application.model_copy(update={"contacts": tuple(contacts)}))
        answer = self.answer(candidate, stored, now=now)
        what = "cancelled" if invitation.cancelled else f"{len(stored.people)} people added"
        return ForwardOutcome(
            "acted",
            f"invitation: {what}; the member was answered",
            candidate.candidate_id,
            "invitation",
            answer,
        )

    # ---- the answer ----------------------------------------------------------------------------------
    def answer(self, candidate: Candidate, record: ForwardRecord, *, now: datetime) -> OutgoingMessage | None:
        """The one email that answers a forward: what was understood, the contacts, what is missing,
        and the signed links. Every value is escaped in the HTML (compose.render). None when the member
        has no address we may write to (`Candidate.usable_email`: the proved one)."""
        to = candidate.usable_email  # only the address they proved
        if to is None:
            return None
        zone = ZoneInfo(candidate.time_zone)

        def link(action: ForwardAction) -> str:
            return self.links.forward(candidate.candidate_id, record.forward_id, action, now=now)

        application = self._application_of(candidate, record)
        contacts = list(application.contacts) if application else []
        context: dict[str, Any] = {
            "first_name": compose.first_name(candidate.name),
            "kind": record.kind,
            "reason": record.reason,
            "company": record.company or "an unknown company",
            "job_title": record.job_title or "",
            "received_local": _local(record.received_at, zone),
            "interview_local": _local(record.interview_at, zone),
            "cancelled": record.cancelled,
            "application": f"{application.job_title} at {application.company}" if application else "",
            "named": [{"name": p.name, "role": _role(p.role)} for p in record.named],
            "people": [{"name": p.name, "role": _role(p.role)} for p in record.people],
            "contacts": [
                {
                    "name": c.name,
                    "role": _role(c.role.value),
                    "email": c.email or "",
                    "discussed": c.discussed or "",
                }
                for c in contacts
            ],
            "no_address": [c.name for c in contacts if not c.email],
            "no_discussed": [c.name for c in contacts if not c.discussed],
            "start_url": link("start") if record.kind in ("rejection", "maybe_rejection") else "",
            "dismiss_url": link("dismiss") if record.kind == "rejection" else "",
            "edit_url": link("edit") if record.kind in ("rejection", "maybe_rejection", "invitation") else "",
            "undo_url": link("undo") if record.kind == "invitation" and record.people else "",
        }
        rendered = compose.render("notice_forward", context)
        return OutgoingMessage(
            to_name=candidate.name,
            to_address=to,
            from_name="Near Miss",
            from_address=self.platform_address,
            reply_to=None,
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
        )

    def _application_of(self, candidate: Candidate, record: ForwardRecord) -> Application | None:
        if record.application_id:
            return self.store.load(candidate.candidate_id, record.application_id)[1]
        if record.kind not in ("rejection", "maybe_rejection"):
            return None
        return match_application(
            self.store.list_applications(candidate.candidate_id),
            company=record.company,
            domain=record.company_domain,
        )

    # ---- the member's decisions (the pages' POSTs) --------------------------------------------------------
    def application_of(self, candidate: Candidate, record: ForwardRecord) -> Application | None:
        """The application a forward belongs to, if there is one yet (read only: for GET pages)."""
        return self._application_of(candidate, record)

    def application_for(self, candidate: Candidate, record: ForwardRecord) -> Application:
        """The application a rejection forward belongs to: the member's of the same company, or a new
        one (saved, with its id derived from the company)."""
        found = self._application_of(candidate, record)
        if found is not None:
            return found
        company = (record.company or "Unknown company")[:200]
        application = Application(
            candidate_id=candidate.candidate_id,
            application_id=application_id_for(candidate.candidate_id, company, record.company_domain),
            company=company,
            job_title=(record.job_title or "(job title not in the mail)")[:200],
            source=MAIL_SOURCE,
        )
        self.store.put_application(application)
        return application

    def start(self, candidate_id: str, forward_id: str, publisher: Publisher, *, now: datetime) -> str:
        """ "Start the notes": the rejection goes on the bus (the existing start path: lateness, needs
        contacts, duplicates all apply), learned of at the original's Date. Published before the record
        says `started`, so a crash between them only publishes again (a DUPLICATE start)."""
        record, candidate = self._open(candidate_id, forward_id, ("rejection", "maybe_rejection"))
        if record.state == "started":
            return "started already"
        if record.state != "open":
            raise ForwardDecisionError(f"this forward was {record.state}; nothing started")
        application = self.application_for(candidate, record)
        learned = record.received_at or now
        event = ApplicationRejected(
            candidate_id=candidate_id,
            application_id=application.application_id,
            source=MAIL_SOURCE,
            rejected_at=learned,
            learned_at=learned,
            reason="forwarded by the member",
        )
        publisher.publish([event], source="pages")
        self._move(record, "started", application_id=application.application_id)
        return f"the notes for {application.job_title} at {application.company} start"

    def dismiss(self, candidate_id: str, forward_id: str) -> str:
        record, _ = self._open(candidate_id, forward_id, ("rejection", "maybe_rejection"))
        if record.state == "dismissed":
            return "dismissed already"
        if record.state != "open":
            raise ForwardDecisionError(f"this forward was {record.state}; nothing changed")
        self._move(record, "dismissed")
        return "nothing will start from this forward"

    def undo(self, candidate_id: str, forward_id: str) -> str:
        """An invitation's people taken out of the application they were added to (the member says it
        was another application, or none): the application is saved without them."""
        record, candidate = self._open(candidate_id, forward_id, ("invitation",))
        if record.state == "undone":
            return "undone already"
        application = self._application_of(candidate, record)
        added = {p.address for p in record.people}
        if application is not None:
            kept = tuple(c for c in application.contacts if (c.email or "") not in added)
            self.store.put_application(application.model_copy(update={"contacts": kept}))
        self._move(record, "undone")
        return f"{len(added)} people taken out again"

    def edit(self, candidate_id: str, forward_id: str, lines: dict[str, dict[str, str]]) -> Application:
        """The member's corrections, one line per person (keyed by the contact's key): an address, a role,
        what was discussed; and one more person under NEW_PERSON (a name at least). Validated as the API
        validates contacts (InvalidInputError); nothing is saved unless all of it is valid."""
        from nearmiss.domain.errors import invalid

        record, candidate = self._open(
            candidate_id, forward_id, ("rejection", "maybe_rejection", "invitation")
        )
        application = self.application_for(candidate, record)
        contacts = []
        try:
            for contact in application.contacts:
                given = lines.get(contact.key, {})
                update: dict[str, Any] = {}
                if given.get("email"):
                    update["email"] = given["email"]
                if given.get("role"):
                    update["role"] = Role(given["role"])
                if given.get("discussed"):
                    update["discussed"] = given["discussed"]
                contacts.append(Contact.model_validate({**contact.model_dump(), **update}))
            added = lines.get(NEW_PERSON, {})
            if added.get("name"):  # someone the mail did not name
                contacts.append(
                    Contact(
                        name=added["name"],
                        email=added.get("email") or None,
                        role=Role(added.get("role") or Role.INTERVIEWER.value),
                        discussed=added.get("discussed") or None,
                    )
                )
            saved = Application.model_validate({**application.model_dump(), "contacts": contacts})
        except (ValidationError, ValueError) as exc:
            if isinstance(exc, ValidationError):
                raise invalid("contact", exc) from None
            raise ForwardDecisionError("a role must be one of: " + ", ".join(r.value for r in Role)) from None
        self.store.put_application(saved)
        return saved

    def _open(
        self, candidate_id: str, forward_id: str, kinds: tuple[str, ...]
    ) -> tuple[ForwardRecord, Candidate]:
        record = self.store.get_forward(candidate_id, forward_id)
        candidate = self.store.get_candidate(candidate_id)
        if record is None or candidate is None:
            raise ForwardDecisionError("this forward no longer exists")
        if record.kind not in kinds:
            raise ForwardDecisionError("this link does not apply to this forward")
        return record, candidate

    def _move(self, record: ForwardRecord, state: str, **changes: Any) -> None:
        moved = record.model_copy(update={"state": state, "version": record.version + 1, **changes})
        if not self.store.put_forward(moved, expect_version=record.version):
            raise ForwardDecisionError("this forward changed meanwhile; open the link again")


class ForwardDecisionError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _local(instant: datetime | None, zone: ZoneInfo) -> str:
    return instant.astimezone(zone).strftime("%a %d %b at %H:%M") if instant else ""


def _role(role: str) -> str:
    try:
        return ROLE_LABELS[Role(role)]
    except (ValueError, KeyError):
        return role.replace("_", " ")
