"""receive_mail's use case: a message SES received at one of our addresses, routed once.

For each recipient of the receipt (an address on the receiving domain):
- `reply+<token>`: a reply to one note. The token is verified (constant time) and leads to the
  note's lookup; the message is read from S3, parsed and classified (nearmiss.intake.mail.replies),
  and acted on by its kind: a person's reply marks the step `replied`, stops every pending note from
  that member to that person (across applications) and is forwarded to the member; a request to
  stop does the same and blocks the address for that member; an automatic answer is only recorded;
  an out-of-office with a return date moves that person's pending notes past it; a delivery report
  feeds the suppression path. Matched by the token, never by the From header.
- `in+<token>`: mail a member forwards to their intake address (nearmiss.service.forwards): verified
  (the member's address, aligned DKIM or SPF), read, and answered with one email to the member, sent
  at most once as a forward is.
- anything else: kept, with the reason.

Kept, never acted on and never forwarded: a message over the size limit, one that cannot be read,
one whose SES verdicts fail (virus, spam, neither SPF nor DKIM), one whose token does not verify.
Kept means: the raw message stays in S3 (until the bucket's lifecycle deletes it) and its facts,
with the reason, are listed for the operator. Only facts are stored in DynamoDB, never content.

Delivery semantics: once per (SES messageId, recipient). The record is written first
(`received`); the actions on the table are idempotent, so a retried invocation (an AWS error
raised) does them again harmlessly; the forward is at most once: the record moves to `forwarding`
before the send, and a redelivery that finds it there does not send again. receive_mail raises only
for AWS errors (Lambda's retries and the dead-letter queue are for those); content never raises.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from nearmiss.domain.compose import MailAttachment, OutgoingMessage
from nearmiss.domain.inbound import SesRecord, verdict_refusal
from nearmiss.domain.models import sendable_address
from nearmiss.domain.playbook import recipient_key
from nearmiss.domain.records import StepRecord
from nearmiss.domain.sending import free_mail_domain
from nearmiss.domain.tokens import TokenError
from nearmiss.intake.mail.message import MAX_MESSAGE_BYTES, Attachment, Mailbox, MailError, MailMessage, parse
from nearmiss.intake.mail.replies import ReplyClass, classify
from nearmiss.observability import logger
from nearmiss.service.playbooks import mark_replied, move_past_return, stop_recipient
from nearmiss.service.ports import (
    InboundRecord,
    Inbox,
    Mailer,
    ReplyRoute,
    SendError,
    SendFailure,
    Store,
)
from nearmiss.service.reply_addresses import ReplyAddresses, split_local_part

if TYPE_CHECKING:
    from nearmiss.service.forwards import ForwardIntake

FINAL = frozenset({"acted", "recorded", "kept"})
GONE = "the stored message is gone (past the bucket's retention); nothing was done"


@dataclass(frozen=True)
class MailObject:
    size: int
    raw: bytes | None  # None: over the limit (not read), or missing
    missing: bool = False


class MailObjects(Protocol):
    def read(self, bucket: str, key: str, *, max_bytes: int) -> MailObject: ...


class InboundStore(Store, Inbox, Protocol):
    pass


class ForwardNotSent(Exception):
    """SES did not take the forward (throttled, unavailable): the invocation fails and is retried;
    the record is back at `received`, so the retry forwards it."""


def _notes(count: int) -> str:
    return f"{count} pending note{'s' * (count != 1)}"


def _one_line(text: str) -> str:
    return " ".join("".join(ch if ord(ch) >= 32 else " " for ch in text).split())


# Types a mail client or a browser may run or render with remote content (scripts, trackers): never
# forwarded, by type or by file name; the member is told what was left out.
ACTIVE_TYPES = frozenset({"text/html", "application/xhtml+xml", "image/svg+xml", "multipart/related"})
ACTIVE_EXTENSIONS = (".htm", ".html", ".shtml", ".xhtml", ".xht", ".svg", ".svgz", ".mht", ".mhtml")
MAX_FILENAME_CHARS = 120
MAX_NAME_CHARS = 64


def _safe_text(text: str) -> str:
    """One line: control characters (C0, DEL, C1 such as NEL), line and paragraph separators and
    format characters (bidi overrides that make "exe.pdf" read "fdp.exe") become spaces."""
    kept = (" " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in text)
    return " ".join("".join(kept).split())


def safe_filename(name: str | None) -> str | None:
    """An attachment's name as it may go into a header: one line, capped (the extension kept)."""
    if name is None:
        return None
    cleaned = _safe_text(name)
    if len(cleaned) > MAX_FILENAME_CHARS:
        stem, dot, extension = cleaned.rpartition(".")
        extension = f".{extension[:16]}" if dot and stem else ""
        cleaned = cleaned[: MAX_FILENAME_CHARS - len(extension)].rstrip() + extension
    return cleaned or None


