"""One email message, read once: headers, the best plain text, the HTML, the attachments.

Built on the standard library's `email` package with `policy.default` (RFC 5322 / 6532 headers,
MIME, quoted-printable and base64, RFC 2047 encoded words). What it adds is the care a hostile
inbox needs: a size bound checked before parsing, charsets that do not exist or do not fit the
bytes decoded with replacement instead of raising, and a `MailError` naming what could not be
read (never the content).
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.feedparser import BytesFeedParser
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.utils import getaddresses, parsedate_to_datetime

MAX_MESSAGE_BYTES = 10 * 1024 * 1024  # SES receipt rules deliver messages up to 40 MB to S3; we read 10
MAX_PARTS = 100  # a reply with 100 attachments is rare; each part costs the parser about 1 ms
MAX_DEPTH = 10
MAX_HEADERS = 1000  # real mail carries well under 100 (a long Received chain is some 30)
# The stdlib's header parser takes time that grows faster than the header's length; a header
# longer than this is kept as its raw text (encoded words left as they are) instead of parsed.
MAX_PARSED_HEADER_CHARS = 8192
# The stdlib's parser costs some 0.4 ms per MIME part and 0.3 us per line, and builds the whole tree
# before MAX_PARTS can be checked: 200,000 empty parts fit in 7 MB and take minutes. So the raw bytes
# are counted first (bytes.count, some 10 ms for 10 MB): every part starts at a line beginning "--"
# (its boundary), and every line is a CR, an LF or a CRLF (the parser splits on all three). Real mail
# is far under both: 10 MB of base64 attachments is some 130,000 lines; a "--" line is a boundary,
# a signature delimiter or an Outlook separator.
MAX_DELIMITER_LINES = MAX_PARTS + 20
MAX_LINES = 200_000
MAX_HEADER_LINES = 5 * MAX_HEADERS  # the top-level header block, folded lines included
# A backstop for shapes the counts do not foresee (a part header of many kilobytes costs
# milliseconds): the parser is fed in chunks and stopped past this budget, far under Lambda's 30 s.
PARSE_BUDGET_SECONDS = 2.0
# The parser reads every part's Content-Type (and we its Content-Disposition) with the costly header
# parser: 8 KB of one costs milliseconds. Real ones are well under this, RFC 2231 file names included.
MAX_PART_HEADER_CHARS = 1000
MAX_PART_PARAMETERS = 12  # each costs the parser some 0.35 ms; RFC 2231 file names take a few
_PART_HEADERS = (b"content-type", b"content-disposition")
_CHUNK = 64 * 1024
# RFC 3464 / 6533 delivery reports and RFC 8098 disposition reports: the stdlib reads their field
# blocks as header-only sub-messages; they are one leaf here, never body text.
_REPORT_FIELDS = frozenset(
    ("message/delivery-status", "message/global-delivery-status", "message/disposition-notification")
)


class MailError(Exception):
    """A message we cannot read. `reason` is safe to store and log: it names the problem, never
    the message's content."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Mailbox:
    name: str
    address: str  # lower-cased

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2]


@dataclass(frozen=True)
class Attachment:
    filename: str | None
    content_type: str
    payload: bytes
    inline: bool = False


