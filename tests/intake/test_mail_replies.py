"""What arrives at a note's reply address, classified: the corpus under tests/fixtures/mail/replies/
(written by hand from the public formats; expected.json says what each one is), the phrase-table
false positives, the quoted-history cut, return dates, and hostile input that must never raise."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nearmiss.intake.mail.message import (
    MAX_HEADERS,
    MAX_MESSAGE_BYTES,
    MAX_PARSED_HEADER_CHARS,
    MailError,
    parse,
)
from nearmiss.intake.mail.replies import ReplyClass, classify, new_text, return_date

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "mail" / "replies"
EXPECTED: dict[str, dict[str, Any]] = json.loads((CORPUS / "expected.json").read_text())
# The corpus's messages are dated 1 December 2026; the receiver reads them the next morning.
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def got(name: str) -> dict[str, Any]:
    """What the system makes of one corpus file, in the manifest's shape."""
    try:
        message = parse((CORPUS / name).read_bytes())
    except MailError:
        return {"kind": "unreadable", "return_date": None, "bounced": [], "permanent": False}
    verdict = classify(message, now=NOW)
    return {
        "kind": verdict.kind,
        "return_date": verdict.return_date.isoformat() if verdict.return_date else None,
        "bounced": list(verdict.bounced),
        "permanent": verdict.permanent,
    }


def test_the_manifest_and_the_corpus_name_the_same_files() -> None:
    on_disk = {path.name for path in CORPUS.glob("*.eml")}
    assert on_disk == set(EXPECTED)
    assert len(on_disk) >= 40


def test_every_message_in_the_corpus_is_classified_as_the_manifest_says() -> None:
    # Given every file of the corpus, when each is parsed and classified,
    results = {name: got(name) for name in sorted(EXPECTED)}
    # then the counts by kind and the confusion (expected -> got) are printed for the report,
    counts = Counter(entry["kind"] for entry in EXPECTED.values())
    confusion = Counter((EXPECTED[name]["kind"], results[name]["kind"]) for name in results)
    print("\ncorpus by kind:", dict(sorted(counts.items())))
    print("confusion (expected -> got):")
    for (want, have), count in sorted(confusion.items()):
        print(f"  {want:>13} -> {have:<13} {count}")
    # and every field matches.
    mismatches = {
        name: {"expected": {k: EXPECTED[name][k] for k in result}, "got": result}
        for name, result in results.items()
        if result != {k: EXPECTED[name][k] for k in result}
    }
    assert not mismatches, json.dumps(mismatches, indent=2, ensure_ascii=False)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_reason_names_a_rule_never_the_content(name: str) -> None:
    raw = (CORPUS / name).read_bytes()
    if EXPECTED[name]["kind"] == "unreadable":
        with pytest.raises(MailError) as refused:
            parse(raw)
        assert "@" not in refused.value.reason
        return
    message = parse(raw)
    verdict = classify(message, now=NOW)
    assert verdict.reason
    assert "@" not in verdict.reason  # no address, no quoted text
    if message.from_ is not None:
        assert message.from_.name.lower() not in verdict.reason.lower() or not message.from_.name


