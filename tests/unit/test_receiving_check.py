"""make receiving-check: reads the account, changes nothing, and never replaces another active rule set."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nearmiss_local.receiving_check import check

REGION = "eu-west-1"
OUTPUTS = {
    "ReceiptRuleSetName": "nearmiss-prod",
    "ReceivingMxRecord": "reply.careers.example.org MX 10 inbound-smtp.eu-west-1.amazonaws.com",
}
RULE = {
    "Name": "nearmiss-prod-replies",
    "Enabled": True,
    "ScanEnabled": True,
    "TlsPolicy": "Require",
    "Recipients": ["reply.careers.example.org"],
    "Actions": [
        {"S3Action": {"BucketName": "nearmiss-inbound", "ObjectKeyPrefix": "inbound/"}},
        {"LambdaAction": {"FunctionArn": "arn:aws:lambda:eu-west-1:123456789012:function:f:live"}},
    ],
}


@dataclass
class FakeSes:
    """The SES (v1) calls the check makes, answering as SES's API reference shows; it records any
    call that would change something (there must be none)."""

    active: str | None = None
    rules: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {"nearmiss-prod": [RULE]})
    changes: list[str] = field(default_factory=list)

    def describe_active_receipt_rule_set(self) -> dict[str, Any]:
        return (
            {"Metadata": {"Name": self.active}, "Rules": self.rules.get(self.active or "", [])}
            if self.active
            else {}
        )

    def describe_receipt_rule_set(self, RuleSetName: str) -> dict[str, Any]:
        return {"Metadata": {"Name": RuleSetName}, "Rules": self.rules[RuleSetName]}

    def set_active_receipt_rule_set(self, **_: Any) -> None:
        self.changes.append("set_active_receipt_rule_set")


@dataclass
class FakeSesV2:
    verified: bool = True

    def get_email_identity(self, EmailIdentity: str) -> dict[str, Any]:
        return {"IdentityType": "DOMAIN", "VerifiedForSendingStatus": self.verified}


def test_no_active_rule_set_prints_the_one_time_command() -> None:
    ses = FakeSes()
    problems = check(OUTPUTS, REGION, ses, FakeSesV2())
    assert len(problems) == 1
    assert (
        "aws ses set-active-receipt-rule-set --rule-set-name nearmiss-prod --region eu-west-1" in problems[0]
    )
    assert ses.changes == []


def test_our_active_rule_set_passes() -> None:
    assert check(OUTPUTS, REGION, FakeSes(active="nearmiss-prod"), FakeSesV2()) == []


def test_another_active_rule_set_is_named_and_never_replaced() -> None:
    ses = FakeSes(active="helpdesk", rules={"nearmiss-prod": [RULE], "helpdesk": []})
    (problem,) = check(OUTPUTS, REGION, ses, FakeSesV2())
    assert "'helpdesk'" in problem and "do not replace it" in problem
    assert ses.changes == [] and ses.active == "helpdesk"


def test_an_unverified_domain_a_region_without_receiving_and_a_weakened_rule_are_named() -> None:
    weak = {**RULE, "TlsPolicy": "Optional"}
    ses = FakeSes(active="nearmiss-prod", rules={"nearmiss-prod": [weak]})
    problems = check(OUTPUTS, "eu-south-1", ses, FakeSesV2(verified=False))
    assert any("does not receive mail in eu-south-1" in p for p in problems)
    assert any("not verified yet" in p for p in problems)
    assert any("require TLS" in p for p in problems)
