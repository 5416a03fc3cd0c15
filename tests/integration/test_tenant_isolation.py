"""One member never touches another's rejections, contacts or identity (issue 10).

Each test names the finding it guards; each failed before the fix (lookups written and deleted
without an owner, held events left behind, links that followed the id instead of the account).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from nearmiss.domain.playbook import recipient_key
from nearmiss.intake.registry import SOURCES
from nearmiss_local.sign_webhook import signed_request

from tests.helpers import prove, register
from tests.integration.test_api import APP_BODY, as_candidate, dump
from tests.integration.test_webhooks import playbooks, sample

GH_EMAIL = "ada.q@contoso.example"  # the candidate's address in the Greenhouse sample


def gh_ats_id() -> str:
    _, body = sample("greenhouse", "rejected")
    return str(SOURCES["greenhouse"].parse({"content-type": "application/json"}, body).ats_application_id)


def member(stack: Any, cid: str, email: str) -> str:
    """A member registered with `email`, proved (helpers.register); their key."""
    answer = register(stack, cid, {"name": cid.title(), "email": email, "mode": "auto"})
    return str(answer["api_key"])


def application(
    stack: Any, cid: str, aid: str, ats: str | None = None, key: str | None = None
) -> tuple[int, str]:
    body = {**APP_BODY, "ats_application_id": ats} if ats else APP_BODY
    if key is not None:
        return as_candidate(stack, key, "PUT", f"/candidates/{cid}/applications/{aid}", body)
    status, _, text = stack.http("PUT", f"/candidates/{cid}/applications/{aid}", body=body)
    return status, text


def greenhouse(stack: Any, *, can_email: bool = True, email: str = GH_EMAIL) -> dict[str, Any]:
    _, body = sample("greenhouse", "rejected")
    payload = json.loads(body)
    candidate = payload["payload"]["application"]["candidate"]
    candidate["can_email"] = can_email
    candidate["email_addresses"] = [{"value": email, "type": "personal"}]
    signature, raw = signed_request(
        "greenhouse", json.dumps(payload).encode(), stack.webhook_secrets["greenhouse"], datetime.now(UTC)
    )
    status, _, text = stack.http(
        "POST",
        "/webhooks/greenhouse",
        body=raw.decode(),
        headers={"content-type": "application/json", **signature},
        auth=False,
    )
    assert status == 200, text
    return dict(json.loads(text))


def generic(stack: Any, email: str, application_id: str = "northwind-staff-platform") -> dict[str, Any]:
    """Our own webhook, which names the company and job: an email match creates the application."""
    _, body = sample("generic", "rejected")
    payload = {**json.loads(body), "candidate_email": email, "application_id": application_id}
    signature, raw = signed_request(
        "generic", json.dumps(payload).encode(), stack.webhook_secrets["generic"], datetime.now(UTC)
    )
    status, _, text = stack.http(
        "POST",
        "/webhooks/generic",
        body=raw.decode(),
        headers={"content-type": "application/json", **signature},
        auth=False,
    )
    assert status == 200, text
    return dict(json.loads(text))


def started_for(stack: Any) -> set[str]:
    """The members whose playbooks exist (read from the table, as an auditor would)."""
    return {i["pk"]["S"].split("#")[1] for i in dump(stack) if i["sk"]["S"] == "PLAYBOOK"}


def of_member(item: dict[str, Any], cid: str, email: str) -> bool:
    """Whether a table item is the member's: under their id, naming them, or under their address."""
    text = json.dumps(item)
    return f"#{cid}" in text or f'"{cid}"' in text or recipient_key(email) in text


def by_key(items: Any) -> dict[tuple[str, str], Any]:
    return {(i["pk"]["S"], i["sk"]["S"]): i for i in items}


def conflict_field(text: str) -> str:
    return str(json.loads(text)["fields"][0]["field"])


