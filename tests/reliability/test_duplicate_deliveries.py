"""The same rejection, fifty times at once, starts one playbook, and every step goes out exactly once.

Two layers: the signed Greenhouse webhook posted 50 times concurrently over real HTTP to the local
server (nearmiss_local.serve.LocalServer on 127.0.0.1, port 0); and the "Application Rejected" event
handed to start_playbook by 50 threads at once (as EventBridge's at-least-once delivery and Lambda's
retries can), where only the conditional transaction stands between them and a second playbook.
"""

from __future__ import annotations

import contextlib
import http.client
import io
import json
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from nearmiss_local.serve import LocalServer
from nearmiss_local.sign_webhook import signed_request

from tests.conftest import NOW
from tests.helpers import PROOF_SUBJECT, load_event, prove
from tests.helpers import register as register_and_prove
from tests.reliability.support import (
    account,
    all_steps,
    atomic_dynamodb,
    local_stack,
    mails,
    ok,
    run_through,
    states,
)

pytestmark = pytest.mark.reliability

DELIVERIES = 50
SAMPLES = Path(__file__).resolve().parents[2] / "events" / "webhooks" / "greenhouse"
ATS_ID = "greenhouse:46196263"  # the application in events/webhooks/greenhouse/rejected.json
# Fixed by the scenarios' inputs, never read back from the stored steps: events/api/put_application.json
# gives three thank-yous, Grace's resource and two check-ins (Grace, Sam) ...
EXPECTED = 6
# ... and the Greenhouse sample adds one person with an address, Priya Shah (HR): a thank-you.
EXPECTED_WITH_ATS_PEOPLE = EXPECTED + 1


RETRIES: Counter[str] = Counter()


def request(
    port: int, method: str, path: str, body: bytes | None, headers: dict[str, str]
) -> tuple[int, str]:
    """One HTTP request; a connection refused or reset is retried, as an ATS retries a failed delivery."""
    for attempt in range(10):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            connection.request(method, path, body=body, headers={**headers, "connection": "close"})
            response = connection.getresponse()
            return response.status, response.read().decode()
        except (ConnectionResetError, ConnectionRefusedError, http.client.RemoteDisconnected) as exc:
            RETRIES[type(exc).__name__] += 1
            time.sleep(0.05 * (attempt + 1))
        finally:
            connection.close()
    raise AssertionError(f"{method} {path}: no answer after 10 attempts")


