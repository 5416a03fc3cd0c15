"""A member's address is used only once they proved it (issue 10, "verified addresses").

Each rule has its test, and each failed before the proof existed: an address typed at registration
was at once the Reply-To of notes, the destination of drafts, a sending identity and a key that
matched webhooks and held events.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from tests.conftest import NOW
from tests.helpers import mails, proof_link, proof_mails, prove, register, steps_of
from tests.integration.test_api import APP_BODY
from tests.integration.test_tenant_isolation import generic, greenhouse

ADA = "ada@example.com"


def put(stack: Any, cid: str, email: str, **changes: Any) -> dict[str, Any]:
    body = {"name": "Ada Quinn", "email": email, "mode": "auto", "time_zone": "Europe/London", **changes}
    status, _, text = stack.http("PUT", f"/candidates/{cid}", body=body)
    assert status in (200, 201), text
    return dict(json.loads(text))


def profile(stack: Any, cid: str = "ada") -> dict[str, Any]:
    status, _, text = stack.http("GET", f"/candidates/{cid}")
    assert status == 200, text
    return dict(json.loads(text))


def run_until(stack: Any, until: Any) -> None:
    """Tick the dispatcher at every due instant up to `until`."""
    while (due := stack.next_due()) is not None and due <= until:
        stack.traveller.move_to(due)
        stack.tick()
        stack.pump()
    stack.traveller.move_to(until)


def reject(stack: Any, cid: str = "ada", aid: str = "northwind") -> None:
    status, _, text = stack.http("PUT", f"/candidates/{cid}/applications/{aid}", body=APP_BODY)
    assert status == 200, text
    status, _, text = stack.http("POST", f"/candidates/{cid}/applications/{aid}/rejection", body={})
    assert status == 202, text
    stack.pump()


def reasons(stack: Any) -> set[str]:
    return {s.reason or "" for s in steps_of(stack, "ada", "northwind")}


# ---- registration: pending until proved ------------------------------------------------------------
def test_registration_mails_one_proof_link_from_the_platform_and_the_address_is_pending(stack) -> None:  # type: ignore[no-untyped-def]
    answer = put(stack, "ada", ADA)
    assert answer["email_status"] == "pending" and answer["email"] == ADA and answer["pending_email"] is None
    assert answer["proof_email"]["status"] == "sent"
    (mail,) = proof_mails(stack, ADA)
    assert str(mail["From"]) == "Near Miss <notes@mail.nearmiss.example>"
    assert mail["Reply-To"] is None
    assert "Ada Quinn" not in mail.as_string()  # nothing the member typed but the address itself
    assert profile(stack)["email_status"] == "pending"


def test_a_get_of_the_link_shows_a_button_and_confirms_nothing(stack) -> None:  # type: ignore[no-untyped-def]
    put(stack, "ada", ADA)
    link = proof_link(stack, ADA)
    # When a mail scanner fetches the link, twice
    for _ in range(2):
        status, _, page = stack.http("GET", link, auth=False)
        assert status == 200 and 'method="post"' in page and "Confirm" in page
    # Then the address is still pending; only the POST proves it
    assert profile(stack)["email_status"] == "pending"
    status, _, page = stack.http("POST", link, auth=False)
    assert status == 200 and "Address confirmed" in page
    assert profile(stack)["email_status"] == "proved" and profile(stack)["email_proved_at"]


def test_the_link_expires_after_48_hours(stack) -> None:  # type: ignore[no-untyped-def]
    put(stack, "ada", ADA)
    link = proof_link(stack, ADA)
    stack.traveller.move_to(NOW + timedelta(hours=48, seconds=1))
    status, _, page = stack.http("POST", link, auth=False)
    assert status == 400 and "expired" in page
    assert profile(stack)["email_status"] == "pending"


# ---- nothing uses an unproved address ------------------------------------------------------------
def test_an_unproved_address_is_not_the_reply_to_of_notes_they_wait_and_go_once_proved(stack) -> None:  # type: ignore[no-untyped-def]
    # Given a member (auto mode) who has not proved her address, and a rejection
    put(stack, "ada", ADA)
    reject(stack)
    # When the thank-yous fall due (a day later, in each recipient's hours)
    run_until(stack, NOW + timedelta(hours=40))
    # Then nothing went out, and the timeline says why
    assert mails(stack) == []
    assert any("awaiting your address" in r for r in reasons(stack))
    # And once she proves it, the next runs send them, Reply-To the proved address
    prove(stack, ADA)
    run_until(stack, NOW + timedelta(days=3))
    sent = mails(stack)
    assert sent and all(m["Reply-To"].addresses[0].addr_spec == ADA for m in sent)


def test_no_draft_goes_to_an_unproved_address(stack) -> None:  # type: ignore[no-untyped-def]
    put(stack, "ada", ADA, mode="review")
    reject(stack)
    run_until(stack, NOW + timedelta(hours=12))
    assert mails(stack) == []
    assert {s.state.value for s in steps_of(stack, "ada", "northwind")} <= {"scheduled", "skipped"}
    prove(stack, ADA)
    run_until(stack, NOW + timedelta(hours=13))
    drafts = mails(stack)
    assert drafts and all(m["To"].addresses[0].addr_spec == ADA for m in drafts)


def test_a_webhook_for_an_unproved_address_is_held_not_matched_and_listed_once_proved(stack) -> None:  # type: ignore[no-untyped-def]
    # Given a member who typed an address but has not proved it
    put(stack, "ada", "ada.q@contoso.example")
    # When a webhook names that address
    assert generic(stack, "ada.q@contoso.example")["status"] == "kept_unmatched"
    stack.pump()
    # Then it started nothing and is not shown to her
    assert not any(i["sk"]["S"] == "PLAYBOOK" for i in _dump(stack))
    assert _held(stack) == []
    # And once she proves the address it waits for her decision (the explicit start stays)
    prove(stack, "ada.q@contoso.example")
    (held,) = _held(stack)
    assert not any(i["sk"]["S"] == "PLAYBOOK" for i in _dump(stack))
    status, _, text = stack.http("POST", f"/candidates/ada/held-events/{held['held_id']}/start")
    assert status == 200 and json.loads(text)["status"] == "accepted", text


def test_a_greenhouse_rejection_for_an_unproved_address_is_kept(stack) -> None:  # type: ignore[no-untyped-def]
    put(stack, "ada", "ada.q@contoso.example")
    assert greenhouse(stack)["status"] == "kept_unmatched"


def _dump(stack: Any) -> list[dict[str, Any]]:
    from tests.integration.test_api import dump

    return list(dump(stack))


def _held(stack: Any) -> list[dict[str, Any]]:
    status, _, text = stack.http("GET", "/candidates/ada/held-events")
    assert status == 200, text
    return list(json.loads(text)["held_events"])


# ---- changing the address ----------------------------------------------------------------------------
def test_an_email_change_keeps_the_proved_address_in_use_until_the_new_one_is_proved(stack) -> None:  # type: ignore[no-untyped-def]
    # Given a member who proved ada@, with notes due
    register(stack, "ada", {"name": "Ada Quinn", "email": ADA, "mode": "auto", "time_zone": "Europe/London"})
    reject(stack)
    # When she changes to a new address, not yet proved
    answer = put(stack, "ada", "ada.new@example.org")
    # Then the answer says the old one is in use and the new one pending; a link went to the new one
    assert (answer["email"], answer["email_status"], answer["pending_email"]) == (
        ADA,
        "proved",
        "ada.new@example.org",
    )
    assert proof_mails(stack, "ada.new@example.org")
    # And notes carry the proved address; a webhook for the new one matches nobody
    run_until(stack, NOW + timedelta(hours=40))
    sent = mails(stack)
    assert sent and {m["Reply-To"].addresses[0].addr_spec for m in sent} == {ADA}
    assert generic(stack, "ada.new@example.org", "a-new-one")["status"] == "kept_unmatched"
    # When she proves the new one, it takes over, and the old address matches nobody any more
    prove(stack, "ada.new@example.org")
    after = profile(stack)
    assert (after["email"], after["email_status"], after["pending_email"]) == (
        "ada.new@example.org",
        "proved",
        None,
    )
    assert generic(stack, ADA, "via-the-old-address")["status"] == "kept_unmatched"
    lookups = {i["pk"]["S"] for i in _dump(stack) if i["pk"]["S"].startswith("LOOKUP#EMAIL#")}
    from nearmiss.domain.playbook import recipient_key

    assert lookups == {f"LOOKUP#EMAIL#{recipient_key('ada.new@example.org')}"}


def test_a_link_for_one_address_cannot_prove_another(stack) -> None:  # type: ignore[no-untyped-def]
    # Given a link mailed to the first address, then a change to a second one
    put(stack, "ada", "first@example.org")
    first = proof_link(stack, "first@example.org")
    put(stack, "ada", "second@example.org")
    # When the first link is confirmed
    status, _, page = stack.http("POST", first, auth=False)
    # Then nothing is proved: neither the second address, nor the first
    assert status == 409 and "no longer the one waiting" in page
    after = profile(stack)
    assert (after["email"], after["email_status"]) == ("second@example.org", "pending")


def test_a_proof_link_dies_with_the_account(stack) -> None:  # type: ignore[no-untyped-def]
    # Given a link mailed at registration, and the account deleted and re-created with the same id
    put(stack, "ada", ADA)
    old = proof_link(stack, ADA)
    assert stack.http("DELETE", "/candidates/ada")[0] == 200
    stack.traveller.move_to(NOW + timedelta(minutes=11))  # past the per-address gap
    put(stack, "ada", ADA)
    # When the old link is confirmed
    status, _, page = stack.http("POST", old, auth=False)
    # Then it is dead, and the new account's address is still pending
    assert status == 400 and "no longer valid" in page
    assert profile(stack)["email_status"] == "pending"


def test_an_address_another_member_proved_is_409_and_one_they_only_typed_goes_to_who_proves_it(stack) -> None:  # type: ignore[no-untyped-def]
    # Given Bea proved her address
    register(stack, "bea", {"name": "Bea", "email": "bea@example.com"})
    # When Ada types it: 409 naming the field, nothing written
    status, _, text = stack.http("PUT", "/candidates/ada", body={"name": "Ada", "email": "bea@example.com"})
    assert status == 409 and json.loads(text)["fields"][0]["field"] == "email", text
    assert stack.http("GET", "/candidates/ada")[0] == 404
    # And an address two members typed without proving belongs to neither until one proves it
    put(stack, "cy", "shared@example.org")
    put(stack, "dee", "shared@example.org")
    links = [proof_link(stack, "shared@example.org")]  # the newest, Dee's
    assert stack.http("POST", links[0], auth=False)[0] == 200
    cy_link = _first_proof_link(stack, "shared@example.org")
    status, _, page = stack.http("POST", cy_link, auth=False)
    assert status == 409 and "registered to another member" in page
    assert profile(stack, "cy")["email_status"] == "pending"


def _first_proof_link(stack: Any, address: str) -> str:
    import re

    from tests.helpers import plain_text

    first = proof_mails(stack, address)[0]
    match = re.search(r"https?://[^/\s]+(/address/confirm\?token=\S+)", plain_text(first))
    assert match
    return match.group(1)


# ---- resending ----------------------------------------------------------------------------------
def test_the_proof_mail_is_resent_at_most_once_per_ten_minutes_and_five_times_a_day(stack) -> None:  # type: ignore[no-untyped-def]
    put(stack, "ada", ADA)  # the first of the day's five
    status, headers, text = stack.http("POST", "/candidates/ada/email/proof")
    assert status == 429 and json.loads(text)["proof_email"]["retry_at"], text
    assert headers["Retry-After"] == "600"
    for minute in (11, 22, 33, 44):
        stack.traveller.move_to(NOW + timedelta(minutes=minute))
        status, _, text = stack.http("POST", "/candidates/ada/email/proof")
        assert status == 202, text
    stack.traveller.move_to(NOW + timedelta(minutes=55))
    status, _, text = stack.http("POST", "/candidates/ada/email/proof")
    assert status == 429, text
    assert len(proof_mails(stack, ADA)) == 5
    stack.traveller.move_to(NOW + timedelta(days=1, minutes=1))
    assert stack.http("POST", "/candidates/ada/email/proof")[0] == 202


def test_resending_when_nothing_waits_for_proof_is_409_naming_email(stack) -> None:  # type: ignore[no-untyped-def]
    register(stack, "ada", {"name": "Ada", "email": ADA})
    status, _, text = stack.http("POST", "/candidates/ada/email/proof")
    assert status == 409 and json.loads(text)["fields"][0]["field"] == "email", text
