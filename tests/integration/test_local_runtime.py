"""The embedded default honours the template as AWS would, and refuses what it cannot honour."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from nearmiss_local.runtime import LocalStack, UnsupportedTemplateProperty, load_template

from tests.helpers import load_event


def test_conditions_are_evaluated_from_the_parameters() -> None:
    # Given a prod stack without a public base URL
    with LocalStack(parameters={"Stage": "prod", "PublicBaseUrl": ""}) as stack:
        dispatcher = stack.functions["SendDueStepsFunction"].env
        api = stack.functions["ApiFunction"].env
    # Then IsProd and HasPublicBaseUrl are what the parameters say
    assert dispatcher["POWERTOOLS_LOG_LEVEL"] == "INFO"
    assert dispatcher["NEARMISS_PUBLIC_BASE_URL"] == "https://local.execute-api.eu-west-1.amazonaws.com"
    assert api["NEARMISS_PUBLIC_BASE_URL"] == ""


def test_a_parameter_outside_its_constraint_stops_the_local_stack_naming_it() -> None:
    from nearmiss_local.template_model import TemplateError

    with pytest.raises(TemplateError, match="Parameter 'SesMaxSendRate'"):
        LocalStack(parameters={"SesMaxSendRate": "0"})


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("Properties", "ReservedConcurrentExecutions"), 5),
        (("Properties", "Events", "Rejected", "Properties", "InputTransformer"), {"InputTemplate": "{}"}),
        (("Properties", "Events", "Rejected", "Properties", "DeadLetterConfig"), {"Type": "SQS"}),
        (("Properties", "EventInvokeConfig", "DestinationConfig", "OnSuccess"), {"Type": "SQS"}),
    ],
)
def test_a_property_the_runtime_cannot_honour_fails_loudly_naming_it(
    path: tuple[str, ...], value: Any
) -> None:
    template = load_template()
    node = template["Resources"]["StartPlaybookFunction"]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(UnsupportedTemplateProperty, match=path[-1]), LocalStack(template=template):
        pass


def test_the_retries_and_the_failure_destination_come_from_the_template(stack) -> None:  # type: ignore[no-untyped-def]
    start = stack.functions["StartPlaybookFunction"]
    config = load_template()["Resources"]["StartPlaybookFunction"]["Properties"]["EventInvokeConfig"]
    assert start.async_retries == config["MaximumRetryAttempts"]
    assert start.on_failure_url == stack.names["DeadLetterQueue"]
    assert [r.dead_letter_url for r in start.rules] == [stack.names["DeadLetterQueue"]]


def test_an_event_that_cannot_be_delivered_lands_in_the_watched_queue_as_eventbridge_writes_it(stack) -> None:  # type: ignore[no-untyped-def]
    # Given EventBridge cannot hand events to the stop function (throttled, say)
    stack.delivery_fault = lambda fn, event: "Lambda throttled" if fn == "StopPlaybookFunction" else None
    event = load_event("stop_playbook/application_reopened.json")
    stack.client("events").put_events(
        Entries=[
            {
                "Source": event["source"],
                "DetailType": event["detail-type"],
                "Detail": json.dumps(event["detail"]),
                "EventBusName": stack.names["EventBus"],
            }
        ]
    )
    stack.pump()
    # Then the event is in the dead-letter queue with the rule, the target and the error, for replay
    sqs = stack.client("sqs")
    got = sqs.receive_message(QueueUrl=stack.names["DeadLetterQueue"], MessageAttributeNames=["All"])
    (message,) = got["Messages"]
    attributes = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
    assert attributes["RULE_ARN"].endswith("rule/nearmiss-dev/StopPlaybookFunctionStopped")
    assert attributes["TARGET_ARN"].endswith(
        "function:StopPlaybookFunction:live"
    )  # the alias the rule targets
    assert attributes["ERROR_MESSAGE"] == "Lambda throttled"
    assert json.loads(message["Body"])["detail-type"] == "Application Reopened"


def test_a_function_is_refused_what_its_role_does_not_allow(stack) -> None:  # type: ignore[no-untyped-def]
    from nearmiss_local import iam

    ddb = stack.client("dynamodb")
    # Given the dispatcher's role (Query, GetItem, PutItem, UpdateItem, ConditionCheckItem on the table)
    with iam.acting_as("SendDueStepsFunction"):
        ddb.query(
            TableName=stack.names["Table"],
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "x"}},
        )
        # Then a Scan or a DeleteItem is refused as Lambda's execution role refuses it
        with pytest.raises(ClientError) as refused:
            ddb.scan(TableName=stack.names["Table"])
        assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
        assert "dynamodb:Scan" in refused.value.response["Error"]["Message"]
        with pytest.raises(ClientError, match="dynamodb:DeleteItem"):
            ddb.delete_item(TableName=stack.names["Table"], Key={"pk": {"S": "x"}, "sk": {"S": "y"}})
    # And the harness itself (no function running) is not checked
    ddb.scan(TableName=stack.names["Table"])


def test_a_transaction_needs_the_action_of_each_of_its_items(stack) -> None:  # type: ignore[no-untyped-def]
    from nearmiss_local import iam

    item = {"pk": {"S": "a"}, "sk": {"S": "b"}}
    # SendDueStepsFunction may Put and ConditionCheck, not Delete
    with iam.acting_as("SendDueStepsFunction"), pytest.raises(ClientError, match="dynamodb:DeleteItem"):
        stack.client("dynamodb").transact_write_items(
            TransactItems=[
                {"Put": {"TableName": stack.names["Table"], "Item": item}},
                {"Delete": {"TableName": stack.names["Table"], "Key": {"pk": {"S": "c"}, "sk": {"S": "d"}}}},
            ]
        )


def test_lambda_invoke_runs_the_real_handler_of_the_function_it_names(stack) -> None:  # type: ignore[no-untyped-def]
    event = copy.deepcopy(load_event("handle_ses_feedback/bounce.json"))
    event["detail"]["eventType"] = "Delivery"  # not feedback: the handler refuses it
    answer = stack.client("lambda").invoke(
        FunctionName="arn:aws:lambda:eu-west-1:123456789012:function:HandleSesFeedbackFunction",
        Payload=json.dumps(event).encode(),
    )
    assert answer["FunctionError"] == "Unhandled"
    assert "eventType" in json.loads(answer["Payload"].read())["errorMessage"]
    with pytest.raises(ClientError) as missing:
        stack.client("lambda").invoke(FunctionName="NoSuchFunction", Payload=b"{}")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"


def _ses_event(configuration_set: str) -> dict[str, Any]:
    event = copy.deepcopy(load_event("handle_ses_feedback/bounce.json"))
    event["detail"]["mail"]["tags"]["ses:configuration-set"] = [configuration_set]
    return event


def _publish_as_ses(stack: Any, event: dict[str, Any]) -> None:
    stack.publish_as_aws(
        {"Source": "aws.ses", "DetailType": event["detail-type"], "Detail": json.dumps(event["detail"])}
    )


def test_ses_feedback_of_another_configuration_set_is_not_ours(stack) -> None:  # type: ignore[no-untyped-def]
    # Given a bounce from another stage's mail in the same account
    _publish_as_ses(stack, _ses_event("nearmiss-prod"))
    # Then the feedback rule does not take it
    assert stack.pump() == 0
    _publish_as_ses(stack, _ses_event("nearmiss-dev"))
    assert stack.pump() == 1


def test_an_ses_event_that_failed_is_replayed_by_invoking_its_function(stack) -> None:  # type: ignore[no-untyped-def]
    from nearmiss.replay import replay

    # Given the feedback function failed on a bounce (its table throttled through every retry)
    container = stack._container(stack.functions["HandleSesFeedbackFunction"])
    store = container.store
    real = store.suppress

    def throttled(*_: Any, **__: Any) -> Any:
        raise RuntimeError("ProvisionedThroughputExceededException")

    store.suppress = throttled
    _publish_as_ses(stack, _ses_event("nearmiss-dev"))
    stack.pump()
    assert [d.function for d in stack.dead_letters] == ["HandleSesFeedbackFunction"]
    store.suppress = real
    # When the operator replays the queue
    sqs, events = stack.client("sqs"), stack.client("events")
    report = replay(
        sqs,
        events,
        queue_url=stack.names["DeadLetterQueue"],
        bus_name=stack.names["EventBus"],
        lambda_client=stack.client("lambda"),
        wait_seconds=0,  # the clock is frozen: a long poll would never end
    )
    # Then the function ran with it (PutEvents would have refused the aws.ses source) and the queue is empty
    assert (report.replayed, report.kept) == (1, 0), report.reasons
    assert stack.invocations[-1] == ("HandleSesFeedbackFunction", "ok")
    assert sqs.receive_message(QueueUrl=stack.names["DeadLetterQueue"]).get("Messages", []) == []


def test_an_event_older_than_the_rules_maximum_age_is_dead_lettered_not_delivered(stack) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    # Given a re-open that sat in EventBridge longer than the rule's 24 hours (the target was down)
    event = load_event("stop_playbook/application_reopened.json")
    stack.client("events").put_events(
        Entries=[
            {
                "Source": event["source"],
                "DetailType": event["detail-type"],
                "Detail": json.dumps(event["detail"]),
                "EventBusName": stack.names["EventBus"],
            }
        ]
    )
    stack.traveller.shift(timedelta(hours=25))
    stack.pump()
    # Then it was not handed to the function, and it waits in the dead-letter queue, saying why
    assert ("StopPlaybookFunction", "ok") not in stack.invocations
    got = stack.client("sqs").receive_message(
        QueueUrl=stack.names["DeadLetterQueue"], MessageAttributeNames=["All"]
    )
    (message,) = got["Messages"]
    assert (
        message["MessageAttributes"]["EXHAUSTED_RETRY_CONDITION"]["StringValue"] == "MaximumEventAgeInSeconds"
    )


def test_a_function_whose_condition_is_false_is_not_wired() -> None:
    template = load_template()
    template["Conditions"]["NeverTrue"] = {"Fn::Equals": ["a", "b"]}
    template["Resources"]["StopPlaybookFunction"]["Condition"] = "NeverTrue"
    with LocalStack(template=template) as stack:
        assert "StopPlaybookFunction" not in stack.functions and "StartPlaybookFunction" in stack.functions


def test_a_backlog_larger_than_one_run_fans_out_through_lambda_invoke_and_is_all_sent() -> None:
    # Given a dispatcher that takes 5 steps per batch, and 12 notes due, each to its own recipient
    # from its own member (with a proved address)
    import time_machine
    from nearmiss.adapters.dynamo import DynamoStore
    from nearmiss.service.playbooks import SenderPolicy, plan_records
    from nearmiss_local.runtime import SENDER_DOMAIN

    from tests.conftest import NOW, make_application, make_candidate, make_rejection

    template = load_template()
    env = template["Resources"]["SendDueStepsFunction"]["Properties"]["Environment"]["Variables"]
    env["NEARMISS_MAX_STEPS_PER_RUN"] = "5"
    candidate = make_candidate()
    sender = SenderPolicy(SENDER_DOMAIN).for_candidate(candidate)
    planned = plan_records(candidate, make_application(), make_rejection(), sender, now=NOW)
    base = next(r for r in planned if r.recipient_address and r.state.value == "scheduled")
    with time_machine.travel(NOW + timedelta(days=3), tick=False), LocalStack(template=template) as stack:
        store = DynamoStore(stack.client("dynamodb"), stack.names["Table"])
        for i in range(12):
            step = base.model_copy(
                update={
                    "candidate_id": f"c{i}",
                    "application_id": f"a{i}",
                    "recipient_key": f"r{i:03d}",
                    "recipient_address": f"person{i}@example.org",
                    "due_at": NOW + timedelta(days=2),
                }
            )
            stack.client("dynamodb").put_item(TableName=stack.names["Table"], Item=store._step_item(step))
            store.put_candidate(
                candidate.model_copy(update={"candidate_id": f"c{i}", "email": f"c{i}@example.com"})
            )
        # When the schedule fires once
        (answer,) = stack.tick()
        # Then the scheduled run started one run per shard with work (its role may invoke itself),
        # and those runs, invoked asynchronously, sent every note
        started = answer["outcomes"]["shard_run_started"]
        assert 1 < started <= 4
        assert stack.invocations.count(("SendDueStepsFunction", "ok")) == started
        assert store.due_steps(NOW + timedelta(days=3), 100) == []
        states = {
            store.get_step(f"c{i}", f"a{i}", base.step_id).state.value  # type: ignore[union-attr]
            for i in range(12)
        }
        assert states == {"sent"}
