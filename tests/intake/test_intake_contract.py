"""The rules every webhook source keeps, checked for each one with its own sample events."""

from __future__ import annotations

import json
from datetime import timedelta
from types import ModuleType

import pytest
from nearmiss.domain.models import Contact
from nearmiss.intake import Parsed, WebhookError
from nearmiss.intake.base import MAX_BODY_BYTES
from nearmiss.intake.registry import SOURCES
from webhook_samples import NOW, SECRET, as_body, sample_body, sample_kinds, sign, signed_sample

ALL = sorted(SOURCES)
# The header that carries each source's signature (Lever signs inside the body).
SIGNATURE_HEADER = {
    "greenhouse": "signature",
    "ashby": "ashby-signature",
    "workable": "x-workable-signature",
    "recruitee": "x-recruitee-signature",
    "generic": "x-nearmiss-signature",
}
EXPECTED_KIND = {"rejected": "rejected", "withdrawn": "rejected", "reopened": "reopened", "hired": "hired"}
# Each source's success status, as its vendor documents it.
DOCUMENTED_SUCCESS = {
    "greenhouse": 200,
    "lever": 200,
    "ashby": 200,
    "workable": 200,
    "recruitee": 200,
    "generic": 200,
}


def module(source: str) -> ModuleType:
    return SOURCES[source]  # type: ignore[return-value]


def without_signature(source: str, headers: dict[str, str], body: bytes) -> tuple[dict[str, str], bytes]:
    if source == "lever":
        payload = json.loads(body)
        del payload["signature"]
        return headers, as_body(payload)
    return {k: v for k, v in headers.items() if k != SIGNATURE_HEADER[source]}, body


def tampered(source: str, body: bytes) -> bytes:
    """The signed body with one signed value changed (Lever signs only token + triggeredAt)."""
    if source == "lever":
        payload = json.loads(body)
        payload["triggeredAt"] += 1
        return as_body(payload)
    assert b"2026-11-20T16:05:41" in body
    return body.replace(b"2026-11-20T16:05:41", b"2026-11-20T16:05:42", 1)


def assert_refused(exc: pytest.ExceptionInfo[WebhookError], status: int, *words: str) -> None:
    assert exc.value.status == status
    for word in words:
        assert word in exc.value.reason


@pytest.mark.parametrize("source", ALL)
def test_every_source_declares_its_name_signing_and_success_status(source: str) -> None:
    mod = module(source)
    assert source == mod.NAME
    assert isinstance(mod.SIGNING_OPTIONAL, bool)
    assert (source == "ashby") == mod.SIGNING_OPTIONAL
    assert DOCUMENTED_SUCCESS[source] == mod.SUCCESS_STATUS


@pytest.mark.parametrize("source", ALL)
def test_signed_rejection_verifies_and_parses_as_a_rejection(source: str) -> None:
    # Given the source's documented rejection, signed with the tenant's secret
    headers, body = signed_sample(source, "rejected")
    # When it is verified and parsed
    module(source).verify(headers, body, SECRET, now=NOW)
    parsed = module(source).parse(headers, body)
    # Then it is a rejection of a namespaced application, at an aware UTC instant
    assert parsed.source == source
    assert parsed.kind == "rejected"
    assert parsed.ats_application_id is not None
    assert parsed.ats_application_id.startswith(f"{source}:")
    assert parsed.occurred_at is not None
    assert parsed.occurred_at.utcoffset() == timedelta(0)
    assert parsed.dedupe_key.startswith(f"{source}:")
    assert all(isinstance(c, Contact) and c.email for c in parsed.contacts)


@pytest.mark.parametrize(("source", "kind"), [(s, k) for s in ALL for k in sample_kinds(s)])
def test_every_sample_event_verifies_and_parses_to_its_kind(source: str, kind: str) -> None:
    headers, body = signed_sample(source, kind)
    module(source).verify(headers, body, SECRET, now=NOW)
    parsed = module(source).parse(headers, body)
    assert isinstance(parsed, Parsed)
    assert parsed.kind == EXPECTED_KIND.get(kind, "ignored")
    assert (parsed.ignored_reason is not None) == (parsed.kind == "ignored")


@pytest.mark.parametrize("source", ALL)
def test_rejection_signed_with_another_secret_is_refused(source: str) -> None:
    headers, body = signed_sample(source, "rejected", secret="someone-elses-secret")
    with pytest.raises(WebhookError) as exc:
        module(source).verify(headers, body, SECRET, now=NOW)
    assert_refused(exc, 401, "does not match")


@pytest.mark.parametrize("source", ALL)
def test_rejection_without_signature_is_refused(source: str) -> None:
    headers, body = without_signature(source, *signed_sample(source, "rejected"))
    with pytest.raises(WebhookError) as exc:
        module(source).verify(headers, body, SECRET, now=NOW)
    assert_refused(exc, 401, "missing")


@pytest.mark.parametrize("source", ALL)
def test_rejection_with_tampered_body_is_refused(source: str) -> None:
    headers, body = signed_sample(source, "rejected")
    with pytest.raises(WebhookError) as exc:
        module(source).verify(headers, tampered(source, body), SECRET, now=NOW)
    assert_refused(exc, 401, "does not match")


@pytest.mark.parametrize("source", ALL)
def test_verify_with_no_configured_secret_refuses_even_an_unsigned_request(source: str) -> None:
    # An HMAC keyed with "" is one anybody can compute.
    headers, body = signed_sample(source, "rejected", secret="")
    with pytest.raises(WebhookError) as exc:
        module(source).verify(headers, body, "", now=NOW)
    assert_refused(exc, 401, "no signing secret")


