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


# ---- the inbound-mail security review (findings 1-8) ----------------------------------------------------
MEMBER = "ada.quinn@example.com"


def forwards(stack: Any) -> list[Any]:
    return notes_to(stack, MEMBER)


def inbound_store(stack: Any) -> Any:
    return stack._container(stack.functions["ReceiveMailFunction"]).store


def blocks_of(stack: Any, address: str) -> set[str]:
    from nearmiss.domain.playbook import recipient_key

    store = inbound_store(stack)
    items = store.client.query(
        TableName=store.table,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :b)",
        ExpressionAttributeValues={":pk": {"S": f"RCPT#{recipient_key(address)}"}, ":b": {"S": "BLOCK#"}},
    )["Items"]
    return {i["sk"]["S"] for i in items}


def receipt_event(stack: Any, raw: bytes, rcpts: list[str]) -> dict[str, Any]:
    """The receipt event deliver_mail builds, captured instead of invoked."""
    import copy

    seen: list[dict[str, Any]] = []
    real = stack._invoke_async
    stack._invoke_async = lambda fn, event: seen.append(copy.deepcopy(event))
    try:
        stack.deliver_mail(raw, rcpts)
    finally:
        stack._invoke_async = real
    (event,) = seen
    return event


def dsn(to: str, final_recipient: str) -> bytes:
    """An RFC 3464 delivery report (multipart/report) for `final_recipient`, permanent (5.1.1)."""
    return (
        "From: Mail Delivery System <MAILER-DAEMON@northwind.example>\r\n"
        f"To: {to}\r\nSubject: Undelivered Mail Returned to Sender\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="r"\r\n\r\n'
        "--r\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.northwind.example\r\n\r\n"
        f"Final-Recipient: rfc822; {final_recipient}\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n--r--\r\n"
    ).encode()


def test_a_plain_text_bounce_at_a_reply_address_suppresses_nobody(stack: Any) -> None:
    # Finding 1: anyone holding the token could send a "bounce" by its subject alone
    address = str(first_note(stack)["Reply-To"])
    forged = EmailMessage()
    forged["From"] = "Mallory <mallory@evil.example>"
    forged["To"] = address
    forged["Subject"] = "Undelivered Mail Returned to Sender"
    forged.set_content("Sorry.")
    message_id = stack.deliver_mail(forged.as_bytes(), [address], source="mallory@evil.example")
    assert blocks_of(stack, GRACE) == set()  # neither for everyone nor for Ada
    assert step_states(stack)[("share_resource", "Grace Park")] == "scheduled"
    from nearmiss.domain.playbook import recipient_key

    record = inbound_store(stack).get_inbound(message_id, recipient_key(address))
    assert record.status == "recorded" and "not a delivery report" in record.reason


def test_a_delivery_report_for_the_recipient_suppresses_them_for_this_member_only(stack: Any) -> None:
    address = str(first_note(stack)["Reply-To"])
    stack.deliver_mail(dsn(address, GRACE), [address])
    assert blocks_of(stack, GRACE) == {"BLOCK#CAND#ada-quinn"}  # never BLOCK#ALL: that is SES's feedback
    states = step_states(stack)
    assert states[("share_resource", "Grace Park")] == "cancelled"
    assert states[("check_in", "Sam Rivera")] == "scheduled"


def test_a_delivery_report_for_someone_else_suppresses_nobody(stack: Any) -> None:
    address = str(first_note(stack)["Reply-To"])
    stack.deliver_mail(dsn(address, "sam.rivera@northwind.example"), [address])
    assert blocks_of(stack, GRACE) == set() and blocks_of(stack, "sam.rivera@northwind.example") == set()
    assert step_states(stack)[("share_resource", "Grace Park")] == "scheduled"


def test_a_reply_with_more_than_100_header_recipients_is_acted_on(stack: Any) -> None:
    # Finding 2: mail.destination is every To/Cc address of the headers (the sender chooses them)
    address = str(first_note(stack)["Reply-To"])
    event = receipt_event(stack, reply(address), [address])
    event["Records"][0]["ses"]["mail"]["destination"] = [address] + [f"p{i}@x.example" for i in range(300)]
    stack._invoke_async(stack.functions["ReceiveMailFunction"], event)
    assert stack.dead_letters == []
    assert step_states(stack)[("thank_you", "Grace Park")] == "replied"


