"""Ashby: optional `Ashby-Signature: sha256=<hex>`; a rejection is a stage change to Archived."""

from __future__ import annotations

import copy
import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any

import pytest
from nearmiss.domain.models import Role
from nearmiss.intake import WebhookError
from nearmiss.intake.ats import ashby
from webhook_samples import NOW, SECRET, as_body, sample_json, sign, signed_sample

ACTION_ID = "75395d87-4044-4dc4-bc29-0cec185e5f06"
APPLICATION = "1f0ae0a4-7f5c-4b55-9a51-3f7c5c1d1e01"


def parse_signed(payload: dict[str, Any]) -> Any:
    headers, body = sign("ashby", as_body(payload))
    ashby.verify(headers, body, SECRET, now=NOW)
    return ashby.parse(headers, body)


def rejection() -> dict[str, Any]:
    return copy.deepcopy(sample_json("ashby", "rejected"))


def test_ashby_stage_change_to_archived_is_a_rejection_with_the_hiring_team() -> None:
    parsed = ashby.parse(*signed_sample("ashby", "rejected"))
    assert parsed.kind == "rejected"
    assert parsed.ats_application_id == f"ashby:{APPLICATION}"
    assert parsed.dedupe_key == f"ashby:{ACTION_ID}:candidateStageChange"
    assert parsed.candidate_email == "ada.quinn@example.com"
    assert parsed.candidate_name == "Ada Quinn"
    assert parsed.occurred_at == datetime(2026, 11, 20, 16, 5, 41, tzinfo=UTC)
    assert parsed.rejection_reason == "Hired another candidate"
    assert parsed.withdrawn is False
    assert parsed.job_title == "Staff Platform Engineer"
    # The recruiter is both on the hiring team and the credited-to user: one contact
    assert [(c.name, c.email, c.role) for c in parsed.contacts] == [
        ("Grace Park", "grace.park@northwind.example", Role.HIRING_MANAGER),
        ("Sam Rivera", "sam.rivera@northwind.example", Role.RECRUITER),
        ("Priya Shah", "priya.shah@northwind.example", Role.HR),
    ]


def test_ashby_archive_reason_rejected_by_candidate_is_a_withdrawal() -> None:
    parsed = ashby.parse(*signed_sample("ashby", "withdrawn"))
    assert (parsed.kind, parsed.withdrawn, parsed.rejection_reason) == (
        "rejected",
        True,
        "Accepted another offer",
    )


def test_ashby_stage_change_back_to_active_reopens_at_its_update_time() -> None:
    parsed = ashby.parse(*signed_sample("ashby", "reopened"))
    assert parsed.kind == "reopened"
    assert parsed.occurred_at == datetime(2026, 11, 22, 9, 14, 3, 118000, tzinfo=UTC)


def test_ashby_candidate_hire_is_hired() -> None:
    parsed = ashby.parse(*signed_sample("ashby", "hired"))
    assert (parsed.kind, parsed.dedupe_key) == (
        "hired",
        "ashby:a8628ab0-7377-4af7-bf5c-3f2a4b8c9d39:candidateHire",
    )


def test_ashby_stage_change_to_hired_is_hired_under_its_own_action_key() -> None:
    payload = sample_json("ashby", "hired") | {"action": "candidateStageChange"}
    parsed = parse_signed(payload)
    assert (parsed.kind, parsed.dedupe_key) == (
        "hired",
        "ashby:a8628ab0-7377-4af7-bf5c-3f2a4b8c9d39:candidateStageChange",
    )


def test_ashby_ping_without_action_id_is_acknowledged_and_ignored() -> None:
    parsed = ashby.parse(*signed_sample("ashby", "ping"))
    assert (parsed.kind, parsed.ignored_reason) == ("ignored", "ping")