def _active(attachment: Attachment) -> bool:
    name = (attachment.filename or "").strip().lower()
    return attachment.content_type.lower() in ACTIVE_TYPES or name.endswith(ACTIVE_EXTENSIONS)


def _shown(mailbox: Mailbox) -> str:
    name = _safe_text(mailbox.name)[:MAX_NAME_CHARS]
    return f"{name} <{mailbox.address}>" if name else mailbox.address


def _sendable(mailbox: Mailbox | None) -> str | None:
    if mailbox is None:
        return None
    try:
        return sendable_address(mailbox.address)
    except ValueError:
        return None


def is_the_recipient(writer: Mailbox | None, recipient_address: str | None) -> bool:
    """The From is the note's recipient's own address (case-insensitive)."""
    return (
        writer is not None and recipient_address is not None and writer.address == recipient_address.lower()
    )


def at_the_recipients_company(writer: Mailbox | None, recipient_address: str | None) -> bool:
    """The From is the recipient, or someone at the recipient's own company domain (an assistant, a
    colleague on the thread: the conversation is on). A free-mail domain is nobody's company."""
    if writer is None or recipient_address is None:
        return False
    if is_the_recipient(writer, recipient_address):
        return True
    domain = recipient_address.rpartition("@")[2].lower()
    return writer.domain == domain and not free_mail_domain(domain)


def forward_message(
    message: MailMessage,
    *,
    recipient_name: str,
    recipient_address: str | None,
    member_name: str,
    member_address: str,
    platform_address: str,
) -> OutgoingMessage:
    """The reply as the member receives it, showing who really wrote it. From "<recipient name> via
    Near Miss" at the platform's domain when the From is the note's recipient, otherwise "<writer>
    (replying to your note to <recipient name>) via Near Miss": a token can be held by anyone the
    note reached. Reply-To is the real From only (a Reply-To the sender chose is shown, never used).
    The text starts with the From (and a differing Reply-To); the subject, the text and the
    attachments are kept. Never the sender's HTML, inline or attached (it could carry trackers or
    scripts): the member is told which attachments were left out. Names are one line, capped."""
    writer = message.from_
    shown_recipient = _safe_text(recipient_name)[:MAX_NAME_CHARS] or "Someone you wrote to"
    if is_the_recipient(writer, recipient_address):
        from_name = f"{shown_recipient} via Near Miss"
    else:
        who = (_safe_text(writer.name)[:MAX_NAME_CHARS] or writer.address) if writer else "Someone"
        from_name = f"{who} (replying to your note to {shown_recipient}) via Near Miss"
    lines = [f"From: {_shown(writer) if writer else '(no sender address)'}"]
    for other in message.reply_to:
        if writer is None or other.address != writer.address:
            lines.append(f"Reply-To: {_shown(other)} (not the sender; your reply goes to the sender only)")
    kept: list[MailAttachment] = []
    left_out: list[str] = []
    for attachment in message.attachments:
        name = safe_filename(attachment.filename)
        if _active(attachment):
            left_out.append(f"{name or 'unnamed'} ({_safe_text(attachment.content_type)})")
        else:
            kept.append(MailAttachment(name, attachment.content_type, attachment.payload))
    if left_out:
        lines.append(f"Not forwarded (could run scripts or load trackers): {', '.join(left_out)}")
    head = "\n".join(lines)
    return OutgoingMessage(
        to_name=member_name,
        to_address=member_address,
        from_name=from_name,
        from_address=platform_address,
        reply_to=_sendable(writer),
        subject=_one_line(message.subject) or "(no subject)",
        text=f"{head}\n\n{message.text or '(no text)'}",
        html=None,
        attachments=tuple(kept),
    )