@pytest.mark.parametrize(
    ("verdicts", "outcome"),
    [
        ({"dmarc": "DISABLED"}, "replied"),
        ({"spam": "DISABLED"}, "sent"),
        ({"dkim": "SOMETHING_NEW"}, "replied"),
    ],
)
def test_every_verdict_status_is_read_and_only_pass_passes(
    stack: Any, verdicts: dict[str, str], outcome: str
) -> None:
    address = str(first_note(stack)["Reply-To"])
    event = receipt_event(stack, reply(address), [address])
    for name, status in verdicts.items():
        event["Records"][0]["ses"]["receipt"][f"{name}Verdict"] = {"status": status}
    stack._invoke_async(stack.functions["ReceiveMailFunction"], event)
    assert stack.dead_letters == []
    assert step_states(stack)[("thank_you", "Grace Park")] == outcome


def test_the_receipt_events_destination_is_the_header_recipients_not_the_envelope(stack: Any) -> None:
    # A Bcc'd reply address: in the envelope (receipt.recipients), not in the headers (mail.destination)
    address = str(first_note(stack)["Reply-To"])
    raw = reply("Ada Quinn <ada.quinn@example.com>", Cc="Sam <sam@elsewhere.example>")
    event = receipt_event(stack, raw, [address])
    ses = event["Records"][0]["ses"]
    assert ses["receipt"]["recipients"] == [address]
    assert ses["mail"]["destination"] == ["ada.quinn@example.com", "sam@elsewhere.example"]


@pytest.mark.parametrize(
    ("verdicts", "reason"),
    [
        ({"dmarc": "FAIL"}, "DMARC verdict FAIL"),
        ({"spam": "PROCESSING_FAILED"}, "spam verdict PROCESSING_FAILED"),
        ({"spam": "GRAY"}, "spam verdict GRAY"),
    ],
)
def test_dmarc_fail_and_a_spam_scan_that_did_not_pass_are_kept(
    stack: Any, verdicts: dict[str, str], reason: str
) -> None:
    # Findings 4 and 6: a spoofed From: Grace (DMARC FAIL), spam not scanned or unsure
    address = str(first_note(stack)["Reply-To"])
    before = len(mails(stack))
    message_id = stack.deliver_mail(
        reply(address), [address], source="bounce@evil.example", verdicts=verdicts
    )
    assert step_states(stack)[("thank_you", "Grace Park")] == "sent"
    assert len(mails(stack)) == before
    assert [(k["message_id"], k["reason"]) for k in kept_list(stack)] == [
        (message_id, f"SES verdicts: {reason}")
    ]


def test_a_reply_from_someone_else_reaches_the_member_under_its_real_sender(stack: Any) -> None:
    # Finding 4: Mallory holds the token (a forwarded note) and points Reply-To at a look-alike
    address = str(first_note(stack)["Reply-To"])
    m = EmailMessage()
    m["From"] = "Mallory <mallory@evil.example>"
    m["Reply-To"] = "Grace Park <grace.park@northwind-careers.example>"
    m["To"] = address
    m["Subject"] = "Re: Thank you"
    m.set_content("Great news: please send your references to this address.")
    stack.deliver_mail(m.as_bytes(), [address], source="mallory@evil.example")
    (fwd,) = forwards(stack)
    sender = fwd["From"].addresses[0]
    assert sender.display_name == "Mallory (replying to your note to Grace Park) via Near Miss"
    assert sender.addr_spec == "notes@mail.nearmiss.example"
    assert str(fwd["Reply-To"]) == "mallory@evil.example"  # the real From, never the look-alike
    text = plain_text(fwd)
    assert text.index("mallory@evil.example") < text.index("Great news")
    assert "grace.park@northwind-careers.example" in text.split("Great news")[0]  # named, not trusted
    # Finding 5: and it acts on nothing of Grace's
    states = step_states(stack)
    assert states[("thank_you", "Grace Park")] == "sent"
    assert states[("share_resource", "Grace Park")] == "scheduled"
    assert blocks_of(stack, GRACE) == set()


