"""Logs never carry an email address, a person's name or a secret, unmasked.

Everything the functions write during a full run is captured: the demo's story (review mode, drafts,
approvals through the links, a re-open, a lapse), webhooks from every ATS (accepted, duplicate,
unmatched, badly signed, malformed), and errors (a wrong key, invalid input, a dead-lettered event,
a webhook answered 503, sends SES refuses). Then every address, name and secret used is looked for.
"""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from nearmiss_local.sign_webhook import signed_request

from tests.reliability.support import local_stack, mails

pytestmark = pytest.mark.reliability

SAMPLES = Path(__file__).resolve().parents[2] / "events" / "webhooks"
SOURCES = ("greenhouse", "lever", "ashby", "workable", "recruitee", "generic")


def capture_logs() -> tuple[Any, io.StringIO, Any]:
    """Powertools' handler writes to the stream it was given at import (stdout): point it at a buffer."""
    from nearmiss.observability import logger

    buffer = io.StringIO()
    handler = logger.registered_handler
    saved = handler.setStream(buffer)  # type: ignore[attr-defined]
    return handler, buffer, saved


def post_webhook(
    stack: Any, source: str, kind: str, *, secret: str | None = None, body: bytes | None = None
) -> int:
    raw = body if body is not None else (SAMPLES / source / f"{kind}.json").read_bytes()
    headers_file = SAMPLES / source / f"{kind}.headers.json"
    headers = (
        json.loads(headers_file.read_text())
        if headers_file.exists()
        else {"Content-Type": "application/json"}
    )
    try:
        signature, raw = signed_request(
            source, raw, secret or stack.webhook_secrets[source], datetime.now(UTC)
        )
    except ValueError:  # a body Lever's signer cannot read: send it as it is
        signature = {}
    status, _, _ = stack.http(
        "POST",
        f"/webhooks/{source}",
        body=raw.decode("utf-8", "replace"),
        headers={**headers, **signature},
        auth=False,
    )
    return status


