"""The member's own address, proved before it is used: what a profile save keeps, the proof mail
with its link, and the confirmation.

An address is proved by a link mailed to it (service.links `prove_address`: bound to the exact
address and to the account, 48 hours) and confirmed on the page it opens, by a POST (a mail scanner
that fetches the link proves nothing). Until then Near Miss uses no address for the member
(`Candidate.usable_email` is None): no Reply-To, no drafts, no own From, no webhook or held event
matched by it. A new address waits in `pending_email` while the proved one stays in use, and
takes over, with its lookup, only once proved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from nearmiss.domain import compose
from nearmiss.domain.compose import OutgoingMessage
from nearmiss.domain.models import Candidate
from nearmiss.observability import logger
from nearmiss.service.links import Links
from nearmiss.service.ports import LookupTaken, Mailer, ProfileChanged, SendError, Store

PLATFORM_NAME = "Near Miss"  # the From name of the platform's own mail (drafts, proofs)


def saved_profile(existing: Candidate | None, requested: Candidate) -> Candidate:
    """The profile a save stores: the requested settings, with the address rules applied. Nothing
    proved yet: the requested address is the one waiting for proof. A proved address stays in use;
    a different requested one waits beside it (`pending_email`), and asking for the proved one
    again withdraws what was waiting."""
    fields = requested.model_dump()
    if existing is None or existing.email_proved_at is None:
        fields.update(email_proved_at=None, pending_email=None)
    elif str(requested.email).lower() == str(existing.email).lower():
        fields.update(email_proved_at=existing.email_proved_at, pending_email=None)
    else:
        fields.update(
            email=existing.email, email_proved_at=existing.email_proved_at, pending_email=requested.email
        )
    return Candidate.model_validate(fields)


def needs_proof_mail(existing: Candidate | None, saved: Candidate) -> bool:
    """A save sends a proof mail when it put a new address up for proof (the same one again does
    not: the resend route is for that)."""
    waiting = saved.address_awaiting_proof
    if waiting is None:
        return False
    before = existing.address_awaiting_proof if existing is not None else None
    return before is None or before.lower() != waiting.lower()


@dataclass(frozen=True)
class ProofMail:
    """What became of a proof mail: `sent`, or `not_sent` with the reason (and when to ask again)."""

    status: Literal["sent", "not_sent"]
    address: str
    reason: str | None = None
    retry_at: datetime | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "status": self.status,
            "address": self.address,
            "reason": self.reason,
            "retry_at": self.retry_at.isoformat() if self.retry_at else None,
        }


class NothingToProve(Exception):
    """The member's address is proved and no other waits."""


def send_proof(
    store: Store, mailer: Mailer, links: Links, platform_address: str, candidate: Candidate, *, now: datetime
) -> ProofMail:
    """Mail the address waiting for proof its link, within the member's allowance (store.
    record_proof_mail). The mail holds nothing the member typed but the address itself: it goes to
    an address that may be someone else's. At most once per call; a send that fails is not
    retried here (the member asks again)."""
    address = candidate.address_awaiting_proof
    if address is None:
        raise NothingToProve
    retry_at = store.record_proof_mail(candidate.candidate_id, address, now)
    if retry_at is not None:
        return ProofMail(
            "not_sent",
            address,
            reason="a proof mail went out a short while ago (at most one to an address every 10 minutes, "
            "5 a day)",
            retry_at=retry_at,
        )
    url = links.prove_address(candidate.candidate_id, address, now=now)
    rendered = compose.render("prove_address", {"address": address, "confirm_url": url})
    message = OutgoingMessage(
        to_name="",
        to_address=address,
        from_name=PLATFORM_NAME,
        from_address=platform_address,
        reply_to=None,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
    )
    try:
        mailer.send(message)
    except SendError as exc:
        logger.warning("proof mail not sent", extra={"failure": exc.failure.value})
        return ProofMail("not_sent", address, reason="the mail could not be sent just now; ask again later")
    logger.info("proof mail sent", extra={"candidate_id": candidate.candidate_id})
    return ProofMail("sent", address)


ConfirmOutcome = Literal["proved", "already_proved", "not_waiting", "taken", "changed", "no_account"]


def confirm_address(store: Store, candidate_id: str, address: str, *, now: datetime) -> ConfirmOutcome:
    """The member confirmed the link for `address` (lower-cased, from the link). It proves only the
    address waiting for proof right now, exactly that one: a link for an address since replaced
    proves nothing. The proved address takes over, and its lookup moves (claimed conditionally,
    the old one released) in one transaction over the very profile read here."""
    candidate = store.get_candidate(candidate_id)
    if candidate is None:
        return "no_account"
    waiting = candidate.address_awaiting_proof
    if waiting is None or waiting.lower() != address:
        proved = candidate.usable_email
        return "already_proved" if proved is not None and proved.lower() == address else "not_waiting"
    fields = candidate.model_dump()
    fields.update(email=waiting, email_proved_at=now, pending_email=None)
    try:
        store.put_candidate(
            Candidate.model_validate(fields), previous_email=candidate.usable_email, expected=candidate
        )
    except LookupTaken:
        return "taken"
    except ProfileChanged:
        return "changed"
    logger.info("address proved", extra={"candidate_id": candidate_id})
    return "proved"
