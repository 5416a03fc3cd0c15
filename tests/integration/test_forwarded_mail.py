"""A member's forwards through SES on the embedded default: the corpus's forwards delivered to Ada's
intake address (deliver_mail stores each and invokes receive_mail with SES's receipt event), the one
answer Ada gets, and her decision on the page its link opens."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from nearmiss_local.runtime import RECEIVING_DOMAIN, LocalStack

from tests.conftest import NOW
from tests.helpers import load_event, mails, plain_text, prove, steps_of
from tests.integration.test_end_to_end import ADA, APP, MEMBER

CORPUS = Path(__file__).parents[1] / "fixtures" / "mail" / "forwards"
FORM = {"content-type": "application/x-www-form-urlencoded"}
# The Greenhouse rejection's original Date, as its header block shows it: Tue, Nov 24, 2026 at 4:10 PM,
# read in Ada's zone (Europe/London, events/api/put_candidate.json): 16:10 UTC.
REJECTION_RECEIVED = datetime(2026, 11, 24, 16, 10, tzinfo=UTC)


@pytest.fixture
def stack() -> Iterator[Any]:
    import time_machine

    with (
        time_machine.travel(NOW, tick=False) as traveller,
        LocalStack(parameters={"ReceivingDomain": RECEIVING_DOMAIN}) as local,
    ):
        local.traveller = traveller  # type: ignore[attr-defined]
        yield local


def register_ada(stack: Any, *, with_application: bool = False) -> str:
    body = json.loads(load_event("api/put_candidate.json")["body"])
    status, _, text = stack.http("PUT", ADA, body=body)
    assert status == 201, text
    address = json.loads(text)["intake_address"]
    prove(stack, body["email"])  # forwards are accepted only from the address she proved
    if with_application:
        status, _, text = stack.http(
            "PUT", APP, body=json.loads(load_event("api/put_application.json")["body"])
        )
        assert status == 200, text
    return str(address)


def corpus(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


def to_ada(stack: Any) -> list[Any]:
    return [m for m in mails(stack) if m["To"].addresses[0].addr_spec == MEMBER]


def kept(stack: Any) -> list[dict[str, Any]]:
    status, _, text = stack.http("GET", "/inbound/kept")
    assert status == 200, text
    return list(json.loads(text)["kept"])


def link(text: str, action: str) -> str:
    (url,) = re.findall(rf"https?://\S+/forwards/{action}\?token=\S+", text)
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_the_profile_shows_a_private_intake_address_of_the_receiving_domain(stack: Any) -> None:
    address = register_ada(stack)
    local, _, domain = address.partition("@")
    assert domain == RECEIVING_DOMAIN
    assert re.fullmatch(r"in\+[a-z2-7]{26}", local)
    status, _, text = stack.http("GET", ADA)
    assert status == 200 and json.loads(text)["intake_address"] == address


def test_a_new_key_gives_a_new_intake_address_and_the_old_one_leads_nowhere(stack: Any) -> None:
    old = register_ada(stack)
    status, _, text = stack.http("POST", f"{ADA}/api-key")
    assert status == 200, text
    new = json.loads(text)["intake_address"]
    assert new != old
    stack.deliver_mail(corpus("rej-greenhouse-en-gmail.eml"), [old])
    assert to_ada(stack) == []
    assert [k["reason"] for k in kept(stack)] == [
        "intake address refused: no member has this intake address (or their data was deleted)"
    ]


def test_a_forwarded_rejection_is_answered_once_and_starts_only_from_the_start_button(stack: Any) -> None:
    # Given Ada registered Northwind Data with Grace, Mei and Sam
    address = register_ada(stack, with_application=True)
    # When she forwards the Greenhouse rejection (and SES delivers it twice)
    message_id = stack.deliver_mail(corpus("rej-greenhouse-en-gmail.eml"), [address])
    stack.deliver_mail(corpus("rej-greenhouse-en-gmail.eml"), [address], message_id=message_id)
    # Then she gets one answer, from Near Miss, saying what it understood, in her zone
    (answer,) = to_ada(stack)
    assert answer["From"].addresses[0].display_name == "Near Miss"
    assert str(answer["Subject"]) == "Understood: a rejection from Northwind Data"
    text = plain_text(answer)
    assert (
        "a rejection from Northwind Data for Staff Platform Engineer, received Tue 24 Nov at 16:10 your time"
        in text
    )
    assert "Grace Park (hiring manager) <grace.park@northwind.example>" in text
    assert "what you discussed with Mei Tanaka, Sam Rivera" in text
    # And nothing has started
    assert steps_of(stack, "ada-quinn", "northwind-staff-platform") == []
    # When a mail scanner opens the start link, nothing happens either
    start = link(text, "start")
    status, _, page = stack.http("GET", start, auth=False)
    assert status == 200 and "Start the notes" in page
    stack.pump()
    assert steps_of(stack, "ada-quinn", "northwind-staff-platform") == []
    # When Ada presses the button
    status, _, page = stack.http("POST", start, auth=False, headers=FORM, body="")
    assert status == 200, page
    stack.pump()
    # Then the playbook starts, planned from when she received the rejection
    steps = steps_of(stack, "ada-quinn", "northwind-staff-platform")
    assert {s.recipient_name for s in steps} == {"Grace Park", "Mei Tanaka", "Sam Rivera"}
    assert {s.rejected_at for s in steps} == {REJECTION_RECEIVED}
    thank_you = [s for s in steps if s.kind.value == "thank_you"]
    assert len(thank_you) == 3
    assert all(s.planned_at >= REJECTION_RECEIVED + timedelta(days=1) for s in thank_you)
    # And a second press starts nothing more
    status, _, _ = stack.http("POST", start, auth=False, headers=FORM, body="")
    stack.pump()
    assert status == 200 and len(steps_of(stack, "ada-quinn", "northwind-staff-platform")) == len(steps)
    assert stack.dead_letters == []


def test_an_invitation_adds_its_two_people_to_the_application_of_that_company(stack: Any) -> None:
    # Given Ada registered Northwind Data with nobody yet
    address = register_ada(stack)
    status, _, text = stack.http(
        "PUT", APP, body={"company": "Northwind Data", "job_title": "Staff Platform Engineer"}
    )
    assert status == 200, text
    # When she forwards the Google Calendar invitation (organiser Grace Park, attendees Grace, Mei, Ada)
    stack.deliver_mail(corpus("inv-google-request.eml"), [address])
    # Then Grace (organiser: recruiter) and Mei (interviewer) are the application's contacts
    status, _, text = stack.http("GET", APP)
    contacts = {(c["name"], c["email"], c["role"]) for c in json.loads(text)["contacts"]}
    assert contacts == {
        ("Grace Park", "grace.park@northwind.example", "recruiter"),
        ("Mei Tanaka", "mei.tanaka@northwind.example", "interviewer"),
    }
    (answer,) = to_ada(stack)
    body = plain_text(answer)
    assert "Your interview with Grace Park and Mei Tanaka on Thu 12 Nov at 14:00 your time" in body
    assert "In the invitation:\n- Grace Park (recruiter)\n- Mei Tanaka (interviewer)\n" in body
    assert "Added to Staff Platform Engineer at Northwind Data: Grace Park, Mei Tanaka." in body
    # When she says it was not that application, they are taken out again
    status, _, page = stack.http("POST", link(body, "undo"), auth=False, headers=FORM, body="")
    assert status == 200, page
    status, _, text = stack.http("GET", APP)
    assert json.loads(text)["contacts"] == []


def test_an_invitation_naming_only_the_member_adds_nobody_and_says_so(stack: Any) -> None:
    address = register_ada(stack)
    stack.deliver_mail(corpus("inv-only-member.eml"), [address])
    (answer,) = to_ada(stack)
    assert "It names nobody but you, so nobody was added." in plain_text(answer)


def test_a_forward_from_another_address_is_kept_and_nobody_is_written_to(stack: Any) -> None:
    address = register_ada(stack, with_application=True)
    raw = corpus("rej-greenhouse-en-gmail.eml").replace(
        b"From: Ada Quinn <ada.quinn@example.com>", b"From: Mallory <mallory@example.net>", 1
    )
    stack.deliver_mail(raw, [address])
    assert mails(stack) == []
    assert [k["reason"] for k in kept(stack)] == [
        "not from the member's address: kept, never acted on, nobody told"
    ]


def test_a_forward_whose_dkim_and_spf_fail_is_kept_and_nobody_is_written_to(stack: Any) -> None:
    address = register_ada(stack, with_application=True)
    stack.deliver_mail(
        corpus("rej-greenhouse-en-gmail.eml"),
        [address],
        verdicts={"dkim": "FAIL", "spf": "FAIL", "dmarc": "FAIL"},
    )
    assert mails(stack) == []
    # (DMARC is read first: a FAIL there keeps any message, before SPF and DKIM are looked at)
    assert [k["reason"] for k in kept(stack)] == ["SES verdicts: DMARC verdict FAIL"]


def test_a_passing_dkim_of_another_domain_does_not_vouch_for_the_members_address(stack: Any) -> None:
    address = register_ada(stack, with_application=True)
    stack.deliver_mail(
        corpus("rej-greenhouse-en-gmail.eml"),
        [address],
        verdicts={"spf": "FAIL", "dmarc": "GRAY"},  # GRAY: the From domain publishes no DMARC policy
        dkim_domain="attacker.example",
    )
    assert mails(stack) == []
    (only,) = kept(stack)
    assert only["reason"].startswith("sender not verified: no verdict aligned with the From domain")


def gmail_confirmation() -> bytes:
    message = EmailMessage()
    message["From"] = "Gmail Team <forwarding-noreply@google.com>"
    message["To"] = "in@example"
    message["Subject"] = (
        "(#123456789) Gmail Forwarding Confirmation - Receive Mail from ada.quinn@example.com"
    )
    message.set_content(
        "ada.quinn@example.com has requested to automatically forward mail to your email address.\n"
        "To allow ada.quinn@example.com to automatically forward mail to your address, please click\n"
        "the link below to confirm the request: https://mail-settings.google.com/mail/vf-abc\n"
    )
    return message.as_bytes()


def test_gmails_forwarding_confirmation_is_passed_on_to_the_member(stack: Any) -> None:
    address = register_ada(stack)
    stack.deliver_mail(gmail_confirmation(), [address])
    (passed,) = to_ada(stack)
    assert str(passed["Subject"]).startswith("(#123456789) Gmail Forwarding Confirmation")
    assert "https://mail-settings.google.com/mail/vf-abc" in plain_text(passed)
    assert passed["From"].addresses[0].display_name == "Gmail via Near Miss"


def test_a_forwarding_confirmation_without_googles_dkim_is_kept(stack: Any) -> None:
    address = register_ada(stack)
    stack.deliver_mail(gmail_confirmation(), [address], dkim_domain="spoof.example")
    assert mails(stack) == []
    (only,) = kept(stack)
    assert only["reason"] == "claims to be Gmail's forwarding confirmation without google.com's DKIM"


def test_an_unreadable_forward_is_kept_and_the_member_is_told_what_could_not_be_read(stack: Any) -> None:
    address = register_ada(stack)
    message = EmailMessage()
    message["From"] = "Ada Quinn <ada.quinn@example.com>"
    message["Subject"] = "look at this"
    message.set_content("What do you make of it?")
    stack.deliver_mail(message.as_bytes(), [address])
    (answer,) = to_ada(stack)
    assert str(answer["Subject"]) == "Near Miss could not read your forward"
    assert "not a forward: no forwarded header block and no attached message" in plain_text(answer)
    (only,) = kept(stack)
    assert only["reason"].startswith("not a forward: no forwarded header block")


def test_a_look_alike_is_answered_as_understood_and_nothing_can_start(stack: Any) -> None:
    address = register_ada(stack)
    stack.deliver_mail(corpus("not-offer-en.eml"), [address])
    (answer,) = to_ada(stack)
    assert "nothing will start" in str(answer["Subject"])
    assert "/forwards/start" not in plain_text(answer)


def test_over_the_size_limit_or_a_virus_is_kept_unread_and_unanswered(stack: Any) -> None:
    address = register_ada(stack)
    stack.deliver_mail(corpus("rej-greenhouse-en-gmail.eml"), [address], verdicts={"virus": "FAIL"})
    stack.deliver_mail(corpus("rej-greenhouse-en-gmail.eml"), [address], verdicts={"spam": "FAIL"})
    assert mails(stack) == []
    assert sorted(k["reason"] for k in kept(stack)) == [
        "SES verdicts: spam verdict FAIL",
        "SES verdicts: virus verdict FAIL",
    ]


def test_deleting_the_member_deletes_their_intake_address(stack: Any) -> None:
    address = register_ada(stack)
    status, _, _ = stack.http("DELETE", ADA)
    assert status == 200
    stack.deliver_mail(corpus("rej-greenhouse-en-gmail.eml"), [address])
    assert mails(stack) == []
    (only,) = kept(stack)
    assert "no member has this intake address" in only["reason"]


def northwind_without_people(stack: Any) -> str:
    address = register_ada(stack)
    status, _, text = stack.http(
        "PUT", APP, body={"company": "Northwind Data", "job_title": "Staff Platform Engineer"}
    )
    assert status == 200, text
    return address


def contacts_of(stack: Any) -> set[str]:
    status, _, text = stack.http("GET", APP)
    assert status == 200, text
    return {c["name"] for c in json.loads(text)["contacts"]}


def test_an_update_adds_whom_it_adds_and_a_cancel_keeps_the_people(stack: Any) -> None:
    address = northwind_without_people(stack)
    stack.deliver_mail(corpus("inv-google-request.eml"), [address])
    stack.deliver_mail(corpus("inv-google-update.eml"), [address])  # SEQUENCE 1: Tom Okafor joins
    assert contacts_of(stack) == {"Grace Park", "Mei Tanaka", "Tom Okafor"}
    stack.deliver_mail(corpus("inv-google-cancel.eml"), [address])  # SEQUENCE 2: CANCEL
    assert contacts_of(stack) == {"Grace Park", "Mei Tanaka", "Tom Okafor"}
    answers = to_ada(stack)
    assert len(answers) == 3
    assert str(answers[2]["Subject"]) == "Interview cancelled: Northwind Data"
    assert "was cancelled. The people it named stay with the application." in plain_text(answers[2])
    assert "Added to Staff Platform Engineer at Northwind Data: Tom Okafor." in plain_text(answers[1])


def test_the_edit_page_adds_what_was_discussed_with_each_person(stack: Any) -> None:
    address = northwind_without_people(stack)
    stack.deliver_mail(corpus("inv-google-request.eml"), [address])
    (answer,) = to_ada(stack)
    edit = link(plain_text(answer), "edit")
    status, _, page = stack.http("GET", edit, auth=False)
    assert status == 200 and "What you discussed with Mei Tanaka" in page
    mei = "mei.tanaka@northwind.example"
    form = urlencode({f"discussed:{mei}": "the on-call rota", f"role:{mei}": "hiring_manager"})
    status, _, page = stack.http("POST", edit, auth=False, headers=FORM, body=form)
    assert status == 200, page
    status, _, text = stack.http("GET", APP)
    (found,) = [c for c in json.loads(text)["contacts"] if c["name"] == "Mei Tanaka"]
    assert (found["discussed"], found["role"]) == ("the on-call rota", "hiring_manager")
    # A role that is no role changes nothing and says why
    bad = "role%3Amei.tanaka%40northwind.example=boss"
    status, _, page = stack.http("POST", edit, auth=False, headers=FORM, body=bad)
    assert status == 409 and "a role must be one of" in page


def test_no_rejection_phrase_asks_and_not_a_rejection_closes_it(stack: Any) -> None:
    address = register_ada(stack, with_application=True)
    message = EmailMessage()
    message["From"] = "Ada Quinn <ada.quinn@example.com>"
    message["Subject"] = "Fwd: Staff Platform Engineer"
    message.set_content(
        "---------- Forwarded message ---------\n"
        "From: Grace Park <grace.park@northwind.example>\n"
        "Date: Tue, Nov 24, 2026 at 4:10 PM\n"
        "Subject: Staff Platform Engineer\n"
        "To: <ada.quinn@example.com>\n\n"
        "Hi Ada, a quick note about the Staff Platform Engineer role at Northwind Data.\n"
    )
    stack.deliver_mail(message.as_bytes(), [address])
    (answer,) = to_ada(stack)
    text = plain_text(answer)
    assert str(answer["Subject"]) == "Is this a rejection? (Northwind Data)"
    assert "Is this a rejection? If it is, start the notes:" in text
    start = link(text, "start")
    status, _, page = stack.http("POST", start, auth=False, headers=FORM, body="")
    assert status == 200, page
    stack.pump()
    assert len(steps_of(stack, "ada-quinn", "northwind-staff-platform")) > 0


def test_this_is_not_a_rejection_starts_nothing_ever(stack: Any) -> None:
    address = register_ada(stack, with_application=True)
    stack.deliver_mail(corpus("rej-greenhouse-en-gmail.eml"), [address])
    text = plain_text(to_ada(stack)[0])
    status, _, page = stack.http("POST", link(text, "dismiss"), auth=False, headers=FORM, body="")
    assert status == 200 and "Nothing will start from this forward" in page
    status, _, page = stack.http("POST", link(text, "start"), auth=False, headers=FORM, body="")
    assert status == 409 and "dismissed" in page
    stack.pump()
    assert steps_of(stack, "ada-quinn", "northwind-staff-platform") == []


def test_a_forward_link_dies_with_a_new_key(stack: Any) -> None:
    address = register_ada(stack, with_application=True)
    stack.deliver_mail(corpus("rej-greenhouse-en-gmail.eml"), [address])
    start = link(plain_text(to_ada(stack)[0]), "start")
    stack.http("POST", f"{ADA}/api-key")
    status, _, page = stack.http("POST", start, auth=False, headers=FORM, body="")
    assert status == 400 and "no longer valid" in page
    status, _, page = stack.http(
        "POST", start.replace("start?", "dismiss?"), auth=False, headers=FORM, body=""
    )
    assert status == 400  # single purpose: a start token is no dismiss token


def test_a_rejection_from_a_company_not_registered_makes_its_application_on_start(stack: Any) -> None:
    address = register_ada(stack)
    stack.deliver_mail(corpus("rej-lever-en-apple.eml"), [address])
    text = plain_text(to_ada(stack)[0])
    assert "Near Miss knows nobody for this application yet" in text
    status, _, page = stack.http("POST", link(text, "start"), auth=False, headers=FORM, body="")
    assert status == 200, page
    stack.pump()
    status, _, body = stack.http("GET", ADA)
    (application_id,) = json.loads(body)["applications"]
    assert application_id.startswith("mail-")
    status, _, body = stack.http("GET", f"{ADA}/applications/{application_id}/timeline")
    assert json.loads(body)["waiting"]["state"] == "needs_contacts"


def test_the_timeline_page_shows_the_intake_address(stack: Any) -> None:
    from tests.integration.test_end_to_end import reject

    address = register_ada(stack, with_application=True)
    reject(stack)
    container = stack._container(stack.functions["ApiFunction"])
    url = container.links.timeline("ada-quinn", "northwind-staff-platform", now=NOW)
    parts = urlsplit(url)
    status, _, page = stack.http("GET", f"{parts.path}?{parts.query}", auth=False)
    assert status == 200 and address in page


def original_rejection() -> bytes:
    """Greenhouse's rejection as it reached Ada, before any forward (what a Gmail filter passes on)."""
    message = EmailMessage()
    message["From"] = "Northwind Data Recruiting <no-reply@us.greenhouse-mail.io>"
    message["To"] = "ada.quinn@example.com"
    message["Subject"] = "Your application to Northwind Data"
    message["Date"] = "Tue, 24 Nov 2026 16:10:00 +0000"
    message.set_content(
        "Hi Ada,\n\nThank you for your interest in the Staff Platform Engineer position at "
        "Northwind Data.\n\n"
        "After careful consideration, we have decided to move forward with other candidates whose experience "
        "more closely matches our needs at this time.\n\nBest,\nNorthwind Data Recruiting\n"
    )
    return message.as_bytes()