def test_the_recipients_own_reply_shows_her_address_at_the_top(stack: Any) -> None:
    address = str(first_note(stack)["Reply-To"])
    stack.deliver_mail(reply(address), [address], source=GRACE)
    (fwd,) = forwards(stack)
    assert fwd["From"].addresses[0].display_name == "Grace Park via Near Miss"
    assert plain_text(fwd).lstrip().startswith(f"From: Grace Park <{GRACE}>")


def test_a_colleagues_out_of_office_moves_none_of_the_recipients_notes(stack: Any) -> None:
    # Finding 5: a CC'd colleague's autoresponder on a reply-all thread
    address = str(first_note(stack)["Reply-To"])
    before = {s.step_id: s.planned_at for s in steps_of(stack, "ada-quinn", "northwind-staff-platform")}
    m = EmailMessage()
    m["From"] = "Sam Other <sam.other@elsewhere.example>"
    m["To"] = address
    m["Subject"] = "Automatic reply: Re: Thank you"
    m["Auto-Submitted"] = "auto-replied"
    m.set_content("I am out of the office until 15 December 2026 with limited access to email.")
    stack.deliver_mail(m.as_bytes(), [address])
    after = {s.step_id: s.planned_at for s in steps_of(stack, "ada-quinn", "northwind-staff-platform")}
    assert after == before


def test_a_reply_from_the_recipients_colleague_at_her_company_stops_her_notes(stack: Any) -> None:
    # Same company domain (an assistant, a colleague on the thread): the conversation is on
    address = str(first_note(stack)["Reply-To"])
    m = EmailMessage()
    m["From"] = "Jo Assistant <jo@northwind.example>"
    m["To"] = address
    m["Subject"] = "Re: Thank you"
    m.set_content("Grace asked me to set up a call with you next week.")
    stack.deliver_mail(m.as_bytes(), [address])
    states = step_states(stack)
    assert states[("thank_you", "Grace Park")] == "replied"
    assert states[("share_resource", "Grace Park")] == "cancelled"
    (fwd,) = forwards(stack)
    assert (
        fwd["From"].addresses[0].display_name
        == "Jo Assistant (replying to your note to Grace Park) via Near Miss"
    )


def test_the_senders_html_never_reaches_the_member_as_an_attachment(stack: Any) -> None:
    # Finding 7
    address = str(first_note(stack)["Reply-To"])
    m = EmailMessage()
    m["From"] = f"Grace Park <{GRACE}>"
    m["To"] = address
    m["Subject"] = "Re: Thank you"
    m.set_content("see attached")
    m.add_attachment("<script>alert(1)</script>", subtype="html", filename="invoice.html")
    m.add_attachment(b"<svg onload=alert(1)/>", maintype="image", subtype="svg+xml", filename="logo.svg")
    m.add_attachment(b"<p>x</p>", maintype="application", subtype="octet-stream", filename="page.HTM")
    m.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="cv.pdf")
    stack.deliver_mail(m.as_bytes(), [address])
    (fwd,) = forwards(stack)
    assert [(a.get_content_type(), a.get_filename()) for a in fwd.iter_attachments()] == [
        ("application/pdf", "cv.pdf")
    ]
    assert "invoice.html" in plain_text(fwd)  # the member is told what was left out


def test_a_line_break_in_an_attachment_name_does_not_lose_the_forward(stack: Any) -> None:
    # Finding 8
    address = str(first_note(stack)["Reply-To"])
    raw = (
        f"From: Grace Park <{GRACE}>\r\nTo: {address}\r\nSubject: Re: Thank you\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n"
        "Happy to talk next week.\r\n--b\r\nContent-Type: application/pdf\r\n"
        "Content-Disposition: attachment; filename*=utf-8''cv%0D%0ABcc%3A%20x%40evil.example.pdf\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\nJVBERg==\r\n--b--\r\n"
    ).encode()
    stack.deliver_mail(raw, [address])
    (fwd,) = forwards(stack)
    (attachment,) = list(fwd.iter_attachments())
    assert attachment.get_filename() == "cv Bcc: x@evil.example.pdf"
    assert fwd["Bcc"] is None
