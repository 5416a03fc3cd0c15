"""The original message inside a forward: who sent it, when the member received it, what it said.

Members forward a rejection or an invitation from their own inbox. What arrives is one of:

- an inline forward: the mail client writes a header block ("From: / Date: / Subject: / To:") above
  the original's text. Gmail introduces it with "---------- Forwarded message ---------", Apple Mail
  with "Begin forwarded message:", Outlook with a rule line or "-----Original Message-----" (or
  nothing at all in its HTML), each in the client's language ("Von: / Gesendet: / An: / Betreff:",
  "De : / Envoyé : / À : / Objet :", "De: / Enviado: / Para: / Asunto:", "Van: / Verzonden: / Aan: /
  Onderwerp:");
- a forward as attachment: the original attached whole as `message/rfc822`;
- either of those, nested: a forward of a forward. The innermost original is the one we want, but a
  header block below a *reply* is that reply's quoted history, not a forward: we descend only into
  a block that a forward marker introduces or that sits in a message whose subject says "Fwd:".

`unwrap` is pure and never raises: it answers an `Original` or a `Refusal` naming what could not be
read. The original's `date` is its own `Date` (when the member received it), never the forward's.
An inline header block usually shows a wall-clock time with no zone ("Tue, Nov 24, 2026 at 4:10 PM",
in the forwarding client's zone): it is read in the member's time zone when the caller knows it,
else in the zone of the forward's own `Date` header (the same client wrote both), else as UTC;
`date_zone_assumed` says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from email.utils import getaddresses, parsedate_to_datetime
from typing import Literal

from nearmiss.intake.mail.message import (
    Attachment,
    MailError,
    MailMessage,
    attached_messages,
    from_email_message,
)

ForwardForm = Literal["attached", "gmail", "apple", "outlook"]
MAX_NESTING = 8
MAX_TEXT = 200_000  # characters of a forward's text searched for header blocks
_SKEW = timedelta(hours=14)  # an assumed zone can be off by up to UTC+14 / UTC-12

# --- the labels mail clients write, per language (a label may mean the same in several) ---

_LABELS: dict[str, tuple[str, ...]] = {
    "from": ("from", "von", "de", "van"),
    "date": (
        "date",
        "datum",
        "fecha",
        "sent",
        "gesendet",
        "envoyé",
        "enviado",
        "enviado el",
        "verzonden",
        "verstuurd",
    ),
    "to": ("to", "an", "à", "a", "para", "aan"),
    "cc": ("cc",),
    "subject": ("subject", "betreff", "objet", "asunto", "onderwerp"),
}
_LABEL_KIND = {label: kind for kind, labels in _LABELS.items() for label in labels}
_LABEL_LINE = re.compile(
    r"^\*?\s*(" + "|".join(re.escape(label) for label in sorted(_LABEL_KIND, key=len, reverse=True)) + r")"
    r"\s*\*?\s*:\s*\*?\s*(.*?)\s*$",
    re.I,
)

# Lines that introduce a forwarded message (a header block follows within a few lines).
_GMAIL_MARKERS = (
    "forwarded message",
    "weitergeleitete nachricht",
    "message transféré",
    "mensaje reenviado",
    "doorgestuurd bericht",
)
_APPLE_MARKERS = (
    "begin forwarded message:",
    "anfang der weitergeleiteten nachricht:",
    "début du message réexpédié :",
    "début du message réexpédié:",
    "début du message transféré :",
    "inicio del mensaje reenviado:",
    "begin doorgestuurd bericht:",
)
# Outlook's separators introduce forwards and replies alike: they are not forward markers.
_OUTLOOK_SEPARATORS = (
    "-----original message-----",
    "-----ursprüngliche nachricht-----",
    "-----message d'origine-----",
    "-----mensaje original-----",
    "-----oorspronkelijk bericht-----",
)
_GMAIL_LINE = re.compile(r"^-{3,}\s*(" + "|".join(_GMAIL_MARKERS) + r")\s*-{3,}$", re.I)
_RULE_LINE = re.compile(r"^[_\-=]{10,}$")
# "Fwd:", "FW:", "WG:" (de), "TR:" (fr), "RV:" (es), "Doorst:" (nl), possibly stacked with "Re:".
_FORWARD_SUBJECT = re.compile(r"^\s*(?:(?:re|aw|sv|antw)\s*:\s*)*(?:fwd?|fw|wg|tr|rv|doorst|enc)\s*:", re.I)


@dataclass(frozen=True)
class Refusal:
    """A forward we cannot read. `reason` is safe to store, log and tell the member: it names the
    problem, never the message's content."""

    reason: str


