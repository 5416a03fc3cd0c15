"""The edge of the HTTP API under bodies and headers nobody should send (issue 10, findings 10, 11,
12, 16 and the ones found by reading the code). Each failed before its fix."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

import pytest

from tests.conftest import NOW
from tests.integration.test_api import APP_BODY, create
from tests.integration.test_tenant_isolation import path_of


def raw(stack: Any, method: str, path: str, body: str, content_type: str) -> tuple[int, dict[str, str], str]:
    return stack.http(method, path, body=body, headers={"content-type": content_type})


@pytest.mark.parametrize(
    ("body", "content_type", "status", "needle"),
    [
        (
            '{"name": "Ada", "email": "ada@example.com", "mode": ' + "9" * 5000 + "}",
            "application/json",
            400,
            "digits",
        ),
        ('{"name": "Ada", "name": "Eve", "email": "ada@example.com"}', "application/json", 400, "twice"),
        (
            "--x\r\nContent-Disposition: form-data\r\n\r\nhi\r\n--x--",
            "multipart/form-data",
            415,
            "application/json",
        ),
        ("name=Ada", "application/x-www-form-urlencoded", 415, "application/json"),
        ('{"name": "Ada"', "application/json", 422, "not valid JSON"),
    ],
)
def test_finding_10_11_no_body_gives_a_5xx_each_is_a_4xx_naming_the_problem(  # type: ignore[no-untyped-def]
    stack, body: str, content_type: str, status: int, needle: str
) -> None:
    got, _, text = raw(stack, "PUT", "/candidates/ada", body, content_type)
    assert got == status and needle in text, text
    assert stack.http("GET", "/candidates/ada")[0] == 404  # nothing written


def test_finding_10_a_body_that_is_not_utf8_text_is_a_400(stack) -> None:  # type: ignore[no-untyped-def]
    event = {
        "rawPath": "/candidates/ada",
        "headers": {"x-api-key": stack.api_key, "content-type": "application/json"},
        "body": base64.b64encode(b'{"name": "\xff\xfe"}').decode(),
        "isBase64Encoded": True,
    }
    answer = stack.invoke("ApiFunction", event)  # as API Gateway passes a body it could not read as text
    assert answer["statusCode"] == 400 and "UTF-8" in answer["body"]


def test_a_bearer_key_beyond_the_key_limit_is_401_before_any_dynamodb_call(stack, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from nearmiss import api

    calls: list[str] = []
    monkeypatch.setattr(api, "bootstrap", _Counting(api.bootstrap, calls))
    key = "nmk." + "a" * 3000 + ".secret"
    status, _, _ = stack.http("GET", "/candidates/x", headers={"authorization": f"Bearer {key}"}, auth=False)
    assert status == 401 and calls == []


class _Counting:
    """bootstrap, recording whoever reaches for the store."""

    def __init__(self, real: Any, calls: list[str]) -> None:
        self.real, self.calls = real, calls

    def container(self) -> Any:
        real, calls = self.real.container(), self.calls

        class Wrapped:
            def __getattr__(self, name: str) -> Any:
                if name == "store":
                    calls.append(name)
                return getattr(real, name)

        return Wrapped()


def test_public_routes_are_matched_exactly_not_by_prefix() -> None:
    from nearmiss.api import PUBLIC_PATHS, _refusal

    assert "/stop" in PUBLIC_PATHS
    for path in ("/stopped-candidates", "/timelines/ada", "/steps/anything", "/health/x"):
        refusal = _refusal({"rawPath": path, "headers": {}, "body": None})
        assert refusal is not None and refusal["statusCode"] == 401, path


def test_finding_12_no_answer_can_be_framed_cached_or_leak_its_url(stack) -> None:  # type: ignore[no-untyped-def]
    status, headers, text = stack.http(
        "PUT", "/candidates/ada", body={"name": "Ada", "email": "ada@example.com"}
    )
    assert status == 201 and "api_key" in text
    assert headers["Cache-Control"] == "no-store" and headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert stack.http("POST", "/candidates/ada/api-key")[1]["Cache-Control"] == "no-store"
    stack.http("PUT", "/candidates/ada/applications/northwind", body=APP_BODY)
    url = json.loads(stack.http("GET", "/candidates/ada/applications/northwind/timeline")[2])["page_url"]
    status, headers, _ = stack.http("GET", path_of(url), auth=False)
    assert status == 200
    assert (
        "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        and headers["X-Frame-Options"] == "DENY"
    )
    assert headers["Cache-Control"] == "no-store" and headers["Referrer-Policy"] == "no-referrer"


def test_finding_16_the_local_servers_access_log_masks_tokens_and_keys(capsys) -> None:  # type: ignore[no-untyped-def]
    from nearmiss.domain import tokens
    from nearmiss.observability import mask_secrets

    token = tokens.sign(
        "stop", {"c": "ada", "r": "0" * 20}, expires_at=NOW + timedelta(days=1), secret=b"s" * 32
    )
    line = f'127.0.0.1 "POST /stop?token={token} HTTP/1.1" 200 - Bearer nmk.ada.abcdefSECRET'
    masked = mask_secrets(line)
    assert token not in masked and token.split(".")[1] not in masked and "abcdefSECRET" not in masked


def test_the_local_server_writes_its_access_log_through_the_mask() -> None:
    import inspect

    from nearmiss_local import serve

    source = inspect.getsource(serve)
    assert 'mask_secrets(f"{self.address_string()}' in source


def test_one_members_note_never_delays_anothers_to_the_same_person(stack) -> None:  # type: ignore[no-untyped-def]
    # Given two members who both write to Grace on the same day (auto mode)
    create(stack, "ada")
    create(stack, "bea")
    for cid in ("ada", "bea"):
        stack.http("POST", f"/candidates/{cid}/applications/northwind/rejection", body={})
    stack.pump()
    # When the thank-yous fall due
    stack.traveller.move_to(NOW + timedelta(days=1, hours=12))
    stack.tick()
    # Then each member's thank-you to Grace went out that day: the daily cap is per member
    from tests.helpers import steps_of

    for cid in ("ada", "bea"):
        (thanks,) = [
            s
            for s in steps_of(stack, cid, "northwind")
            if s.kind.value == "thank_you" and "Grace" in s.recipient_name
        ]
        assert thanks.state.value == "sent", (cid, thanks.state, thanks.reason)


@pytest.mark.parametrize(
    "line",
    [
        "GET /_local/inbound?to=reply%2Babcdefghijklmnopqrstuvwxyz%40reply.careers.example.org HTTP/1.1",
        "GET /_local/inbound?to=reply+abcdefghijklmnopqrstuvwxyz@reply.careers.example.org HTTP/1.1",
        "GET /_local/inbound?to=REPLY%2bABCDEFGHIJKLMNOPQRSTUVWXYZ%40reply.careers.example.org HTTP/1.1",
    ],
)
def test_reply_tokens_and_percent_encoded_addresses_are_masked(line: str) -> None:
    # Review finding 9: serve.py logs the query string
    from nearmiss.observability import mask_secrets

    masked = mask_secrets(line)
    assert "abcdefghijklmnopqrstuvwxyz" not in masked.lower()
    assert "careers.example" not in masked