def test_ashby_application_update_of_the_same_action_is_ignored_so_a_rejection_counts_once() -> None:
    parsed = ashby.parse(*signed_sample("ashby", "application_update"))
    assert parsed.kind == "ignored"
    assert parsed.dedupe_key == f"ashby:{ACTION_ID}:applicationUpdate"


def test_ashby_lead_status_is_ignored() -> None:
    payload = rejection()
    payload["data"]["application"]["status"] = "Lead"
    assert parse_signed(payload).kind == "ignored"


def test_ashby_unknown_hiring_team_role_is_thanked_as_an_interviewer() -> None:
    payload = rejection()
    payload["data"]["application"]["hiringTeam"] = [
        {
            "userId": "u1",
            "firstName": "Ola",
            "lastName": "Berg",
            "email": "ola@northwind.example",
            "role": "Panelist",
        },
        {
            "userId": "u2",
            "firstName": "Ivo",
            "lastName": "Marsh",
            "email": "ivo@northwind.example",
            "role": "Sourcer",
        },
    ]
    payload["data"]["application"]["creditedToUser"] = None
    roles = {c.name: c.role for c in parse_signed(payload).contacts}
    assert roles == {"Ola Berg": Role.INTERVIEWER, "Ivo Marsh": Role.RECRUITER}


def test_ashby_action_without_webhook_action_id_is_refused_naming_the_field() -> None:
    payload = rejection()
    del payload["webhookActionId"]
    with pytest.raises(WebhookError) as exc:
        parse_signed(payload)
    assert (exc.value.status, exc.value.reason) == (400, "webhookActionId: required")


def test_ashby_archived_application_without_archived_at_is_refused_naming_the_field() -> None:
    payload = rejection()
    payload["data"]["application"]["archivedAt"] = None
    with pytest.raises(WebhookError) as exc:
        parse_signed(payload)
    assert (exc.value.status, exc.value.reason) == (400, "data.application.archivedAt: required")


def test_ashby_body_without_action_is_refused_naming_the_field() -> None:
    with pytest.raises(WebhookError) as exc:
        parse_signed({"data": {}})
    assert (exc.value.status, exc.value.reason) == (400, "action: required")


def test_ashby_status_of_the_wrong_type_is_refused_naming_the_field() -> None:
    payload = rejection()
    payload["data"]["application"]["status"] = ["Archived"]
    with pytest.raises(WebhookError) as exc:
        parse_signed(payload)
    assert (exc.value.status, exc.value.reason) == (400, "data.application.status: must be a string")


def test_ashby_signature_is_the_documented_sha256_equals_hex() -> None:
    body = b'{"action": "ping", "data": {"webhookActionType": "ping"}}'
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    ashby.verify({"ashby-signature": f"sha256={digest}"}, body, SECRET, now=NOW)
    with pytest.raises(WebhookError):
        ashby.verify({"ashby-signature": f"sha256 {digest}"}, body, SECRET, now=NOW)
    with pytest.raises(WebhookError):
        ashby.verify({"x-ashby-signature": f"sha256={digest}"}, body, SECRET, now=NOW)


def test_ashby_signing_is_optional_but_verify_never_accepts_an_unsigned_request() -> None:
    # The caller decides to skip verify for a tenant without a token; verify itself stays strict.
    assert ashby.SIGNING_OPTIONAL is True
    headers, body = signed_sample("ashby", "rejected")
    del headers["ashby-signature"]
    with pytest.raises(WebhookError) as exc:
        ashby.verify(headers, body, SECRET, now=NOW)
    assert exc.value.status == 401


def test_ashby_hiring_team_role_of_the_wrong_type_is_refused_naming_its_index() -> None:
    payload = rejection()
    payload["data"]["application"]["hiringTeam"][0]["role"] = 3
    with pytest.raises(WebhookError) as exc:
        parse_signed(payload)
    assert (exc.value.status, exc.value.reason) == (
        400,
        "data.application.hiringTeam.0.role: must be a string",
    )
