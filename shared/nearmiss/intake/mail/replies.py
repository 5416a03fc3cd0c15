"""What a message that arrived at a note's reply address is: a person's reply, a request to stop,
an automatic answer (out-of-office, auto-acknowledgement, list robot) or a delivery report.

`classify` is pure: a parsed `MailMessage` in, a `ReplyClass` out. The receiving function acts on
it (issue 13): a human reply stops that person's notes and is forwarded to the member; a stop
request also suppresses the address; an auto-reply stops nothing, and an out-of-office with a
return date moves that person's pending notes past it; a delivery report feeds the suppression path.

This first version reads only the RFC 3834 and vendor headers; the phrase tables, return dates and
delivery reports come with the corpus under tests/fixtures/mail/.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from nearmiss.intake.mail.message import MailMessage

ReplyKind = Literal["human", "stop_request", "auto_reply", "out_of_office", "bounce"]


@dataclass(frozen=True)
class ReplyClass:
    kind: ReplyKind
    reason: str  # why, in a few words, safe to store and log (names the rule, never the content)
    return_date: date | None = None  # out_of_office: the first day the person is back, if the message says
    bounced: tuple[str, ...] = ()  # bounce: the final recipients the report names (lower-cased)
    permanent: bool = False  # bounce: a permanent failure (5.x.x) rather than a transient one (4.x.x)


def classify(message: MailMessage, *, now: datetime) -> ReplyClass:
    """Decide what `message` is. `now` anchors relative return dates ("back on Monday")."""
    auto_submitted = (message.header("auto-submitted") or "no").strip().lower()
    if auto_submitted != "no":
        return ReplyClass("auto_reply", "Auto-Submitted header")
    if message.header("x-autoreply") or message.header("x-autorespond"):
        return ReplyClass("auto_reply", "X-Autoreply header")
    if (message.header("precedence") or "").strip().lower() in ("auto_reply", "bulk", "junk", "list"):
        return ReplyClass("auto_reply", "Precedence header")
    if message.content_type == "multipart/report":
        return ReplyClass("bounce", "multipart/report")
    return ReplyClass("human", "no automatic marker")
