"""The SES v2 mailer: one MIME message per recipient, rendered by us, sent as Raw content.

Raw rather than Simple because a personal note needs what Simple cannot carry everywhere:
a proper multipart/alternative (text and HTML), Reply-To to the candidate, and the RFC 8058
List-Unsubscribe headers. The stdlib's EmailMessage refuses CR/LF in any header value, so a
name crafted to inject headers fails here even if it slipped past validation.
"""

from __future__ import annotations

import email
import email.policy
from datetime import timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate
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


# Fold no header below 998 characters: folding a long display name drops its quotes, and a name
# holding "<someone@else.example>" would then read as the address (RFC 5322 allows 998).
POLICY = email.policy.default.clone(max_line_length=998)


def build_mime(message: OutgoingMessage) -> bytes:
    """The MIME message, checked by parsing it back: exactly the intended From and To, one-line
    Subject. Anything else raises ValueError (the step then fails for good, with the reason)."""
    mime = EmailMessage(policy=POLICY)
    mime["From"] = Address(display_name=message.from_name, addr_spec=message.from_address)
    mime["To"] = Address(display_name=message.to_name, addr_spec=message.to_address)
    if message.reply_to:
        mime["Reply-To"] = message.reply_to
    mime["Subject"] = message.subject
    mime["Date"] = formatdate(usegmt=True)
    for name, value in message.headers.items():
        mime[name] = value
    mime.set_content(message.text)
    mime.add_alternative(message.html, subtype="html")
    raw = mime.as_bytes()
    _check_parses_back(raw, message)
    return raw


def _check_parses_back(raw: bytes, message: OutgoingMessage) -> None:
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
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
            kwargs["EmailTags"] = [{"Name": k, "Value": v} for k, v in message.tags.items()]
        try:
            response = self.client.send_email(**kwargs)  # type: ignore[arg-type]
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            text = f"{code}: {exc.response.get('Error', {}).get('Message', '')}".strip()
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
