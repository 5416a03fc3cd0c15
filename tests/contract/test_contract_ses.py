"""SES v2 through the contract layer: SendEmail, GetEmailIdentity, CreateEmailIdentity."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

import pytest
from nearmiss_local import contract

from tests.contract.conftest import CONFIGURATION_SET, SENDER_DOMAIN
from tests.contract.support import refused

FROM = f"notes@{SENDER_DOMAIN}"
ALPHABET = "only alphanumeric ASCII characters, '_', and '-' are allowed."
NOT_VERIFIED = (
    "Email address is not verified. The following identities failed the check in region EU-WEST-1: "
)


def simple(**changes: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "FromEmailAddress": FROM,
        "Destination": {"ToAddresses": ["grace@northwind.example"]},
        "Content": {"Simple": {"Subject": {"Data": "Thank you"}, "Body": {"Text": {"Data": "Hi Grace"}}}},
    }
    return {**request, **changes}


def raw(
    from_header: str = f"Ada Quinn <{FROM}>", to: str = "grace@northwind.example", body: str = "Hi"
) -> bytes:
    mime = EmailMessage()
    mime["From"] = from_header
    mime["To"] = to
    mime["Subject"] = "Thank you"
    mime.set_content(body)
    return mime.as_bytes()


def sent(ses: Any) -> int:
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return len(ses_backends[DEFAULT_ACCOUNT_ID]["eu-west-1"].sent_messages)


# ---- ses-email-tags -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("tag", "message"),
    [
        (
            {"Name": "nm_step", "Value": "thank_you.grace"},
            f"Invalid tag value <thank_you.grace>: {ALPHABET}",
        ),
        (
            {"Name": "nm:step", "Value": "x"},
            f"Invalid tag name <nm:step>: {ALPHABET}",
        ),
        (
            {"Name": "nm_step", "Value": "grace@northwind.example"},
            f"Invalid tag value <grace@northwind.example>: {ALPHABET}",
        ),
        ({"Name": "nm_step", "Value": ""}, "The tag value must be specified."),
        ({"Name": "", "Value": "x"}, "The tag name must be specified."),
        ({"Name": "nm_step", "Value": "v" * 257}, "Tag value cannot exceed 256 characters."),
        ({"Name": "n" * 257, "Value": "x"}, "Tag name cannot exceed 256 characters."),
    ],
)
def test_ses_email_tags_outside_the_alphabet_are_a_bad_request(
    ses: Any, tag: dict[str, str], message: str
) -> None:
    refused(
        lambda: ses.send_email(**simple(EmailTags=[tag])),
        ses.exceptions.BadRequestException,
        "BadRequestException",
        400,
        message,
    )
    assert sent(ses) == 0


def test_ses_email_tags_in_the_alphabet_pass(ses: Any) -> None:
    tags = [{"Name": "nm_step", "Value": "dGhhbmtfeW91LmdyYWNl"}, {"Name": "a-b_C9", "Value": "v" * 256}]
    ses.send_email(**simple(EmailTags=tags, ConfigurationSetName=CONFIGURATION_SET))
    assert sent(ses) == 1


# ---- ses-recipient-count ------------------------------------------------------------------------------
def test_ses_recipient_count_above_50_is_a_bad_request(ses: Any) -> None:
    many = {
        "ToAddresses": [f"p{i}@northwind.example" for i in range(30)],
        "BccAddresses": [f"b{i}@northwind.example" for i in range(21)],
    }
    refused(
        lambda: ses.send_email(**simple(Destination=many)),
        ses.exceptions.BadRequestException,
        "BadRequestException",
        400,
        "Recipient count exceeds 50.",
    )


def test_ses_recipient_count_of_50_passes(ses: Any) -> None:
    ses.send_email(**simple(Destination={"ToAddresses": [f"p{i}@northwind.example" for i in range(50)]}))
    assert sent(ses) == 1


# ---- ses-configuration-set-exists ---------------------------------------------------------------------
def test_ses_configuration_set_exists_or_not_found(ses: Any) -> None:
    refused(
        lambda: ses.send_email(**simple(ConfigurationSetName="nearmiss-prod")),
        ses.exceptions.NotFoundException,
        "NotFoundException",
        404,
        "Configuration set <nearmiss-prod> does not exist.",
    )
    ses.send_email(**simple(ConfigurationSetName=CONFIGURATION_SET))
    assert sent(ses) == 1


# ---- ses-message-size ---------------------------------------------------------------------------------
def test_ses_message_size_above_40_mb_is_rejected(ses: Any) -> None:
    big = raw(body="x" * (40 * 1024 * 1024))
    refused(
        lambda: ses.send_email(
            FromEmailAddress=FROM,
            Destination={"ToAddresses": ["grace@northwind.example"]},
            Content={"Raw": {"Data": big}},
        ),
        ses.exceptions.MessageRejected,
        "MessageRejected",
        400,
        contains="Message length is more than 41943040 bytes",
    )


def test_ses_message_size_of_a_large_message_passes(ses: Any) -> None:
    message = raw(body="x" * (2 * 1024 * 1024))
    ses.send_email(
        FromEmailAddress=FROM,
        Destination={"ToAddresses": ["grace@northwind.example"]},
        Content={"Raw": {"Data": message}},
    )
    assert sent(ses) == 1


# ---- ses-sender-verified ------------------------------------------------------------------------------
def test_ses_sender_verified_refuses_an_unverified_from_address(ses: Any) -> None:
    refused(
        lambda: ses.send_email(**simple(FromEmailAddress="ada.quinn@example.com")),
        ses.exceptions.MessageRejected,
        "MessageRejected",
        400,
        NOT_VERIFIED + "ada.quinn@example.com",
    )
    assert sent(ses) == 0


def test_ses_sender_verified_reads_the_raw_from_header_without_from_email_address(ses: Any) -> None:
    message = raw(from_header="Ada Quinn <ada.quinn@example.com>")
    refused(
        lambda: ses.send_email(
            Destination={"ToAddresses": ["grace@northwind.example"]}, Content={"Raw": {"Data": message}}
        ),
        ses.exceptions.MessageRejected,
        "MessageRejected",
        400,
        NOT_VERIFIED + "ada.quinn@example.com",
    )
    ses.send_email(Destination={"ToAddresses": ["grace@northwind.example"]}, Content={"Raw": {"Data": raw()}})
    assert sent(ses) == 1


def test_ses_sender_verified_by_its_domain_or_its_own_address_passes(ses: Any) -> None:
    ses.send_email(**simple())  # the domain identity covers notes@
    ses.create_email_identity(EmailIdentity="ada.quinn@example.com")
    ses.send_email(**simple(FromEmailAddress="Ada Quinn <ada.quinn@example.com>"))
    assert sent(ses) == 2


def test_ses_sender_verified_refuses_an_identity_that_is_not_verified_yet(ses: Any) -> None:
    ses.create_email_identity(EmailIdentity="ada.quinn@example.com")
    contract.state.unverified.add("ada.quinn@example.com")
    refused(
        lambda: ses.send_email(**simple(FromEmailAddress="ada.quinn@example.com")),
        ses.exceptions.MessageRejected,
        "MessageRejected",
        400,
        NOT_VERIFIED + "ada.quinn@example.com",
    )


# ---- ses-sandbox-recipients ---------------------------------------------------------------------------
def test_ses_sandbox_recipients_are_not_checked_out_of_the_sandbox(ses: Any) -> None:
    assert contract.state.sandbox is False  # the default: production access
    ses.send_email(**simple())
    assert sent(ses) == 1


def test_ses_sandbox_recipients_must_be_verified_in_the_sandbox(ses: Any) -> None:
    with contract.sandbox():
        refused(
            lambda: ses.send_email(**simple()),
            ses.exceptions.MessageRejected,
            "MessageRejected",
            400,
            NOT_VERIFIED + "grace@northwind.example",
        )
    assert contract.state.sandbox is False


def test_ses_sandbox_recipients_verified_or_the_simulator_pass(ses: Any) -> None:
    ses.create_email_identity(EmailIdentity="grace@northwind.example")
    with contract.sandbox():
        ses.send_email(**simple())
        ses.send_email(**simple(Destination={"ToAddresses": ["success@simulator.amazonses.com"]}))
    assert sent(ses) == 2


def test_ses_sandbox_recipients_are_named_after_an_unverified_sender(ses: Any) -> None:
    contract.state.sandbox = True
    refused(
        lambda: ses.send_email(**simple(FromEmailAddress="ada@example.com")),
        ses.exceptions.MessageRejected,
        "MessageRejected",
        400,
        NOT_VERIFIED + "ada@example.com, grace@northwind.example",
    )


# ---- ses-identity-exists, ses-identity-verified-status ------------------------------------------------
def test_ses_identity_exists_or_not_found(ses: Any) -> None:
    refused(
        lambda: ses.get_email_identity(EmailIdentity="northwind.example"),
        ses.exceptions.NotFoundException,
        "NotFoundException",
        404,
        "Identity northwind.example does not exist.",
    )
    assert ses.get_email_identity(EmailIdentity=SENDER_DOMAIN)["IdentityType"] == "DOMAIN"


def test_ses_identity_verified_status_is_true_for_a_verified_identity(ses: Any) -> None:
    answer = ses.get_email_identity(EmailIdentity=SENDER_DOMAIN)
    assert answer["VerifiedForSendingStatus"] is True  # moto alone answers False
    assert answer["VerificationStatus"] == "SUCCESS"


def test_ses_identity_verified_status_is_false_while_pending(ses: Any) -> None:
    ses.create_email_identity(EmailIdentity="ada.quinn@example.com")
    contract.state.unverified.add("ada.quinn@example.com")
    answer = ses.get_email_identity(EmailIdentity="ada.quinn@example.com")
    assert (answer["VerifiedForSendingStatus"], answer["VerificationStatus"]) == (False, "PENDING")


# ---- ses-identity-unique ------------------------------------------------------------------------------
def test_ses_identity_unique_refuses_creating_it_twice(ses: Any) -> None:
    refused(
        lambda: ses.create_email_identity(EmailIdentity=SENDER_DOMAIN),
        ses.exceptions.AlreadyExistsException,
        "AlreadyExistsException",
        400,
        f"Email identity {SENDER_DOMAIN} already exist.",
    )
    ses.create_email_identity(EmailIdentity="ada.quinn@example.com")  # a new one is fine
