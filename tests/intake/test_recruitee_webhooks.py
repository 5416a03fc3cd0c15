"""Recruitee: `X-Recruitee-Signature: <hex>`; candidate_moved disqualified / requalified; the test request."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from nearmiss.intake import WebhookError
from nearmiss.intake.ats import recruitee
from webhook_samples import NOW, SECRET, as_body, sample_body, sample_json, sign, signed_sample


def parse_signed(payload: dict[str, Any]) -> Any:
    headers, body = sign("recruitee", as_body(payload))
    recruitee.verify(headers, body, SECRET, now=NOW)
    return recruitee.parse(headers, body)


def rejection() -> dict[str, Any]:
    return copy.deepcopy(sample_json("recruitee", "rejected"))


def test_recruitee_disqualification_is_a_rejection_of_the_candidate_for_that_job() -> None:
    parsed = recruitee.parse(*signed_sample("recruitee", "rejected"))
    assert parsed.kind == "rejected"
    assert parsed.ats_application_id == "recruitee:4471623:880112"  # a candidate can be in several jobs
    assert parsed.dedupe_key == "recruitee:disqualified:4471623:880112:72034411"
    assert parsed.candidate_email == "ada.quinn@example.com"
    assert parsed.candidate_name == "Ada Quinn"
    assert parsed.occurred_at == datetime(2026, 11, 20, 16, 5, 41, tzinfo=UTC)
    assert parsed.rejection_reason == "Hired another candidate"
    assert parsed.company == "Northwind Data"
    assert parsed.job_title == "Staff Platform Engineer"


def test_recruitee_disqualify_reason_given_as_plain_text_is_read_too() -> None:
    payload = rejection()
    payload["payload"]["details"] = {"disqualify_reason": "Not enough on-call experience"}
    assert parse_signed(payload).rejection_reason == "Not enough on-call experience"


def test_recruitee_requalification_reopens() -> None:
    assert recruitee.parse(*signed_sample("recruitee", "reopened")).kind == "reopened"


def test_recruitee_move_to_a_hired_stage_is_hired() -> None:
    assert recruitee.parse(*signed_sample("recruitee", "hired")).kind == "hired"


def test_recruitee_other_stage_changes_are_ignored() -> None:
    assert recruitee.parse(*signed_sample("recruitee", "stage_changed")).kind == "ignored"


def test_recruitee_test_request_passes_unsigned_before_the_secret_exists_and_is_ignored() -> None:
    # Recruitee shows the secret only after its test request got a 200.
    body = sample_body("recruitee", "ping")
    recruitee.verify({"user-agent": "Recruitee-Webhooks"}, body, "", now=NOW)
    parsed = recruitee.parse({"content-type": "application/json"}, body)
    assert (parsed.kind, parsed.ignored_reason) == ("ignored", "test request")


def test_recruitee_test_payload_button_with_a_real_looking_event_is_still_ignored() -> None:
    # An unsigned test body can start nothing, whatever it carries.
    payload = rejection() | {"test": True}
    body = as_body(payload)
    recruitee.verify({}, body, SECRET, now=NOW)
    assert recruitee.parse({}, body).kind == "ignored"


def test_recruitee_disqualification_without_created_at_is_refused_naming_the_field() -> None:
    payload = rejection()
    del payload["created_at"]
    with pytest.raises(WebhookError) as exc:
        parse_signed(payload)
    assert (exc.value.status, exc.value.reason) == (400, "created_at: required")


def test_recruitee_event_without_candidate_is_refused_naming_the_field() -> None:
    payload = rejection()
    del payload["payload"]["candidate"]
    with pytest.raises(WebhookError) as exc:
        parse_signed(payload)
    assert (exc.value.status, exc.value.reason) == (400, "payload.candidate: required")


def test_recruitee_disqualify_reason_of_the_wrong_type_is_refused_naming_the_field() -> None:
    payload = rejection()
    payload["payload"]["details"] = {"disqualify_reason": {"name": 12}}
    with pytest.raises(WebhookError) as exc:
        parse_signed(payload)
    assert exc.value.reason == "payload.details.disqualify_reason: must be a string or an object with a name"
