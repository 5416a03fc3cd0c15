"""Greenhouse: `Signature: sha256 <hex>` over the raw body; reject / unreject / hire actions."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from nearmiss.domain.models import Role
from nearmiss.intake import WebhookError
from nearmiss.intake.ats import greenhouse as gh
from webhook_samples import NOW, SECRET, as_body, sample_headers, sample_json, sign, signed_sample


def parse_signed(payload: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
    signed_headers, body = sign("greenhouse", as_body(payload), headers=headers)
    gh.verify(signed_headers, body, SECRET, now=NOW)
    return gh.parse(signed_headers, body)


def rejection() -> dict[str, Any]:
    return copy.deepcopy(sample_json("greenhouse", "rejected"))


def test_greenhouse_rejection_parses_to_the_candidate_the_job_and_the_hiring_side() -> None:
    # Given Greenhouse's documented reject_candidate payload
    headers, body = signed_sample("greenhouse", "rejected")
    # When it is parsed
    parsed = gh.parse(headers, body)
    # Then the application, candidate, time, reason and people are read from it
    assert parsed.kind == "rejected"
    assert parsed.ats_application_id == "greenhouse:46196263"
    assert parsed.dedupe_key == "greenhouse:reject_candidate:46196263:2026-11-20T16:05:41.000Z"
    assert parsed.candidate_email == "ada.quinn@example.com"  # the personal address, not the work one
    assert parsed.candidate_name == "Ada Quinn"
    assert parsed.occurred_at == datetime(2026, 11, 20, 16, 5, 41, tzinfo=UTC)
    assert parsed.rejection_reason == "Hired another candidate"
    assert parsed.withdrawn is False
    assert parsed.job_title == "Staff Platform Engineer"
    assert parsed.company is None  # not in Greenhouse's payload: the tenant is known by URL or secret
    assert parsed.can_email is True
    assert parsed.needs_enrichment is False
    assert [(c.name, c.email, c.role) for c in parsed.contacts] == [
        ("Sam Rivera", "sam.rivera@northwind.example", Role.RECRUITER),
        ("Priya Shah", "priya.shah@northwind.example", Role.HR),
        ("Grace Park", "grace.park@northwind.example", Role.RECRUITER),
    ]
    # Interviewers come with display names only: kept once each for the candidate to complete
    assert parsed.incomplete_contacts == ("Mei Tanaka", "Jonas Weber")


def test_greenhouse_rejection_by_the_candidate_is_marked_withdrawn() -> None:
    parsed = gh.parse(*signed_sample("greenhouse", "withdrawn"))
    assert parsed.kind == "rejected"
    assert parsed.withdrawn is True
    assert parsed.rejection_reason == "Accepted another offer"


def test_greenhouse_unrejection_reopens_with_no_invented_time() -> None:
    parsed = gh.parse(*signed_sample("greenhouse", "reopened"))
    assert parsed.kind == "reopened"
    assert parsed.occurred_at is None  # Greenhouse gives no un-rejection time: the consumer uses receipt time
    assert parsed.dedupe_key == "greenhouse:unreject_candidate:46196263:5f7c2a90-1b7e-4f5e-8a4c-6d2e9b3c1f00"


def test_greenhouse_two_separate_unrejections_of_one_application_are_not_collapsed() -> None:
    # last_activity_at can stay at the rejection's time, so it cannot tell two un-rejections apart
    payload = sample_json("greenhouse", "reopened")
    first = parse_signed(payload, {"greenhouse-event-id": "11111111-aaaa-4aaa-8aaa-111111111111"})
    second = parse_signed(payload, {"greenhouse-event-id": "22222222-bbbb-4bbb-8bbb-222222222222"})
    assert first.dedupe_key != second.dedupe_key


def test_greenhouse_hire_is_hired_when_the_offer_was_accepted() -> None:
    parsed = gh.parse(*signed_sample("greenhouse", "hired"))
    assert parsed.kind == "hired"
    assert parsed.occurred_at == datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
    assert parsed.dedupe_key == "greenhouse:hire_candidate:46196263"


def test_greenhouse_ping_is_acknowledged_and_ignored() -> None:
    parsed = gh.parse(*signed_sample("greenhouse", "ping"))
    assert (parsed.kind, parsed.ignored_reason) == ("ignored", "ping")


def test_greenhouse_signed_body_without_action_is_ignored_as_the_undocumented_ping() -> None:
    # A failed ping creates the webhook disabled, and the ping body is not documented.
    parsed = parse_signed({"web_hook_id": 123456, "url": "https://nearmiss.example/webhooks/greenhouse"})
    assert parsed.kind == "ignored"


@pytest.mark.parametrize(
    "action", ["delete_candidate", "candidate_stage_change", "unhire_candidate", "new_candidate_application"]
)
def test_greenhouse_actions_near_miss_does_not_act_on_are_ignored(action: str) -> None:
    parsed = parse_signed({"action": action, "payload": {"application": {"id": 1}}})
    assert parsed.kind == "ignored"
    assert action in (parsed.ignored_reason or "")


def test_greenhouse_rejected_prospect_is_ignored() -> None:
    payload = rejection()
    payload["payload"]["application"]["prospect"] = True
    assert parse_signed(payload).kind == "ignored"


def test_greenhouse_candidate_who_may_not_be_emailed_is_flagged() -> None:
    payload = rejection()
    payload["payload"]["application"]["candidate"]["can_email"] = False
    assert parse_signed(payload).can_email is False


def test_greenhouse_recruiter_who_is_also_coordinator_is_one_contact_as_recruiter() -> None:
    payload = rejection()
    candidate = payload["payload"]["application"]["candidate"]
    candidate["coordinator"] = dict(candidate["recruiter"])
    contacts = parse_signed(payload).contacts
    assert [(c.name, c.role) for c in contacts if c.name == "Sam Rivera"] == [("Sam Rivera", Role.RECRUITER)]


def test_greenhouse_person_with_an_unusable_address_is_kept_by_name() -> None:
    payload = rejection()
    payload["payload"]["application"]["credited_to"] = {
        "id": 9,
        "email": "not an address",
        "name": "Lee Chen",
    }
    parsed = parse_signed(payload)
    assert "Lee Chen" in parsed.incomplete_contacts
    assert all(c.name != "Lee Chen" for c in parsed.contacts)


def test_greenhouse_name_with_a_line_break_cannot_inject_a_mail_header() -> None:
    payload = rejection()
    payload["payload"]["application"]["candidate"]["recruiter"]["name"] = "Sam\r\nBcc: victim@example.com"
    recruiter = parse_signed(payload).contacts[0]
    assert "\r" not in recruiter.name
    assert "\n" not in recruiter.name


def test_greenhouse_rejection_without_rejected_at_is_refused_naming_the_field() -> None:
    payload = rejection()
    del payload["payload"]["application"]["rejected_at"]
    with pytest.raises(WebhookError) as exc:
        parse_signed(payload)
    assert (exc.value.status, exc.value.reason) == (400, "payload.application.rejected_at: required")


def test_greenhouse_rejection_without_application_is_refused_naming_the_field() -> None:
    with pytest.raises(WebhookError) as exc:
        parse_signed({"action": "reject_candidate", "payload": {}})
    assert (exc.value.status, exc.value.reason) == (400, "payload.application: required")


@pytest.mark.parametrize("bad_id", [{"id": 1}, True, -5, "12 34", 1.5])
def test_greenhouse_application_id_of_the_wrong_type_is_refused_naming_the_field(bad_id: object) -> None:
    payload = rejection()
    payload["payload"]["application"]["id"] = bad_id
    with pytest.raises(WebhookError) as exc:
        parse_signed(payload)
    assert exc.value.status == 400
    assert exc.value.reason.startswith("payload.application.id:")


def test_greenhouse_rejected_at_that_is_not_a_timestamp_is_refused() -> None:
    payload = rejection()
    payload["payload"]["application"]["rejected_at"] = "last Tuesday"
    with pytest.raises(WebhookError) as exc:
        parse_signed(payload)
    assert exc.value.reason == "payload.application.rejected_at: must be an ISO-8601 timestamp"


def test_greenhouse_signature_covers_the_raw_bytes_not_reserialised_json() -> None:
    # Greenhouse escapes "<" as \u003c in the body it signs; json.dumps of the parsed body does not.
    headers, body = signed_sample("greenhouse", "rejected")
    assert b"\\u003c" in body
    reserialised = json.dumps(json.loads(body)).encode()
    gh.verify(headers, body, SECRET, now=NOW)
    with pytest.raises(WebhookError):
        gh.verify(headers, reserialised, SECRET, now=NOW)


def test_greenhouse_signature_is_the_documented_sha256_space_hex() -> None:
    body = b'{"action": "ping"}'
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    gh.verify({"signature": f"sha256 {digest}"}, body, SECRET, now=NOW)
    gh.verify({"signature": f"sha256 {digest.upper()}"}, body, SECRET, now=NOW)


@pytest.mark.parametrize("header", ["sha256={d}", "{d}", "sha1 {d}", "sha256 ", "sha256"])
def test_greenhouse_signature_in_another_format_is_refused(header: str) -> None:
    body = b'{"action": "ping"}'
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    with pytest.raises(WebhookError) as exc:
        gh.verify({"signature": header.format(d=digest)}, body, SECRET, now=NOW)
    assert exc.value.status == 401


def test_greenhouse_sample_headers_carry_the_event_id_but_no_signature() -> None:
    headers = sample_headers("greenhouse", "rejected")
    assert "greenhouse-event-id" in headers
    assert "signature" not in headers


def test_greenhouse_rejection_reason_of_the_wrong_type_is_refused_naming_its_path() -> None:
    # Given a rejection whose reason's name is not text (read as no reason before the models)
    payload = rejection()
    payload["payload"]["application"]["rejection_reason"]["name"] = {"en": "Hired another candidate"}
    # Then it is refused by the field's full path, not read as a rejection without a reason
    with pytest.raises(WebhookError) as exc:
        parse_signed(payload)
    assert (exc.value.status, exc.value.reason) == (
        400,
        "payload.application.rejection_reason.name: must be a string",
    )


def test_greenhouse_interviewer_entry_that_is_not_an_object_is_refused_naming_its_index() -> None:
    payload = rejection()
    payload["payload"]["application"]["current_stage"]["interviews"][0]["interviewers"] = ["Mei Tanaka"]
    with pytest.raises(WebhookError) as exc:
        parse_signed(payload)
    assert exc.value.reason == (
        "payload.application.current_stage.interviews.0.interviewers.0: must be an object"
    )
