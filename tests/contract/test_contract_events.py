"""EventBridge PutEvents through the contract layer."""

from __future__ import annotations

import json
from typing import Any

import pytest
from nearmiss_local import contract

from tests.contract.conftest import BUS, client
from tests.contract.support import refused, unmodeled


def entry(**changes: Any) -> dict[str, Any]:
    base = {
        "Source": "nearmiss.api",
        "DetailType": "Application Rejected",
        "Detail": "{}",
        "EventBusName": BUS,
    }
    return {**base, **changes}


@pytest.fixture
def spy(events: Any) -> Any:
    """An SQS queue that receives every event on the bus: what EventBridge really published."""
    sqs = client("sqs")
    url = sqs.create_queue(QueueName="spy")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="all", EventBusName=BUS, EventPattern=json.dumps({"source": [{"prefix": ""}]}))
    events.put_targets(Rule="all", EventBusName=BUS, Targets=[{"Id": "spy", "Arn": arn}])

    def published() -> list[dict[str, Any]]:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(m["Body"]) for m in got]

    return published


# ---- eventbridge-entries-count ------------------------------------------------------------------------
def test_eventbridge_entries_count_at_most_10(events: Any) -> None:
    refused(
        lambda: events.put_events(Entries=[entry() for _ in range(11)]),
        unmodeled(events, "ValidationException"),
        "ValidationException",
        400,
        contains="at 'entries' failed to satisfy constraint: Member must have length less than or equal "
        "to 10",
    )
    assert events.put_events(Entries=[entry() for _ in range(10)])["FailedEntryCount"] == 0


# ---- eventbridge-total-size ---------------------------------------------------------------------------
def test_eventbridge_total_size_is_computed_as_documented() -> None:
    sized = entry(Time="2026-11-24T15:10:00Z", Resources=["arn:a", "é"], Detail='{"a": 1}')
    assert contract.entry_size(sized) == 14 + len("nearmiss.api") + len("Application Rejected") + 8 + 5 + 2


def test_eventbridge_total_size_of_1_mb_or_more_is_refused(events: Any) -> None:
    half = json.dumps({"doc": "x" * (512 * 1024)})  # two of these: over 1 MB in all
    refused(
        lambda: events.put_events(Entries=[entry(Detail=half), entry(Detail=half)]),
        unmodeled(events, "ValidationException"),
        "ValidationException",
        400,
        "Total size of the entries in the request is over the limit.",
    )


def test_eventbridge_total_size_under_1_mb_passes(events: Any) -> None:
    big = json.dumps({"doc": "x" * (900 * 1024)})  # over the old 256 KB, under today's 1 MB
    assert events.put_events(Entries=[entry(Detail=big)])["FailedEntryCount"] == 0


# ---- eventbridge-aws-source ---------------------------------------------------------------------------
def test_eventbridge_aws_source_fails_the_entry_not_the_call(events: Any, spy: Any) -> None:
    answer = events.put_events(Entries=[entry(Source="aws.ses"), entry(), entry(Source="aws.events")])
    assert answer["FailedEntryCount"] == 2
    first, second, third = answer["Entries"]
    assert first == {
        "ErrorCode": "NotAuthorizedForSourceException",
        "ErrorMessage": "Not authorized for the source.",
    }
    assert "EventId" in second and "ErrorCode" not in second
    assert third["ErrorCode"] == "NotAuthorizedForSourceException"
    assert [e["source"] for e in spy()] == ["nearmiss.api"]  # only the accepted entry was published


def test_eventbridge_aws_source_only_entries_fail_all(events: Any, spy: Any) -> None:
    answer = events.put_events(Entries=[entry(Source="aws.ses", EventBusName="default")])
    assert answer["FailedEntryCount"] == 1
    assert answer["Entries"][0]["ErrorCode"] == "NotAuthorizedForSourceException"
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert spy() == []


def test_eventbridge_aws_source_like_names_pass(events: Any, spy: Any) -> None:
    answer = events.put_events(Entries=[entry(Source="awsome.app"), entry(Source="nearmiss.aws")])
    assert answer["FailedEntryCount"] == 0
    assert sorted(e["source"] for e in spy()) == ["awsome.app", "nearmiss.aws"]


# ---- eventbridge-detail-object ------------------------------------------------------------------------
@pytest.mark.parametrize("detail", ["[1, 2]", '"text"', "42", "null"])
def test_eventbridge_detail_object_required(events: Any, detail: str) -> None:
    answer = events.put_events(Entries=[entry(Detail=detail), entry()])
    assert answer["FailedEntryCount"] == 1
    assert answer["Entries"][0] == {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}
    assert "EventId" in answer["Entries"][1]


def test_eventbridge_detail_object_not_json_is_malformed_too(events: Any) -> None:
    answer = events.put_events(Entries=[entry(Detail="{nope")])  # moto's own check, as AWS answers
    assert answer["Entries"][0]["ErrorCode"] == "MalformedDetail"


def test_eventbridge_detail_object_passes(events: Any, spy: Any) -> None:
    assert events.put_events(Entries=[entry(Detail='{"data": {"a": [1]}}')])["FailedEntryCount"] == 0
    assert spy()[0]["detail"] == {"data": {"a": [1]}}