def test_a_reply_over_the_size_limit_is_refused_before_it_is_read() -> None:
    # Given a reply with an attachment that takes it past the limit (generated: no megabytes committed)
    head = (CORPUS / "human_short_plain.eml").read_bytes()
    padding = b"A" * 76 + b"\n"
    raw = head + b"\n" + padding * (MAX_MESSAGE_BYTES // len(padding) + 1)
    assert len(raw) > MAX_MESSAGE_BYTES
    # When it is parsed, then it is refused with a reason that names the limit, not the content.
    with pytest.raises(MailError, match="over the limit"):
        parse(raw)


def classified(text: str, *, subject: str = "Re: Checking in", headers: str = "") -> ReplyClass:
    raw = (
        f"From: Grace Hopper <grace@acme.example>\nTo: reply+t@reply.nearmiss.example\nSubject: {subject}\n"
        f"Date: Tue, 01 Dec 2026 14:32:10 +0100\n{headers}Content-Type: text/plain; charset=utf-8\n\n{text}"
    ).encode()
    return classify(parse(raw), now=NOW)


@pytest.mark.parametrize(
    "text",
    [
        "Thanks, no need to stop by.",
        "Please stop by my office on Tuesday.",
        "Feel free to stop by anytime!",
        "Don't stop sending your updates, we read them.",
        "I'll remove the meeting from my calendar.",
        "We can't stop the hiring freeze, sorry.",
        "The bus stop is right outside our office.",
        "Kommen Sie gern vorbei, wir hören Ihnen zu.",
        "Ich muss den Termin leider absagen, melde mich aber.",
        "N'hésitez pas à me contacter.",
        "No dudes en escribirme de nuevo en enero.",
        "Neem gerust contact met me op in januari.",
        "Stop by when you are in town and we will talk about stopping the old pipeline.",
        "Thanks!\n\n> Reply stop or unsubscribe if you would rather not hear from me.",
    ],
)
def test_harmless_replies_are_not_stop_requests(text: str) -> None:
    assert classified(text).kind == "human"


@pytest.mark.parametrize(
    "text",
    [
        "Please stop.",
        "stop",
        "Stop, please!",
        "Unsubscribe",
        "Please take me off your list.",
        "Stop emailing me.",
        "I'm not interested, please stop.",
        "Do not contact me again.",
        "No more emails, thanks.",
        "Bitte nicht mehr kontaktieren.",
        "Tragen Sie mich bitte aus.",
        "Keine weiteren E-Mails mehr, danke.",
        "Ne me contactez plus.",
        "Veuillez ne plus m'écrire.",
        "Arrêtez de m'envoyer des messages.",
        "No me contacten más, gracias.",
        "Quiero darme de baja.",
        "Gelieve mij niet meer te mailen.",
        "Verwijder mij alstublieft.",
    ],
)
def test_a_reply_asking_to_stop_is_a_stop_request(text: str) -> None:
    verdict = classified(text)
    assert verdict.kind == "stop_request", verdict


def test_a_stop_word_in_the_subject_alone_is_a_stop_request() -> None:
    assert classified("", subject="Unsubscribe").kind == "stop_request"


def test_an_auto_reply_that_mentions_stop_is_still_an_auto_reply() -> None:
    verdict = classified("Reply STOP to unsubscribe.", headers="Auto-Submitted: auto-replied\n")
    assert verdict.kind == "auto_reply"


def test_x_auto_response_suppress_alone_does_not_make_a_reply_automatic() -> None:
    verdict = classified("Sounds good, talk Monday.", headers="X-Auto-Response-Suppress: All\n")
    assert verdict.kind == "human"


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("Auto-Submitted", "auto-replied"),
        ("Auto-Submitted", "auto-generated"),
        ("Auto-Submitted", "auto-notified"),
        ("X-Autoreply", "yes"),
        ("X-Autorespond", "Out of office"),
        ("Precedence", "auto_reply"),
        ("Precedence", "bulk"),
        ("Precedence", "junk"),
        ("Precedence", "list"),
        ("X-MS-Exchange-Inbox-Rules-Loop", "grace@acme.example"),
        ("X-MS-Exchange-Generated-Message-Source", "Mailbox Rules Agent"),
        ("List-Id", "<jobs.lists.acme.example>"),
        ("List-Unsubscribe", "<mailto:leave@lists.acme.example>"),
        ("Return-Path", "<>"),
    ],
)
def test_each_automatic_header_makes_an_auto_reply(header: str, value: str) -> None:
    verdict = classified("Thanks for your message.", headers=f"{header}: {value}\n")
    assert verdict.kind == "auto_reply", verdict


def test_auto_submitted_no_is_a_person() -> None:
    assert classified("Thanks, talk soon.", headers="Auto-Submitted: no\n").kind == "human"


@pytest.mark.parametrize(
    "subject",
    [
        "Automatic reply: Checking in",
        "Out of Office: Checking in",
        "Out of Office AutoReply: Checking in",
        "Abwesenheitsnotiz: Checking in",
        "Automatische Antwort: Checking in",
        "Réponse automatique : Checking in",
        "Absence du bureau",
        "Respuesta automática: Checking in",
        "Fuera de la oficina: Checking in",
        "Automatisch antwoord: Checking in",
        "Afwezig: Checking in",
        "[External] Automatic reply: Checking in",
    ],
)
def test_auto_reply_subjects_in_five_languages_are_automatic(subject: str) -> None:
    assert classified("Thank you for your message.", subject=subject).kind in ("auto_reply", "out_of_office")