def test_finding_1_an_ats_id_another_member_holds_is_409_and_their_rejection_reaches_them(stack) -> None:  # type: ignore[no-untyped-def]
    # Given Bea holds the Greenhouse application id
    member(stack, "bea", "bea@example.com")
    ada = member(stack, "ada", "ada@example.com")
    assert application(stack, "bea", "gh", gh_ats_id())[0] == 200
    # When Ada, with her own key, claims the same id
    status, text = application(stack, "ada", "stolen", gh_ats_id(), key=ada)
    # Then 409 naming the field, nothing of Ada's written, and Bea's rejection starts Bea's playbook
    assert status == 409 and conflict_field(text) == "ats_application_id", text
    assert bea_name_not_in(text)
    assert not any(i["sk"]["S"] == "APP#stolen" for i in dump(stack))
    assert greenhouse(stack, email="someone.else@example.com")["status"] == "accepted"
    stack.pump()
    assert started_for(stack) == {"bea"}


def bea_name_not_in(text: str) -> bool:
    return "bea" not in text.lower()


def test_finding_2_another_members_email_is_409_and_their_webhooks_still_reach_them(stack) -> None:  # type: ignore[no-untyped-def]
    # Given Bea registered with the address the ATS knows her by
    member(stack, "bea", GH_EMAIL)
    ada = member(stack, "ada", "ada@example.com")
    # When Ada sets Bea's address on her own profile
    status, text = as_candidate(
        stack, ada, "PUT", "/candidates/ada", {"name": "Ada", "email": GH_EMAIL, "mode": "auto"}
    )
    # Then 409 naming the field; Ada's profile keeps her own address; Bea's webhook creates Bea's application
    assert status == 409 and conflict_field(text) == "email", text
    assert json.loads(as_candidate(stack, ada, "GET", "/candidates/ada")[1])["email"] == "ada@example.com"
    assert generic(stack, GH_EMAIL)["status"] == "accepted"
    stack.pump()
    assert started_for(stack) == {"bea"}


def test_finding_4_deleting_a_member_never_removes_a_lookup_another_member_holds(stack) -> None:  # type: ignore[no-untyped-def]
    member(stack, "bea", "bea@example.com")
    member(stack, "ada", "ada@example.com")
    assert application(stack, "bea", "gh", gh_ats_id())[0] == 200
    assert application(stack, "ada", "gh", gh_ats_id())[0] == 409
    before = dump(stack)
    # When Ada is deleted
    assert stack.http("DELETE", "/candidates/ada")[0] == 200
    # Then everything of Bea's is still there (her ATS lookup included), and nothing of Ada's is
    after = dump(stack)
    assert by_key(i for i in before if not of_member(i, "ada", "ada@example.com")) == by_key(after)
    assert not any(of_member(i, "ada", "ada@example.com") for i in after)
    assert greenhouse(stack, email="x@example.com")["status"] == "accepted"
    stack.pump()
    assert started_for(stack) == {"bea"}


def test_finding_5_every_copy_of_a_held_event_goes_with_the_member(stack) -> None:  # type: ignore[no-untyped-def]
    # Given a held rejection for Ada (the ATS says she may not be emailed), filed under her
    # address and under its ATS id
    member(stack, "ada", GH_EMAIL)
    member(stack, "bea", "bea@example.com")
    assert greenhouse(stack, can_email=False)["status"] == "kept_unmatched"
    held = [i for i in dump(stack) if i["pk"]["S"].startswith("UNMATCHED#")]
    assert {i["pk"]["S"].split("#")[1] for i in held} == {"ATS", "EMAIL"}
    # When she leaves before deciding on it
    assert stack.http("DELETE", "/candidates/ada")[0] == 200
    # Then no copy is left, and whoever registers the id next gets nothing of Ada's
    left = dump(stack)
    assert not any(i["pk"]["S"].startswith("UNMATCHED#") for i in left), left
    status, text = application(stack, "bea", "gh", gh_ats_id())
    assert status == 200 and json.loads(text)["held_events"] == 0
    stack.pump()
    assert playbooks(stack) == 0


