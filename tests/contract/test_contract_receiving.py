"""The calls receive_mail makes (S3 GetObject) and what SES does on the way in (receipt event, limits)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from nearmiss_local import contract

from tests.contract.conftest import BUCKET, REGION, client
from tests.contract.support import refused, unmodeled

# The example of SES's documentation (receiving-email-action-lambda-event.html), trimmed.
DOCUMENTED = {
    "Records": [
        {
            "eventSource": "aws:ses",
            "eventVersion": "1.0",
            "ses": {
                "mail": {
                    "timestamp": "2019-08-05T21:30:02.028Z",
                    "source": "prvs=144d0cba7=sender@example.com",
                    "messageId": "EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000",
                    "destination": ["recipient@example.com"],
                    "headersTruncated": False,
                    "headers": [{"name": "Return-Path", "value": "<prvs=144d0cba7=sender@example.com>"}],
                    "commonHeaders": {
                        "returnPath": "prvs=144d0cba7=sender@example.com",
                        "from": ["Jane Doe <sender@example.com>"],
                        "date": "Mon, 5 Aug 2019 21:29:57 +0000",
                        "to": ["recipient@example.com"],
                        "messageId": "<0123456789example.com>",
                        "subject": "This is a test",
                    },
                },
                "receipt": {
                    "timestamp": "2019-08-05T21:30:02.028Z",
                    "processingTimeMillis": 1205,
                    "recipients": ["recipient@example.com"],
                    "spamVerdict": {"status": "PASS"},
                    "virusVerdict": {"status": "PASS"},
                    "spfVerdict": {"status": "PASS"},
                    "dkimVerdict": {"status": "PASS"},
                    "dmarcVerdict": {"status": "GRAY"},
                    "dmarcPolicy": "reject",
                    "action": {
                        "type": "Lambda",
                        "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:IncomingEmail",
                        "invocationType": "Event",
                    },
                },
            },
        }
    ]
}


def test_the_documented_receipt_event_has_the_documented_shape() -> None:
    assert contract.ses_receipt_event_problems(DOCUMENTED) == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda r: r.update(eventSource="aws:s3"), "eventSource"),
        (lambda r: r["ses"]["receipt"].update(spamVerdict="PASS"), "spamVerdict"),
        (lambda r: r["ses"]["receipt"]["action"].update(type="S3"), "action.type"),
        (lambda r: r["ses"]["mail"].update(timestamp="2019-08-05 21:30"), "timestamp"),
        (lambda r: r["ses"]["mail"]["commonHeaders"].update(From=["x"]), "unknown"),
        (lambda r: r["ses"]["mail"].pop("headersTruncated"), "headersTruncated"),
    ],
)
def test_a_receipt_event_not_of_the_documented_shape_is_named(change: Any, problem: str) -> None:
    event = copy.deepcopy(DOCUMENTED)
    change(event["Records"][0])
    problems = contract.ses_receipt_event_problems(event)
    assert problems and problem in problems[0]


@pytest.mark.parametrize(
    "change",
    [
        # receipt.recipients is the envelope (RCPT TO); destination is the To/Cc headers: "may differ" (Bcc)
        lambda r: r["ses"]["receipt"].update(recipients=["bcc-only@example.com"]),
        lambda r: r["ses"]["mail"].update(destination=[f"p{i}@example.com" for i in range(500)]),
        lambda r: r["ses"]["mail"].update(destination=[]),  # no To or Cc header at all
        lambda r: r["ses"]["receipt"].update(spamVerdict={"status": "DISABLED"}),  # a rule without scanning
    ],
)
def test_documented_receipt_events_that_differ_from_the_example_are_accepted(change: Any) -> None:
    from nearmiss.domain.inbound import SesReceiptEvent

    event = copy.deepcopy(DOCUMENTED)
    change(event["Records"][0])
    assert contract.ses_receipt_event_problems(event) == []
    SesReceiptEvent.model_validate(event)  # and receive_mail's model reads it


def test_the_event_the_runtime_builds_is_the_documented_one_and_the_handler_parses_it() -> None:
    """The runtime checks each event it builds; receive_mail's own model reads the documented one."""
    from nearmiss.domain.inbound import SesReceiptEvent

    parsed = SesReceiptEvent.model_validate(DOCUMENTED)
    assert parsed.Records[0].ses.receipt.verdicts() == {
        "spam": "PASS",
        "virus": "PASS",
        "spf": "PASS",
        "dkim": "PASS",
        "dmarc": "GRAY",
    }


def test_ses_receiving_refuses_a_message_over_40_mb_and_too_many_recipients() -> None:
    rcpt = ["a@reply.example.org"]
    assert contract.ses_receiving_refusal(40 * 1024 * 1024, rcpt, tls=True, tls_required=True) is None
    too_big = contract.ses_receiving_refusal(40 * 1024 * 1024 + 1, rcpt, tls=True, tls_required=True)
    assert too_big is not None and too_big.startswith("552")
    many = contract.ses_receiving_refusal(10, rcpt * 101, tls=True, tls_required=False)
    assert many is not None and many.startswith("452")
    assert contract.ses_receiving_refusal(10, rcpt, tls=False, tls_required=True) is not None