@pytest.mark.parametrize("source", ALL)
def test_header_names_in_vendor_case_verify_once_lower_cased_by_the_caller(source: str) -> None:
    # Given the headers as the vendor spells them (Signature, Ashby-Signature, X-NearMiss-Timestamp...)
    from nearmiss_local.sign_webhook import signed_request

    vendor_headers, body = signed_request(source, sample_body(source, "rejected"), SECRET, NOW)
    # When the caller lower-cases the names, as HTTP API events already are
    lowered = {k.lower(): v for k, v in vendor_headers.items()}
    # Then they verify; and a caller that forgot to lower-case them is not locked out either
    module(source).verify(lowered, body, SECRET, now=NOW)
    module(source).verify({k.upper(): v for k, v in vendor_headers.items()}, body, SECRET, now=NOW)


@pytest.mark.parametrize("source", ALL)
def test_same_rejection_redelivered_has_the_same_dedupe_key(source: str) -> None:
    first = module(source).parse(*signed_sample(source, "rejected", now=NOW))
    again = module(source).parse(*signed_sample(source, "rejected", now=NOW + timedelta(minutes=3)))
    assert first.dedupe_key == again.dedupe_key


@pytest.mark.parametrize("source", ALL)
def test_malformed_json_is_refused_with_400(source: str) -> None:
    with pytest.raises(WebhookError) as exc:
        module(source).parse({"content-type": "application/json"}, b'{"action": "reject_candidate",')
    assert_refused(exc, 400, "body", "malformed JSON")


@pytest.mark.parametrize("source", ALL)
@pytest.mark.parametrize("body", [b"[]", b'"rejected"', b"42", b"null", b"true"])
def test_body_that_is_not_a_json_object_is_refused_with_400(source: str, body: bytes) -> None:
    with pytest.raises(WebhookError) as exc:
        module(source).parse({}, body)
    assert_refused(exc, 400, "body", "JSON object")


@pytest.mark.parametrize("source", ALL)
def test_json_nested_deeper_than_32_levels_is_refused_with_400(source: str) -> None:
    body = b'{"a":' * 40 + b"1" + b"}" * 40
    with pytest.raises(WebhookError) as exc:
        module(source).parse({}, body)
    assert_refused(exc, 400, "deeper than 32")


@pytest.mark.parametrize("source", ALL)
def test_body_over_the_size_limit_is_refused_with_413_before_any_work(source: str) -> None:
    body = b'{"x": "' + b"a" * MAX_BODY_BYTES + b'"}'
    headers, _ = signed_sample(source, "rejected")
    with pytest.raises(WebhookError) as exc:
        module(source).verify(headers, body, SECRET, now=NOW)
    assert_refused(exc, 413, "body")
    with pytest.raises(WebhookError) as exc:
        module(source).parse(headers, body)
    assert_refused(exc, 413, "body")


@pytest.mark.parametrize("source", ALL)
def test_body_posted_as_another_media_type_is_refused_with_415(source: str) -> None:
    headers, body = signed_sample(source, "rejected")
    with pytest.raises(WebhookError) as exc:
        module(source).parse({**headers, "content-type": "application/x-www-form-urlencoded"}, body)
    assert_refused(exc, 415, "content-type")


@pytest.mark.parametrize("source", ALL)
def test_refusal_reasons_never_repeat_the_candidates_details(source: str) -> None:
    # Given a rejection whose every string value is replaced by a number (wrong type everywhere)
    payload = json.loads(sample_body(source, "rejected"))

    def numbers(value: object) -> object:
        if isinstance(value, dict):
            return {k: numbers(v) for k, v in value.items()}
        if isinstance(value, list):
            return [numbers(v) for v in value]
        return 7 if isinstance(value, str) else value

    headers, body = sign(source, as_body(numbers(payload)))
    # Then it is refused by field name, without repeating any value
    with pytest.raises(WebhookError) as exc:
        module(source).parse(headers, body)
    assert exc.value.status == 400
    assert "ada" not in exc.value.reason.lower()
    assert "example" not in exc.value.reason.lower()


def test_registry_maps_each_path_segment_to_its_module() -> None:
    assert set(SOURCES) == {"greenhouse", "lever", "ashby", "workable", "recruitee", "generic"}
    with pytest.raises(TypeError):
        SOURCES["smartrecruiters"] = SOURCES["generic"]  # type: ignore[index]


def test_webhook_error_carries_status_and_a_safe_reason() -> None:
    error = WebhookError(401, "signature: header missing")
    assert (error.status, error.reason, str(error)) == (
        401,
        "signature: header missing",
        "signature: header missing",
    )


@pytest.mark.parametrize("source", [s for s in ALL if s != "generic"])  # generic refuses them, documented
def test_fields_an_ats_adds_to_its_payload_are_ignored_so_the_webhook_keeps_working(source: str) -> None:
    # Given the source's rejection with a field added at the top and in every object, as vendors do
    def widened(value: object) -> object:
        if isinstance(value, dict):
            return {**{k: widened(v) for k, v in value.items()}, "addedIn2027": {"flag": [1, "x"]}}
        if isinstance(value, list):
            return [widened(v) for v in value]
        return value

    expected = module(source).parse(*signed_sample(source, "rejected"))
    headers, body = sign(source, as_body(widened(json.loads(sample_body(source, "rejected")))))
    # Then it parses to the same rejection
    parsed = module(source).parse(headers, body)
    assert (parsed.kind, parsed.dedupe_key, parsed.contacts) == (
        expected.kind,
        expected.dedupe_key,
        expected.contacts,
    )
