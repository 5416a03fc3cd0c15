"""The SES mailer says which failures may be retried, which never will succeed, and which are unknown."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError, ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError
from nearmiss.adapters.ses import SesMailer, build_mime
from nearmiss.domain.compose import OutgoingMessage
from nearmiss.service.ports import SendError, SendFailure

MESSAGE = OutgoingMessage(
    to_name="Grace Park",
    to_address="grace@northwind.example",
    from_name="Ada Quinn",
    from_address="notes@mail.example.org",
    reply_to="ada@example.com",
    subject="Thank you",
    text="Hi Grace,\n",
    html="<p>Hi Grace,</p>",
    headers={"List-Unsubscribe": "<https://x.example/stop>"},
    tags={"nm_step": "dGhhbmtfeW91LjAxMjM0NTY3ODlhYmNkZWYwMTIz"},  # base64url of the step id
)


class FailingClient:
    def __init__(self, error: Exception) -> None:
        self.error = error
        self.calls: list[dict[str, Any]] = []

    def send_email(self, **kwargs: Any) -> dict[str, str]:
        self.calls.append(kwargs)
        raise self.error


def client_error(code: str, status: int, message: str = "m") -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "SendEmail",
    )


@pytest.mark.parametrize(
    ("error", "failure", "waits"),
    [
        (client_error("TooManyRequestsException", 429), SendFailure.TRANSIENT, False),
        (client_error("InternalFailure", 500), SendFailure.TRANSIENT, False),
        (client_error("SomethingNewAndBroken", 503), SendFailure.TRANSIENT, False),
        (client_error("LimitExceededException", 400), SendFailure.TRANSIENT, True),
        (client_error("SendingPausedException", 400), SendFailure.TRANSIENT, True),
        (client_error("MessageRejected", 400), SendFailure.PERMANENT, False),
        (client_error("SomethingNewButOurFault", 400), SendFailure.PERMANENT, False),
        (
            EndpointConnectionError(endpoint_url="https://email.eu-west-1.amazonaws.com"),
            SendFailure.TRANSIENT,
            False,
        ),
        (
            ConnectTimeoutError(endpoint_url="https://email.eu-west-1.amazonaws.com"),
            SendFailure.TRANSIENT,
            False,
        ),
        (ReadTimeoutError(endpoint_url="https://email.eu-west-1.amazonaws.com"), SendFailure.UNKNOWN, False),
    ],
)
def test_each_failure_is_classified_for_the_dispatcher(
    error: Exception, failure: SendFailure, waits: bool
) -> None:
    client = FailingClient(error)
    with pytest.raises(SendError) as raised:
        SesMailer(client, "nearmiss-dev").send(MESSAGE)  # type: ignore[arg-type]
    assert raised.value.failure is failure
    assert (raised.value.retry_after is not None) is waits
    sent = client.calls[0]
    assert sent["ConfigurationSetName"] == "nearmiss-dev"
    assert sent["EmailTags"] == [{"Name": "nm_step", "Value": "dGhhbmtfeW91LjAxMjM0NTY3ODlhYmNkZWYwMTIz"}]


def test_a_message_that_cannot_be_built_fails_for_good_before_reaching_ses() -> None:
    client = FailingClient(AssertionError("never called"))
    broken = OutgoingMessage(**{**MESSAGE.__dict__, "to_name": "Grace\r\nBcc: all@example.org"})
    with pytest.raises(SendError) as raised:
        SesMailer(client).send(broken)  # type: ignore[arg-type]
    assert raised.value.failure is SendFailure.PERMANENT and client.calls == []


def test_the_mime_carries_both_parts_reply_to_and_the_unsubscribe_header() -> None:
    raw = build_mime(MESSAGE).decode()
    assert "Reply-To: ada@example.com" in raw and "List-Unsubscribe: <https://x.example/stop>" in raw
    assert "text/plain" in raw and "text/html" in raw


# SES's own wording (SendEmail, MessageRejected), as it names the identities that failed the check.
NOT_VERIFIED = (
    "Email address is not verified. The following identities failed the check in region EU-WEST-1: "
)


@pytest.mark.parametrize(
    "failed",
    [
        "grace@northwind.example",
        "Grace Park <grace@northwind.example>, grace@northwind.example",
        "GRACE@Northwind.example",
    ],
)
def test_a_sandbox_rejection_of_the_recipient_holds_the_message_without_failing_it(failed: str) -> None:
    # Given an account still in the SES sandbox, where the recipient is not a verified identity
    client = FailingClient(client_error("MessageRejected", 400, NOT_VERIFIED + failed))
    # When the note is sent
    with pytest.raises(SendError) as raised:
        SesMailer(client).send(MESSAGE)  # type: ignore[arg-type]
    # Then it is held, to be tried again later, with the reason the candidate will read
    assert raised.value.failure is SendFailure.HELD
    assert raised.value.retry_after is not None
    assert raised.value.reason == (
        "the SES account is in the sandbox; recipients must be verified until production access is granted"
    )


@pytest.mark.parametrize(
    "failed",
    [
        "notes@mail.example.org",  # the From
        "Ada Quinn <notes@mail.example.org>, notes@mail.example.org",
        "notes@mail.example.org, grace@northwind.example",  # the From and the recipient
        "mail.example.org",  # the From's domain
        "someone@else.example",  # not this message's recipient
    ],
)
def test_an_unverified_sender_stays_a_permanent_failure(failed: str) -> None:
    client = FailingClient(client_error("MessageRejected", 400, NOT_VERIFIED + failed))
    with pytest.raises(SendError) as raised:
        SesMailer(client).send(MESSAGE)  # type: ignore[arg-type]
    assert raised.value.failure is SendFailure.PERMANENT and raised.value.retry_after is None
    assert raised.value.reason == f"MessageRejected: {NOT_VERIFIED}{failed}"


def test_a_tag_outside_the_ses_alphabet_fails_before_reaching_ses() -> None:
    # SES v2 answers BadRequestException for the whole send; we say which tag, and never call it
    client = FailingClient(AssertionError("never called"))
    dotted = OutgoingMessage(**{**MESSAGE.__dict__, "tags": {"nm_step": "thank_you.0123456789abcdef0123"}})
    with pytest.raises(SendError) as raised:
        SesMailer(client).send(dotted)  # type: ignore[arg-type]
    assert raised.value.failure is SendFailure.PERMANENT and "nm_step" in raised.value.reason
    assert client.calls == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("to_name", "Grace\x0bBcc: all@example.org"),
        ("to_name", "Grace\x0cBcc: all@example.org"),
        ("subject", "Hi\x0cthere"),
        ("subject", "Hi\x1ethere"),
        ("subject", "Hi\u2028Bcc: all@example.org"),
        ("from_name", "Ada\x85Quinn"),
    ],
)
def test_a_line_boundary_in_a_header_is_refused_before_reaching_ses(field: str, value: str) -> None:
    client = FailingClient(AssertionError("never called"))
    broken = OutgoingMessage(**{**MESSAGE.__dict__, field: value})
    with pytest.raises(SendError) as raised:
        SesMailer(client).send(broken)  # type: ignore[arg-type]
    assert raised.value.failure is SendFailure.PERMANENT and client.calls == []


def test_another_control_character_goes_encoded_and_reads_back_as_typed() -> None:
    import email
    import email.policy

    raw = build_mime(OutgoingMessage(**{**MESSAGE.__dict__, "subject": "Hi\x01there"}))
    assert b"Hi\x01" not in raw
    assert str(email.message_from_bytes(raw, policy=email.policy.default)["Subject"]) == "Hi\x01there"


def test_a_header_name_that_is_not_one_is_refused() -> None:
    broken = OutgoingMessage(**{**MESSAGE.__dict__, "headers": {"X-Evil\r\nBcc": "all@example.org"}})
    with pytest.raises(ValueError, match="not a header name"):
        build_mime(broken)


def test_an_encoded_word_typed_into_a_name_or_subject_is_read_back_literally() -> None:
    import email
    import email.policy

    typed = "=?utf-8?q?CEO_=3Cceo=40bank.example=3E?="
    raw = build_mime(OutgoingMessage(**{**MESSAGE.__dict__, "to_name": typed, "subject": typed}))
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["To"].addresses[0].display_name == typed  # decoded once: the literal text typed
    assert [a.addr_spec for a in parsed["To"].addresses] == [MESSAGE.to_address]
    assert str(parsed["Subject"]) == typed


def test_a_forwarded_message_attachment_goes_as_bytes_not_as_a_base64_message() -> None:
    import email
    import email.policy

    from nearmiss.domain.compose import MailAttachment

    attached = MailAttachment(
        filename="original.eml", content_type="message/rfc822", payload=b"From: x\n\nhi"
    )
    raw = build_mime(OutgoingMessage(**{**MESSAGE.__dict__, "attachments": (attached,)}))
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    (part,) = list(parsed.iter_attachments())
    assert part.get_content_type() == "application/octet-stream" and part.get_content() == b"From: x\n\nhi"


def test_ascii_text_with_a_bare_carriage_return_goes_quoted_printable() -> None:
    import email
    import email.policy

    raw = build_mime(OutgoingMessage(**{**MESSAGE.__dict__, "text": "one\rtwo", "html": None}))
    assert b"Content-Transfer-Encoding: quoted-printable" in raw and b"one\rtwo" not in raw
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    # SMTP allows CR only before LF (RFC 5321 2.3.8): the bare CR arrives as the line break it meant
    assert parsed.get_payload(decode=True) == b"one\ntwo"
