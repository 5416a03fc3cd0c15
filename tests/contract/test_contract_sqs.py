"""SQS through the contract layer: SendMessage, ReceiveMessage, DeleteMessage."""

from __future__ import annotations

from typing import Any

from tests.contract.support import refused, unmodeled

MIB = 1024 * 1024


def attribute(value: str) -> dict[str, dict[str, str]]:
    return {"reason": {"DataType": "String", "StringValue": value}}


# ---- sqs-message-size ---------------------------------------------------------------------------------
def test_sqs_message_size_counts_the_attributes(sqs: Any, queue: str) -> None:
    # The body alone is under 1 MiB (moto would take it); with its attribute it is over.
    refused(
        lambda: sqs.send_message(
            QueueUrl=queue, MessageBody="x" * (MIB - 100), MessageAttributes=attribute("y" * 200)
        ),
        unmodeled(sqs, "InvalidParameterValue"),
        "InvalidParameterValue",
        400,
        "One or more parameters are invalid. Reason: Message must be shorter than 1048576 bytes.",
    )


def test_sqs_message_size_follows_the_queues_maximum(sqs: Any) -> None:
    small = sqs.create_queue(QueueName="small", Attributes={"MaximumMessageSize": "1024"})["QueueUrl"]
    refused(
        lambda: sqs.send_message(
            QueueUrl=small, MessageBody="x" * 1000, MessageAttributes=attribute("y" * 100)
        ),
        unmodeled(sqs, "InvalidParameterValue"),
        "InvalidParameterValue",
        400,
        "One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes.",
    )


def test_sqs_message_size_of_1_mib_passes(sqs: Any, queue: str) -> None:
    # 1 MiB since 2025 (256 KiB before): the body and its attribute fit exactly.
    body = "x" * (MIB - len("reason") - len("String") - 10)
    sqs.send_message(QueueUrl=queue, MessageBody=body, MessageAttributes=attribute("y" * 10))
    assert len(sqs.receive_message(QueueUrl=queue)["Messages"][0]["Body"]) == len(body)


# ---- sqs-message-characters ---------------------------------------------------------------------------
def test_sqs_message_characters_outside_the_set_are_invalid(sqs: Any, queue: str) -> None:
    refused(
        lambda: sqs.send_message(QueueUrl=queue, MessageBody='{"name": "Ada\x00"}'),
        sqs.exceptions.InvalidMessageContents,
        "InvalidMessageContents",
        400,
        contains="Invalid binary character '#x0' was found in the message body",
    )


def test_sqs_message_characters_in_the_set_pass(sqs: Any, queue: str) -> None:
    sqs.send_message(QueueUrl=queue, MessageBody="tab\tline\ncr\r é 😀 \ufffd")


# ---- sqs-receive-max-messages, sqs-receive-wait-time --------------------------------------------------
def test_sqs_receive_max_messages_1_to_10(sqs: Any, queue: str) -> None:
    for bad in (0, 11):
        refused(
            lambda bad=bad: sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=bad),
            unmodeled(sqs, "InvalidParameterValue"),
            "InvalidParameterValue",
            400,
            f"Value {bad} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, "
            "if provided.",
        )
    sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)
    sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=1)


def test_sqs_receive_wait_time_0_to_20(sqs: Any, queue: str) -> None:
    refused(
        lambda: sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=21),
        unmodeled(sqs, "InvalidParameterValue"),
        "InvalidParameterValue",
        400,
        "Value 21 for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.",
    )
    sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=0)


# ---- sqs-receive-visibility-timeout -------------------------------------------------------------------
def test_sqs_receive_visibility_timeout_0_to_43200(sqs: Any, queue: str) -> None:
    refused(
        lambda: sqs.receive_message(QueueUrl=queue, VisibilityTimeout=43201),
        unmodeled(sqs, "InvalidParameterValue"),
        "InvalidParameterValue",
        400,
        "Value 43201 for parameter VisibilityTimeout is invalid. "
        "Reason: Must be >= 0 and <= 43200, if provided.",
    )
    sqs.receive_message(QueueUrl=queue, VisibilityTimeout=900)


# ---- sqs-receipt-handle (moto) ------------------------------------------------------------------------
def test_sqs_receipt_handle_must_be_the_queues(sqs: Any, queue: str) -> None:
    refused(
        lambda: sqs.delete_message(QueueUrl=queue, ReceiptHandle="not-a-receipt-handle"),
        sqs.exceptions.ReceiptHandleIsInvalid,
        "ReceiptHandleIsInvalid",
        400,
    )
    sqs.send_message(QueueUrl=queue, MessageBody="{}")
    message = sqs.receive_message(QueueUrl=queue)["Messages"][0]
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