def test_a_gmail_filters_automatic_forward_is_read_as_the_original(stack: Any) -> None:
    address = register_ada(stack, with_application=True)
    envelope = f"ada.quinn+caf_={address.replace('@', '=')}@example.com"  # Gmail's forwarding envelope
    stack.deliver_mail(original_rejection(), [address], source=envelope, verdicts={"dmarc": "GRAY"})
    (answer,) = to_ada(stack)
    assert (
        "a rejection from Northwind Data for Staff Platform Engineer, received Tue 24 Nov at 16:10 your time"
        in plain_text(answer)
    )


def test_the_original_from_anyone_else_is_kept(stack: Any) -> None:
    address = register_ada(stack, with_application=True)
    stack.deliver_mail(original_rejection(), [address], source="bounce@us.greenhouse-mail.io")
    stack.deliver_mail(
        original_rejection(),
        [address],
        source=f"ada.quinn+caf_={address.replace('@', '=')}@example.com",
        verdicts={"spf": "FAIL"},
    )
    assert mails(stack) == []
    assert len(kept(stack)) == 2


def test_the_edit_page_of_an_unknown_company_creates_nothing_on_get_and_adds_a_person_on_post(
    stack: Any,
) -> None:
    address = register_ada(stack)
    stack.deliver_mail(corpus("rej-lever-en-apple.eml"), [address])
    edit = link(plain_text(to_ada(stack)[0]), "edit")
    status, _, page = stack.http("GET", edit, auth=False)
    assert status == 200 and "Someone else you met" in page
    status, _, body = stack.http("GET", ADA)
    assert json.loads(body)["applications"] == []  # a GET made nothing
    form = urlencode(
        {
            "name:new": "Lena Vogel",
            "email:new": "lena@example.org",
            "role:new": "hiring_manager",
            "discussed:new": "x",
        }
    )
    status, _, page = stack.http("POST", edit, auth=False, headers=FORM, body=form)
    assert status == 200, page
    status, _, body = stack.http("GET", ADA)
    (application_id,) = json.loads(body)["applications"]
    status, _, body = stack.http("GET", f"{ADA}/applications/{application_id}")
    assert [(c["name"], c["email"], c["role"]) for c in json.loads(body)["contacts"]] == [
        ("Lena Vogel", "lena@example.org", "hiring_manager")
    ]
    bad = urlencode({"name:new": "Lena Vogel", "email:new": "not an address"})
    status, _, page = stack.http("POST", edit, auth=False, headers=FORM, body=bad)
    assert status == 400 and "Not saved" in page


def test_a_rejection_forwarded_ten_days_late_starts_with_the_lateness_rules(stack: Any) -> None:
    # Given Ada forwards the rejection she received on 24 November only on 4 December
    address = register_ada(stack, with_application=True)
    stack.traveller.move_to(NOW + timedelta(days=10))
    stack.deliver_mail(corpus("rej-greenhouse-en-gmail.eml"), [address])
    text = plain_text(to_ada(stack)[0])
    assert "received Tue 24 Nov at 16:10 your time" in text
    status, _, page = stack.http("POST", link(text, "start"), auth=False, headers=FORM, body="")
    assert status == 200, page
    stack.pump()
    # Then the thank-yous (useful for 7 days after she learned of it) are too late, never sent
    steps = steps_of(stack, "ada-quinn", "northwind-staff-platform")
    thank_you = {s.recipient_name: s.state.value for s in steps if s.kind.value == "thank_you"}
    assert thank_you == {"Grace Park": "too_late", "Mei Tanaka": "too_late", "Sam Rivera": "too_late"}
