"""Who a note may be From: the rules that need no SES, and SES's own word on its identities."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from nearmiss.adapters.ses_identities import SesIdentities, identity_names
from nearmiss.domain.sending import free_mail_domain, own_address_refusal
from nearmiss.service.playbooks import SenderPolicy
from nearmiss.service.ports import IdentityLookupError
from nearmiss_local.fakes import FakeIdentities

PLATFORM = "mail.nearmiss.example"


@pytest.mark.parametrize(
    "domain",
    [
        "gmail.com",
        "GoogleMail.com",
        "yahoo.com",
        "yahoo.co.uk",
        "yahoo.co.jp",
        "ymail.com",
        "outlook.com",
        "outlook.de",
        "hotmail.com",
        "hotmail.fr",
        "live.com",
        "msn.com",
        "aol.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "proton.me",
        "protonmail.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "mail.com",
        "yandex.ru",
        "yandex.com",
        "zoho.com",
    ],
)
def test_free_mail_domains_are_known(domain: str) -> None:
    assert free_mail_domain(domain)


@pytest.mark.parametrize(
    "domain",
    ["contoso.example", "northwind.example", "yahoo-inc.example", "mail.yahoo.example", "gmail.com.example"],
)
def test_an_organisations_domain_is_not_free_mail(domain: str) -> None:
    assert not free_mail_domain(domain)


def test_a_free_mail_address_is_refused_with_why_and_what_to_do_instead() -> None:
    reason = own_address_refusal("ada.quinn@gmail.com", PLATFORM)
    assert reason is not None
    assert reason.startswith("gmail.com is a free-mail domain: SES cannot send From it and pass DMARC")
    assert "p=reject" in reason and '"platform"' in reason and "Reply-To" in reason
    assert "ada.quinn" not in reason  # names the domain, never the address


@pytest.mark.parametrize(
    "address", ["notes@mail.nearmiss.example", "ada@MAIL.nearmiss.example", "x@a.mail.nearmiss.example"]
)
def test_an_address_on_the_platforms_own_sender_domain_is_refused(address: str) -> None:
    reason = own_address_refusal(address, PLATFORM)
    assert reason is not None and "platform's own sender domain (mail.nearmiss.example)" in reason


def test_an_address_on_the_platforms_parent_domain_is_a_matter_for_ses() -> None:
    assert own_address_refusal("ada@nearmiss.example", PLATFORM) is None


def test_the_sender_policy_asks_ses_only_when_the_rules_leave_it_open() -> None:
    senders, identities = SenderPolicy(domain=PLATFORM), FakeIdentities(verified={"contoso.example"})
    assert senders.own_address_refusal("ada@gmail.com", identities) is not None
    assert senders.own_address_refusal("notes@mail.nearmiss.example", identities) is not None
    assert identities.asked == []
    assert senders.own_address_refusal("ada@contoso.example", identities) is None
    assert senders.own_address_refusal("ada@eu.contoso.example", identities) is None  # a subdomain
    refused = senders.own_address_refusal("ada@fabrikam.example", identities)
    assert refused is not None and "fabrikam.example is a verified SES identity" in refused
    assert "verify the address or its domain in SES first" in refused


# ---- the SES v2 adapter (GetEmailIdentity), against botocore's Stubber --------------------------------
def identity(verified: bool, status: str = "SUCCESS", kind: str = "DOMAIN") -> dict[str, Any]:
    return {"IdentityType": kind, "VerifiedForSendingStatus": verified, "VerificationStatus": status}


def stubbed() -> tuple[SesIdentities, Stubber, list[float]]:
    client = boto3.client("sesv2", region_name="eu-west-1")
    clock = [0.0]
    return SesIdentities(client, clock=lambda: clock[0]), Stubber(client), clock


def test_the_names_asked_go_from_the_address_to_its_domain_and_its_parents() -> None:
    assert identity_names("ada@eu.Contoso.example") == [
        "ada@eu.Contoso.example",
        "eu.contoso.example",
        "contoso.example",
    ]


def test_a_verified_domain_lets_the_account_send_from_any_address_on_it() -> None:
    identities, stub, _ = stubbed()
    with stub:
        stub.add_client_error(
            "get_email_identity",
            "NotFoundException",
            "not found",
            404,
            expected_params={"EmailIdentity": "ada@contoso.example"},
        )
        stub.add_response("get_email_identity", identity(True), {"EmailIdentity": "contoso.example"})
        check = identities.can_send_from("ada@contoso.example")
    assert check.verified and check.identity == "contoso.example"


def test_a_verified_address_is_enough_and_its_domain_is_not_asked() -> None:
    identities, stub, _ = stubbed()
    with stub:
        stub.add_response(
            "get_email_identity",
            identity(True, kind="EMAIL_ADDRESS"),
            {"EmailIdentity": "ada@contoso.example"},
        )
        check = identities.can_send_from("ada@contoso.example")
        stub.assert_no_pending_responses()
    assert check.verified and check.identity == "ada@contoso.example"


def test_an_identity_pending_verification_is_not_enough_and_says_so() -> None:
    identities, stub, _ = stubbed()
    with stub:
        stub.add_client_error("get_email_identity", "NotFoundException", "not found", 404)
        stub.add_response(
            "get_email_identity", identity(False, status="PENDING"), {"EmailIdentity": "contoso.example"}
        )
        check = identities.can_send_from("ada@contoso.example")
    assert not check.verified
    assert (
        check.reason
        == "contoso.example is an SES identity of this account but not verified for sending (status PENDING)"
    )


def test_no_identity_at_all_names_the_domain_not_the_address() -> None:
    identities, stub, _ = stubbed()
    with stub:
        stub.add_client_error("get_email_identity", "NotFoundException", "not found", 404)
        stub.add_client_error("get_email_identity", "NotFoundException", "not found", 404)
        check = identities.can_send_from("ada@contoso.example")
    assert not check.verified
    assert (
        check.reason
        == "neither the address nor its domain contoso.example is a verified SES identity of this account"
    )


def test_answers_are_cached_briefly_then_asked_again() -> None:
    identities, stub, clock = stubbed()
    with stub:
        stub.add_client_error("get_email_identity", "NotFoundException", "not found", 404)
        stub.add_response("get_email_identity", identity(True), {"EmailIdentity": "contoso.example"})
        assert identities.can_send_from("ada@contoso.example").verified
        assert identities.can_send_from("ada@contoso.example").verified  # from the cache: no request
        stub.assert_no_pending_responses()
        clock[0] += 301
        stub.add_client_error("get_email_identity", "NotFoundException", "not found", 404)
        stub.add_client_error("get_email_identity", "NotFoundException", "not found", 404)  # deleted since
        assert not identities.can_send_from("ada@contoso.example").verified


@pytest.mark.parametrize(
    ("code", "status"),
    [("TooManyRequestsException", 429), ("AccessDeniedException", 403), ("InternalFailure", 500)],
)
def test_no_answer_from_ses_is_no_verdict_and_is_not_cached(code: str, status: int) -> None:
    identities, stub, _ = stubbed()
    with stub:
        stub.add_client_error("get_email_identity", code, "no", status)
        with pytest.raises(IdentityLookupError, match=code):
            identities.can_send_from("ada@contoso.example")
        stub.add_response("get_email_identity", identity(True, kind="EMAIL_ADDRESS"))
        assert identities.can_send_from("ada@contoso.example").verified