@dataclass(frozen=True)
class Sender:
    name: str  # display name as the original showed it ("Northwind Data via Greenhouse"), may be ""
    address: str | None  # lower-cased; None when the client showed only a name (Outlook does)

    @property
    def domain(self) -> str | None:
        return self.address.rpartition("@")[2] if self.address else None


@dataclass(frozen=True)
class Original:
    """The message the member received and then forwarded."""

    sender: Sender
    date: datetime  # aware UTC: when the member received the original
    subject: str
    text: str  # the original's text (for an inline forward: what follows its header block)
    html: str | None  # the original's HTML when it came whole (attached); None for inline forwards
    attachments: tuple[Attachment, ...]  # calendar parts included (text/calendar, .ics)
    to: tuple[str, ...]  # the recipients' addresses, lower-cased, where the forward shows them
    form: ForwardForm  # how the innermost original was carried
    depth: int  # how many forwards were unwrapped to reach it (1 for a plain forward)
    date_zone_assumed: bool = False  # the inline Date had no zone; see the module docstring


def unwrap(message: MailMessage, *, member_zone: tzinfo | None = None) -> Original | Refusal:
    """The innermost original message inside the forward `message`, or a `Refusal` saying why not."""
    try:
        return _unwrap(message, member_zone)
    except MailError as exc:
        return Refusal(exc.reason)
    except (ValueError, TypeError, LookupError, OverflowError, RecursionError):
        # A defect in a part we could not decode is a message we cannot read, never a crash.
        return Refusal("forward: not readable")


def as_original(message: MailMessage) -> Original | Refusal:
    """`message` itself as the original: what an automatic forward (a Gmail filter's "Forward it to")
    delivers, the received mail passed on whole with its own From and Date. Never raises."""
    try:
        return _from_attached(message, 0, UTC)
    except MailError as exc:
        return Refusal(exc.reason)
    except (ValueError, TypeError, LookupError, OverflowError, RecursionError):
        return Refusal("forward: not readable")


# --- unwrapping ---


@dataclass(frozen=True)
class _Block:
    fields: dict[str, str]
    start: int  # index of the From line
    end: int  # index after the block's last line
    introduced: ForwardForm | None  # the marker above it, if any ("gmail", "apple", "outlook")


def _unwrap(message: MailMessage, member_zone: tzinfo | None) -> Original | Refusal:
    zone = member_zone or _offset_of(message) or UTC
    bound = message.date
    lines = _plain_lines(message.text)
    blocks = _blocks(lines)
    attached = attached_messages(message)
    if blocks:
        return _from_inline(message, lines, blocks[0], 1, zone, bound)
    if attached:
        return _from_attached(from_email_message(attached[0]), 1, zone)
    return Refusal("not a forward: no forwarded header block and no attached message")


