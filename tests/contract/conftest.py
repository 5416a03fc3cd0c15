"""The contract layer's tests: moto's `mock_aws` directly, clients made after `contract.install()`.

The resources mirror what the embedded default creates (one table with the due-index, a bus, a
queue, a secret, the sender domain and the configuration set), with short names."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from nearmiss_local import contract

REGION = "eu-west-1"
SENDER_DOMAIN = "mail.nearmiss.example"
CONFIGURATION_SET = "nearmiss-local"
TABLE = "nearmiss"
BUS = "nearmiss"
BUCKET = "nearmiss-inbound"


def client(service: str) -> Any:
    return boto3.client(service, region_name=REGION)  # type: ignore[call-overload]


@pytest.fixture
def aws() -> Iterator[None]:
    """moto, with the contract layer on (and back as it was afterwards: the embedded default may
    have installed it for the whole process already)."""
    from moto import mock_aws

    was_installed = contract.installed()
    contract.install()
    contract.state.reset()
    with mock_aws(config={"lambda": {"use_docker": False}}):
        yield
    contract.state.reset()
    if not was_installed:
        contract.uninstall()


@pytest.fixture
def ses(aws: None) -> Any:
    sesv2 = client("sesv2")
    sesv2.create_email_identity(EmailIdentity=SENDER_DOMAIN)
    sesv2.create_configuration_set(ConfigurationSetName=CONFIGURATION_SET)
    return sesv2


@pytest.fixture
def ddb(aws: None) -> Any:
    dynamodb = client("dynamodb")
    dynamodb.create_table(
        TableName=TABLE,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "due_shard", "AttributeType": "S"},
            {"AttributeName": "due_at", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "due",
                "KeySchema": [
                    {"AttributeName": "due_shard", "KeyType": "HASH"},
                    {"AttributeName": "due_at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    return dynamodb


@pytest.fixture
def events(aws: None) -> Any:
    eventbridge = client("events")
    eventbridge.create_event_bus(Name=BUS)
    return eventbridge


@pytest.fixture
def sqs(aws: None) -> Any:
    return client("sqs")


@pytest.fixture
def queue(sqs: Any) -> str:
    return str(sqs.create_queue(QueueName="nearmiss-dlq")["QueueUrl"])