class Inbound:
    def __init__(
        self,
        store: InboundStore,
        objects: MailObjects,
        mailer: Mailer,
        replies: ReplyAddresses,
        *,
        bucket: str,
        prefix: str,
        platform_address: str,
        max_bytes: int = MAX_MESSAGE_BYTES,
        forwards: Callable[[], ForwardIntake | None] | None = None,
    ) -> None:
        # The forwarded-mail intake, built when an `in+` message first arrives: a reply (the usual
        # mail) needs none of its parsers (rejections, calendars), about 40 ms of a cold start.
        self._forwards = forwards
        self.store = store
        self.objects = objects
        self.mailer = mailer
        self.replies = replies
        self.bucket = bucket
        self.prefix = prefix
        self.platform_address = platform_address
        self.max_bytes = max_bytes

    def receive(self, record: SesRecord, *, now: datetime) -> list[str]:
        """One receipt record: the outcome for each of its recipients."""
        return [self._recipient(record, address, now) for address in record.ses.receipt.recipients]

    def kept(self, limit: int = 100) -> list[InboundRecord]:
        return self.store.kept_inbound(limit)

    # ---- once per (message, recipient) ---------------------------------------------------------------
    def _recipient(self, record: SesRecord, address: str, now: datetime) -> str:
        mail = record.ses.mail
        fresh = InboundRecord(
            message_id=mail.messageId,
            recipient_key=recipient_key(address),
            status="received",
            reason="-",
            received_at=now,
            s3_key=f"{self.prefix}{mail.messageId}",
            verdicts=record.ses.receipt.verdicts(),
        )
        existing = self.store.get_inbound(fresh.message_id, fresh.recipient_key)
        if existing is not None:
            if existing.status == "forwarding":  # a crash between the send and its record
                reason = "forward outcome unknown (redelivered after an interruption); not sent again"
                return self._finish(existing, "acted", reason, expect="forwarding")
            if existing.status in FINAL:
                return "duplicate"
            fresh = existing  # an earlier attempt failed on AWS: do it again (idempotent)
        elif not self.store.put_inbound(fresh, expect=None):
            return "duplicate"  # another delivery of the same message took it
        return self._route(fresh, record, address, now)

    def _finish(self, record: InboundRecord, status: str, reason: str, *, expect: str = "received") -> str:
        done = replace(record, status=status, reason=reason)
        if not self.store.put_inbound(done, expect=expect):
            return "duplicate"
        logger.info(
            "mail received",
            extra={
                "message_id": record.message_id,
                "status": status,
                "reason": reason,
                "kind": record.kind,
                "candidate_id": record.candidate_id,
            },
        )
        return status

    def _keep(self, record: InboundRecord, reason: str) -> str:
        return self._finish(record, "kept", reason)

    def _route(self, record: InboundRecord, ses_record: SesRecord, address: str, now: datetime) -> str:
        refusal = verdict_refusal(record.verdicts)
        if refusal is not None:
            return self._keep(record, f"SES verdicts: {refusal}")
        kind, token, domain = split_local_part(address)
        if domain != self.replies.domain:
            return self._keep(record, "not an address of the receiving domain")
        if kind == "in":
            forwards = self._forwards() if self._forwards is not None else None
            if forwards is None:
                return self._keep(record, "forwarded-mail intake not configured")
            obj = self.objects.read(self.bucket, record.s3_key, max_bytes=self.max_bytes)
            outcome = forwards.receive(
                token, ses_record, obj.raw, missing=obj.missing, size=obj.size, now=now
            )
            record = replace(record, candidate_id=outcome.candidate_id, kind=outcome.kind)
            if outcome.answer is None:
                return self._finish(record, outcome.status, outcome.reason)
            return self._send_once(record, outcome.answer, outcome.reason, final=outcome.status)
        if kind != "reply":
            return self._keep(record, "no such address (neither reply+ nor in+)")
        try:
            route = self.replies.read(token)
        except TokenError as exc:
            return self._keep(record, f"reply address refused: {exc.reason}")
        record = replace(record, candidate_id=route.candidate_id)
        obj = self.objects.read(self.bucket, record.s3_key, max_bytes=self.max_bytes)
        if obj.missing:
            return self._keep(record, GONE)
        if obj.raw is None:
            return self._keep(record, f"over the size limit: {obj.size} bytes (at most {self.max_bytes})")
        try:
            message = parse(obj.raw, max_bytes=self.max_bytes)
        except MailError as exc:
            return self._keep(record, f"unreadable: {exc.reason}")
        except Exception as exc:  # the parser's own bug on hostile content: kept, never a retry loop
            logger.exception("mail not parsed", extra={"message_id": record.message_id})
            return self._keep(record, f"unreadable: {type(exc).__name__}")
        try:
            verdict = classify(message, now=now)
        except Exception as exc:
            logger.exception("mail not classified", extra={"message_id": record.message_id})
            return self._keep(record, f"could not be classified: {type(exc).__name__}")
        record = replace(record, kind=verdict.kind)
        return self._act(record, route, message, verdict, now)

    # ---- what each kind does ---------------------------------------------------------------------------
    def _act(
        self,
        record: InboundRecord,
        route: ReplyRoute,
        message: MailMessage,
        verdict: ReplyClass,
        now: datetime,
    ) -> str:
        c, a, r = route.candidate_id, route.application_id, route.recipient_key
        step = self.store.get_step(c, a, route.step_id)
        recipient_address = step.recipient_address if step else None
        if verdict.kind == "bounce":
            return self._bounce(record, route, message, verdict, now)
        if verdict.kind in ("human", "stop_request"):
            if not at_the_recipients_company(message.from_, recipient_address):
                # Someone else on the thread (or anyone the note was passed to): the member reads it;
                # the recipient's notes are hers, and only her side of the conversation moves them.
                done = f"{verdict.kind} from someone other than the note's recipient; nothing stopped"
                return self._forward(record, route, message, done, step)
            reason = "the recipient replied" if verdict.kind == "human" else "the recipient asked to stop"
            mark_replied(self.store, c, a, route.step_id, now=now)
            cancelled = stop_recipient(self.store, c, r, reason=reason, now=now)
            return self._forward(record, route, message, f"{reason}; {_notes(cancelled)} stopped", step)
        if verdict.kind == "out_of_office" and verdict.return_date is not None:
            if not is_the_recipient(message.from_, recipient_address):
                # The return date is the writer's, not the recipient's (a colleague's autoresponder)
                return self._finish(
                    record,
                    "recorded",
                    "out of office of someone other than the note's recipient; nothing moved",
                )
            moved = move_past_return(self.store, c, r, verdict.return_date, now=now)
            return self._finish(
                record,
                "recorded",
                f"out of office until {verdict.return_date.isoformat()}: {_notes(moved)} moved",
            )
        return self._finish(record, "recorded", f"{verdict.kind}: {verdict.reason}; nothing stopped")

    def _bounce(
        self,
        record: InboundRecord,
        route: ReplyRoute,
        message: MailMessage,
        verdict: ReplyClass,
        now: datetime,
    ) -> str:
        """A delivery report at a reply address. Real reports of our sends go to SES's MAIL FROM and
        come back as SES's own (authenticated) feedback, which blocks an address for every member
        (playbooks.on_ses_feedback). One at a reply address is unauthenticated: anyone holding the
        token can write it. So it suppresses for this member only, and only when it is an RFC 3464
        report (multipart/report) whose Final-Recipient is the note's recipient. A plain-text
        "bounce" is recorded and stops nothing: its prose can be written by anyone."""
        if not verdict.permanent:
            return self._finish(record, "recorded", f"transient delivery report ({verdict.reason})")
        if not (verdict.reported and message.content_type == "multipart/report"):
            return self._finish(
                record,
                "recorded",
                f"{verdict.reason}: not a delivery report (multipart/report) naming a Final-Recipient; "
                "nobody suppressed",
            )
        if route.recipient_key not in {recipient_key(address) for address in verdict.bounced}:
            # Only the note's own recipient: a report cannot suppress a third party.
            return self._finish(
                record, "recorded", "the delivery report names someone else; nobody suppressed"
            )
        why = "the address bounced permanently (a delivery report at its reply address)"
        cancelled = stop_recipient(self.store, route.candidate_id, route.recipient_key, reason=why, now=now)
        return self._finish(
            record, "acted", f"{why}; suppressed for this member; {cancelled} pending notes cancelled"
        )

    def _forward(
        self,
        record: InboundRecord,
        route: ReplyRoute,
        message: MailMessage,
        done: str,
        step: StepRecord | None,
    ) -> str:
        candidate = self.store.get_candidate(route.candidate_id)
        to = candidate.usable_email if candidate is not None else None  # only the address they proved
        if candidate is None or to is None:
            return self._finish(record, "acted", f"{done}; not forwarded (no address of the member's to use)")
        outgoing = forward_message(
            message,
            recipient_name=step.recipient_name if step else "Someone you wrote to",
            recipient_address=step.recipient_address if step else None,
            member_name=candidate.name,
            member_address=to,
            platform_address=self.platform_address,
        )
        return self._send_once(record, outgoing, done, sent="forwarded to the member")

    def _send_once(
        self,
        record: InboundRecord,
        outgoing: OutgoingMessage,
        done: str,
        *,
        final: str = "acted",
        sent: str = "",
    ) -> str:
        """Send `outgoing` (a forwarded reply, the answer to a forward) at most once: the record moves
        to `forwarding` before the send; a throttled send puts it back and raises (retried)."""
        forwarding = replace(record, status="forwarding", reason=done)
        if not self.store.put_inbound(forwarding, expect="received"):
            return "duplicate"
        try:
            self.mailer.send(outgoing)
        except SendError as exc:
            if exc.failure is SendFailure.TRANSIENT:
                self.store.put_inbound(replace(forwarding, status="received"), expect="forwarding")
                raise ForwardNotSent(exc.reason) from exc
            return self._finish(forwarding, final, f"{done}; not sent: {exc.reason}", expect="forwarding")
        return self._finish(forwarding, final, f"{done}; {sent}" if sent else done, expect="forwarding")
