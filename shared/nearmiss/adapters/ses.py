"""The SES v2 mailer: one MIME message per recipient, rendered by us, sent as Raw content.

Raw rather than Simple because a personal note needs what Simple cannot carry everywhere:
a proper multipart/alternative (text and HTML), Reply-To to the candidate, and the RFC 8058
List-Unsubscribe headers. The stdlib's EmailMessage refuses CR/LF in any header value, so a
name crafted to inject headers fails here even if it slipped past validation.
"""

from __future__ import annotations

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
PERMANENT_CODES = frozenset(
    {
        "MessageRejected",  # e.g. unverified sender, or content SES refuses
        "MailFromDomainNotVerifiedException",
        "AccountSuspendedException",
        "BadRequestException",
        "NotFoundException",  # e.g. a configuration set that does not exist
    }
)


def build_mime(message: OutgoingMessage) -> bytes:
    mime = EmailMessage()
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
    return mime.as_bytes()


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
            if code in TRANSIENT_CODES or status >= 500:
                raise SendError(SendFailure.TRANSIENT, text) from exc
            raise SendError(SendFailure.PERMANENT, text) from exc
        except (EndpointConnectionError, ConnectTimeoutError) as exc:
            raise SendError(SendFailure.TRANSIENT, f"SES not reachable: {type(exc).__name__}") from exc
        except (ReadTimeoutError, ConnectionClosedError) as exc:
            # The request went out; SES may have accepted it. At most once: do not guess.
            raise SendError(SendFailure.UNKNOWN, f"no answer from SES: {type(exc).__name__}") from exc
        return response["MessageId"]