def test_a_person_whose_subject_mentions_absence_later_is_still_a_person() -> None:
    assert classified("See you then.", subject="Re: your absence form and the out of office policy").kind == (
        "human"
    )


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("i will be back on 14 december.", "en", date(2026, 12, 14)),
        ("i'm away until monday 7th.", "en", date(2026, 12, 7)),
        ("i'm out until monday.", "en", date(2026, 12, 7)),  # 2 Dec 2026 is a Wednesday
        ("out of office through 11 december.", "en", date(2026, 12, 12)),
        ("back on 12/14.", "en", date(2026, 12, 14)),
        ("back on 5 january.", "en", date(2027, 1, 5)),  # no year: the next 5 January
        ("zurück am 14.12.", "de", date(2026, 12, 14)),
        ("ab montag, den 14. dezember wieder im büro.", "de", date(2026, 12, 14)),
        ("je serai de retour le 14 décembre.", "fr", date(2026, 12, 14)),
        ("estaré de vuelta el 14 de diciembre.", "es", date(2026, 12, 14)),
        ("ik ben terug op 14 december.", "nl", date(2026, 12, 14)),
        ("back on 20 november 2026.", "en", None),  # past
        ("back on 3 march 2028.", "en", None),  # more than a year ahead
        ("back soon, with limited access to email.", "en", None),
        ("zurück am 31.02.", "de", None),  # no such day
    ],
)
def test_return_dates_are_read_relative_to_now(text: str, language: Any, expected: date | None) -> None:
    assert return_date(text, language, now=NOW) == expected


def test_a_relative_return_date_is_read_from_the_message_date() -> None:
    # Sent on Friday 27 November, read on Wednesday 2 December: "Monday" was 30 November, past.
    sent = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    assert return_date("i'm out until monday.", "en", now=NOW, sent=sent) is None
    # Sent on Tuesday 1 December: "Monday" is 7 December.
    sent = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert return_date("i'm out until monday.", "en", now=NOW, sent=sent) == date(2026, 12, 7)


def test_a_naive_now_is_read_as_utc() -> None:
    message = parse((CORPUS / "ooo_outlook_en_date.eml").read_bytes())
    assert classify(message, now=NOW.replace(tzinfo=None)).return_date == date(2026, 12, 14)


def test_a_body_of_repeated_triggers_costs_a_bounded_number_of_date_reads() -> None:
    raw = (
        b"From: a@x.example\nSubject: Out of Office\nAuto-Submitted: auto-replied\n\n" + b"back on 1. " * 400
    )
    started = time.perf_counter()
    verdict = classify(parse(raw), now=NOW)
    assert verdict.kind == "out_of_office"
    assert time.perf_counter() - started < 2.0


def test_new_text_drops_the_quoted_history_of_each_client() -> None:
    expected_first_lines = {
        "human_gmail_quoted.eml": "Hi Ada,",
        "human_outlook_html_toppost.eml": "Hi Ada,",
        "human_outlook_alternative.eml": "Hi Ada,",
        "human_german.eml": "Hallo Ada,",
        "human_german_outlook.eml": "Liebe Ada,",
        "human_french.eml": "Bonjour Ada,",
        "human_french_outlook.eml": "Bonjour,",
        "human_assistant.eml": "Dear Ada,",
    }
    for name, first in expected_first_lines.items():
        text = new_text(parse((CORPUS / name).read_bytes()))
        assert text.splitlines()[0] == first, name
        history_marks = ("wrote:", "Uhr schrieb", "a écrit", "From:", "Von:", "De :", "Sent:", "Merci encore")
        history_marks += ("Thank you again",)
        for history in history_marks:
            assert history not in text, (name, history)


def test_new_text_keeps_the_writers_lines_between_quotes() -> None:
    message = parse(
        b"From: g@acme.example\nSubject: Re: x\nContent-Type: text/plain\n\n"
        b"> Would January work?\nYes, the 12th.\n> And the team?\nLinus will join.\n"
    )
    assert new_text(message) == "Yes, the 12th.\nLinus will join."


