"""The layer itself: its table of rules, installing and uninstalling it, its place among the hooks."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.handlers import BUILTIN_HANDLERS
from nearmiss_local import contract

from tests.contract.conftest import SENDER_DOMAIN, client

HERE = Path(__file__).parent


def test_rules_each_name_a_service_operation_limit_error_and_aws_page() -> None:
    session = botocore.session.get_session()
    names = [rule.name for rule in contract.RULES]
    assert len(names) == len(set(names))
    for rule in contract.RULES:
        assert re.fullmatch(r"[a-z0-9-]+", rule.name)
        operations = session.get_service_model(rule.service).operation_names
        assert set(rule.operations) <= set(operations), rule.name
        assert rule.doc.startswith("https://docs.aws.amazon.com/"), rule.name
        assert rule.limit and rule.error and rule.status in (200, 400, 404, 413)
        assert rule.enforced_by in ("contract", "moto")
        kinds = [rule.check, rule.entry_check, rule.answer]
        assert (sum(k is not None for k in kinds) == 1) == (rule.enforced_by == "contract"), rule.name


def test_rules_each_is_tested_refusing_and_passing() -> None:
    sources = "".join(p.read_text() for p in HERE.glob("test_contract_*.py") if p.name != Path(__file__).name)
    tests = re.findall(r"def (test_\w+)", sources)
    for rule in contract.RULES:
        stem = "test_" + rule.name.replace("-", "_")
        assert any(t.startswith(stem) for t in tests), f"no test for {rule.name} ({stem}...)"


def test_rules_are_looked_up_by_service_and_operation() -> None:
    names = {r.name for r in contract.rules_for("sesv2", "SendEmail")}
    assert {"ses-email-tags", "ses-sender-verified", "ses-configuration-set-exists"} <= names
    assert contract.rules_for("sesv2", "ListEmailIdentities") == []


def _ours() -> list[Any]:
    return [spec for spec in BUILTIN_HANDLERS if spec[1].__module__ == contract.__name__]


def test_install_is_idempotent_and_uninstall_turns_the_checks_off(aws: None) -> None:
    count = len(_ours())
    assert count > 0
    contract.install()
    assert len(_ours()) == count
    sesv2 = client("sesv2")
    sesv2.create_email_identity(EmailIdentity=SENDER_DOMAIN)
    bad = {
        "FromEmailAddress": f"notes@{SENDER_DOMAIN}",
        "Destination": {"ToAddresses": ["grace@northwind.example"]},
        "Content": {"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "t"}}}},
        "EmailTags": [{"Name": "nm_step", "Value": "a.b"}],
    }
    with pytest.raises(sesv2.exceptions.BadRequestException):
        sesv2.send_email(**bad)
    contract.uninstall()
    try:
        assert _ours() == []
        sesv2.send_email(**bad)  # moto alone takes it: what the layer is for
        client("sesv2").send_email(**bad)
    finally:
        contract.install()
    with pytest.raises(sesv2.exceptions.BadRequestException):
        client("sesv2").send_email(**bad)


def test_install_answers_before_a_later_specific_handler(aws: None) -> None:
    """The embedded default answers Lambda Invoke in process (a `before-call.lambda.Invoke` handler
    registered after the contract): an oversized payload is still refused first."""
    from nearmiss_local.responses import ok_response

    calls: list[str] = []

    def local_invoke(**_: Any) -> Any:
        calls.append("invoked")
        return ok_response(202, {"StatusCode": 202})

    spec = ("before-call.lambda.Invoke", local_invoke)
    BUILTIN_HANDLERS.append(spec)
    try:
        lam = client("lambda")
        assert lam.invoke(FunctionName="f", InvocationType="Event", Payload=b"{}")["StatusCode"] == 202
        with pytest.raises(lam.exceptions.ClientError) as caught:
            lam.invoke(FunctionName="f", InvocationType="Event", Payload=b"x" * (2 * 1024 * 1024))
        assert caught.value.response["Error"]["Code"] == "RequestEntityTooLargeException"
        assert calls == ["invoked"]
    finally:
        BUILTIN_HANDLERS.remove(spec)


def test_install_reaches_a_default_session_made_before_it(aws: None) -> None:
    import boto3

    contract.uninstall()
    try:
        boto3.setup_default_session(region_name="eu-west-1")  # made while the layer is off
        contract.install()
        sesv2 = boto3.client("sesv2")
        with pytest.raises(sesv2.exceptions.NotFoundException):
            sesv2.get_email_identity(EmailIdentity="northwind.example")
        assert sesv2.meta.events is not None
    finally:
        contract.install()
        boto3.DEFAULT_SESSION = None


def test_a_refused_request_is_not_retried_and_never_reaches_moto(aws: None) -> None:
    sesv2 = client("sesv2")
    seen: list[str] = []
    sesv2.meta.events.register("before-send.sesv2.SendEmail", lambda **kw: seen.append("sent"))
    with pytest.raises(sesv2.exceptions.MessageRejected) as caught:
        sesv2.send_email(
            FromEmailAddress="ada@unverified.example",
            Destination={"ToAddresses": ["grace@northwind.example"]},
            Content={"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "t"}}}},
        )
    assert seen == []
    assert caught.value.response["ResponseMetadata"]["RetryAttempts"] == 0
    assert caught.value.response["ResponseMetadata"]["RequestId"]
    assert "when calling the SendEmail operation: Email address is not verified." in str(caught.value)