def names_and_addresses() -> tuple[set[str], set[str]]:
    """Every name and address in the demo and in the webhook samples."""
    from nearmiss_local import demo

    names = {demo.CANDIDATE_PROFILE["name"]}
    addresses = {demo.CANDIDATE_PROFILE["email"]}
    for application in (demo.NORTHWIND, demo.CONTOSO, {"contacts": [demo.MEI]}):
        for contact in application["contacts"]:  # type: ignore[attr-defined]
            names.add(contact["name"])
            addresses.add(contact["email"])
    for path in SAMPLES.glob("*/*.json"):
        text = path.read_text()
        addresses |= set(re.findall(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}", text))
        names |= set(
            re.findall(r'"(?:name|display_name|fullName|firstName)"\s*:\s*"([A-Z][a-z]+ [A-Z][a-z]+)"', text)
        )
    return names, addresses


def test_a_full_run_logs_no_address_no_name_and_no_secret_unmasked(
    table: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from nearmiss_local.demo import Demo

    handler, buffer, saved = capture_logs()
    story: list[str] = []
    secrets: dict[str, str] = {}
    try:
        from nearmiss_local.runtime import RECEIVING_DOMAIN

        with local_stack(quiet=False, parameters={"ReceivingDomain": RECEIVING_DOMAIN}) as stack:
            # the demo's story, months of it (replies through SES included)
            Demo(stack, stack.traveller, out=story.append).run()
            # every ATS: a valid rejection (matched or kept), its redelivery, a re-open, a bad
            # signature, a malformed body; and an unknown source
            for source in SOURCES:
                for kind in ("rejected", "rejected", "reopened"):
                    post_webhook(stack, source, kind)
                post_webhook(stack, source, "rejected", secret="not-the-secret")
                post_webhook(stack, source, "rejected", body=b'{"action": "reject_candidate", "payload": ')
            stack.http("POST", "/webhooks/smartrecruiters", body="{}", auth=False)
            stack.pump()
            # errors: a wrong key, invalid input carrying a name and an address, an unknown candidate
            stack.http("GET", "/candidates/ada-quinn", headers={"x-api-key": "wrong-key-for-sure"})
            stack.http(
                "PUT",
                "/candidates/c-err",
                body={"name": "Grace Park\r\n", "email": "grace.park@@northwind.example"},
            )
            stack.http("GET", "/candidates/nobody-here")
            # a candidate who sends from their own address, whose domain SES stops verifying after they
            # chose it: every note is held with the reason
            stack.client("sesv2").create_email_identity(EmailIdentity="contoso.example")
            created = json.loads(
                stack.http(
                    "PUT",
                    "/candidates/c-own",
                    body={
                        "name": "Tom Becker",
                        "email": "tom@contoso.example",
                        "mode": "auto",
                        "sending_identity": "own_address",
                    },
                )[2]
            )
            stack.http(
                "PUT",
                "/candidates/c-own/applications/a1",
                body={
                    "company": "X",
                    "job_title": "Y",
                    "contacts": [{"name": "Mei Tanaka", "email": "mei.tanaka@northwind.example"}],
                },
            )
            stack.http("POST", "/candidates/c-own/applications/a1/rejection", body={})
            stack.pump()
            stack.client("sesv2").delete_email_identity(EmailIdentity="contoso.example")
            due = stack.next_due()
            if due is not None:
                stack.traveller.move_to(max(due, datetime.now(UTC)))
                stack.tick()
            # a rejection for an application nobody registered: dead-lettered with its error
            event = json.loads(
                (
                    Path(__file__).resolve().parents[2] / "events/start_playbook/application_rejected.json"
                ).read_text()
            )
            event["detail"]["data"]["candidate_id"] = "nobody"
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
            # a webhook that fails inside (answered 503, logged with its traceback)
            payload = json.loads((SAMPLES / "greenhouse" / "rejected.json").read_bytes())
            payload["payload"]["application"]["id"] = 46196299
            payload["payload"]["application"]["rejected_at"] = "2099-12-31T12:00:00Z"
            stack.http(
                "PUT",
                "/candidates/ada-quinn/applications/greenhouse:46196299",
                body={"company": "N", "job_title": "E", "ats_application_id": "greenhouse:46196299"},
            )
            post_webhook(stack, "greenhouse", "rejected", body=json.dumps(payload).encode())

            links = [
                token
                for mail in mails(stack)
                for token in re.findall(r"token=([A-Za-z0-9_\-.%]+)", mail.raw.decode("utf-8", "replace"))
            ]
            container = stack._container(stack.functions["ApiFunction"])
            secrets = {
                "operator API key": stack.api_key,
                "link-signing secret": container.link_secret.decode(),
                **{f"{s} webhook secret": v for s, v in stack.webhook_secrets.items()},
                **({"candidate API key": created["api_key"]} if created.get("api_key") else {}),
                **{f"link token {i}": t for i, t in enumerate(sorted(set(links))[:50])},
            }
            dead_letters = [d.error for d in stack.dead_letters]
            sent = len(mails(stack))
    finally:
        handler.setStream(saved)  # type: ignore[attr-defined]
    captured = capsys.readouterr()
    logs = "\n".join([buffer.getvalue(), captured.out, captured.err, *dead_letters])

    names, addresses = names_and_addresses()
    leaks = [f"address {a}" for a in sorted(addresses) if a.lower() in logs.lower()]
    leaks += [f"name {n}" for n in sorted(names) if n.lower() in logs.lower()]
    leaks += [f"secret: {label}" for label, value in secrets.items() if value and value in logs]
    lines = [line for line in buffer.getvalue().splitlines() if line.startswith("{")]
    masked = len(re.findall(r"\*\*\*@\*\*\*", logs))
    messages = sorted({json.loads(line).get("message", "") for line in lines})
    with capsys.disabled():
        print(
            f"\n  {len(lines)} structured log lines ({len(captured.out.splitlines())} other stdout lines, "
            f"{len(dead_letters)} dead-letter errors) from a run that sent {sent} messages; "
            f"checked {len(addresses)} addresses, {len(names)} names, "
            f"{len(secrets)} secrets and link tokens; "
            f"masked addresses seen: {masked}; log messages: {messages}"
        )
        for leak in leaks:
            print(f"  LEAK {leak}")
        table.add(
            "logs: no address, name or secret",
            load=f"demo + {len(SOURCES)} ATSs + errors, {len(lines)} log lines",
            faults="bad keys, bad signatures, 503, dead letter, SES refusals",
            expected="0 leaks",
            sent=sent,
            duplicates="-",
            lost=f"{len(leaks)} leaks",
        )
    assert lines, "the run logged nothing: the capture is broken"
    assert not leaks, leaks


def test_the_log_mask_covers_every_address_the_api_accepts(table: Any) -> None:
    from nearmiss.observability import logger

    accepted: list[str] = []
    with local_stack() as stack:
        for n, address in enumerate(
            ("ada.quinn+jobs@Example.COM", "mei@northwind.example", "user@münchen.example", "李伟@例子.中国")
        ):
            status, _, text = stack.http("PUT", f"/candidates/c{n}", body={"name": "X", "email": address})
            if status < 300:
                accepted.append(json.loads(text)["email"])
    handler, buffer, saved = capture_logs()
    try:
        for address in accepted:
            logger.info("a line that should never hold an address", extra={"detail": f"failed for {address}"})
    finally:
        handler.setStream(saved)  # type: ignore[attr-defined]
    leaked = [a for a in accepted if a in buffer.getvalue()]
    print(f"\n  addresses the API accepted: {accepted}; unmasked in the log: {leaked}")
    table.add(
        "log mask vs accepted addresses (bug fixed)",
        load=f"{len(accepted)} addresses",
        faults="IDN addresses",
        expected="0 unmasked",
        sent="-",
        duplicates="-",
        lost=f"{len(leaked)} unmasked",
    )
    assert not leaked
