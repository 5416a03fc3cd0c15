"""Hostile and random input: whatever arrives, `verify` and `parse` answer with a `WebhookError`
(a 4xx with a reason) or a well-formed `Parsed`, never with any other exception."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta, timezone
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nearmiss.domain.models import MAX_CONTACTS, Contact, Identifier
from nearmiss.intake import Parsed, WebhookError
from nearmiss.intake.registry import SOURCES
from pydantic import TypeAdapter
from webhook_samples import NOW, SECRET, as_body, sample_json, sample_kinds, sign

ALL = sorted(SOURCES)
# 6 sources x 6 properties: ~100 examples each keeps the whole intake suite near 10 seconds.
PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ROUND_TRIP = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
IDENTIFIER: TypeAdapter[str] = TypeAdapter(Identifier)
PERSONAL = ("ada.quinn@example.com", "ada quinn", "quinn")
KNOWN_HEADERS = [
    "content-type",
    "signature",
    "greenhouse-event-id",
    "ashby-signature",
    "x-workable-signature",
    "x-recruitee-signature",
    "x-nearmiss-timestamp",
    "x-nearmiss-signature",
]

offsets = st.timedeltas(min_value=-timedelta(hours=23, minutes=59), max_value=timedelta(hours=23, minutes=59))
timestamps = st.builds(
    lambda moment, offset: moment.replace(tzinfo=timezone(offset)).isoformat(),
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    offsets,
)
leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=0, max_value=2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | timestamps
    | st.sampled_from(
        ["Archived", "Active", "Hired", "ping", "reject_candidate", "candidate_moved", "disqualified"]
    )
)
json_values = st.recursive(
    leaves,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=25,
)
header_values = st.text(max_size=100) | st.sampled_from(
    ["sha256 00", "sha256=", "application/json", "1795190741"]
)
headers = st.dictionaries(st.sampled_from(KNOWN_HEADERS) | st.text(max_size=20), header_values, max_size=6)


def module(source: str) -> ModuleType:
    return SOURCES[source]  # type: ignore[return-value]


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path into a JSON value (dict keys and list indexes), the root excluded."""
    found: list[tuple[Any, ...]] = []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    for key, child in items:
        found.append((*prefix, key))
        found.extend(paths(child, (*prefix, key)))
    return found


@st.composite
def mutated_samples(draw: st.DrawFn, source: str) -> dict[str, Any]:
    """One of the source's samples with one value replaced by random JSON, or one key removed."""
    payload = copy.deepcopy(sample_json(source, draw(st.sampled_from(sample_kinds(source)))))
    path = draw(st.sampled_from(paths(payload)))
    parent: Any = payload
    for key in path[:-1]:
        parent = parent[key]
    if isinstance(parent, dict) and draw(st.booleans()):
        del parent[path[-1]]
    else:
        parent[path[-1]] = draw(json_values)
    return payload


def check_refusal(exc: WebhookError) -> None:
    assert exc.status in (400, 401, 413, 415)
    assert exc.reason
    assert not any(p in exc.reason.lower() for p in PERSONAL)
    assert SECRET not in exc.reason


def check_parsed(source: str, parsed: Parsed) -> None:
    assert isinstance(parsed, Parsed)
    assert parsed.source == source
    assert parsed.kind in ("rejected", "reopened", "hired", "ignored")
    assert (parsed.ignored_reason is not None) == (parsed.kind == "ignored")
    assert parsed.dedupe_key.startswith(f"{source}:")
    assert len(parsed.dedupe_key) <= 300
    if parsed.ats_application_id is not None:
        IDENTIFIER.validate_python(parsed.ats_application_id)  # fits the domain's Application model
    assert not any(ch.isspace() for ch in parsed.dedupe_key)
    if parsed.occurred_at is not None:
        assert parsed.occurred_at.utcoffset() == timedelta(0)
    assert len(parsed.contacts) <= MAX_CONTACTS
    assert all(isinstance(c, Contact) and c.email for c in parsed.contacts)
    for value in (parsed.candidate_name, parsed.job_title, parsed.company, parsed.rejection_reason):
        assert value is None or ("\n" not in value and "\r" not in value)


def parse_or_refuse(source: str, request_headers: dict[str, str], body: bytes) -> None:
    try:
        parsed = module(source).parse(request_headers, body)
    except WebhookError as exc:
        check_refusal(exc)
    else:
        check_parsed(source, parsed)


@pytest.mark.parametrize("source", ALL)
@PROPERTY
@given(request_headers=headers, body=st.binary(max_size=600))
def test_verify_answers_arbitrary_bytes_only_with_webhook_error(
    source: str, request_headers: dict[str, str], body: bytes
) -> None:
    try:
        module(source).verify(request_headers, body, SECRET, now=NOW)
    except WebhookError as exc:
        check_refusal(exc)


@pytest.mark.parametrize("source", ALL)
@PROPERTY
@given(request_headers=headers, body=st.binary(max_size=600))
def test_parse_answers_arbitrary_bytes_only_with_webhook_error_or_parsed(
    source: str, request_headers: dict[str, str], body: bytes
) -> None:
    parse_or_refuse(source, request_headers, body)


@pytest.mark.parametrize("source", ALL)
@PROPERTY
@given(value=json_values)
def test_parse_answers_arbitrary_json_only_with_webhook_error_or_parsed(source: str, value: Any) -> None:
    parse_or_refuse(source, {"content-type": "application/json"}, json.dumps(value).encode())


@pytest.mark.parametrize("source", ALL)
@PROPERTY
@given(data=st.data())
def test_parse_answers_a_sample_with_one_value_changed_only_with_webhook_error_or_parsed(
    source: str, data: st.DataObject
) -> None:
    payload = data.draw(mutated_samples(source))
    signed_headers, body = sign(source, as_body(payload))
    module(source).verify(signed_headers, body, SECRET, now=NOW)
    parse_or_refuse(source, signed_headers, body)


@pytest.mark.parametrize("source", ALL)
@ROUND_TRIP
@given(value=st.dictionaries(st.text(max_size=12), json_values, max_size=6))
def test_any_json_object_signed_with_the_secret_verifies(source: str, value: dict[str, Any]) -> None:
    signed_headers, body = sign(source, as_body(value), now=NOW)
    module(source).verify(signed_headers, body, SECRET, now=NOW)


@pytest.mark.parametrize("source", ALL)
@ROUND_TRIP
@given(
    value=st.dictionaries(st.text(max_size=12), json_values, max_size=6),
    secret=st.text(min_size=1, max_size=20),
)
def test_any_json_object_signed_with_another_secret_is_refused(
    source: str, value: dict[str, Any], secret: str
) -> None:
    if secret == SECRET or (source == "recruitee" and value.get("test") is True):
        return  # the same secret; or Recruitee's test request, which passes unsigned by design
    signed_headers, body = sign(source, as_body(value), secret=secret, now=NOW)
    with pytest.raises(WebhookError) as exc:
        module(source).verify(signed_headers, body, SECRET, now=NOW)
    assert exc.value.status == 401
