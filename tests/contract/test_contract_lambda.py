"""Lambda Invoke through the contract layer (dead-letter replay invokes functions)."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest

from tests.contract.conftest import client
from tests.contract.support import refused, unmodeled

MIB = 1024 * 1024


@pytest.fixture
def function(aws: None) -> Any:
    iam = client("iam")
    role = iam.create_role(
        RoleName="replay",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ]
            }
        ),
    )["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return event\n")
    lam = client("lambda")
    lam.create_function(
        FunctionName="StartPlaybookFunction",
        Runtime="python3.13",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": code.getvalue()},
    )
    return lam


def payload(size: int) -> bytes:
    head, tail = b'{"doc": "', b'"}'
    return head + b"x" * (size - len(head) - len(tail)) + tail


# ---- lambda-payload-size ------------------------------------------------------------------------------
def test_lambda_payload_size_of_an_event_invocation_at_most_1_mb(function: Any) -> None:
    refused(
        lambda: function.invoke(
            FunctionName="StartPlaybookFunction", InvocationType="Event", Payload=payload(MIB + 1)
        ),
        unmodeled(function, "RequestEntityTooLargeException"),
        "RequestEntityTooLargeException",
        413,
        "1048577 byte payload is too large for the Event invocation type (limit 1048576 bytes)",
    )


def test_lambda_payload_size_of_a_synchronous_invocation_at_most_6_mb(function: Any) -> None:
    refused(
        lambda: function.invoke(FunctionName="StartPlaybookFunction", Payload=payload(6 * MIB + 1)),
        unmodeled(function, "RequestEntityTooLargeException"),
        "RequestEntityTooLargeException",
        413,
        "Request must be smaller than 6291456 bytes for the InvokeFunction operation",
    )


def test_lambda_payload_size_within_the_limits_passes(function: Any) -> None:
    answer = function.invoke(
        FunctionName="StartPlaybookFunction", InvocationType="Event", Payload=payload(MIB)
    )
    assert answer["StatusCode"] == 202
    # A synchronous invocation may carry more than an asynchronous one; a stream counts as its bytes.
    answer = function.invoke(FunctionName="StartPlaybookFunction", Payload=io.BytesIO(payload(2 * MIB)))
    assert answer["StatusCode"] == 200


def test_lambda_payload_size_counts_a_stream(function: Any) -> None:
    stream = io.BytesIO(payload(MIB + 10))
    refused(
        lambda: function.invoke(FunctionName="StartPlaybookFunction", InvocationType="Event", Payload=stream),
        unmodeled(function, "RequestEntityTooLargeException"),
        "RequestEntityTooLargeException",
        413,
        contains="1048586 byte payload",
    )


# ---- lambda-request-constraints -----------------------------------------------------------------------
def test_lambda_request_constraints_function_name(function: Any) -> None:
    refused(
        lambda: function.invoke(FunctionName="Start Playbook", Payload=b"{}"),
        unmodeled(function, "ValidationException"),
        "ValidationException",
        400,
        contains="Value 'Start Playbook' at 'functionName' failed to satisfy constraint: Member must satisfy "
        "regular expression pattern",
    )
    refused(
        lambda: function.invoke(FunctionName="F" * 257, Payload=b"{}"),
        unmodeled(function, "ValidationException"),
        "ValidationException",
        400,
        contains="Member must have length less than or equal to 256",
    )
    arn = "arn:aws:lambda:eu-west-1:123456789012:function:StartPlaybookFunction"
    assert function.invoke(FunctionName=arn, Payload=b"{}")["StatusCode"] == 200
