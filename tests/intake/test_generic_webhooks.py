"""The generic source: our own schema, signed over "<timestamp>." + body, with a 5-minute window."""

from __future__ import annotations

import copy
import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from nearmiss.domain.models import Role
from nearmiss.intake import WebhookError
from nearmiss.intake.ats import generic
from webhook_samples import NOW, SECRET, as_body, sample_json, sign, signed_sample


def parse_signed(payload: dict[str, Any]) -> Any:
    headers, body = sign("generic", as_body(payload))
    generic.verify(headers, body, SECRET, now=NOW)
    return generic.parse(headers, body)


def rejection() -> dict[str, Any]:
    return copy.deepcopy(sample_json("generic", "rejected"))


def refused(payload: dict[str, Any]) -> WebhookError:
    with pytest.raises(WebhookError) as exc:
        parse_signed(payload)
    assert exc.value.status == 400
    return exc.value


def test_generic_rejection_carries_everything_the_sender_knows() -> None:
    parsed = generic.parse(*signed_sample("generic", "rejected"))
    assert parsed.kind == "rejected"
    assert parsed.ats_application_id == "generic:northwind-staff-platform"
    assert parsed.dedupe_key == "generic:rejected:northwind-staff-platform:2026-11-20T16:05:41.000Z"
    assert parsed.candidate_email == "ada.quinn@example.com"
    assert parsed.occurred_at == datetime(2026, 11, 20, 16, 5, 41, tzinfo=UTC)
    assert parsed.company == "Northwind Data"
    assert parsed.job_title == "Staff Platform Engineer"
    assert parsed.rejection_reason == "Went with a candidate with more on-call experience"
    grace, sam = parsed.contacts
    assert (grace.role, grace.discussed, grace.resource is not None) == (
        Role.HIRING_MANAGER,
        "event sourcing for billing",
        True,
    )
    assert sam.role == Role.RECRUITER
    assert parsed.incomplete_contacts == ("Mei Tanaka",)


@pytest.mark.parametrize("kind", ["reopened", "hired"])
def test_generic_stop_events_parse_to_their_kind(kind: str) -> None:
    assert generic.parse(*signed_sample("generic", kind)).kind == kind


def test_generic_ping_is_acknowledged_and_ignored() -> None:
    parsed = generic.parse(*signed_sample("generic", "ping"))
    assert (parsed.kind, parsed.ignored_reason) == ("ignored", "ping")


def test_generic_ping_with_extra_fields_is_refused() -> None:
    assert refused({"event": "ping", "hello": "world"}).reason.startswith("hello:")


def test_generic_signature_covers_timestamp_dot_body() -> None:
    body = b'{"event": "ping"}'
    stamp = str(int(NOW.timestamp()))
    digest = hmac.new(SECRET.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    generic.verify(
        {"x-nearmiss-timestamp": stamp, "x-nearmiss-signature": f"sha256={digest}"}, body, SECRET, now=NOW
    )


@pytest.mark.parametrize("skew", [timedelta(minutes=6), -timedelta(minutes=6), timedelta(days=30)])
def test_generic_request_outside_the_five_minute_window_is_refused_as_a_replay(skew: timedelta) -> None:
    headers, body = signed_sample("generic", "rejected", now=NOW - skew)
    with pytest.raises(WebhookError) as exc:
        generic.verify(headers, body, SECRET, now=NOW)
    assert (exc.value.status, exc.value.reason) == (401, "x-nearmiss-timestamp: outside the 5-minute window")


def test_generic_request_four_minutes_old_is_accepted() -> None:
    headers, body = signed_sample("generic", "rejected", now=NOW - timedelta(minutes=4))
    generic.verify(headers, body, SECRET, now=NOW)


def test_generic_replay_with_a_fresh_timestamp_header_is_refused() -> None:
    # The timestamp is signed: moving it forward breaks the signature.
    headers, body = signed_sample("generic", "rejected", now=NOW - timedelta(hours=1))
    headers["x-nearmiss-timestamp"] = str(int(NOW.timestamp()))
    with pytest.raises(WebhookError) as exc:
        generic.verify(headers, body, SECRET, now=NOW)
    assert exc.value.status == 401


@pytest.mark.parametrize("stamp", ["", "soon", "1795. ", "-1795190741", "17951907410000000"])
def test_generic_timestamp_that_is_not_unix_seconds_is_refused(stamp: str) -> None:
    headers, body = signed_sample("generic", "rejected")
    headers["x-nearmiss-timestamp"] = stamp
    with pytest.raises(WebhookError) as exc:
        generic.verify(headers, body, SECRET, now=NOW)
    assert exc.value.status == 401
    assert exc.value.reason.startswith("x-nearmiss-timestamp:")


def test_generic_unknown_field_is_refused_naming_it() -> None:
    payload = rejection() | {"rejected_on": "2026-11-20"}
    assert refused(payload).reason.startswith("rejected_on:")


def test_generic_missing_candidate_email_is_refused_naming_it() -> None:
    payload = rejection()
    del payload["candidate_email"]
    assert refused(payload).reason == "candidate_email: required"


def test_generic_invalid_email_is_refused_without_repeating_it() -> None:
    payload = rejection() | {"candidate_email": "ada.quinn@@example.com"}
    reason = refused(payload).reason
    assert reason == "candidate_email: not a valid email address"


def test_generic_occurred_at_without_an_offset_is_refused() -> None:
    payload = rejection() | {"occurred_at": "2026-11-20T16:05:41"}
    assert refused(payload).reason.startswith("occurred_at:")


def test_generic_unknown_event_is_refused_naming_the_field() -> None:
    assert refused(rejection() | {"event": "ghosted"}).reason.startswith("event:")


def test_generic_more_than_fifteen_contacts_is_refused() -> None:
    contacts = [{"name": f"Person {i}", "email": f"p{i}@northwind.example"} for i in range(16)]
    assert refused(rejection() | {"contacts": contacts}).reason.startswith("contacts:")


def test_generic_application_id_with_a_key_separator_is_refused() -> None:
    assert refused(rejection() | {"application_id": "a/b#c"}).reason.startswith("application_id:")
