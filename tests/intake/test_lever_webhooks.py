"""Lever: the signature is in the body, over token + triggeredAt; archive / un-archive / hired."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from nearmiss.intake import WebhookError
from nearmiss.intake.ats import lever
from webhook_samples import NOW, SECRET, as_body, sample_json, sign, signed_sample

OPPORTUNITY = "250d8f03-738a-4bba-a671-8a3d73477145"


def signed(payload: dict[str, Any], now: datetime = NOW) -> tuple[dict[str, str], bytes]:
    return sign("lever", as_body(payload), now=now)


def test_lever_archive_is_a_rejection_that_must_be_enriched_from_lever() -> None:
    # Given Lever's archive-change event (ids only: no name, no email, no reason text)
    headers, body = signed_sample("lever", "rejected")
    lever.verify(headers, body, SECRET, now=NOW)
    # When it is parsed
    parsed = lever.parse(headers, body)
    # Then it is a rejection at archivedAt, to be re-read from Lever's API before acting
    assert parsed.kind == "rejected"
    assert parsed.ats_application_id == f"lever:{OPPORTUNITY}"
    assert parsed.occurred_at == datetime(2026, 11, 20, 16, 5, 41, tzinfo=UTC)
    assert parsed.needs_enrichment is True
    assert parsed.candidate_email is None
    assert parsed.contacts == ()
    assert parsed.dedupe_key == f"lever:archive:{OPPORTUNITY}:1795190741000"


def test_lever_unarchive_reopens_keyed_by_the_archive_it_undoes() -> None:
    parsed = lever.parse(*signed_sample("lever", "reopened"))
    assert parsed.kind == "reopened"
    assert parsed.needs_enrichment is True
    assert parsed.dedupe_key == f"lever:unarchive:{OPPORTUNITY}:1795190741000"


def test_lever_hired_is_hired() -> None:
    parsed = lever.parse(*signed_sample("lever", "hired"))
    assert (parsed.kind, parsed.dedupe_key) == ("hired", f"lever:candidateHired:{OPPORTUNITY}")


def test_lever_connection_test_without_opportunity_is_acknowledged_and_ignored() -> None:
    headers, body = signed_sample("lever", "ping")
    lever.verify(headers, body, SECRET, now=NOW)
    assert lever.parse(headers, body).kind == "ignored"


def test_lever_other_events_are_ignored() -> None:
    payload = sample_json("lever", "hired") | {"event": "interviewCreated"}
    assert lever.parse(*signed(payload)).kind == "ignored"


def test_lever_signature_is_hmac_of_token_then_triggered_at() -> None:
    token, triggered = "abc123", int(NOW.timestamp() * 1000)
    signature = hmac.new(SECRET.encode(), f"{token}{triggered}".encode(), hashlib.sha256).hexdigest()
    body = as_body(
        {"token": token, "triggeredAt": triggered, "signature": signature, "event": "x", "data": {}}
    )
    lever.verify({}, body, SECRET, now=NOW)


@pytest.mark.parametrize("age", [timedelta(minutes=11), timedelta(days=2), -timedelta(minutes=11)])
def test_lever_request_outside_the_ten_minute_window_is_refused_as_a_replay(age: timedelta) -> None:
    headers, body = signed_sample("lever", "rejected", now=NOW - age)
    with pytest.raises(WebhookError) as exc:
        lever.verify(headers, body, SECRET, now=NOW)
    assert (exc.value.status, exc.value.reason) == (401, "triggeredAt: outside the 10-minute window")


def test_lever_request_nine_minutes_old_is_still_accepted() -> None:
    headers, body = signed_sample("lever", "rejected", now=NOW - timedelta(minutes=9))
    lever.verify(headers, body, SECRET, now=NOW)


def test_lever_tampered_data_still_verifies_which_is_why_events_need_enrichment() -> None:
    # Lever does not sign the body: a captured signature replayed within the window carries any data.
    headers, body = signed_sample("lever", "rejected")
    payload = json.loads(body)
    payload["data"]["opportunityId"] = "someone-else"
    forged = as_body(payload)
    lever.verify(headers, forged, SECRET, now=NOW)
    assert lever.parse(headers, forged).needs_enrichment is True


@pytest.mark.parametrize("field", ["token", "triggeredAt", "signature"])
def test_lever_body_missing_a_signature_field_is_refused(field: str) -> None:
    headers, body = signed_sample("lever", "rejected")
    payload = json.loads(body)
    del payload[field]
    with pytest.raises(WebhookError) as exc:
        lever.verify(headers, as_body(payload), SECRET, now=NOW)
    assert exc.value.status == 401
    assert exc.value.reason.startswith(f"{field}:")


def test_lever_triggered_at_as_a_string_is_refused() -> None:
    headers, body = signed_sample("lever", "rejected")
    payload = json.loads(body)
    payload["triggeredAt"] = str(payload["triggeredAt"])
    with pytest.raises(WebhookError) as exc:
        lever.verify(headers, as_body(payload), SECRET, now=NOW)
    assert exc.value.status == 401


def test_lever_verify_of_malformed_json_is_a_400() -> None:
    with pytest.raises(WebhookError) as exc:
        lever.verify({}, b"{not json", SECRET, now=NOW)
    assert exc.value.status == 400


def test_lever_archive_without_archived_at_is_refused_naming_the_field() -> None:
    payload = copy.deepcopy(sample_json("lever", "rejected"))
    del payload["data"]["toArchived"]["archivedAt"]
    with pytest.raises(WebhookError) as exc:
        lever.parse(*signed(payload))
    assert (exc.value.status, exc.value.reason) == (400, "data.toArchived.archivedAt: required")


def test_lever_archive_change_with_neither_side_is_refused() -> None:
    payload = copy.deepcopy(sample_json("lever", "rejected"))
    payload["data"]["toArchived"] = None
    with pytest.raises(WebhookError) as exc:
        lever.parse(*signed(payload))
    assert exc.value.status == 400
    assert "toArchived or fromArchived" in exc.value.reason


def test_lever_archived_at_in_seconds_instead_of_milliseconds_is_refused() -> None:
    payload = copy.deepcopy(sample_json("lever", "rejected"))
    payload["data"]["toArchived"]["archivedAt"] = 1795190741  # 1970 in milliseconds
    with pytest.raises(WebhookError) as exc:
        lever.parse(*signed(payload))
    assert exc.value.reason == "data.toArchived.archivedAt: must be between 2000-01-01 and 2100-01-01"