# ---- S3 GetObject -------------------------------------------------------------------------------------
@pytest.fixture
def s3(aws: None) -> Any:
    bucket = client("s3")
    bucket.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    bucket.put_object(Bucket=BUCKET, Key="inbound/abc", Body=b"mail")
    return bucket


def test_s3_get_object_part_number_between_1_and_10000(s3: Any) -> None:
    refused(
        lambda: s3.get_object(Bucket=BUCKET, Key="inbound/abc", PartNumber=10001),
        unmodeled(s3, "InvalidArgument"),
        "InvalidArgument",
        400,
        "Part number must be an integer between 1 and 10000, inclusive",
    )


def test_s3_get_object_part_number_1_passes(s3: Any) -> None:
    assert s3.get_object(Bucket=BUCKET, Key="inbound/abc", PartNumber=1)["Body"].read() == b"mail"


def test_s3_object_exists_or_no_such_key(s3: Any) -> None:
    with pytest.raises(s3.exceptions.NoSuchKey):
        s3.get_object(Bucket=BUCKET, Key="inbound/gone")
    assert s3.get_object(Bucket=BUCKET, Key="inbound/abc")["Body"].read() == b"mail"


def test_s3_bucket_exists_or_no_such_bucket(s3: Any) -> None:
    with pytest.raises(s3.exceptions.NoSuchBucket):
        s3.get_object(Bucket="nearmiss-no-such-bucket", Key="inbound/abc")
    with pytest.raises(s3.exceptions.NoSuchBucket):
        s3.put_object(Bucket="nearmiss-no-such-bucket", Key="inbound/abc", Body=b"x")


def test_the_mail_reader_keeps_a_missing_object_and_never_reads_past_the_limit(s3: Any) -> None:
    from nearmiss.adapters.s3_mail import S3MailObjects

    objects = S3MailObjects(s3)
    assert objects.read(BUCKET, "inbound/gone", max_bytes=10).missing
    over = objects.read(BUCKET, "inbound/abc", max_bytes=3)
    assert (over.size, over.raw) == (4, None)
    assert objects.read(BUCKET, "inbound/abc", max_bytes=4).raw == b"mail"


# SES's own header, as the notification-contents page's example shows it (above the message's own).
SES_RESULTS = (
    "amazonses.com; spf=pass (spfCheck: domain of example.com designates 203.0.113.0 as permitted "
    "sender) client-ip=203.0.113.0; envelope-from=sender@example.com; helo=example.com; "
    "dkim=pass header.i=@example.com; dmarc=none header.from=example.com;"
)


def with_results(*values: str) -> dict[str, Any]:
    event = copy.deepcopy(DOCUMENTED)
    mail = event["Records"][0]["ses"]["mail"]
    mail["headers"] = [{"name": "Authentication-Results", "value": v} for v in values] + mail["headers"]
    return event


def test_ses_authentication_results_agree_with_the_verdicts_and_name_the_dkim_domain() -> None:
    from nearmiss.domain.inbound import SesReceiptEvent, ses_dkim_domains

    event = with_results(SES_RESULTS, "mx.other.example; dkim=pass header.d=google.com")
    assert contract.ses_receipt_event_problems(event) == []
    parsed = SesReceiptEvent.model_validate(event).Records[0]
    assert ses_dkim_domains(parsed.ses.mail.headers) == frozenset({"example.com"})


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        (
            ("mx.other.example; dkim=pass header.d=google.com", SES_RESULTS),
            "the first Authentication-Results",
        ),
        ((SES_RESULTS.replace("spf=pass", "spf=fail"),), "spf=fail but the spfVerdict is PASS"),
        ((SES_RESULTS.replace("dmarc=none", "dmarc=pass"),), "dmarc=pass but the dmarcVerdict is GRAY"),
    ],
)
def test_an_authentication_results_header_ses_would_not_write_is_named(
    values: tuple[str, ...], problem: str
) -> None:
    problems = contract.ses_receipt_event_problems(with_results(*values))
    assert problems and problem in problems[0]


def test_the_runtime_puts_ses_authentication_results_on_top_of_the_event_headers() -> None:
    import time_machine
    from nearmiss_local.runtime import RECEIVING_DOMAIN, LocalStack

    from tests.conftest import NOW

    seen: list[dict[str, Any]] = []
    with (
        time_machine.travel(NOW, tick=False),
        LocalStack(parameters={"ReceivingDomain": RECEIVING_DOMAIN}) as stack,
    ):
        original = stack.invoke

        def spy(logical_id: str, event: Any, *args: Any, **kwargs: Any) -> Any:
            if logical_id == "ReceiveMailFunction":
                seen.append(event)
            return original(logical_id, event, *args, **kwargs)

        stack._invoke_async = lambda fn, event: spy(fn.logical_id, event)  # type: ignore[method-assign]
        raw = b"From: Ada <ada@example.com>\r\nSubject: hi\r\n\r\nhello\r\n"
        stack.deliver_mail(
            raw, [f"jobs@{RECEIVING_DOMAIN}"], verdicts={"dkim": "FAIL"}, dkim_domain="example.com"
        )
    (event,) = seen
    first = event["Records"][0]["ses"]["mail"]["headers"][0]
    assert first["name"] == "Authentication-Results"
    assert first["value"].startswith("amazonses.com; spf=pass")
    assert "dkim=fail header.i=@example.com" in first["value"]