def _from_inline(
    container: MailMessage,
    lines: list[str],
    block: _Block,
    depth: int,
    zone: tzinfo,
    bound: datetime | None,
) -> Original | Refusal:
    while True:
        if depth > MAX_NESTING:
            return Refusal(f"forward: nested more than {MAX_NESTING} deep")
        fields = block.fields
        body = lines[block.end :]
        subject = fields.get("subject", "")
        inner = _blocks(body)
        if inner and (inner[0].introduced in ("gmail", "apple") or _FORWARD_SUBJECT.match(subject)):
            block, lines, depth = inner[0], body, depth + 1
            continue
        break
    sender = _sender(fields.get("from", ""))
    if sender is None:
        return Refusal("forwarded message: the From line names no sender")
    if not fields.get("date"):
        return Refusal("forwarded message: no Date line in the forwarded header")
    read = _inline_date(fields["date"], zone, bound)
    if read is None:
        return Refusal("forwarded message: the Date line is not a readable date")
    if isinstance(read, str):
        return Refusal(f"forwarded message: the Date line is {read}")
    date, assumed = read
    return Original(
        sender=sender,
        date=date,
        subject=subject,
        text="\n".join(body).strip(),
        html=None,
        attachments=container.attachments,
        to=tuple(address for _, address in _addresses(fields.get("to", "")) if address),
        form=block.introduced or "outlook",
        depth=depth,
        date_zone_assumed=assumed,
    )


def _from_attached(inner: MailMessage, depth: int, zone: tzinfo) -> Original | Refusal:
    if depth > MAX_NESTING:
        return Refusal(f"forward: nested more than {MAX_NESTING} deep")
    if _FORWARD_SUBJECT.match(inner.subject):
        lines = _plain_lines(inner.text)
        blocks = _blocks(lines)
        deeper = attached_messages(inner)
        if blocks:
            return _from_inline(inner, lines, blocks[0], depth + 1, _offset_of(inner) or zone, inner.date)
        if deeper:
            return _from_attached(from_email_message(deeper[0]), depth + 1, zone)
    if inner.from_ is None:
        return Refusal("attached message: no From header")
    if inner.date is None:
        reason = "not a readable date" if inner.header("date") else "missing"
        return Refusal(f"attached message: Date header {reason}")
    return Original(
        sender=Sender(inner.from_.name, inner.from_.address),
        date=inner.date,
        subject=inner.subject,
        text=inner.text,
        html=inner.html,
        attachments=inner.attachments,
        to=tuple(mailbox.address for mailbox in inner.to),
        form="attached",
        depth=depth,
    )


def _plain_lines(text: str) -> list[str]:
    """The text's lines with quoting ("> ") and surrounding space removed, so a block quoted at
    any depth reads like one at the top. Only the first MAX_TEXT characters are read: a forward's
    header blocks sit near the top, and a 10 MB body of look-alike lines must not cost seconds."""
    text = text[:MAX_TEXT].replace("\r\n", "\n")
    return [re.sub(r"^(?:\s*>)+", "", line).strip() for line in text.split("\n")]


def _blocks(lines: list[str]) -> list[_Block]:
    """Every forwarded header block in `lines`, top first. A block is a From line followed by other
    header lines; it counts when it has a Subject and a Date or To."""
    found: list[_Block] = []
    index = 0
    while index < len(lines):
        match = _LABEL_LINE.match(lines[index])
        if not match or _LABEL_KIND[match.group(1).lower()] != "from":
            index += 1
            continue
        fields: dict[str, str] = {}
        cursor = index
        previous = ""
        while cursor < len(lines):
            line = lines[cursor]
            match = _LABEL_LINE.match(line)
            if match:
                kind = _LABEL_KIND[match.group(1).lower()]
                if kind in fields:
                    break
                fields[kind] = match.group(2)
                previous = kind
            elif line and previous in ("to", "cc") and "@" in line:
                fields[previous] += " " + line  # a long recipient list wrapped onto the next line
            elif not line and len(fields) < 3 and cursor - index < 3:
                pass  # some clients leave a blank line inside the block
            else:
                break
            cursor += 1
        if "subject" in fields and ("date" in fields or "to" in fields):
            found.append(_Block(fields, index, cursor, _marker_above(lines, index)))
            index = cursor
        else:
            index += 1
    return found


