"""Forwarded rejections and invitations: unwrapping, the rejection decision, the calendar reading.

The corpus under tests/fixtures/mail/forwards/ is scored as a whole (precision and recall of the
rejection decision; accuracy of company, job title, received time and attendees), and the score
must stay above the issue's bar. Its expected values are the scenarios' truth (expected.json,
written by generate.py from the scenario list), never the parser's output.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nearmiss.domain.models import Role
from nearmiss.intake.mail.calendar import Invitation, read_invitation
from nearmiss.intake.mail.forwards import Original, Refusal, Sender, unwrap
from nearmiss.intake.mail.message import MailMessage, parse
from nearmiss.intake.mail.rejections import LEGAL_FORMS, RejectionDecision, decide

CORPUS = Path(__file__).parents[1] / "fixtures" / "mail" / "forwards"
EXPECTED: dict[str, dict[str, Any]] = json.loads((CORPUS / "expected.json").read_text())
MEMBER_ADDRESSES = ("ada.quinn@example.com",)
PRECISION, RECALL, EXTRACTION = 0.95, 0.90, 0.90


def _read(name: str) -> tuple[Original | Refusal, dict[str, Any]]:
    entry = EXPECTED[name]
    zone = ZoneInfo(entry["member_zone"]) if entry["member_zone"] else None
    return unwrap(parse((CORPUS / name).read_bytes()), member_zone=zone), entry


def _same_company(found: str | None, wanted: str | None) -> bool:
    # "Blauwal" and "Blauwal GmbH" name the same company; the legal form is not what the member reads.
    def key(name: str | None) -> str:
        words = (name or "").casefold().split()
        while words and words[-1] in LEGAL_FORMS:
            words.pop()
        return " ".join(words)

    return key(found) == key(wanted)


def _same_title(found: str | None, wanted: str | None) -> bool:
    return " ".join((found or "").casefold().split()) == " ".join((wanted or "").casefold().split())


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# --- the corpus and its score ---


def test_corpus_has_the_issues_minimum_of_each_kind() -> None:
    kinds = [entry["kind"] for entry in EXPECTED.values()]
    assert kinds.count("rejection") >= 30
    assert kinds.count("lookalike") >= 15
    assert kinds.count("invitation") >= 10
    assert {entry["language"] for entry in EXPECTED.values() if entry["kind"] == "rejection"} == {
        "en",
        "de",
        "fr",
        "es",
        "nl",
    }
    assert sorted(path.name for path in CORPUS.glob("*.eml")) == sorted(EXPECTED)


def test_corpus_score_is_above_the_bar(capsys: pytest.CaptureFixture[str]) -> None:
    true_pos = false_pos = false_neg = 0
    company = title = received = attendees = 0
    rejections = invitations = 0
    misses: list[str] = []
    for name, entry in sorted(EXPECTED.items()):
        original, _ = _read(name)
        if isinstance(original, Refusal):
            misses.append(f"{name}: refused ({original.reason})")
            false_neg += entry["is_rejection"]
            continue
        decision = decide(original)
        if decision.is_rejection and entry["is_rejection"]:
            true_pos += 1
        elif decision.is_rejection:
            false_pos += 1
            misses.append(f"{name}: false rejection ({decision.rule})")
        elif entry["is_rejection"]:
            false_neg += 1
            misses.append(f"{name}: missed rejection ({decision.reason}; {decision.rule})")
        if decision.received_at == _instant(entry["received_at"]):
            received += 1
        else:
            misses.append(f"{name}: received {decision.received_at} != {entry['received_at']}")
        if entry["kind"] == "rejection":
            rejections += 1
            if _same_company(decision.company, entry["company"]):
                company += 1
            else:
                misses.append(f"{name}: company {decision.company!r} != {entry['company']!r}")
            if _same_title(decision.job_title, entry["job_title"]):
                title += 1
            else:
                misses.append(f"{name}: title {decision.job_title!r} != {entry['job_title']!r}")
        if entry["kind"] == "invitation":
            invitations += 1
            invitation = read_invitation(
                original.attachments,
                own_addresses=MEMBER_ADDRESSES,
                default_zone=ZoneInfo(entry["member_zone"]),
            )
            wanted = {(a["name"], a["address"], a["role"]) for a in entry["attendees"]}
            if (
                isinstance(invitation, Invitation)
                and {(p.name, p.address, p.role.value) for p in invitation.people} == wanted
                and invitation.method == entry["method"]
                and invitation.sequence == entry["sequence"]
                and invitation.starts_at == _instant(entry["starts_at"])
            ):
                attendees += 1
            else:
                misses.append(f"{name}: invitation {invitation!r}")
    precision = true_pos / (true_pos + false_pos) if true_pos + false_pos else 0.0
    recall = true_pos / (true_pos + false_neg) if true_pos + false_neg else 0.0
    scores = {
        "precision": precision,
        "recall": recall,
        "company": company / rejections,
        "job_title": title / rejections,
        "received_at": received / len(EXPECTED),
        "attendees": attendees / invitations,
    }
    with capsys.disabled():
        lookalikes = len(EXPECTED) - rejections - invitations
        print(
            f"\nforward corpus: {rejections} rejections, {lookalikes} look-alikes, {invitations} invitations"
        )
        print("  " + ", ".join(f"{key} {value:.3f}" for key, value in scores.items()))
        for miss in misses:
            print("  miss: " + miss)
    assert precision >= PRECISION, misses
    assert recall >= RECALL, misses
    for key in ("company", "job_title", "received_at", "attendees"):
        assert scores[key] >= EXTRACTION, (key, misses)


def test_wording_the_tables_were_not_written_from_is_never_called_a_rejection_wrongly(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The corpus above shaped the phrase tables, so its score measures the corpus. holdout.json holds
    # mails in other wording: those marked "shaped_tables" were tuned on (development data), the
    # others were scored once and never tuned on. Recall on them is printed for the record, and a
    # false "rejection" (the costly error: the playbook would start) is never allowed.
    mails = json.loads((CORPUS / "holdout.json").read_text())["mails"]
    false_pos = 0
    lines = []
    for shaped in (True, False):
        subset = [mail for mail in mails if mail["shaped_tables"] is shaped]
        found = [
            (
                mail["is_rejection"],
                decide(_original(mail["subject"], mail["text"], Sender(mail["sender"], None))),
            )
            for mail in subset
        ]
        rejections = sum(1 for wanted, _ in found if wanted)
        caught = sum(1 for wanted, decision in found if wanted and decision.is_rejection)
        wrong = sum(1 for wanted, decision in found if not wanted and decision.is_rejection)
        false_pos += wrong
        label = "shaped the tables" if shaped else "never tuned on"
        lines.append(
            f"{label}: {caught}/{rejections} rejections caught, {wrong}/{len(found) - rejections} false"
        )
    with capsys.disabled():
        print("\nheld-out wording: " + "; ".join(lines))
    assert false_pos == 0


# --- unwrap: the forms and their edge cases ---


def _forward(text: str, *, subject: str = "Fwd: Your application", date: str | None = None) -> MailMessage:
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = "Ada Quinn <ada.quinn@example.com>"
    message["To"] = "in+k7Q2xv9Lm3@in.nearmiss.example"
    message["Subject"] = subject
    message["Date"] = date or "Tue, 24 Nov 2026 19:27:00 +0100"
    message.set_content(text)
    return parse(message.as_bytes())


def test_the_original_date_is_the_forwarded_headers_not_the_forwards_own() -> None:
    # Given a Gmail forward sent at 19:27 of a mail received at 16:10 (Berlin)
    message = _forward(
        "---------- Forwarded message ---------\nFrom: Northwind <jobs@northwind.example>\n"
        "Date: Tue, Nov 24, 2026 at 4:10 PM\nSubject: Your application\nTo: <ada.quinn@example.com>\n\nHello"
    )
    # When it is unwrapped for a member in Berlin
    original = unwrap(message, member_zone=ZoneInfo("Europe/Berlin"))
    # Then the date is the original's, read on the member's clock
    assert isinstance(original, Original)
    assert original.date == datetime(2026, 11, 24, 15, 10, tzinfo=UTC)
    assert original.date_zone_assumed
    assert original.sender == Sender("Northwind", "jobs@northwind.example")
    assert original.text == "Hello"
    assert original.form == "gmail"


def test_without_the_members_zone_the_forwards_own_offset_reads_the_time() -> None:
    message = _forward(
        "---------- Forwarded message ---------\nFrom: Northwind <jobs@northwind.example>\n"
        "Date: Tue, Nov 24, 2026 at 4:10 PM\nSubject: Your application\nTo: <ada.quinn@example.com>\n",
        date="Tue, 24 Nov 2026 19:27:00 -0500",
    )
    original = unwrap(message)
    assert isinstance(original, Original)
    assert original.date == datetime(2026, 11, 24, 21, 10, tzinfo=UTC)


def test_a_date_that_names_its_zone_is_taken_as_written() -> None:
    message = _forward(
        "Begin forwarded message:\n\nFrom: Northwind <jobs@northwind.example>\nSubject: Your application\n"
        "Date: 24 November 2026 at 08:10:00 PST\nTo: Ada Quinn <ada.quinn@example.com>\n\nHello"
    )
    original = unwrap(message, member_zone=ZoneInfo("Europe/Berlin"))
    assert isinstance(original, Original)
    assert original.date == datetime(2026, 11, 24, 16, 10, tzinfo=UTC)
    assert not original.date_zone_assumed
    assert original.form == "apple"


def test_a_reply_history_below_the_original_is_not_mistaken_for_a_deeper_forward() -> None:
    # Given an Outlook forward of a reply ("RE:") that quotes the member's own earlier mail
    message = _forward(
        "________________________________\nFrom: Mei Tanaka <mei@northwind.example>\n"
        "Sent: Tuesday, November 24, 2026 4:10 PM\nTo: Ada Quinn <ada.quinn@example.com>\n"
        "Subject: RE: Staff Platform Engineer\n\nHi Ada, unfortunately we will not be moving forward.\n\n"
        "________________________________\nFrom: Ada Quinn <ada.quinn@example.com>\n"
        "Sent: Monday, November 23, 2026 9:00 AM\nTo: Mei Tanaka <mei@northwind.example>\n"
        "Subject: Staff Platform Engineer\n\nAny news?",
        subject="FW: RE: Staff Platform Engineer",
    )
    original = unwrap(message, member_zone=ZoneInfo("Europe/Berlin"))
    # Then the original is Mei's reply, not Ada's quoted question
    assert isinstance(original, Original)
    assert original.sender.address == "mei@northwind.example"
    assert original.depth == 1
    assert "Any news?" in original.text  # the quoted history stays part of the reply's text


def test_nested_forwards_yield_the_innermost_original() -> None:
    message = _forward(
        "---------- Forwarded message ---------\nFrom: Ada Q <ada@home.example>\n"
        "Date: Tue, Nov 24, 2026 at 5:00 PM\nSubject: Fwd: Your application\nTo: <ada.quinn@example.com>\n\n"
        "---------- Forwarded message ---------\nFrom: Northwind <jobs@northwind.example>\n"
        "Date: Tue, Nov 24, 2026 at 4:10 PM\nSubject: Your application\nTo: <ada@home.example>\n\nInner text"
    )
    original = unwrap(message, member_zone=ZoneInfo("Europe/Berlin"))
    assert isinstance(original, Original)
    assert original.sender.address == "jobs@northwind.example"
    assert original.depth == 2
    assert original.text == "Inner text"


def test_an_outlook_sender_shown_by_name_only_keeps_the_name() -> None:
    message = _forward(
        "Von: Blauwal Recruiting\nGesendet: Dienstag, 24. November 2026 16:10\nAn: Ada Quinn\n"
        "Betreff: Ihre Bewerbung\n\nText",
        subject="WG: Ihre Bewerbung",
    )
    original = unwrap(message, member_zone=ZoneInfo("Europe/Berlin"))
    assert isinstance(original, Original)
    assert original.sender == Sender("Blauwal Recruiting", None)
    assert original.sender.domain is None
    assert original.date == datetime(2026, 11, 24, 15, 10, tzinfo=UTC)


def test_an_attached_original_keeps_its_own_html_and_date() -> None:
    original, entry = _read("rej-smartrecruiters-fr-attached-html.eml")
    assert isinstance(original, Original)
    assert original.form == "attached"
    assert original.html is not None and "Mistral" in original.html
    assert original.date == _instant(entry["received_at"])


# --- bad input: a clear reason, never an exception ---


def test_a_mail_that_is_not_a_forward_is_refused_with_the_reason() -> None:
    assert unwrap(_forward("Hi, what do you think of this job?")) == Refusal(
        "not a forward: no forwarded header block and no attached message"
    )


def test_a_forwarded_header_without_a_date_is_refused_with_the_reason() -> None:
    message = _forward(
        "---------- Forwarded message ---------\nFrom: Northwind <jobs@northwind.example>\n"
        "Subject: Your application\nTo: <ada.quinn@example.com>\n\nHello"
    )
    assert unwrap(message) == Refusal("forwarded message: no Date line in the forwarded header")


def test_an_unreadable_forwarded_date_is_refused_with_the_reason() -> None:
    message = _forward(
        "---------- Forwarded message ---------\nFrom: Northwind <jobs@northwind.example>\n"
        "Date: sometime last week\nSubject: Your application\nTo: <ada.quinn@example.com>\n"
    )
    assert unwrap(message) == Refusal("forwarded message: the Date line is not a readable date")


def test_an_attached_original_without_a_date_is_refused_with_the_reason() -> None:
    inner = EmailMessage(policy=policy.SMTP)
    inner["From"] = "Northwind <jobs@northwind.example>"
    inner["Subject"] = "Your application"
    inner.set_content("Unfortunately we will not be moving forward.")
    outer = EmailMessage(policy=policy.SMTP)
    outer["From"] = "ada.quinn@example.com"
    outer["Subject"] = "Fwd: Your application"
    outer["Date"] = "Tue, 24 Nov 2026 19:27:00 +0100"
    outer.set_content("see attached")
    outer.add_attachment(inner)
    assert unwrap(parse(outer.as_bytes())) == Refusal("attached message: Date header missing")


def test_an_unreadable_message_is_a_mail_error_before_unwrapping() -> None:
    from nearmiss.intake.mail.message import MailError

    with pytest.raises(MailError, match="message: empty"):
        parse(b"   ")


# --- the decision, on single mails ---


NORTHWIND = Sender("Northwind Data", "jobs@northwind.example")


def _original(subject: str, text: str, sender: Sender = NORTHWIND) -> Original:
    return Original(
        sender=sender,
        date=datetime(2026, 11, 24, 15, 10, tzinfo=UTC),
        subject=subject,
        text=text,
        html=None,
        attachments=(),
        to=(),
        form="gmail",
        depth=1,
    )


def test_a_rejection_inside_a_look_alike_phrase_is_still_a_rejection() -> None:
    # "move forward with your application" is a next-round phrase, but here it is negated.
    decision = decide(
        _original("Your application", "We won't be able to move forward with your application.")
    )
    assert decision.is_rejection


def test_a_conditional_rejection_in_an_acknowledgement_is_no_rejection() -> None:
    decision = decide(
        _original(
            "Application received",
            "We have received your application. If you do not hear from us within 4 weeks, we have decided "
            "not to proceed.",
        )
    )
    assert not decision.is_rejection
    assert decision.reason == "reads as conditional"


def test_a_negated_look_alike_phrase_does_not_outweigh_the_no() -> None:
    # Given a Dutch "we will not invite you to the next round": "volgende ronde" is a next-round phrase
    decision = decide(
        _original("Update", "Beste Ada, we hebben besloten je niet uit te nodigen voor de volgende ronde.")
    )
    # Then the "niet" before it makes it a rejection, and the rule says which words decided
    assert decision.is_rejection
    assert "nl:rejection:niet … uit te nodigen" in decision.rule


def test_a_regret_about_a_delay_before_an_invitation_is_no_rejection() -> None:
    decision = decide(
        _original(
            "Next steps",
            "Hi Ada, unfortunately we are not able to keep Thursday's slot. We regret the delay and "
            "we'd like to invite you to interview next week instead.",
        )
    )
    assert not decision.is_rejection
    assert decision.reason == "reads as invitation"


def test_an_aside_in_another_clause_does_not_undo_the_no() -> None:
    # "Unterlagen" (documents) is an aside, but it belongs to the second clause, not to the "no"
    decision = decide(
        _original(
            "Ihre Bewerbung",
            "Wir haben uns leider gegen eine Zusammenarbeit entschieden, "
            "bewahren Ihre Unterlagen aber gerne auf.",
        )
    )
    assert decision.is_rejection


def test_the_company_comes_from_the_display_name_not_the_ats_domain() -> None:
    decision = decide(
        _original(
            "Thanks",
            "Unfortunately we will not be moving forward.",
            Sender("Northwind Data via Greenhouse", "no-reply@greenhouse.io"),
        )
    )
    assert decision.company == "Northwind Data"
    assert decision.company_domain is None


def test_the_company_domain_is_kept_for_plain_company_mail() -> None:
    decision = decide(
        _original(
            "Senior SRE",
            "We regret to inform you that we have decided not to proceed.",
            Sender("Mei Tanaka", "mei.tanaka@orbitalfoods.example"),
        )
    )
    assert decision.company_domain == "orbitalfoods.example"
    assert decision.company == "Orbitalfoods"  # the domain is the last resort when the mail names no company


# --- the calendar ---


def test_an_invitation_with_only_the_member_adds_nobody() -> None:
    original, _ = _read("inv-only-member.eml")
    assert isinstance(original, Original)
    invitation = read_invitation(original.attachments, own_addresses=MEMBER_ADDRESSES)
    assert isinstance(invitation, Invitation)
    assert invitation.people == ()


def test_an_update_supersedes_the_first_invitation_and_a_cancel_is_marked() -> None:
    first, update, cancel = (
        read_invitation(original.attachments, own_addresses=MEMBER_ADDRESSES)
        for original in (
            _read(name)[0]
            for name in ("inv-google-request.eml", "inv-google-update.eml", "inv-google-cancel.eml")
        )
        if isinstance(original, Original)
    )
    assert isinstance(first, Invitation) and isinstance(update, Invitation) and isinstance(cancel, Invitation)
    assert update.supersedes(first) and not first.supersedes(update)
    assert cancel.cancelled and cancel.supersedes(update)
    assert update.organizer is not None and update.organizer.role is Role.RECRUITER


def test_a_mail_without_a_calendar_part_is_no_invitation() -> None:
    assert read_invitation((), own_addresses=MEMBER_ADDRESSES) == Refusal("invitation: no calendar part")


def test_an_unreadable_calendar_part_is_refused() -> None:
    from nearmiss.intake.mail.message import Attachment

    broken = Attachment("invite.ics", "text/calendar", b"BEGIN:VCALENDAR\nthis is not ical\x00", inline=True)
    assert read_invitation((broken,), own_addresses=MEMBER_ADDRESSES) == Refusal(
        "invitation: calendar part not readable"
    )


# --- never an exception ---

_LINES = st.sampled_from(
    [
        "---------- Forwarded message ---------",
        "Begin forwarded message:",
        "________________________________",
        "From: Northwind <jobs@northwind.example>",
        "Von: Blauwal",
        "Date: Tue, Nov 24, 2026 at 4:10 PM",
        "Datum: 31. Februar 2026 um 25:61",
        "Sent: 99/99/9999",
        "Subject: Fwd: Your application",
        "Betreff: Re:",
        "To: <",
        "> > From: a@b",
        "unfortunately we will not be moving forward",
        "",
    ]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_LINES | st.text(max_size=60), max_size=25), st.text(max_size=40))
def test_unwrap_and_decide_never_raise_on_arbitrary_text(lines: list[str], subject: str) -> None:
    message = _forward("\n".join(lines), subject=" ".join(subject.splitlines()).strip() or "x")
    result = unwrap(message, member_zone=ZoneInfo("Europe/Berlin"))
    assert isinstance(result, Original | Refusal)
    if isinstance(result, Original):
        assert result.date.tzinfo is not None
        assert isinstance(decide(result), RejectionDecision)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300), st.text(max_size=80), st.text(max_size=40))
def test_decide_never_raises_on_arbitrary_text(text: str, subject: str, name: str) -> None:
    decision = decide(_original(subject, text, Sender(name, None)))
    assert isinstance(decision.is_rejection, bool)