def test_html_text_after_a_blockquote_is_not_quoted() -> None:
    message = parse(
        b"From: g@acme.example\nSubject: Re: x\nContent-Type: text/html\n\n"
        b"<blockquote>Would January work?</blockquote><p>Yes, the 12th.</p>"
    )
    assert [line for line in message.text.splitlines() if line] == ["> Would January work?", "Yes, the 12th."]
    assert new_text(message) == "Yes, the 12th."


def test_a_reply_whose_boundary_never_appears_keeps_its_words() -> None:
    message = parse((CORPUS / "malformed_broken_boundary.eml").read_bytes())
    assert "Thanks Ada, talk soon." in new_text(message)


def test_a_delivery_report_is_one_part_not_empty_body_text() -> None:
    message = parse((CORPUS / "dsn_permanent_postfix.eml").read_bytes())
    (report,) = message.parts_of_type("message/delivery-status")
    assert b"Final-Recipient: rfc822; grace@acme.example" in report
    assert b"Status: 5.1.1" in report
    assert "Final-Recipient" not in message.text


def test_dateparser_is_not_imported_until_an_out_of_office_needs_it() -> None:
    code = (
        "import sys; import nearmiss.intake.mail.replies as r;"
        "from nearmiss.intake.mail.message import parse;"
        "from datetime import datetime, UTC;"
        "r.classify(parse(b'From: a@b.example\\nSubject: Re: hi\\n\\nThanks!'), now=datetime.now(UTC));"
        "print('dateparser' in sys.modules)"
    )
    shared = str(Path(__file__).resolve().parents[2] / "shared")
    out = subprocess.run(  # noqa: S603 - a fresh interpreter to see what the import pulls in
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env={"PYTHONPATH": shared}
    )
    assert out.stdout.strip() == "False"


# --- hostile input: classify never raises on anything that parses ---


def _classify_if_parsed(raw: bytes) -> None:
    try:
        message = parse(raw)
    except MailError:
        return
    verdict = classify(message, now=NOW)
    assert verdict.kind in ("human", "stop_request", "auto_reply", "out_of_office", "bounce")
    assert isinstance(new_text(message), str)
    if verdict.return_date is not None:
        assert NOW.date() <= verdict.return_date <= date(2027, 12, 3)


@PROPERTY
@given(st.binary(max_size=2000))
def test_classify_never_raises_on_arbitrary_bytes(raw: bytes) -> None:
    _classify_if_parsed(raw)


HEADER_NAMES = [
    "Auto-Submitted",
    "X-Autoreply",
    "Precedence",
    "List-Id",
    "Return-Path",
    "Subject",
    "From",
    "Date",
    "Content-Type",
    "Content-Transfer-Encoding",
    "X-MS-Exchange-Generated-Message-Source",
]
CONTENT_TYPES = [
    "text/plain; charset=utf-8",
    "text/html; charset=iso-8859-1",
    'multipart/report; report-type=delivery-status; boundary="b"',
    'multipart/mixed; boundary="b"',
    "message/delivery-status",
    "text/plain; charset=x-nope",
]
BODY_WORDS = st.sampled_from(
    [
        "back on",
        "until",
        "14.12.",
        "Monday",
        "31/02",
        "zurück am",
        "de retour le",
        "hasta el",
        "tot en met",
        "stop",
        "unsubscribe",
        "--b",
        "--b--",
        "Content-Type: message/delivery-status",
        "Final-Recipient: rfc822;",
        "Action: failed",
        "Status: 5.1.1",
        "Status: 4.",
        "> ",
        "On Tue wrote:",
        "From: x",
        "Sent: y",
        "\n",
        "\n\n",
        "é",
        "\u202e",
        "@",
        "9999",
    ]
)


@PROPERTY
@given(
    headers=st.lists(
        st.tuples(st.sampled_from(HEADER_NAMES), st.text(max_size=60).map(lambda s: " ".join(s.split()))),
        max_size=8,
    ),
    content_type=st.sampled_from(CONTENT_TYPES),
    body=st.lists(BODY_WORDS | st.text(max_size=20), max_size=40).map(" ".join),
)
def test_classify_never_raises_on_mail_shaped_input(
    headers: list[tuple[str, str]], content_type: str, body: str
) -> None:
    head = "".join(f"{name}: {value}\n" for name, value in headers)
    raw = f"{head}Content-Type: {content_type}\n\n{body}".encode("utf-8", "surrogatepass")
    _classify_if_parsed(raw)