def test_fifty_concurrent_deliveries_of_one_signed_webhook_start_one_playbook_and_send_each_step_once(
    table: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from http.server import ThreadingHTTPServer

    # socketserver's default listen backlog is 5: fifty simultaneous connects overflow it and the
    # kernel resets some. API Gateway has no such limit; give the local server a backlog that fits.
    monkeypatch.setattr(ThreadingHTTPServer, "request_queue_size", 128)
    RETRIES.clear()
    access_log = io.StringIO()  # the local server's request lines (stderr), kept out of the report
    with local_stack() as stack, contextlib.redirect_stderr(access_log):
        server = LocalServer(stack, port=0, tick_seconds=3600)  # the test moves the clock and ticks itself
        server.start()
        try:
            operator = {"x-api-key": stack.api_key, "content-type": "application/json"}
            # Given Ada registered (auto mode) with the application Greenhouse will reject
            profile = {
                "name": "Ada Quinn",
                "email": "ada.quinn@example.com",
                "time_zone": "Europe/London",
                "mode": "auto",
            }
            status, text = request(
                server.port, "PUT", "/candidates/ada-quinn", json.dumps(profile).encode(), operator
            )
            assert status in (200, 201), text
            with server.lock:  # and proved her address with the link mailed to it
                prove(stack, "ada.quinn@example.com")
            application = json.loads(load_event("api/put_application.json")["body"])
            application.update(source="greenhouse", ats_application_id=ATS_ID)
            status, text = request(
                server.port,
                "PUT",
                f"/candidates/ada-quinn/applications/{ATS_ID}",
                json.dumps(application).encode(),
                operator,
            )
            assert status == 200, text

            # When Greenhouse delivers the signed rejection 50 times at once
            body = (SAMPLES / "rejected.json").read_bytes()
            headers = json.loads((SAMPLES / "rejected.headers.json").read_text())
            signature, body = signed_request(
                "greenhouse", body, stack.webhook_secrets["greenhouse"], datetime.now(UTC)
            )
            answers: list[tuple[int, str]] = []
            start = threading.Barrier(DELIVERIES)

            def deliver() -> None:
                start.wait()
                answers.append(
                    request(server.port, "POST", "/webhooks/greenhouse", body, {**headers, **signature})
                )

            began = time.perf_counter()
            threads = [threading.Thread(target=deliver) for _ in range(DELIVERIES)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
            delivered_in = time.perf_counter() - began

            # Then one is accepted, 49 are acknowledged as duplicates, and one playbook starts
            verdicts = Counter(f"{s} {json.loads(t).get('status')}" for s, t in answers)
            with server.lock:
                started = [o for fn, o in stack.invocations if fn == "StartPlaybookFunction"]
                steps = all_steps(stack)
            expected = EXPECTED_WITH_ATS_PEOPLE
            assert verdicts == {"200 accepted": 1, "200 duplicate": DELIVERIES - 1}, verdicts
            assert started == ["ok"], started
            assert len(steps) == len({s.step_id for s in steps})

            # and over the months every recipient gets each step exactly once
            ticks = run_through(stack, NOW + timedelta(days=130), lock=server.lock)
            status, text = request(server.port, "GET", "/_local/mail", None, {})
            # The hiring side's mail; the member's notices (from Near Miss) are counted apart, proofs aside
            everything = [m for m in json.loads(text) if m["subject"] != PROOF_SUBJECT]
            inbox = [m for m in everything if not m["from"].startswith("Near Miss")]
            to_member = [m["subject"] for m in everything if m["from"].startswith("Near Miss")]
            with server.lock:
                steps = all_steps(stack)
                books = account(stack, steps)
            per_message = Counter((m["to"], m["subject"]) for m in inbox)
        finally:
            server.stop()

    print(
        f"\n  {DELIVERIES} concurrent deliveries in {delivered_in:.2f} s "
        f"(connection retries {dict(RETRIES)}): "
        f"{dict(verdicts)}; playbooks started "
        f"{len(started)}; {ticks} dispatcher runs; steps {states(steps)}; messages {len(inbox)}"
    )
    table.add(
        "duplicate webhook x50 (HTTP; the local server handles them one at a time)",
        load=f"{DELIVERIES} simultaneous signed deliveries, serialised by the server's lock, 130 days",
        faults=f"{DELIVERIES - 1} duplicate deliveries",
        expected=expected,
        sent=len(inbox),
        duplicates=books.duplicates + sum(n - 1 for n in per_message.values() if n > 1),
        lost=expected - books.sent_steps,
    )
    assert all(n == 1 for n in per_message.values()), per_message
    assert books.duplicates == 0 and books.unrecorded == 0
    assert states(steps).get("sent") == expected == len(inbox)
    # the person Greenhouse names without an address: one notice, not one per delivery
    assert len(to_member) == 1 and "to complete" in to_member[0], to_member


def test_fifty_concurrent_deliveries_of_the_rejection_event_to_start_playbook_create_one_playbook(
    table: Any,
) -> None:
    from nearmiss.entrypoints import on_rejected

    with local_stack() as stack:
        # Given Ada and her application
        register_and_prove(
            stack, "ada-quinn", {**json.loads(load_event("api/put_candidate.json")["body"]), "mode": "auto"}
        )
        ok(
            stack.http(
                "PUT",
                "/candidates/ada-quinn/applications/northwind-staff-platform",
                body=json.loads(load_event("api/put_application.json")["body"]),
            )
        )
        event = load_event("start_playbook/application_rejected.json")
        container = stack._container(stack.functions["StartPlaybookFunction"])
        container.store, container.senders  # noqa: B018  (built once, before the threads share them)
        outcomes: list[str] = []
        errors: list[BaseException] = []
        start = threading.Barrier(DELIVERIES)

        def deliver(n: int) -> None:
            start.wait()
            try:
                outcomes.append(on_rejected({**event, "id": f"delivery-{n}"}, container)["outcome"])
            except BaseException as exc:
                errors.append(exc)

        # When 50 deliveries of the event reach start_playbook at once (moto made request-atomic, as
        # DynamoDB is; see support.atomic_dynamodb)
        with atomic_dynamodb():
            threads = [threading.Thread(target=deliver, args=(n,)) for n in range(DELIVERIES)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
        expected = EXPECTED

        # Then exactly one created the playbook, and its steps go out once each
        run_through(stack, NOW + timedelta(days=130))
        books = account(stack)
        print(
            f"\n  start_playbook outcomes: {dict(Counter(outcomes))}; errors {len(errors)}; "
            f"steps {states(all_steps(stack))}"
        )
        table.add(
            "duplicate event x50 (start_playbook threads)",
            load=f"{DELIVERIES} concurrent invocations, 130 days",
            faults=f"{DELIVERIES - 1} duplicate deliveries",
            expected=expected,
            sent=books.accepted,
            duplicates=books.duplicates,
            lost=expected - books.sent_steps,
        )
        assert not errors, errors
        assert Counter(outcomes) == {"created": 1, "duplicate": DELIVERIES - 1}
        assert books.duplicates == 0 and books.sent_steps == expected == len(
            [m for m in mails(stack) if not m.is_draft]
        )


def test_fifty_truly_concurrent_deliveries_of_one_webhook_in_process_start_one_playbook(table: Any) -> None:
    """The HTTP scenario above is serialised by the local server's lock; here 50 threads run the
    receive_webhook entry point at once (moto made request-atomic, as DynamoDB is), so the delivery
    record's conditional writes really race. A delivery that finds another one in progress is told
    to retry (503), as an ATS would be, and retries until it is answered."""
    from nearmiss.entrypoints import on_webhook
    from nearmiss_local import iam
    from nearmiss_local.runtime import FakeContext

    with local_stack() as stack:
        # Given Ada registered with the application Greenhouse will reject
        profile = {"name": "Ada Quinn", "email": "ada.quinn@example.com", "mode": "auto"}
        register_and_prove(stack, "ada-quinn", profile)
        application = json.loads(load_event("api/put_application.json")["body"])
        application.update(source="greenhouse", ats_application_id=ATS_ID)
        ok(stack.http("PUT", f"/candidates/ada-quinn/applications/{ATS_ID}", body=application))
        body = (SAMPLES / "rejected.json").read_bytes()
        headers = json.loads((SAMPLES / "rejected.headers.json").read_text())
        signature, body = signed_request(
            "greenhouse", body, stack.webhook_secrets["greenhouse"], datetime.now(UTC)
        )
        event = {
            "pathParameters": {"source": "greenhouse"},
            "headers": {k.lower(): v for k, v in {**headers, **signature}.items()},
            "body": body.decode(),
            "isBase64Encoded": False,
        }
        fn = stack.functions["ReceiveWebhookFunction"]
        container = stack._container(fn)
        container.intake, container.deliveries  # noqa: B018  (built once, before the threads share them)
        first: list[str] = []
        final: list[str] = []
        errors: list[BaseException] = []
        start = threading.Barrier(DELIVERIES)

        def deliver() -> None:
            start.wait()
            try:
                with iam.acting_as(fn.logical_id):
                    for attempt in range(50):
                        answer = on_webhook(
                            event, container, FakeContext(fn.logical_id, fn.memory, fn.timeout)
                        )
                        verdict = f"{answer['statusCode']} {json.loads(answer['body']).get('status', '')}"
                        if attempt == 0:
                            first.append(verdict)
                        if answer["statusCode"] != 503:
                            final.append(verdict)
                            return
                        time.sleep(0.01)
            except BaseException as exc:
                errors.append(exc)

        # When Greenhouse delivers it 50 times at the same instant
        with atomic_dynamodb():
            threads = [threading.Thread(target=deliver) for _ in range(DELIVERIES)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
        stack.pump()
        started = Counter(o for fn_id, o in stack.invocations if fn_id == "StartPlaybookFunction")

        # Then one is accepted, the others are duplicates (after retrying while it was in progress)
        run_through(stack, NOW + timedelta(days=130))
        books = account(stack)
        print(
            f"\n  first answers {dict(Counter(first))}; final {dict(Counter(final))}; starts {dict(started)}"
        )
        table.add(
            "duplicate webhook x50 (truly concurrent threads, in process)",
            load=f"{DELIVERIES} simultaneous deliveries, 503 answers retried, 130 days",
            faults=f"{DELIVERIES - 1} duplicate deliveries",
            expected=EXPECTED_WITH_ATS_PEOPLE,
            sent=books.accepted,
            duplicates=books.duplicates,
            lost=EXPECTED_WITH_ATS_PEOPLE - books.sent_steps,
        )
        assert not errors, errors
        assert Counter(final) == {"200 accepted": 1, "200 duplicate": DELIVERIES - 1}, final
        assert books.duplicates == 0 and books.sent_steps == EXPECTED_WITH_ATS_PEOPLE == books.accepted