def test_finding_6_an_email_change_moves_the_lookup_in_one_transaction(stack) -> None:  # type: ignore[no-untyped-def]
    member(stack, "ada", GH_EMAIL)
    status, _, text = stack.http(
        "PUT", "/candidates/ada", body={"name": "Ada", "email": "ada.new@example.com", "mode": "auto"}
    )
    assert status == 200, text
    # (the lookup moves when the new address is proved: service.addresses.confirm_address)
    lookups = {i["pk"]["S"] for i in dump(stack) if i["pk"]["S"].startswith("LOOKUP#EMAIL#")}
    assert lookups == {f"LOOKUP#EMAIL#{recipient_key(GH_EMAIL)}"}
    prove(stack, "ada.new@example.com")
    lookups = {i["pk"]["S"] for i in dump(stack) if i["pk"]["S"].startswith("LOOKUP#EMAIL#")}
    assert lookups == {f"LOOKUP#EMAIL#{recipient_key('ada.new@example.com')}"}
    # A webhook for the old address matches nobody: kept, not routed to whoever holds the id later
    assert generic(stack, GH_EMAIL)["status"] == "kept_unmatched"
    # The old address is free for its real owner
    member(stack, "bea", GH_EMAIL)
    assert stack.http("DELETE", "/candidates/ada")[0] == 200
    left = json.dumps(dump(stack))
    assert recipient_key("ada.new@example.com") not in left and "CAND#ada" not in left
    assert f"LOOKUP#EMAIL#{recipient_key(GH_EMAIL)}" in left  # Bea's, untouched


# ---- held events: released only by the member's decision (finding 15) --------------------------
def test_no_profile_save_releases_a_held_event_the_member_sees_it_and_decides(stack) -> None:  # type: ignore[no-untyped-def]
    # Given a Greenhouse rejection the ATS marked "may not be emailed", for Ada's address
    ada = member(stack, "ada", GH_EMAIL)
    assert greenhouse(stack, can_email=False)["status"] == "kept_unmatched"
    # When Ada saves her profile and registers the application
    as_candidate(stack, ada, "PUT", "/candidates/ada", {"name": "Ada", "email": GH_EMAIL, "mode": "auto"})
    status, text = application(stack, "ada", "gh", gh_ats_id(), key=ada)
    assert status == 200 and json.loads(text)["held_events"] == 1
    stack.pump()
    # Then nothing started; she sees what waits, and her "start" starts it
    assert playbooks(stack) == 0
    status, text = as_candidate(stack, ada, "GET", "/candidates/ada/held-events")
    (held,) = json.loads(text)["held_events"]
    assert held["source"] == "greenhouse" and held["job_title"] and held["occurred_at"], held
    timeline = json.loads(as_candidate(stack, ada, "GET", "/candidates/ada/applications/gh/timeline")[1])
    page = stack.http("GET", path_of(timeline["page_url"]), auth=False)[2]
    assert "Waiting for your decision" in page and held["job_title"] in page
    status, text = as_candidate(stack, ada, "POST", f"/candidates/ada/held-events/{held['held_id']}/start")
    assert status == 200 and json.loads(text)["status"] == "accepted", text
    stack.pump()
    assert started_for(stack) == {"ada"}
    assert json.loads(as_candidate(stack, ada, "GET", "/candidates/ada/held-events")[1]) == {
        "held_events": []
    }


def test_a_held_event_can_be_discarded_and_is_gone_with_every_copy(stack) -> None:  # type: ignore[no-untyped-def]
    ada = member(stack, "ada", GH_EMAIL)
    greenhouse(stack, can_email=False)
    (held,) = json.loads(as_candidate(stack, ada, "GET", "/candidates/ada/held-events")[1])["held_events"]
    path = f"/candidates/ada/held-events/{held['held_id']}/discard"
    assert as_candidate(stack, ada, "POST", path)[0] == 200
    assert as_candidate(stack, ada, "POST", path)[0] == 404  # one decision wins
    assert not any(i["pk"]["S"].startswith("UNMATCHED#") for i in dump(stack))
    stack.pump()
    assert playbooks(stack) == 0


