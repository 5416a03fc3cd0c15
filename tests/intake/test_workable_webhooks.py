"""Workable: `X-Workable-Signature: <hex>` keyed with the API token; disqualification is a flag."""

from __future__ import annotations

import copy
import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any

import pytest
from nearmiss.intake import WebhookError
from nearmiss.intake.ats import workable
from webhook_samples import NOW, SECRET, as_body, sample_json, sign, signed_sample

API_TOKEN = "workable-account-api-token"


def parse_signed(payload: dict[str, Any]) -> Any:
    headers, body = sign("workable", as_body(payload))
    workable.verify(headers, body, SECRET, now=NOW)
    return workable.parse(headers, body)


def rejection() -> dict[str, Any]:
    return copy.deepcopy(sample_json("workable", "rejected"))


def test_workable_disqualified_candidate_is_a_rejection_with_company_and_job() -> None:
    parsed = workable.parse(*signed_sample("workable", "rejected"))
    assert parsed.kind == "rejected"
    assert parsed.ats_application_id == "workable:3fc9a80f"
    assert parsed.dedupe_key == "workable:disqualified:3fc9a80f:2026-11-20T16:05:41.000Z"
    assert parsed.candidate_email == "ada.quinn@example.com"
    assert parsed.candidate_name == "Ada Quinn"
    assert parsed.occurred_at == datetime(2026, 11, 20, 16, 5, 41, tzinfo=UTC)
    assert parsed.rejection_reason == "Hired another candidate"
    assert parsed.company == "Northwind Data"
    assert parsed.job_title == "Staff Platform Engineer"
    assert parsed.withdrawn is False
    assert parsed.contacts == ()  # Workable's payload names nobody on the hiring side


def test_workable_candidate_who_withdrew_is_marked_withdrawn() -> None:
    payload = rejection()
    payload["data"]["withdrew"] = True
    assert parse_signed(payload).withdrawn is True


def test_workable_requalified_candidate_reopens_at_its_update_time() -> None:
    parsed = workable.parse(*signed_sample("workable", "reopened"))
    assert parsed.kind == "reopened"
    assert parsed.occurred_at == datetime(2026, 11, 22, 9, 14, 3, tzinfo=UTC)
    assert parsed.dedupe_key == "workable:moved:3fc9a80f:9a81b2c4"


def test_workable_move_to_the_hired_stage_is_hired() -> None:
    parsed = workable.parse(*signed_sample("workable", "hired"))
    assert (parsed.kind, parsed.dedupe_key) == ("hired", "workable:hired:3fc9a80f")


def test_workable_hired_stage_is_recognised_by_name_without_stage_kind() -> None:
    payload = copy.deepcopy(sample_json("workable", "hired"))
    del payload["data"]["stage_kind"]
    assert parse_signed(payload).kind == "hired"


@pytest.mark.parametrize("kind", ["created"])
def test_workable_candidate_created_is_acknowledged_and_ignored(kind: str) -> None:
    # Workable documents no ping or test event; a creation is what an idle subscription sees.
    assert workable.parse(*signed_sample("workable", kind)).kind == "ignored"


def test_workable_employee_events_are_ignored() -> None:
    assert parse_signed({"event_type": "employee_created", "data": {"id": "e1"}}).kind == "ignored"


def test_workable_disqualified_without_disqualified_at_is_refused_naming_the_field() -> None:
    payload = rejection()
    payload["data"]["disqualified_at"] = None
    with pytest.raises(WebhookError) as exc:
        parse_signed(payload)
    assert (exc.value.status, exc.value.reason) == (400, "data.disqualified_at: required")


def test_workable_body_without_data_is_refused_naming_the_field() -> None:
    with pytest.raises(WebhookError) as exc:
        parse_signed({"event_type": "candidate_moved"})
    assert (exc.value.status, exc.value.reason) == (400, "data: required")


def test_workable_disqualified_flag_that_is_not_a_boolean_is_refused() -> None:
    payload = rejection()
    payload["data"]["disqualified"] = "yes"
    with pytest.raises(WebhookError) as exc:
        parse_signed(payload)
    assert (exc.value.status, exc.value.reason) == (400, "data.disqualified: must be true or false")


def test_workable_signature_is_keyed_with_the_account_api_token() -> None:
    headers, body = signed_sample("workable", "rejected", secret=API_TOKEN)
    workable.verify(headers, body, API_TOKEN, now=NOW)
    assert headers["x-workable-signature"] == hmac.new(API_TOKEN.encode(), body, hashlib.sha256).hexdigest()
    with pytest.raises(WebhookError):
        workable.verify(headers, body, "another-accounts-token", now=NOW)


def test_workable_stage_that_is_neither_a_name_nor_an_object_with_one_is_refused() -> None:
    payload = copy.deepcopy(sample_json("workable", "reopened"))
    payload["data"]["stage"] = 4
    with pytest.raises(WebhookError) as exc:
        parse_signed(payload)
    assert exc.value.reason == "data.stage: must be a string or an object with a name"
