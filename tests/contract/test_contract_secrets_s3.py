"""Secrets Manager GetSecretValue and S3 object keys through the contract layer."""

from __future__ import annotations

from typing import Any

import pytest

from tests.contract.conftest import BUCKET, REGION, client
from tests.contract.support import refused, unmodeled


# ---- secretsmanager-secret-id -------------------------------------------------------------------------
def test_secretsmanager_secret_id_at_most_2048_characters(aws: None) -> None:
    sm = client("secretsmanager")
    long_id = "s" * 2049
    refused(
        lambda: sm.get_secret_value(SecretId=long_id),
        unmodeled(sm, "ValidationException"),
        "ValidationException",
        400,
        f"1 validation error detected: Value '{long_id}' at 'secretId' failed to satisfy constraint: Member "
        "must have length less than or equal to 2048",
    )


def test_secretsmanager_secret_id_of_a_secret_passes(aws: None) -> None:
    sm = client("secretsmanager")
    arn = sm.create_secret(Name="nearmiss-link-secret", SecretString="v")["ARN"]
    assert sm.get_secret_value(SecretId=arn)["SecretString"] == "v"
    # A missing secret stays moto's ResourceNotFoundException (moto says 404 where AWS says 400).
    with pytest.raises(sm.exceptions.ResourceNotFoundException):
        sm.get_secret_value(SecretId="s" * 2048)


def test_secretsmanager_secret_id_through_powertools(aws: None) -> None:
    """Powertools' parameters make their client themselves: it is checked as well."""
    from aws_lambda_powertools.utilities import parameters

    provider = parameters.SecretsProvider()
    with pytest.raises(parameters.exceptions.GetParameterError, match="ValidationException"):
        provider.get("s" * 2049)


# ---- s3-key-length ------------------------------------------------------------------------------------
@pytest.fixture
def s3(aws: None) -> Any:
    bucket = client("s3")
    bucket.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    return bucket


@pytest.mark.parametrize("key", ["k" * 1025, "é" * 513], ids=["1025-ascii", "513-two-byte"])
def test_s3_key_length_at_most_1024_bytes(s3: Any, key: str) -> None:
    for call in (
        lambda: s3.put_object(Bucket=BUCKET, Key=key, Body=b"mail"),
        lambda: s3.get_object(Bucket=BUCKET, Key=key),
    ):
        error = refused(
            call, unmodeled(s3, "KeyTooLongError"), "KeyTooLongError", 400, "Your key is too long"
        )
        assert error.response["Error"]["MaxSizeAllowed"] == "1024"


def test_s3_key_length_of_1024_bytes_passes(s3: Any) -> None:
    key = "inbound/" + "é" * 508  # 8 + 1016 bytes
    s3.put_object(Bucket=BUCKET, Key=key, Body=b"mail")
    assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == b"mail"
