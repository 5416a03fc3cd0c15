"""Replies through SES on the embedded default: deliver_mail stores the message and invokes receive_mail
with SES's receipt event, exactly as the template's receipt rule wires it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from nearmiss_local.runtime import RECEIVING_DOMAIN, LocalStack, MailRejected

from tests.conftest import NOW
from tests.helpers import load_event, mails, plain_text, steps_of
from tests.integration.test_end_to_end import ADA, register, reject, run_until

GRACE = "grace.park@northwind.example"


@pytest.fixture
def stack() -> Iterator[Any]:
    import time_machine

    with (
        time_machine.travel(NOW, tick=False) as traveller,
        LocalStack(parameters={"ReceivingDomain": RECEIVING_DOMAIN}) as local,
    ):
        local.traveller = traveller  # type: ignore[attr-defined]
        yield local


def notes_to(stack: Any, address: str) -> list[Any]:
    return [m for m in mails(stack) if m["To"].addresses[0].addr_spec == address]


def reply(
    to: str, *, text: str = "Thanks Ada, good to hear from you. Let's talk next week.", **headers: str
) -> bytes:
    message = EmailMessage()
    message["From"] = f"Grace Park <{GRACE}>"
    message["To"] = to
    message["Subject"] = "Re: Thank you"
    message["Message-ID"] = "<reply-1@northwind.example>"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(text)
    return message.as_bytes()


def first_note(stack: Any) -> Any:
    register(stack)
    reject(stack)
    run_until(stack, NOW + timedelta(days=1, hours=1))
    (note,) = notes_to(stack, GRACE)
    return note


def step_states(stack: Any) -> dict[tuple[str, str], str]:
    return {
        (s.kind.value, s.recipient_name): s.state.value
        for s in steps_of(stack, "ada-quinn", "northwind-staff-platform")
    }


def test_every_note_carries_its_own_reply_address_and_the_same_visible_from(stack: Any) -> None:
    register(stack)
    reject(stack)
    run_until(stack, NOW + timedelta(days=1, hours=1))
    sent = mails(stack)
    assert len(sent) == 3
    reply_tos = [str(m["Reply-To"]) for m in sent]
    assert len(set(reply_tos)) == 3  # one per note
    for message, address in zip(sent, reply_tos, strict=True):
        local, _, domain = address.partition("@")
        assert domain == RECEIVING_DOMAIN and local.startswith("reply+")
        assert len(local) <= 64 and local == local.lower()
        assert message["From"].addresses[0].addr_spec == "notes@mail.nearmiss.example"
        assert message["From"].addresses[0].display_name == "Ada Quinn"


def test_a_reply_stops_that_persons_notes_and_reaches_the_member(stack: Any) -> None:
    # Given Grace got her thank-you (her share-a-resource and check-in still to come)
    note = first_note(stack)
    address = str(note["Reply-To"])
    # When she replies to it
    stack.deliver_mail(reply(address), [address], source=GRACE)
    # Then her thank-you is `replied` and her other notes are cancelled; the others' are untouched
    states = step_states(stack)
    assert states[("thank_you", "Grace Park")] == "replied"
    assert states[("share_resource", "Grace Park")] == "cancelled"
    assert states[("check_in", "Grace Park")] == "cancelled"
    assert states[("check_in", "Sam Rivera")] == "scheduled"
    # And Ada gets the reply, from "Grace Park via Near Miss", Reply-To Grace, subject and text kept
    forwarded = [m for m in mails(stack) if m["To"].addresses[0].addr_spec == "ada.quinn@example.com"]
    assert len(forwarded) == 1
    (message,) = forwarded
    assert message["From"].addresses[0].display_name == "Grace Park via Near Miss"
    assert message["From"].addresses[0].addr_spec == "notes@mail.nearmiss.example"
    assert str(message["Reply-To"]) == GRACE
    assert str(message["Subject"]) == "Re: Thank you"
    assert "Let's talk next week." in plain_text(message)
    # And nothing more goes to Grace over the months
    run_until(stack, NOW + timedelta(days=120))
    assert len(notes_to(stack, GRACE)) == 1
    assert stack.dead_letters == []


def test_a_redelivered_reply_acts_once(stack: Any) -> None:
    address = str(first_note(stack)["Reply-To"])
    message_id = stack.deliver_mail(reply(address), [address])
    before = len(mails(stack))
    stack.deliver_mail(reply(address), [address], message_id=message_id)
    assert len(mails(stack)) == before  # forwarded once
    assert [o for f, o in stack.invocations if f == "ReceiveMailFunction"] == ["ok", "ok"]


def test_an_attachment_is_forwarded_with_the_reply(stack: Any) -> None:
    address = str(first_note(stack)["Reply-To"])
    message = EmailMessage()
    message["From"] = f"Grace Park <{GRACE}>"
    message["To"] = address
    message["Subject"] = "Re: Thank you"
    message.set_content("The deck I mentioned is attached.")
    message.add_attachment(b"%PDF-1.4 deck", maintype="application", subtype="pdf", filename="deck.pdf")
    stack.deliver_mail(message.as_bytes(), [address])
    (forwarded,) = [m for m in mails(stack) if m["To"].addresses[0].addr_spec == "ada.quinn@example.com"]
    (attachment,) = list(forwarded.iter_attachments())
    assert attachment.get_filename() == "deck.pdf"
    assert attachment.get_content() == b"%PDF-1.4 deck"


def test_an_automatic_answer_stops_nothing(stack: Any) -> None:
    address = str(first_note(stack)["Reply-To"])
    before = len(mails(stack))
    stack.deliver_mail(reply(address, Auto_Submitted="auto-replied"), [address])
    states = step_states(stack)
    assert states[("thank_you", "Grace Park")] == "sent"
    assert states[("share_resource", "Grace Park")] == "scheduled"
    assert len(mails(stack)) == before  # not forwarded either


@pytest.mark.parametrize(
    ("verdicts", "reason"),
    [
        ({"virus": "FAIL"}, "virus verdict FAIL"),
        ({"spam": "FAIL"}, "spam verdict FAIL"),
        ({"spf": "FAIL", "dkim": "FAIL"}, "neither SPF (FAIL) nor DKIM (FAIL) passed"),
    ],
)
def test_a_message_with_failing_verdicts_is_kept_and_never_acted_on(
    stack: Any, verdicts: dict[str, str], reason: str
) -> None:
    address = str(first_note(stack)["Reply-To"])
    before = len(mails(stack))
    message_id = stack.deliver_mail(reply(address), [address], verdicts=verdicts)
    assert step_states(stack)[("share_resource", "Grace Park")] == "scheduled"
    assert len(mails(stack)) == before
    kept = kept_list(stack)
    assert [(k["message_id"], k["reason"]) for k in kept] == [(message_id, f"SES verdicts: {reason}")]
    # And the raw message is still in the bucket, where the record says
    bucket = stack.names["InboundMailBucket"]
    assert stack.client("s3").get_object(Bucket=bucket, Key=kept[0]["s3_key"])["Body"].read() == reply(
        address
    )


def kept_list(stack: Any) -> list[dict[str, Any]]:
    status, _, text = stack.http("GET", "/inbound/kept")
    assert status == 200, text
    return list(json.loads(text)["kept"])


def test_a_reply_address_that_does_not_verify_is_kept(stack: Any) -> None:
    address = str(first_note(stack)["Reply-To"])
    local, _, domain = address.partition("@")
    forged = f"{local[:-1]}{'a' if local[-1] != 'a' else 'b'}@{domain}"
    stack.deliver_mail(reply(forged), [forged])
    assert step_states(stack)[("share_resource", "Grace Park")] == "scheduled"
    (kept,) = kept_list(stack)
    assert kept["reason"] == "reply address refused: the reply address was altered or is not ours"


def test_an_upper_cased_reply_address_still_works(stack: Any) -> None:
    # Some MTAs change the local part's case: the token is case-insensitive
    address = str(first_note(stack)["Reply-To"])
    shouted = address.upper()
    stack.deliver_mail(reply(shouted), [shouted])
    assert step_states(stack)[("thank_you", "Grace Park")] == "replied"


def test_a_message_over_the_size_limit_is_kept_unread(stack: Any) -> None:
    address = str(first_note(stack)["Reply-To"])
    big = reply(address, text="x" * (11 * 1024 * 1024))
    stack.deliver_mail(big, [address])
    assert step_states(stack)[("share_resource", "Grace Park")] == "scheduled"
    (kept,) = kept_list(stack)
    assert kept["reason"].startswith("over the size limit:")


def test_an_address_that_is_no_reply_address_is_kept(stack: Any) -> None:
    first_note(stack)
    stack.deliver_mail(reply(f"jobs@{RECEIVING_DOMAIN}"), [f"jobs@{RECEIVING_DOMAIN}"])
    stack.deliver_mail(reply(f"in+abc@{RECEIVING_DOMAIN}"), [f"in+abc@{RECEIVING_DOMAIN}"])
    reasons = sorted(k["reason"] for k in kept_list(stack))
    assert reasons == [
        "intake address refused: not an intake address of ours",
        "no such address (neither reply+ nor in+)",
    ]


def test_a_candidate_key_cannot_list_kept_mail(stack: Any) -> None:
    register(stack)
    status, _, text = stack.http("POST", f"{ADA}/api-key")
    assert status == 200, text
    key = json.loads(text)["api_key"]
    status, _, _ = stack.http("GET", "/inbound/kept", headers={"authorization": f"Bearer {key}"}, auth=False)
    assert status == 403


def test_ses_refuses_what_it_refuses_at_smtp_time(stack: Any) -> None:
    address = str(first_note(stack)["Reply-To"])
    with pytest.raises(MailRejected, match="TlsPolicy"):
        stack.deliver_mail(reply(address), [address], tls=False)
    with pytest.raises(MailRejected, match="no valid recipients"):
        stack.deliver_mail(reply("someone@elsewhere.example"), ["someone@elsewhere.example"])


def test_a_permanent_delivery_report_at_a_reply_address_suppresses_that_recipient(stack: Any) -> None:
    address = str(first_note(stack)["Reply-To"])
    report = EmailMessage()
    report["From"] = "Mail Delivery System <MAILER-DAEMON@northwind.example>"
    report["To"] = address
    report["Subject"] = "Undelivered Mail Returned to Sender"
    report.set_content("This is the mail system.")
    report.make_mixed()
    report.replace_header("Content-Type", 'multipart/report; report-type="delivery-status"')
    stack.deliver_mail(report.as_bytes(), [address])
    states = step_states(stack)
    # The header-only classifier calls a multipart/report a bounce; permanent only once it reads the
    # status (5.x.x): until then, a transient report is recorded and stops nothing.
    assert states[("thank_you", "Grace Park")] == "sent"


def test_without_a_receiving_domain_the_reply_to_is_the_member() -> None:
    import time_machine

    with time_machine.travel(NOW, tick=False) as traveller, LocalStack() as local:
        local.traveller = traveller  # type: ignore[attr-defined]
        register(local)
        reject(local)
        run_until(local, NOW + timedelta(days=1, hours=1))
        assert {str(m["Reply-To"]) for m in mails(local)} == {"ada.quinn@example.com"}
        assert "ReceiveMailFunction" not in local.functions
        assert load_event("api/put_candidate.json")  # the sample events stay as they were


def test_a_deleted_member_leaves_no_reply_lookup_behind(stack: Any) -> None:
    address = str(first_note(stack)["Reply-To"])
    status, _, text = stack.http("DELETE", ADA)
    assert status == 200, text
    ddb = stack.client("dynamodb")
    items = ddb.scan(TableName=stack.names["Table"])["Items"]  # the harness may scan; functions may not
    assert not [i for i in items if i["pk"]["S"].startswith("LOOKUP#REPLY#")]
    # And a reply to the old address is kept, never acted on
    stack.deliver_mail(reply(address), [address])
    (kept,) = kept_list(stack)
    assert kept["reason"].startswith("reply address refused: no note has this reply address")


def test_receive_mail_runs_with_exactly_its_roles_actions(stack: Any) -> None:
    from nearmiss_local import hooks, iam

    role = iam.template_roles()["ReceiveMailFunction"]
    for needed in ("s3:GetObject", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "ses:SendEmail"):
        assert role.allows(needed), needed
    for never in (
        "s3:PutObject",
        "s3:DeleteObject",
        "dynamodb:Scan",
        "dynamodb:DeleteItem",
        "ses:SendRawEmail",
    ):
        assert not role.allows(never), never
    # Given the role without s3:GetObject, a reply cannot be read: the invocation fails (an AWS error,
    # retried by Lambda) and lands in the dead-letter queue; nothing was acted on
    address = str(first_note(stack)["Reply-To"])
    enforcer = hooks._enforcer
    enforcer.roles["ReceiveMailFunction"] = iam.Role(
        "ReceiveMailFunction", tuple(a for a in role.actions if a != "s3:GetObject")
    )
    stack.deliver_mail(reply(address), [address])
    assert [o for f, o in stack.invocations if f == "ReceiveMailFunction"] == ["dead-lettered"]
    (dead,) = stack.dead_letters
    assert "s3:GetObject" in dead.error
    assert step_states(stack)[("share_resource", "Grace Park")] == "scheduled"
    # And once the role is right again, the same message (redelivered from the queue) acts
    enforcer.roles["ReceiveMailFunction"] = role
    stack.invoke("ReceiveMailFunction", dead.event)
    assert step_states(stack)[("thank_you", "Grace Park")] == "replied"


def test_make_serve_takes_a_dropped_in_message_as_ses_would(stack: Any, tmp_path: Any, capsys: Any) -> None:
    from nearmiss_local import send_mail
    from nearmiss_local.serve import LocalServer

    address = str(first_note(stack)["Reply-To"])
    eml = tmp_path / "reply.eml"
    eml.write_bytes(reply(address))
    server = LocalServer(stack, port=0, tick_seconds=3600)
    server.start()
    try:
        capsys.readouterr()
        assert send_mail.main([str(eml), "--to", address, "--port", str(server.port)]) == 0
        message_id = capsys.readouterr().out.strip().splitlines()[-1]
        assert send_mail.main([str(eml), "--to", "x@elsewhere.example", "--port", str(server.port)]) == 1
        assert "SES refused it" in capsys.readouterr().err
    finally:
        server.stop()
    assert step_states(stack)[("thank_you", "Grace Park")] == "replied"
    key = stack.client("s3").list_objects_v2(Bucket=stack.names["InboundMailBucket"])["Contents"][0]["Key"]
    assert key == f"inbound/{message_id}"
