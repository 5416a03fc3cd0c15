"""The SES v2 mailer: one MIME message per recipient, rendered by us, sent as Raw content.

Raw rather than Simple because a personal note needs what Simple cannot carry everywhere:
a proper multipart/alternative (text and HTML), Reply-To to the candidate, and the RFC 8058
List-Unsubscribe headers. The stdlib's EmailMessage refuses CR/LF in any header value, so a
name crafted to inject headers fails here even if it slipped past validation.
"""

from __future__ import annotations

import email
import email.errors
import email.policy
import re
from datetime import timedelta
from email.charset import QP, Charset
from email.encoders import encode_base64
from email.header import Header
from email.message import Message
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.parser import BytesHeaderParser
from email.utils import formataddr, formatdate
from typing import TYPE_CHECKING, Any

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from nearmiss.domain.compose import OutgoingMessage
from nearmiss.service.ports import SendError, SendFailure

if TYPE_CHECKING:
    from mypy_boto3_sesv2 import SESV2Client

# SES error codes (SESv2 API reference, SendEmail "Errors"), by what they mean for a retry.
TRANSIENT_CODES = frozenset(
    {
        "TooManyRequestsException",  # throttled: over the account's send rate
        "Throttling",
        "ThrottlingException",
        "LimitExceededException",  # daily sending quota exceeded: tomorrow will do
        "SendingPausedException",  # sending paused for the account or configuration set
        "InternalFailure",
        "ServiceUnavailable",
        "InternalServiceError",
    }
)
# Out of capacity for a while (SES's 24-hour quota is rolling; a pause is lifted by a person).
CAPACITY_CODES = frozenset({"LimitExceededException", "SendingPausedException"})
CAPACITY_WAIT = timedelta(hours=1)
PERMANENT_CODES = frozenset(
    {
        "MessageRejected",  # e.g. unverified sender, or content SES refuses
        "MailFromDomainNotVerifiedException",
        "AccountSuspendedException",
        "BadRequestException",
        "NotFoundException",  # e.g. a configuration set that does not exist
    }
)
# SES v2 MessageTag: names and values only in this alphabet, else BadRequestException for the send.
SES_TAG = re.compile(r"[A-Za-z0-9_-]{1,256}")