def _marker_above(lines: list[str], start: int) -> ForwardForm | None:
    for line in reversed(lines[max(0, start - 3) : start]):
        lowered = line.lower()
        if not lowered:
            continue
        if _GMAIL_LINE.match(lowered):
            return "gmail"
        if lowered in _APPLE_MARKERS:
            return "apple"
        if lowered in _OUTLOOK_SEPARATORS or _RULE_LINE.match(lowered):
            return "outlook"
        return None
    return None


def _addresses(value: str) -> list[tuple[str, str]]:
    # Outlook writes "Name [mailto:a@b]"; Gmail and Apple write "Name <a@b>".
    value = re.sub(r"\[\s*mailto:\s*([^\]\s]+)\s*\]", r"<\1>", value, flags=re.I)
    try:
        pairs = getaddresses([value])
    except (TypeError, ValueError, IndexError):
        return []
    return [(name.strip(), address.strip().lower() if "@" in address else "") for name, address in pairs]


def _sender(value: str) -> Sender | None:
    value = value.strip()
    if not value:
        return None
    pairs = _addresses(value)
    if pairs and pairs[0][1]:
        name, address = pairs[0]
        return Sender(name.strip(" \"'"), address)
    if "@" in value or "<" in value:
        return None  # something address-like that does not parse
    return Sender(value.strip(" \"'"), None)


def _offset_of(message: MailMessage) -> tzinfo | None:
    """The zone of the message's own Date header ("... +0100"), which its client wrote."""
    value = message.header("date")
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed.tzinfo


_DATE_LANGUAGES = ["en", "de", "fr", "es", "nl"]
# German and French time-zone names Apple Mail writes, which the date parser does not know.
_ZONE_WORDS = {"mez": "CET", "mesz": "CEST", "heure normale d'europe centrale": "CET"}


def _inline_date(value: str, zone: tzinfo, bound: datetime | None) -> tuple[datetime, bool] | str | None:
    """The instant an inline Date line names and whether its zone was assumed; a reason when it
    names an impossible instant; None when it is no date."""
    text = " ".join(value.split())[:120]
    for word, replacement in _ZONE_WORDS.items():
        text = re.sub(rf"\b{re.escape(word)}\b", replacement, text, flags=re.I)
    later = False
    for order in (None, "DMY", "MDY"):
        read = _parse_date(text, zone, order)
        if read is not None:
            if bound is None or read[0] <= bound + _SKEW:
                return read
            later = True  # after the forward itself: try the other day/month order
    return "after the forward itself" if later else None


def _parse_date(text: str, zone: tzinfo, order: str | None) -> tuple[datetime, bool] | None:
    import dateparser  # loaded only for inline forwards: it costs cold-start time the others need not pay

    def read(assumed: str) -> datetime | None:
        settings: dict[str, object] = {
            "REQUIRE_PARTS": ["day", "month", "year"],
            "RETURN_AS_TIMEZONE_AWARE": True,
            "TIMEZONE": assumed,
            "TO_TIMEZONE": "UTC",
            "RELATIVE_BASE": datetime(2000, 1, 1),  # never the clock: nothing relative is accepted anyway
        }
        if order:
            settings["DATE_ORDER"] = order
        try:
            parsed = dateparser.parse(text, languages=_DATE_LANGUAGES, settings=settings)  # type: ignore[arg-type]
        except Exception:  # dateparser raises a zoo of errors on odd text; any of them means unreadable
            return None
        return parsed if isinstance(parsed, datetime) and parsed.tzinfo is not None else None

    as_utc, as_other = read("UTC"), read("Asia/Kathmandu")
    if as_utc is None or as_other is None:
        return None
    if as_utc == as_other:  # the text named its zone ("CET", "GMT-8", "+0100")
        return as_utc.astimezone(UTC), False
    try:
        local = as_utc.replace(tzinfo=None).replace(tzinfo=zone)
        return local.astimezone(UTC), True
    except (OverflowError, ValueError):
        return None