# --- hostile sizes: linear time (each of these took minutes with the first regexes) ---

HOSTILE = {
    "a bounce body of one long word": b"From: MAILER-DAEMON@x.example\nSubject: Undeliverable\n\n"
    + b"a" * 300_000,
    "unclosed script tags": b"From: a@x.example\nSubject: Re: hi\nContent-Type: text/html\n\n"
    + b"<script " * 40_000,
    "a million angle brackets": b"From: a@x.example\nSubject: Re: hi\nContent-Type: text/html\n\n"
    + b"<" * 300_000,
    "a subject of 300 kB": b"From: a@x.example\nSubject: " + b"re: " * 75_000 + b"\n\nhi",
    "header-block lines": b"From: a@x.example\nSubject: Re: hi\n\n" + b"From: x\n" * 40_000,
    "attribution lines": b"From: a@x.example\nSubject: Re: hi\n\n" + b"On a <b@c.example> wrote:\n" * 10_000,
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_sizes_are_read_in_linear_time(name: str) -> None:
    started = time.perf_counter()
    message = parse(HOSTILE[name])
    classify(message, now=NOW)
    new_text(message)
    assert time.perf_counter() - started < 5.0  # seconds on a loaded 2-core machine; quadratic was minutes


def test_a_header_too_long_to_parse_is_kept_as_its_raw_text() -> None:
    subject = "=?utf-8?q?caf=C3=A9?= " + "x" * (MAX_PARSED_HEADER_CHARS + 10)
    message = parse(f"From: a@x.example\nSubject: {subject}\n\nhi".encode())
    assert message.subject.startswith("=?utf-8?q?caf=C3=A9?= xxx")  # not decoded, but kept


def test_a_message_with_more_headers_than_any_real_one_is_refused() -> None:
    raw = b"From: a@x.example\n" + b"X-Filler: y\n" * MAX_HEADERS + b"\nhi"
    with pytest.raises(MailError, match="headers"):
        parse(raw)


# --- the MIME part bomb (review finding 3): refused before the stdlib builds the tree ---

_HEAD = b"From: Grace <g@x.example>\r\nTo: reply+abc@r.example\r\nSubject: Re: hi\r\n"


def _part_bomb(parts: int, newline: bytes = b"\r\n") -> bytes:
    body = b"".join(b"--b" + newline + newline + b"x" + newline for _ in range(parts)) + b"--b--" + newline
    return _HEAD + b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" + body


@pytest.mark.parametrize(
    "raw",
    [
        _part_bomb(50_000),
        _part_bomb(50_000, newline=b"\r"),  # the stdlib splits lines on a bare CR too
        _HEAD + b"\r\n" + b"\n" * 9_000_000,  # millions of empty lines, one part
        _HEAD + b"\r\n" + b"\r" * 9_000_000,
        _HEAD + b"X-A: y\r\n" * 200_000 + b"\r\nhi\r\n",  # a header block of 200,000 lines
    ],
    ids=["parts", "parts-cr", "empty-lines", "empty-lines-cr", "header-lines"],
)
def test_a_message_built_to_make_the_parser_slow_is_refused_before_it_parses(
    raw: bytes, monkeypatch: Any
) -> None:
    from nearmiss.intake.mail import message as message_module

    def never(*args: object, **kwargs: object) -> object:
        raise AssertionError("the stdlib parser was reached")

    monkeypatch.setattr(message_module, "BytesFeedParser", never)
    started = time.perf_counter()
    with pytest.raises(MailError, match="more than"):
        parse(raw)
    assert time.perf_counter() - started < 0.5


def test_a_real_message_under_the_caps_still_parses() -> None:
    # 90 attachments, 5.5 MB of base64 (lines of 76): under both caps
    import base64

    att = base64.encodebytes(b"\x00" * 45_000)
    parts = b"".join(
        b"--b\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
        b'Content-Disposition: attachment; filename="f%d.pdf"\r\n\r\n' % i + att
        for i in range(90)
    )
    body = b"--b\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n" + parts + b"--b--\r\n"
    raw = _HEAD + b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" + body
    message = parse(raw)
    assert len(message.attachments) == 90 and message.text.strip() == "See attached."
