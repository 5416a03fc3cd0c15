"""The candidate's side of the HTTP API: auth boundary, preview, edits, stop links, deletion."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest

from tests.conftest import NOW
from tests.helpers import mails, plain_text, prove, recipients, register, steps_of

APP_BODY = {
    "company": "Northwind Data",
    "job_title": "Staff Engineer",
    "contacts": [
        {
            "name": "Grace Park",
            "email": "grace@northwind.example",
            "role": "hiring_manager",
            "time_zone": "America/New_York",
            "country": "US",
            "discussed": "event sourcing",
            "resource": {
                "kind": "link",
                "title": "the billing write-up",
                "url": "https://example.org/billing",
            },
        },
        {
            "name": "Mei Tanaka",
            "email": "mei@northwind.example",
            "role": "interviewer",
            "time_zone": "Europe/Berlin",
        },
    ],
}


def create(stack: Any, cid: str, *, mode: str = "auto", email: str | None = None) -> str:
    body = {
        "name": "Ada Quinn",
        "email": email or f"{cid}@example.com",
        "mode": mode,
        "time_zone": "Europe/London",
    }
    register(stack, cid, body)
    status, _, text = stack.http("PUT", f"/candidates/{cid}/applications/northwind", body=APP_BODY)
    assert status == 200, text
    return _key(stack, cid)


def _key(stack: Any, cid: str) -> str:
    status, _, text = stack.http("POST", f"/candidates/{cid}/api-key")
    assert status == 200
    return str(json.loads(text)["api_key"])


def as_candidate(stack: Any, key: str, method: str, path: str, body: Any = None) -> tuple[int, str]:
    status, _, text = stack.http(
        method, path, body=body, headers={"authorization": f"Bearer {key}"}, auth=False
    )
    return status, text


def test_creating_a_candidate_returns_their_own_key_once(stack) -> None:  # type: ignore[no-untyped-def]
    status, _, text = stack.http("PUT", "/candidates/ada", body={"name": "Ada", "email": "ada@example.com"})
    assert status == 201 and json.loads(text)["api_key"].startswith("nmk.ada.")
    status, _, text = stack.http("PUT", "/candidates/ada", body={"name": "Ada Q", "email": "ada@example.com"})
    assert status == 200 and "api_key" not in json.loads(text)


def test_a_candidate_can_use_their_own_routes_and_never_anothers(stack) -> None:  # type: ignore[no-untyped-def]
    ada, bob = create(stack, "ada"), create(stack, "bob")
    assert as_candidate(stack, ada, "GET", "/candidates/ada")[0] == 200
    assert as_candidate(stack, ada, "GET", "/candidates/ada/applications/northwind/preview")[0] == 200
    for method, path, body in [
        ("GET", "/candidates/bob", None),
        ("GET", "/candidates/bob/applications/northwind/timeline", None),
        ("GET", "/candidates/bob/applications/northwind/preview", None),
        ("PUT", "/candidates/bob/applications/northwind", APP_BODY),
        ("POST", "/candidates/bob/applications/northwind/rejection", {}),
        ("POST", "/candidates/bob/applications/northwind/cancel", {}),
        ("DELETE", "/candidates/bob", None),
        ("POST", "/candidates/bob/api-key", None),
    ]:
        status, text = as_candidate(stack, ada, method, path, body)
        assert status == 403, (method, path, text)
    assert as_candidate(stack, bob, "GET", "/candidates/bob")[0] == 200


@pytest.mark.parametrize(
    "authorization",
    ["", "Bearer nope", "Bearer nmk.ada.forged-secret", "Basic abc", "Bearer nmk..", "Bearer " + "x" * 5000],
)
def test_a_missing_or_forged_candidate_key_is_401(stack, authorization: str) -> None:  # type: ignore[no-untyped-def]
    create(stack, "ada")
    status, _, _ = stack.http("GET", "/candidates/ada", headers={"authorization": authorization}, auth=False)
    assert status == 401


def test_a_rotated_key_replaces_the_old_one_at_once(stack) -> None:  # type: ignore[no-untyped-def]
    old = create(stack, "ada")
    new = _key(stack, "ada")
    assert as_candidate(stack, old, "GET", "/candidates/ada")[0] == 401
    assert as_candidate(stack, new, "GET", "/candidates/ada")[0] == 200


def test_the_preview_is_exactly_what_is_later_sent_same_words_same_instants(stack) -> None:  # type: ignore[no-untyped-def]
    create(stack, "ada")
    rejected_at = NOW.isoformat().replace("+00:00", "Z")
    status, _, text = stack.http(
        "GET", f"/candidates/ada/applications/northwind/preview?rejected_at={rejected_at}"
    )
    assert status == 200, text
    preview = json.loads(text)
    assert preview["simulated"] is True
    planned = {(s["recipient"], s["kind"]): s for s in preview["steps"] if s["state"] == "scheduled"}
    skipped = [s for s in preview["steps"] if s["state"] == "skipped"]
    assert skipped and all(s["reason"] and s["text"] is None for s in skipped)
    # When the rejection happens as previewed and the months go by
    stack.http("POST", "/candidates/ada/applications/northwind/rejection", body={"rejected_at": rejected_at})
    stack.pump()
    while (due := stack.next_due()) is not None:
        stack.traveller.move_to(due)
        stack.tick()
        stack.pump()
    # Then every message went out with the previewed words, at the previewed instant
    sent = {}
    for message in mails(stack):
        sent[(str(message["To"].addresses[0].display_name), str(message["Subject"]))] = message
    assert len(sent) == len(planned)
    for (name, _), step in planned.items():
        message = sent[(name, step["subject"])]
        assert plain_text(message).strip() == step["text"].strip()
        from email.utils import parsedate_to_datetime

        assert parsedate_to_datetime(message["Date"]).isoformat() == step["send_at_utc"]


def test_an_edited_draft_is_what_is_sent(stack) -> None:  # type: ignore[no-untyped-def]
    key = create(stack, "ada", mode="review")
    stack.http("POST", "/candidates/ada/applications/northwind/rejection", body={})
    stack.pump()
    step = next(
        s
        for s in steps_of(stack, "ada", "northwind")
        if s.kind.value == "thank_you" and s.recipient_name == "Mei Tanaka"
    )
    base = f"/candidates/ada/applications/northwind/steps/{step.step_id}"
    status, text = as_candidate(
        stack,
        key,
        "PUT",
        f"{base}/draft",
        {"subject": "Thank you, Mei", "text": "Hi Mei,\n\nMy own words.\n\nAda"},
    )
    assert status == 200, text
    status, text = as_candidate(stack, key, "POST", f"{base}/approve")
    assert status == 200 and json.loads(text)["state"] == "approved"
    stack.traveller.move_to(step.planned_at)
    stack.tick()
    message = next(m for m in mails(stack) if "mei@" in str(m["To"]))
    assert str(message["Subject"]) == "Thank you, Mei" and "My own words." in plain_text(message)
    # ... and the edit keeps the recipient's way out (issue 10, finding 14): the note shows no stop
    # line (issue 13), its RFC 8058 headers carry the link, and a one-click POST to it works
    assert str(message["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    stop = str(message["List-Unsubscribe"]).strip("<>")
    assert "/stop?token=" in stop and stop not in plain_text(message) and "P.S." not in plain_text(message)
    path = stop.removeprefix("http://127.0.0.1:8000")
    form = {"content-type": "application/x-www-form-urlencoded"}  # as RFC 8058 clients post it
    status, _, _ = stack.http("POST", path, body="List-Unsubscribe=One-Click", headers=form, auth=False)
    assert status == 200
    assert as_candidate(stack, key, "PUT", f"{base}/draft", {"text": "too late"})[0] == 409


@pytest.mark.parametrize(
    ("path", "body", "status", "needle"),
    [
        ("steps/nonsense/draft", {"text": "x"}, 400, "step_id"),
        ("steps/thank_you.0123456789abcdef0123/draft", {"text": "x"}, 409, "no longer exists"),
        ("steps/thank_you.0123456789abcdef0123/draft", {"text": ""}, 422, "text"),
        ("steps/thank_you.0123456789abcdef0123/draft", {"txt": "x"}, 422, "txt"),
        ("steps/thank_you.0123456789abcdef0123/frobnicate", None, 404, "approve or skip"),
    ],
)
def test_bad_step_requests_get_a_clear_4xx(stack, path: str, body: Any, status: int, needle: str) -> None:  # type: ignore[no-untyped-def]
    create(stack, "ada")
    method = "PUT" if path.endswith("draft") else "POST"
    got, _, text = stack.http(method, f"/candidates/ada/applications/northwind/{path}", body=body)
    assert got == status and needle in text, text


def test_the_stop_link_stops_every_pending_message_to_that_address_at_once(stack) -> None:  # type: ignore[no-untyped-def]
    create(stack, "ada")
    stack.http("POST", "/candidates/ada/applications/northwind/rejection", body={})
    stack.pump()
    stack.traveller.move_to(NOW + timedelta(days=1))
    stack.tick()
    grace = next(m for m in mails(stack) if "grace@" in str(m["To"]))
    url = str(grace["List-Unsubscribe"]).strip("<>").removeprefix("http://127.0.0.1:8000")
    assert url.startswith("/stop?token=") and url not in plain_text(grace)  # in the header, not the text
    status, _, page = stack.http("GET", url, auth=False)
    assert status == 200 and "Yes, stop" in page
    assert {
        s.state.value for s in steps_of(stack, "ada", "northwind") if s.recipient_name == "Grace Park"
    } >= {"scheduled"}
    # RFC 8058 one-click: the mail client POSTs "List-Unsubscribe=One-Click"
    status, _, page = stack.http(
        "POST",
        url,
        body="List-Unsubscribe=One-Click",
        headers={"content-type": "application/x-www-form-urlencoded"},
        auth=False,
    )
    assert status == 200 and "will not receive further messages" in page
    graces = [s for s in steps_of(stack, "ada", "northwind") if s.recipient_name == "Grace Park"]
    assert {s.state.value for s in graces} == {"sent", "cancelled"}
    stack.traveller.move_to(NOW + timedelta(days=120))
    stack.tick()
    assert recipients(stack).count("grace@northwind.example") == 1


def test_the_timeline_page_link_shows_the_playbook(stack) -> None:  # type: ignore[no-untyped-def]
    create(stack, "ada")
    stack.http("POST", "/candidates/ada/applications/northwind/rejection", body={})
    stack.pump()
    timeline = json.loads(stack.http("GET", "/candidates/ada/applications/northwind/timeline")[2])
    status, headers, page = stack.http("GET", timeline["page_url"].split("8000", 1)[1], auth=False)
    assert status == 200 and "<table>" in page and "Grace Park" in page
    assert "default-src 'none'" in headers["Content-Security-Policy"]


def test_deleting_a_candidate_leaves_nothing_of_theirs(stack) -> None:  # type: ignore[no-untyped-def]
    # Given a candidate with a playbook, a stop from a recipient, and an unmatched event kept for them
    create(stack, "ada", email="ada.quinn@example.com")
    create(stack, "bob")
    stack.http(
        "PUT", "/candidates/ada/applications/gh-1", body={**APP_BODY, "ats_application_id": "greenhouse:1"}
    )
    stack.http("POST", "/candidates/ada/applications/northwind/rejection", body={})
    stack.http("POST", "/candidates/bob/applications/northwind/rejection", body={})
    stack.pump()
    stack.traveller.move_to(NOW + timedelta(days=1))
    stack.tick()
    url = (
        str(next(m for m in mails(stack) if "ada.quinn" in str(m["Reply-To"]))["List-Unsubscribe"])
        .strip("<>")
        .removeprefix("http://127.0.0.1:8000")
    )
    stack.http("POST", url, auth=False)
    before = dump(stack)
    assert any("ada" in json.dumps(i) for i in before)
    # When
    status, _, text = stack.http("DELETE", "/candidates/ada")
    # Then nothing that mentions Ada, her id, her address or its hash is left; Bob is untouched
    assert status == 200, text
    from nearmiss.domain.playbook import recipient_key

    left = json.dumps(dump(stack))
    for trace in (
        "CAND#ada",
        "APP#ada#",
        "ada.quinn@example.com",
        recipient_key("ada.quinn@example.com"),
        "BLOCK#CAND#ada",
        "greenhouse:1",
    ):
        assert trace not in left, trace
    assert "CAND#bob" in left
    assert stack.http("GET", "/candidates/ada")[0] == 404


def dump(stack: Any) -> list[dict[str, Any]]:
    """Every item in the table (tests may scan; the product never does)."""
    ddb = stack.client("dynamodb")
    items, kwargs = [], {"TableName": stack.names["Table"]}
    while True:
        page = ddb.scan(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def test_the_openapi_document_is_served_and_valid(stack) -> None:  # type: ignore[no-untyped-def]
    from openapi_spec_validator import validate

    status, _, text = stack.http("GET", "/openapi.json", auth=False)
    assert status == 200
    document = json.loads(text)
    validate(document)
    assert "/candidates/{candidate_id}/applications/{application_id}/preview" in document["paths"]


def test_the_openapi_document_describes_the_webhook_route_the_other_function_serves(stack) -> None:  # type: ignore[no-untyped-def]
    from nearmiss.intake.registry import SOURCES

    document = json.loads(stack.http("GET", "/openapi.json", auth=False)[2])
    operation = document["paths"]["/webhooks/{source}"]["post"]
    parameters = {(p["in"], p["name"]): p for p in operation["parameters"]}
    assert parameters[("path", "source")]["schema"]["enum"] == sorted(SOURCES)
    assert {name for where, name in parameters if where == "header"} == {
        "Signature",
        "Ashby-Signature",
        "X-Workable-Signature",
        "X-Recruitee-Signature",
        "X-NearMiss-Signature",
        "X-NearMiss-Timestamp",
    }
    assert all(f"`{source}`" in operation["description"] for source in SOURCES)
    assert set(operation["requestBody"]["content"]) == {"application/json"}
    assert set(operation["responses"]) == {"200", "400", "401", "404", "413", "415", "503"}
    assert all("application/json" in answer["content"] for answer in operation["responses"].values())


def test_every_route_of_the_http_api_is_in_the_openapi_document(stack) -> None:  # type: ignore[no-untyped-def]
    from nearmiss.api import app
    from nearmiss_local.runtime import load_template

    document = json.loads(stack.http("GET", "/openapi.json", auth=False)[2])
    documented = {
        (method.upper(), path) for path, operations in document["paths"].items() for method in operations
    }
    # Given the routes template.yaml gives the HTTP API ...
    served = []
    for resource in load_template()["Resources"].values():
        for event in resource.get("Properties", {}).get("Events", {}).values():
            if event["Type"] == "HttpApi":
                served.append(
                    (str(event["Properties"].get("Method", "ANY")).upper(), event["Properties"]["Path"])
                )
    assert ("POST", "/webhooks/{source}") in served
    # ... where a greedy one (/{proxy+}) hands every other path to the API function, whose resolver
    # has the routes
    greedy = [path for _, path in served if "+}" in path]
    assert greedy == ["/{proxy+}"]
    routes = [
        (route.method, re.sub(r"<(\w+)>", r"{\1}", route.path))
        for route in app._static_routes + app._dynamic_routes
    ]
    assert len(routes) > 15
    # Then each is documented
    for method, path in [r for r in served if r[1] not in greedy] + routes:
        assert any(path == p and method in ("ANY", m) for m, p in documented), (
            f"{method} {path} is not documented"
        )


# ---- sending From the candidate's own address -----------------------------------------------------------
def save(
    stack: Any, cid: str, email: str, sending_identity: str = "own_address"
) -> tuple[int, dict[str, Any]]:
    body = {"name": "Ada Quinn", "email": email, "sending_identity": sending_identity}
    status, _, text = stack.http("PUT", f"/candidates/{cid}", body=body)
    return status, json.loads(text)


def proved(stack: Any, cid: str, email: str) -> None:
    """A member on the platform identity who proved `email` (own_address needs a proved address)."""
    register(stack, cid, {"name": "Ada Quinn", "email": email})


def unverified(stack: Any, name: str) -> None:
    """An identity SES knows but has not verified (its DNS records are not published yet)."""
    from moto.core import DEFAULT_ACCOUNT_ID  # type: ignore[attr-defined]
    from moto.ses.models import ses_backends

    stack.client("sesv2").create_email_identity(EmailIdentity=name)
    identity = ses_backends[DEFAULT_ACCOUNT_ID]["eu-west-1"].email_identities[name]
    identity.verified_for_sending_status, identity.verification_status = False, "PENDING"


@pytest.mark.parametrize(
    ("email", "pending", "needle"),
    [
        (
            "ada.quinn@gmail.com",
            None,
            "gmail.com is a free-mail domain: SES cannot send From it and pass DMARC",
        ),
        ("ada@yahoo.co.uk", None, "yahoo.co.uk is a free-mail domain"),
        ("ada@mail.nearmiss.example", None, "platform's own sender domain (mail.nearmiss.example)"),
        (
            "ada@contoso.example",
            None,
            "neither the address nor its domain contoso.example is a verified SES identity of this account",
        ),
        (
            "ada@contoso.example",
            "contoso.example",
            "contoso.example is an SES identity of this account but not verified",
        ),
    ],
)
def test_an_own_address_ses_may_not_send_from_is_refused_naming_the_field_and_nothing_is_written(  # type: ignore[no-untyped-def]
    stack, email: str, pending: str | None, needle: str
) -> None:
    if pending:
        unverified(stack, pending)
    proved(stack, "ada", email)
    status, answer = save(stack, "ada", email)
    assert status == 400, answer
    assert answer["error"] == "invalid candidate"
    (error,) = answer["fields"]
    assert error["field"] == "sending_identity" and needle in error["reason"], error
    assert json.loads(stack.http("GET", "/candidates/ada")[2])["sending_identity"] == "platform"


def test_own_address_is_refused_until_the_member_proved_the_address(stack) -> None:  # type: ignore[no-untyped-def]
    # Given an address SES has verified, typed by a member who has not proved it
    stack.client("sesv2").create_email_identity(EmailIdentity="contoso.example")
    # When they register with own_address
    status, answer = save(stack, "ada", "ada@contoso.example")
    # Then it is refused naming the field, and nothing is written
    assert status == 400, answer
    (error,) = answer["fields"]
    assert error["field"] == "sending_identity" and "needs a proved address" in error["reason"], error
    assert stack.http("GET", "/candidates/ada")[0] == 404
    # And once registered on the platform identity and proved, own_address is accepted
    assert save(stack, "ada", "ada@contoso.example", "platform")[0] == 201
    prove(stack, "ada@contoso.example")
    status, answer = save(stack, "ada", "ada@contoso.example")
    assert status == 200 and answer["sending_identity"] == "own_address", answer


@pytest.mark.parametrize(
    ("identity", "email"),
    [
        ("contoso.example", "ada@contoso.example"),
        ("contoso.example", "ada@eu.contoso.example"),
        ("ada@fabrikam.example", "ada@fabrikam.example"),
    ],
)
def test_an_own_address_on_a_verified_identity_is_accepted(stack, identity: str, email: str) -> None:  # type: ignore[no-untyped-def]
    stack.client("sesv2").create_email_identity(EmailIdentity=identity)
    proved(stack, "ada", email)
    status, answer = save(stack, "ada", email)
    assert status == 200 and answer["sending_identity"] == "own_address", answer


def test_switching_an_existing_candidate_to_an_unverified_own_address_changes_nothing(stack) -> None:  # type: ignore[no-untyped-def]
    proved(stack, "ada", "ada@contoso.example")
    status, answer = save(stack, "ada", "ada@contoso.example")
    assert status == 400 and answer["fields"][0]["field"] == "sending_identity"
    stored = json.loads(stack.http("GET", "/candidates/ada")[2])
    assert stored["sending_identity"] == "platform"


def test_when_ses_cannot_be_asked_the_save_is_a_503_and_writes_nothing(stack) -> None:  # type: ignore[no-untyped-def]
    from botocore.stub import Stubber

    proved(stack, "ada", "ada@contoso.example")
    identities = stack._container(stack.functions["ApiFunction"]).identities
    with Stubber(identities.client) as stub:
        stub.add_client_error("get_email_identity", "AccessDeniedException", "not authorized", 403)
        status, answer = save(stack, "ada", "ada@contoso.example")
    assert status == 503 and "nothing was saved" in answer["error"], answer
    assert json.loads(stack.http("GET", "/candidates/ada")[2])["sending_identity"] == "platform"