def test_a_held_event_whose_ats_id_is_another_members_is_neither_shown_nor_started(stack) -> None:  # type: ignore[no-untyped-def]
    # Given Bea holds the ATS id, and Ada holds the address the (held) event names
    member(stack, "bea", "bea@example.com")
    ada = member(stack, "ada", GH_EMAIL)
    application(stack, "bea", "gh", gh_ats_id())
    greenhouse(stack, can_email=False)
    # Then Ada sees nothing of it (company, role, contacts are Bea's business)
    assert json.loads(as_candidate(stack, ada, "GET", "/candidates/ada/held-events")[1]) == {
        "held_events": []
    }
    (held,) = json.loads(stack.http("GET", "/candidates/bea/held-events")[2])["held_events"]
    assert as_candidate(stack, ada, "POST", f"/candidates/ada/held-events/{held['held_id']}/start")[0] == 404


# ---- links die with the account (findings 7, 8, 9) --------------------------------------------
def links_of(stack: Any) -> Any:
    return stack._container(stack.functions["ApiFunction"]).links


def test_finding_7_links_die_with_the_account_and_do_not_follow_a_re_created_id(stack) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import NOW

    # Given Ada's timeline link and a stop link from one of her notes
    member(stack, "ada", "ada@example.com")
    application(stack, "ada", "northwind")
    timeline = json.loads(stack.http("GET", "/candidates/ada/applications/northwind/timeline")[2])["page_url"]
    stop = links_of(stack).stop("ada", recipient_key("grace@northwind.example"), anchor=NOW)
    assert stack.http("GET", path_of(timeline), auth=False)[0] == 200
    # When Ada is deleted and someone new registers the same id with the same application id
    assert stack.http("DELETE", "/candidates/ada")[0] == 200
    member(stack, "ada", "someone.new@example.com")
    application(stack, "ada", "northwind")
    # Then the old links show and change nothing of the new person's
    status, _, page = stack.http("GET", path_of(timeline), auth=False)
    assert status == 400 and "no longer valid" in page
    assert stack.http("POST", path_of(stop), auth=False)[0] == 400
    assert not any(i["sk"]["S"].startswith(("BLOCK#", "SUPPRESSED#")) for i in dump(stack))


def test_a_new_key_kills_the_candidates_own_links_but_not_a_recipients_stop_link(stack) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import NOW

    member(stack, "ada", "ada@example.com")
    application(stack, "ada", "northwind")
    timeline = json.loads(stack.http("GET", "/candidates/ada/applications/northwind/timeline")[2])["page_url"]
    stop = links_of(stack).stop("ada", recipient_key("grace@northwind.example"), anchor=NOW)
    assert stack.http("POST", "/candidates/ada/api-key")[0] == 200
    assert stack.http("GET", path_of(timeline), auth=False)[0] == 400
    assert stack.http("POST", path_of(stop), auth=False)[0] == 200


def test_finding_9_a_stop_link_after_deletion_writes_nothing(stack) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import NOW

    member(stack, "ada", "ada@example.com")
    stop = links_of(stack).stop("ada", recipient_key("grace@northwind.example"), anchor=NOW)
    assert stack.http("DELETE", "/candidates/ada")[0] == 200
    before = dump(stack)
    status, _, page = stack.http("POST", path_of(stop), auth=False)
    assert status == 400 and "no longer valid" in page
    assert by_key(dump(stack)) == by_key(before)


def test_finding_8_a_token_with_anything_outside_the_base64url_alphabet_is_refused() -> None:
    import pytest
    from nearmiss.domain import tokens

    from tests.conftest import NOW

    secret = b"s" * 32
    token = tokens.sign("stop", {"c": "ada"}, expires_at=NOW.replace(year=2030), secret=secret)
    assert tokens.verify(token, "stop", now=NOW, secret=secret) == {"c": "ada"}
    body, signature = token.split(".")
    for forged in (
        token + "!!",
        token + "=",
        f"{body}.{signature[:5]}+{signature[5:]}",
        f"{body}!.{signature}",
        f"{body}.{signature[:-1]}{chr(ord(signature[-1]) + 1)}",  # another spelling of the same bits
        token + "\n",
    ):
        with pytest.raises(tokens.TokenError):
            tokens.verify(forged, "stop", now=NOW, secret=secret)