@dataclass(frozen=True)
class MailMessage:
    """What a message says, decoded. `text` is the text/plain body if there is one, else the HTML
    body converted to text; `headers` keeps every header (names lower-cased, values decoded, in
    order) for classifiers that read headers such as `Auto-Submitted`."""

    headers: tuple[tuple[str, str], ...]
    subject: str
    from_: Mailbox | None
    reply_to: tuple[Mailbox, ...]
    to: tuple[Mailbox, ...]
    cc: tuple[Mailbox, ...]
    date: datetime | None  # aware UTC; None when missing or unreadable
    message_id: str | None
    in_reply_to: str | None
    references: tuple[str, ...]
    content_type: str  # of the whole message, e.g. "multipart/report"
    text: str
    html: str | None
    attachments: tuple[Attachment, ...] = ()
    parts: tuple[tuple[str, bytes], ...] = field(default=(), repr=False)  # (content type, payload) of leaves
    size: int = 0
    raw: EmailMessage | None = field(default=None, repr=False, compare=False)

    def header(self, name: str) -> str | None:
        """The first header of that name (case-insensitive), or None."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key == wanted), None)

    def header_all(self, name: str) -> list[str]:
        wanted = name.lower()
        return [value for key, value in self.headers if key == wanted]

    def parts_of_type(self, content_type: str) -> list[bytes]:
        return [payload for kind, payload in self.parts if kind == content_type]


def parse(raw: bytes, *, max_bytes: int = MAX_MESSAGE_BYTES) -> MailMessage:
    """Read one message. Raises `MailError` when it is over `max_bytes`, empty, or not a message."""
    if len(raw) > max_bytes:
        raise MailError(f"message: {len(raw)} bytes is over the limit of {max_bytes}")
    if not raw.strip():
        raise MailError("message: empty")
    _refuse_costly_shape(raw)
    try:
        message = _parse_within_budget(raw)
    except MailError:
        raise
    except Exception as exc:  # the parser is lenient; anything it raises is a message we cannot read
        raise MailError(f"message: not readable as RFC 5322 ({type(exc).__name__})") from None
    if not isinstance(message, EmailMessage) or not message.keys():
        raise MailError("message: no headers")
    if len(message.keys()) > MAX_HEADERS:
        raise MailError(f"message: more than {MAX_HEADERS} headers")
    return from_email_message(message, size=len(raw))


def _refuse_costly_shape(raw: bytes) -> None:
    """Refuse, before the stdlib parser runs, a message whose shape would make it slow: more lines
    starting a MIME part, or more lines, than real mail has."""
    crlf = raw.count(b"\r\n")
    lines = raw.count(b"\n") + raw.count(b"\r") - crlf
    if lines > MAX_LINES:
        raise MailError(f"message: more than {MAX_LINES} lines")
    blank = [at for at in (raw.find(b"\n\n"), raw.find(b"\r\n\r\n"), raw.find(b"\r\r")) if at >= 0]
    head = raw[: min(blank)] if blank else raw
    if head.count(b"\n") + head.count(b"\r") - head.count(b"\r\n") > MAX_HEADER_LINES:
        raise MailError(f"message: more than {MAX_HEADER_LINES} header lines")
    delimiters = raw.count(b"\n--") + raw.count(b"\r--") + raw.startswith(b"--")
    if delimiters > MAX_DELIMITER_LINES:
        raise MailError(f"message: more than {MAX_DELIMITER_LINES} lines that may start a MIME part")
    lowered = raw.lower()
    if sum(lowered.count(name) for name in _PART_HEADERS) > 2 * MAX_DELIMITER_LINES + 10:
        raise MailError(
            f"message: more than {2 * MAX_DELIMITER_LINES + 10} Content-Type or -Disposition names"
        )
    for name in _PART_HEADERS:
        at = lowered.find(name)
        while at >= 0:
            length = _header_length(lowered, at)
            if length > MAX_PART_HEADER_CHARS:
                raise MailError(
                    f"message: a Content-Type or -Disposition over {MAX_PART_HEADER_CHARS} characters"
                )
            if lowered.count(b";", at, at + length) > MAX_PART_PARAMETERS:
                raise MailError(
                    f"message: a Content-Type or -Disposition of over {MAX_PART_PARAMETERS} parameters"
                )
            at = lowered.find(name, at + len(name))


def _header_length(raw: bytes, start: int) -> int:
    """How long the header starting at `start` is, its folded lines included (bounded reads)."""
    end = start
    while end - start <= MAX_PART_HEADER_CHARS:
        line_end = min((i for i in (raw.find(b"\n", end), raw.find(b"\r", end)) if i >= 0), default=len(raw))
        nxt = line_end + (2 if raw[line_end : line_end + 2] == b"\r\n" else 1)
        if nxt >= len(raw) or raw[nxt : nxt + 1] not in (b" ", b"\t"):
            return line_end - start
        end = nxt
    return end - start


def _parse_within_budget(raw: bytes) -> Message:
    parser = BytesFeedParser(policy=policy.default)
    started = time.perf_counter()
    for start in range(0, len(raw), _CHUNK):
        parser.feed(raw[start : start + _CHUNK])
        if time.perf_counter() - started > PARSE_BUDGET_SECONDS:
            raise MailError(f"message: not parsed within {PARSE_BUDGET_SECONDS:g} s")
    return parser.close()


def from_email_message(message: EmailMessage, *, size: int = 0) -> MailMessage:
    """A `MailMessage` from an already parsed message (e.g. an attached `message/rfc822`)."""
    headers = tuple((key.lower(), _header_text(message, key, value)) for key, value in message.raw_items())
    texts: list[str] = []
    htmls: list[str] = []
    attachments: list[Attachment] = []
    leaves: list[tuple[str, bytes]] = []
    broken: list[str] = []
    for part in _leaves(message):
        kind = part.get_content_type()
        payload = _payload_bytes(part)
        leaves.append((kind, payload))
        disposition = (part.get_content_disposition() or "").lower()
        filename = _filename(part)
        if disposition == "attachment" or (filename and kind not in ("text/plain", "text/html")):
            attachments.append(Attachment(filename, kind, payload, inline=disposition == "inline"))
        elif kind == "text/plain":
            texts.append(_decode_text(part, payload))
        elif kind == "text/html":
            htmls.append(_decode_text(part, payload))
        elif kind == "text/calendar" or kind.startswith(("image/", "application/")):
            attachments.append(Attachment(filename, kind, payload, inline=True))
        elif kind.startswith("multipart/"):
            # A multipart whose boundary never appears (StartBoundaryNotFoundDefect) comes back as
            # one undivided text: keep it, so the writer's words are not lost with the structure.
            broken.append(_decode_text(part, payload))
    html_body = "\n".join(htmls) if htmls else None
    text = "\n".join(texts) if texts else (html_to_text(html_body) if html_body else "\n".join(broken))
    return MailMessage(
        headers=headers,
        subject=_single(message, "subject"),
        from_=_first(_mailboxes(message, "from")),
        reply_to=tuple(_mailboxes(message, "reply-to")),
        to=tuple(_mailboxes(message, "to")),
        cc=tuple(_mailboxes(message, "cc")),
        date=_date(message),
        message_id=_single(message, "message-id") or None,
        in_reply_to=_single(message, "in-reply-to") or None,
        references=tuple(_single(message, "references").split()),
        content_type=message.get_content_type(),
        text=text,
        html=html_body,
        attachments=tuple(attachments),
        parts=tuple(leaves),
        size=size,
        raw=message,
    )


def attached_messages(message: MailMessage) -> list[EmailMessage]:
    """Messages attached whole (`message/rfc822`), as forwards-as-attachment carry them."""
    if message.raw is None:
        return []
    found: list[EmailMessage] = []
    for part in message.raw.walk():
        if part.get_content_type() == "message/rfc822":
            inner = part.get_payload()
            candidates = inner if isinstance(inner, list) else [inner]
            found.extend(m for m in candidates if isinstance(m, EmailMessage))
    return found


# --- helpers ---


def _leaves(message: Message, depth: int = 0) -> Iterator[Message]:
    count = 0
    stack: list[tuple[Message, int]] = [(message, depth)]
    while stack:
        part, level = stack.pop(0)
        count += 1
        if count > MAX_PARTS:
            raise MailError(f"message: more than {MAX_PARTS} MIME parts")
        if level > MAX_DEPTH:
            raise MailError(f"message: MIME nested more than {MAX_DEPTH} deep")
        if part.get_content_type() == "message/rfc822":
            continue  # an attached message is read on its own (attached_messages)
        if part.get_content_type() in _REPORT_FIELDS:
            yield part  # header blocks, not messages: one leaf (its payload is the blocks' text)
            continue
        if part.is_multipart():
            children = part.get_payload()
            if isinstance(children, list):
                stack[0:0] = [(child, level + 1) for child in children if isinstance(child, Message)]
            continue
        yield part


def _payload_bytes(part: Message) -> bytes:
    if part.get_content_type() in _REPORT_FIELDS and part.is_multipart():
        blocks = part.get_payload()
        if isinstance(blocks, list):
            return b"".join(_block_bytes(block) for block in blocks if isinstance(block, Message))
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if isinstance(payload, bytes):
        return payload
    raw = part.get_payload()
    return raw.encode("utf-8", "replace") if isinstance(raw, str) else b""


def _block_bytes(block: Message) -> bytes:
    """One field block of a delivery or disposition report, as its text ("Name: value" lines
    and the blank line that ends it)."""
    lines = [f"{key}: {' '.join(str(value).split())}" for key, value in block.raw_items()]
    return ("\n".join(lines) + "\n\n").encode("utf-8", "replace")


def _decode_text(part: Message, payload: bytes) -> str:
    charset = (part.get_content_charset() or "utf-8").lower()
    if charset in ("unknown-8bit", "x-unknown", "us-ascii", "ascii"):
        charset = "utf-8"
    try:
        text = payload.decode(charset)
    except (LookupError, UnicodeDecodeError):
        try:
            text = payload.decode("utf-8")
        except UnicodeDecodeError:
            text = payload.decode("cp1252", "replace")
    return text.replace("\r\n", "\n")


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except Exception:
        return None
    return str(name) if name else None


def _header_text(message: EmailMessage, key: str, value: object) -> str:
    if len(str(value)) > MAX_PARSED_HEADER_CHARS:
        return " ".join(str(value).split())
    try:
        header = message.get(key)
        return " ".join(str(header if header is not None else value).split())
    except Exception:
        return " ".join(str(value).split())


def _raw_header(message: EmailMessage, name: str) -> str | None:
    """The first header of that name as it came (no policy parsing: `get` would parse it)."""
    wanted = name.lower()
    return next((str(value) for key, value in message.raw_items() if key.lower() == wanted), None)


def _too_long(message: EmailMessage, name: str) -> str | None:
    raw = _raw_header(message, name)
    return raw if raw is not None and len(raw) > MAX_PARSED_HEADER_CHARS else None


def _single(message: EmailMessage, name: str) -> str:
    if (raw := _too_long(message, name)) is not None:
        return " ".join(raw.split())
    try:
        value = message.get(name)
    except Exception:
        value = message.get_all(name, [None])[0] if message.get_all(name) else None
    return " ".join(str(value).split()) if value is not None else ""


def _mailboxes(message: EmailMessage, name: str) -> list[Mailbox]:
    found: list[Mailbox] = []
    if (raw := _too_long(message, name)) is not None:
        pairs = getaddresses([raw[:MAX_PARSED_HEADER_CHARS]])
        return [Mailbox(display, addr.lower()) for display, addr in pairs if "@" in addr]
    try:
        header = message.get(name)
        addresses = getattr(header, "addresses", None)
    except Exception:
        header, addresses = None, None
    if addresses is not None:
        for address in addresses:
            if isinstance(address, Address) and address.addr_spec and "@" in address.addr_spec:
                found.append(Mailbox(address.display_name or "", address.addr_spec.lower()))
        return found
    raw_values = [str(v) for v in (message.get_all(name) or [])]
    for display, addr in getaddresses(raw_values):
        if "@" in addr:
            found.append(Mailbox(display, addr.lower()))
    return found


def _first(mailboxes: list[Mailbox]) -> Mailbox | None:
    return mailboxes[0] if mailboxes else None


def _date(message: EmailMessage) -> datetime | None:
    value = _single(message, "date")
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:  # RFC 5322's -0000: the zone is unknown; read it as UTC
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


# Tags are matched as `<` then anything but `<` and `>`: a hostile body of a million unclosed `<`
# costs one pass, where `[^>]*` would rescan to the end from each of them (quadratic).
_BLOCK = re.compile(r"<\s*(br|/p|/div|/tr|/li|/h[1-6]|/blockquote|hr)\b[^<>]*>", re.I)
_HIDDEN_OPEN = re.compile(r"<\s*(script|style|head)\b[^<>]*>", re.I)
_HIDDEN_CLOSE = {name: re.compile(rf"<\s*/\s*{name}\s*>", re.I) for name in ("script", "style", "head")}
_TAG = re.compile(r"<[^<>]*>")
_QUOTE_OPEN = re.compile(r"<\s*blockquote\b[^<>]*>", re.I)
_QUOTE_CLOSE = re.compile(r"<\s*/\s*blockquote\s*>", re.I)


def _drop_hidden(markup: str) -> str:
    """Scripts, styles and the head removed in one forward pass (an unclosed one runs to the end)."""
    kept: list[str] = []
    position = 0
    while (opened := _HIDDEN_OPEN.search(markup, position)) is not None:
        kept.append(markup[position : opened.start()])
        closed = _HIDDEN_CLOSE[opened.group(1).lower()].search(markup, opened.end())
        if closed is None:
            return " ".join(kept)
        kept.append(" ")
        position = closed.end()
    kept.append(markup[position:])
    return "".join(kept)


def html_to_text(markup: str) -> str:
    """Readable text from an HTML body: scripts and styles dropped, block ends as line breaks,
    entities decoded. Blockquotes are marked with "> " lines so quoted history can be told apart."""
    body = _drop_hidden(markup)
    body = _QUOTE_OPEN.sub("\n[[quote]]\n", body)
    body = _QUOTE_CLOSE.sub("\n[[/quote]]\n", body)
    body = _BLOCK.sub("\n", body)
    body = _TAG.sub("", body)
    body = html.unescape(body).replace("\xa0", " ")
    lines: list[str] = []
    depth = 0  # blockquotes nest; text after the last one closes is the writer's own again
    for line in body.splitlines():
        stripped = line.strip()
        if stripped == "[[quote]]":
            depth += 1
            continue
        if stripped == "[[/quote]]":
            depth = max(depth - 1, 0)
            continue
        lines.append(("> " * depth + stripped) if depth and stripped else stripped)
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