# In the SES sandbox every recipient must be a verified identity too. SES then answers
# MessageRejected "Email address is not verified. The following identities failed the check in
# region EU-WEST-1: grace@northwind.example" (the list may repeat an address with its display name,
# "Grace Park <grace@northwind.example>", and ends in "..." when cut short). When every failed
# identity is a recipient, the account cannot send to them yet: nothing is wrong with the message.
_NOT_VERIFIED = re.compile(
    r"Email address is not verified\..*?failed the check in region [^:]*:(?P<failed>.*)", re.S
)
_ADDRESS = re.compile(r"[^\s<>\",;]+@[^\s<>\",;]+")
_DOMAIN = re.compile(r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
SANDBOX_WAIT = timedelta(hours=1)
SANDBOX_REASON = (
    "the SES account is in the sandbox; recipients must be verified until production access is granted"
)


# Fold no header below 998 characters: folding a long display name drops its quotes, and a name
# holding "<someone@else.example>" would then read as the address (RFC 5322 allows 998).
POLICY = email.policy.default.clone(max_line_length=998)
# The message is built on the compat32 classes (email.mime): plain strings for headers, where
# EmailMessage parses every header it is given and again when it writes it (four-fifths of a note's
# MIME time). What that parsing guarded, this module checks itself: no line break in any header
# value, ASCII addresses, names quoted or RFC 2047-encoded by formataddr; and the result is read
# back with the full parser (POLICY) before it goes anywhere.
_BUILD = email.policy.compat32.clone(max_line_length=998)
_UTF8_QP = Charset("utf-8")
_UTF8_QP.body_encoding = QP  # readable bodies: quoted-printable, not base64


_HEADER_NAME = re.compile(r"[!-9;-~]{1,76}")  # RFC 5322 field name: printable ASCII but ':'


_LINE_BOUNDARIES = frozenset("\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")  # where str.splitlines splits


def _one_line(header: str, value: str) -> str:
    """`value`, refused when it holds a line boundary: CR, LF, or any other place the compat32
    folder splits a line (it splits where str.splitlines does)."""
    if not _LINE_BOUNDARIES.isdisjoint(value):
        raise ValueError(f"the {header} header would hold a line break")
    return value


def _encoded(value: str) -> bool:
    """Whether a header value must go RFC 2047-encoded: not ASCII, holding a control character, or
    holding what a mail client would decode as an encoded-word ("=?utf-8?q?...?=") into anything,
    another address included."""
    return not value.isascii() or "=?" in value or any((c < " " and c != "\t") or c == "\x7f" for c in value)


def _mailbox(header: str, name: str, address: str) -> str:
    _one_line(header, name)
    if not address.isascii() or any(c.isspace() or c < " " for c in address):
        raise ValueError(f"the {header} address is not a plain ASCII address")
    if name and _encoded(name):
        return f"{Header(name, 'utf-8').encode()} <{address}>"  # read back literally, never decoded into more
    return formataddr((name, address))


def _text_header(header: str, value: str) -> str | Header:
    if not _HEADER_NAME.fullmatch(header):
        raise ValueError(f"{header!r} is not a header name")
    _one_line(header, value)
    return Header(value, "utf-8", maxlinelen=998, header_name=header) if _encoded(value) else value


def _text_part(text: str, subtype: str) -> Message:
    part = Message(policy=_BUILD)
    if text.isascii() and "\r" not in text and all(len(line) <= 998 for line in text.split("\n")):
        part["Content-Type"] = f'text/{subtype}; charset="utf-8"'
        part["Content-Transfer-Encoding"] = "7bit"  # ASCII goes as written
        part.set_payload(text)
    else:
        part["Content-Type"] = f"text/{subtype}"
        part.set_payload(text, _UTF8_QP)  # quoted-printable, not base64
        del part["MIME-Version"]  # once, on the message itself
    return part


def build_mime(message: OutgoingMessage) -> bytes:
    """The MIME message, checked by parsing it back: exactly the intended From and To, one-line
    Subject. Anything else raises ValueError (the step then fails for good, with the reason)."""
    body: Message = _text_part(message.text, "plain")
    if message.html is not None:
        body = MIMEMultipart("alternative", None, [body, _text_part(message.html, "html")], policy=_BUILD)
        del body["MIME-Version"]
    mime: Message = body
    if message.attachments:
        mime = MIMEMultipart("mixed", None, [body], policy=_BUILD)
        del body["MIME-Version"]
        for attachment in message.attachments:
            maintype, _, subtype = attachment.content_type.partition("/")
            if maintype in ("message", "multipart") or not (maintype and subtype):
                # a part of these types cannot be base64 (RFC 2046): it goes as the bytes it is
                maintype, subtype = "application", "octet-stream"
            part = MIMEBase(maintype, subtype, policy=_BUILD)
            del part["MIME-Version"]
            part.set_payload(attachment.payload)
            encode_base64(part)  # bytes: base64, exactly as received, whatever the type
            part.add_header("Content-Disposition", "attachment", filename=attachment.filename or "attachment")
            mime.attach(part)
    headers: list[tuple[str, str | Header]] = [
        ("From", _mailbox("From", message.from_name, message.from_address)),
        ("To", _mailbox("To", message.to_name, message.to_address)),
    ]
    if message.reply_to:
        headers.append(("Reply-To", _one_line("Reply-To", message.reply_to)))
    headers += [("Subject", _text_header("Subject", message.subject)), ("Date", formatdate(usegmt=True))]
    headers += [(name, _text_header(name, value)) for name, value in message.headers.items()]
    if "MIME-Version" not in mime:
        mime["MIME-Version"] = "1.0"
    for name, value in reversed(headers):  # ahead of the MIME headers, in this order
        mime._headers.insert(0, (name, value))  # type: ignore[attr-defined]
    try:
        raw = mime.as_bytes(policy=_BUILD)
        _check_parses_back(raw, message)
    except email.errors.MessageError as exc:  # what the generator or the parser refuses: not a message
        raise ValueError(f"the message would not be well formed: {type(exc).__name__}") from exc
    return raw


def unverified_identities(error_message: str) -> set[str] | None:
    """The addresses SES names as failing the verified-identity check (lower-cased), or None when
    the message is not that check's answer."""
    match = _NOT_VERIFIED.search(error_message)
    if match is None:
        return None
    failed = match.group("failed").strip().removesuffix("...")
    found = {a.lower().rstrip(".") for a in _ADDRESS.findall(failed)}
    # A domain identity is named bare: "...region EU-WEST-1: contoso.example".
    return found | {t.strip().lower() for t in failed.split(",") if _DOMAIN.fullmatch(t.strip())}


def _only_recipients_unverified(error_message: str, message: OutgoingMessage) -> bool:
    """The sandbox case: every identity SES names is a recipient (an unverified From stays
    permanent: leaving the sandbox does not verify it)."""
    failed = unverified_identities(error_message)
    if not failed:
        return False
    sender = message.from_address.lower()
    if sender in failed or sender.partition("@")[2] in failed:
        return False
    return failed <= {message.to_address.lower()}


def _check_parses_back(raw: bytes, message: OutgoingMessage) -> None:
    # The header section only, as a receiving server reads it: it ends at the first empty line,
    # which the generator always writes (a header value cannot hold one: the policy refuses line
    # breaks), so no body part can add to it. A tenth of the cost of parsing the whole message.
    parsed = BytesHeaderParser(policy=email.policy.default).parsebytes(raw)
    for header, address in (("From", message.from_address), ("To", message.to_address)):
        found = [a.addr_spec.lower() for a in parsed[header].addresses] if parsed[header] else []
        if found != [address.lower()]:
            raise ValueError(f"the {header} header would not read as the intended address")
    if "\n" in str(parsed["Subject"]) or len(parsed.get_all("Subject") or []) != 1:
        raise ValueError("the Subject header would not be one line")
    if parsed.get_all("Bcc") or parsed.get_all("Cc"):
        raise ValueError("the message would carry Cc or Bcc headers")


class SesMailer:
    def __init__(self, client: SESV2Client, configuration_set: str | None = None) -> None:
        self.client = client
        self.configuration_set = configuration_set

    def send(self, message: OutgoingMessage) -> str:
        try:
            raw = build_mime(message)
        except ValueError as exc:  # a header the stdlib refuses (line breaks, bad address)
            raise SendError(SendFailure.PERMANENT, f"message could not be built: {exc}") from exc
        kwargs: dict[str, Any] = {
            "FromEmailAddress": message.from_address,
            "Destination": {"ToAddresses": [message.to_address]},
            "Content": {"Raw": {"Data": raw}},
        }
        if self.configuration_set:
            kwargs["ConfigurationSetName"] = self.configuration_set
        if message.tags:
            bad = sorted(
                k for k, v in message.tags.items() if not (SES_TAG.fullmatch(k) and SES_TAG.fullmatch(v))
            )
            if bad:  # SES would refuse the whole send (BadRequestException); say which tag, before it
                raise SendError(
                    SendFailure.PERMANENT,
                    f"message could not be built: tag {bad[0]} is not in SES's tag alphabet [A-Za-z0-9_-]",
                )
            kwargs["EmailTags"] = [{"Name": k, "Value": v} for k, v in message.tags.items()]
        try:
            response = self.client.send_email(**kwargs)  # type: ignore[arg-type]
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            detail = str(exc.response.get("Error", {}).get("Message", ""))
            text = f"{code}: {detail}".strip()
            if code == "MessageRejected" and _only_recipients_unverified(detail, message):
                raise SendError(SendFailure.HELD, SANDBOX_REASON, retry_after=SANDBOX_WAIT) from exc
            if code in PERMANENT_CODES:
                raise SendError(SendFailure.PERMANENT, text) from exc
            if code in CAPACITY_CODES:  # the account, not this message: wait, do not count it
                raise SendError(SendFailure.TRANSIENT, text, retry_after=CAPACITY_WAIT) from exc
            if code in TRANSIENT_CODES or status >= 500:
                raise SendError(SendFailure.TRANSIENT, text) from exc
            raise SendError(SendFailure.PERMANENT, text) from exc
        except (EndpointConnectionError, ConnectTimeoutError) as exc:
            raise SendError(SendFailure.TRANSIENT, f"SES not reachable: {type(exc).__name__}") from exc
        except (ReadTimeoutError, ConnectionClosedError) as exc:
            # The request went out; SES may have accepted it. At most once: do not guess.
            raise SendError(SendFailure.UNKNOWN, f"no answer from SES: {type(exc).__name__}") from exc
        return response["MessageId"]