def path_of(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def test_finding_13_a_display_name_that_imitates_the_platform_or_holds_an_address_is_refused(stack) -> None:  # type: ignore[no-untyped-def]
    for name in (
        "Near Miss",
        "NEAR-MISS Security Team",
        "nearmiss",
        "Ｎｅａｒ Ｍｉｓｓ",
        "Ada (ada@example.com)",
        "Ada ＠ home",
    ):
        status, _, text = stack.http(
            "PUT", "/candidates/eve", body={"name": name, "email": "eve@example.com"}
        )
        assert status in (400, 422) and "name" in text, (name, status, text)
    assert stack.http("GET", "/candidates/eve")[0] == 404
    assert (
        stack.http("PUT", "/candidates/eve", body={"name": "Nearly Mississippi", "email": "eve@example.com"})[
            0
        ]
        == 201
    )


def test_only_the_operator_can_transfer_a_lookup_and_the_transfer_is_recorded(stack) -> None:  # type: ignore[no-untyped-def]
    # Given Bea holds the ATS id Ada says is hers
    member(stack, "bea", "bea@example.com")
    ada = member(stack, "ada", "ada@example.com")
    application(stack, "bea", "gh", gh_ats_id())
    application(stack, "ada", "mine")
    body = {
        "field": "ats_application_id",
        "value": gh_ats_id(),
        "to_candidate_id": "ada",
        "to_application_id": "mine",
        "reason": "Bea registered Ada's application id by mistake",
    }
    # A member cannot transfer it to herself
    assert as_candidate(stack, ada, "POST", "/lookups/transfer", body)[0] == 403
    # The operator can: Bea's rejection now reaches Ada, and the transfer is on record
    status, _, text = stack.http("POST", "/lookups/transfer", body=body)
    assert status == 200, text
    items = dump(stack)
    (record,) = [i for i in items if i["sk"]["S"].startswith("TRANSFER#")]
    assert record["pk"]["S"] == "CAND#ada" and record["from_candidate_id"]["S"] == "bea"
    assert greenhouse(stack, email="x@example.com")["status"] == "accepted"
    stack.pump()
    assert started_for(stack) == {"ada"}
    # Bea's re-save of her application cannot take it back
    assert application(stack, "bea", "gh", gh_ats_id())[0] == 409


def test_an_address_transferred_by_the_operator_leaves_the_member_who_held_it(stack) -> None:  # type: ignore[no-untyped-def]
    # Given Bea holds (proved) the address Ada says is hers, and Ada has proved another one
    bea = member(stack, "bea", "shared@example.com")
    ada = member(stack, "ada", "ada@example.com")
    body = {
        "field": "email",
        "value": "shared@example.com",
        "to_candidate_id": "ada",
        "reason": "Ada showed the operator she owns it",
    }
    status, _, text = stack.http("POST", "/lookups/transfer", body=body)
    assert status == 200, text
    items = {(i["pk"]["S"], i["sk"]["S"]): i for i in dump(stack)}
    # Ada's profile names the address, proved; the claim's copy is gone until a claim reads it again
    ada_profile = items[("CAND#ada", "PROFILE")]
    assert json.loads(ada_profile["doc"]["S"])["email"] == "shared@example.com"
    assert json.loads(ada_profile["doc"]["S"])["email_proved_at"] is not None
    assert "proved_email" not in ada_profile
    # Bea keeps the address on her profile but no longer as proved: nothing of hers goes to it
    bea_profile = items[("CAND#bea", "PROFILE")]
    assert json.loads(bea_profile["doc"]["S"])["email_proved_at"] is None
    assert "proved_email" not in bea_profile
    status, text = as_candidate(stack, bea, "GET", "/candidates/bea")
    assert status == 200 and json.loads(text)["email_status"] != "proved", text
    status, text = as_candidate(stack, ada, "GET", "/candidates/ada")
    assert status == 200 and json.loads(text)["email_status"] == "proved", text
