"""The decisions behind a member's forward, one at a time: who vouches for the From address, which
application an invitation belongs to, the intake token, the answer's words."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from nearmiss.domain import tokens
from nearmiss.domain.inbound import Header, ses_dkim_domains, vouched_for
from nearmiss.domain.models import Application, Candidate, Contact, Role
from nearmiss.domain.records import ForwardPerson, ForwardRecord
from nearmiss.service.forwards import (
    ForwardIntake,
    IntakeAddresses,
    application_id_for,
    match_application,
    member_addresses,
)
from nearmiss.service.links import Links
from nearmiss.service.ports import LinkGeneration
from nearmiss_local.fakes import MemoryStore

SECRET = b"k" * 32
PASS = {"spam": "PASS", "virus": "PASS", "spf": "PASS", "dkim": "PASS", "dmarc": "PASS"}
NOW = datetime(2026, 11, 24, 15, 10, tzinfo=UTC)


def ses_results(value: str) -> list[Header]:
    return [Header(name="Authentication-Results", value=value), Header(name="From", value="x")]


# ---- who vouches for the From domain ----------------------------------------------------------------
def test_dmarc_pass_vouches_whatever_else_failed() -> None:
    verdicts = {**PASS, "spf": "FAIL", "dkim": "FAIL"}
    assert vouched_for("example.com", verdicts, envelope_from="x@bounce.other", dkim_domains=frozenset()).ok


def test_dkim_pass_vouches_only_when_the_signature_is_of_an_aligned_domain() -> None:
    verdicts = {**PASS, "spf": "FAIL", "dmarc": "FAIL"}
    aligned = frozenset({"mail.example.com"})
    other = frozenset({"attacker.example"})
    assert vouched_for("example.com", verdicts, envelope_from="", dkim_domains=aligned).ok
    assert not vouched_for("example.com", verdicts, envelope_from="", dkim_domains=other).ok


def test_spf_pass_vouches_only_for_an_aligned_envelope_sender() -> None:
    verdicts = {**PASS, "dkim": "FAIL", "dmarc": "FAIL"}
    assert vouched_for("example.com", verdicts, envelope_from="b@example.com", dkim_domains=frozenset()).ok
    refused = vouched_for(
        "example.com", verdicts, envelope_from="b@mailer.example.net", dkim_domains=frozenset()
    )
    assert not refused.ok
    assert refused.reason == "no verdict aligned with the From domain (DKIM FAIL, SPF PASS, DMARC FAIL)"


def test_sibling_subdomains_do_not_align_here() -> None:
    verdicts = {**PASS, "spf": "FAIL", "dmarc": "FAIL"}
    sibling = frozenset({"b.example.com"})
    assert not vouched_for("a.example.com", verdicts, envelope_from="", dkim_domains=sibling).ok


def test_the_dkim_domains_come_from_the_topmost_ses_header_only() -> None:
    headers = ses_results(
        "amazonses.com; spf=pass smtp.mailfrom=a@example.com; dkim=pass header.i=@Example.COM; "
        "dkim=fail header.i=@other.example; dmarc=pass header.from=example.com;"
    )
    assert ses_dkim_domains(headers) == frozenset({"example.com"})
    forged_first = [
        Header(name="Authentication-Results", value="evil.example; dkim=pass header.d=google.com")
    ]
    assert ses_dkim_domains(forged_first + headers) == frozenset()
    assert ses_dkim_domains([Header(name="Subject", value="hi")]) == frozenset()


# ---- the intake token ----------------------------------------------------------------------------------
def test_an_intake_token_is_26_lowercase_base32_and_never_reads_as_a_reply_token() -> None:
    identifier = tokens.intake_id(SECRET, "ada-quinn", "key-1")
    token = tokens.intake_token(identifier, secret=SECRET)
    assert len(token) == 26 and token == token.lower()
    assert tokens.read_intake_token(token.upper(), secret=SECRET) == identifier
    with pytest.raises(tokens.TokenError):
        tokens.read_reply_token(token, secret=SECRET)
    with pytest.raises(tokens.TokenError):
        tokens.read_intake_token(tokens.reply_token(identifier, secret=SECRET), secret=SECRET)
    assert tokens.intake_id(SECRET, "ada-quinn", "key-2") != identifier  # a new key, a new address


def test_an_intake_lookup_held_by_another_member_is_never_shared() -> None:
    store = MemoryStore()
    store.keys.update({"ada": "hash-ada-000000", "bob": "hash-bob-000000"})
    addresses = IntakeAddresses("in.example", SECRET, store, store.link_generation)
    ada = addresses.for_member("ada", now=NOW)
    assert ada is not None and addresses.for_member("ada", now=NOW) == ada  # stable
    # Bob's id, pre-claimed by Ada (a collision or tampering): Bob gets no address
    gen = store.link_generation("bob")
    assert gen is not None
    from nearmiss.service.ports import IntakeRoute

    store.intake_routes[tokens.intake_id(SECRET, "bob", gen.key)] = IntakeRoute("x", "ada", "k")
    assert addresses.for_member("bob", now=NOW) is None
    token = ada.partition("+")[2].partition("@")[0]
    assert addresses.read(token).candidate_id == "ada"


def test_a_forward_is_the_members_only_from_the_address_they_proved() -> None:
    pending = Candidate(candidate_id="ada", name="Ada Quinn", email="Ada.Quinn@Example.com")
    assert member_addresses(pending) == set()  # typed, never proved: nobody's
    proved = pending.model_copy(update={"email_proved_at": datetime(2026, 11, 1, tzinfo=UTC)})
    assert member_addresses(proved) == {"ada.quinn@example.com"}


# ---- which application ---------------------------------------------------------------------------------
def app(application_id: str, company: str, *emails: str) -> Application:
    contacts = tuple(Contact(name=e.split("@")[0], email=e) for e in emails)
    return Application(
        candidate_id="ada",
        application_id=application_id,
        company=company,
        job_title="Engineer",
        contacts=contacts,
    )


def test_an_invitation_matches_by_its_domain_first_then_by_the_company_name() -> None:
    northwind = app("nw", "Northwind Data", "grace@northwind.example")
    contoso = app("co", "Contoso")
    apps = [contoso, northwind]
    assert match_application(apps, company=None, domain="northwind.example") == northwind
    assert match_application(apps, company="Contoso Ltd", domain=None) == contoso
    assert match_application([app("nw2", "Northwind Data")], company="Northwind", domain=None) is not None
    assert match_application(apps, company="Fabrikam", domain="fabrikam.example") is None


def test_the_same_name_from_another_companys_domain_is_never_merged() -> None:
    northwind = app("nw", "Northwind Data", "grace@northwind.example")
    assert (
        match_application([northwind], company="Northwind Data", domain="northwind-imposter.example") is None
    )


def test_a_new_applications_id_is_derived_from_the_company() -> None:
    first = application_id_for("ada", "Northwind Data", "northwind.example")
    assert first == application_id_for("ada", "Northwind Data", "northwind.example")
    assert first.startswith("mail-northwind-data-")
    assert first != application_id_for("bob", "Northwind Data", "northwind.example")
    Application(candidate_id="ada", application_id=first, company="x", job_title="y")  # a valid id


# ---- the answer -------------------------------------------------------------------------------------------
def intake(store: MemoryStore) -> ForwardIntake:
    links = Links("https://nearmiss.example", SECRET, generations=lambda c: LinkGeneration("a", "k"))
    addresses = IntakeAddresses("in.example", SECRET, store, store.link_generation)
    return ForwardIntake(store, links, addresses, platform_address="notes@mail.example")


def test_the_answer_escapes_what_the_mail_said() -> None:
    store = MemoryStore()
    ada = Candidate(
        candidate_id="ada",
        name="Ada Quinn",
        email="ada@example.com",
        email_proved_at=NOW,
        time_zone="Europe/Berlin",
    )
    store.put_candidate(ada)
    record = ForwardRecord(
        candidate_id="ada",
        forward_id="m1",
        kind="rejection",
        reason="rejection phrases",
        company="<script>alert(1)</script> & Co",
        job_title="Staff <b>Engineer</b>",
        received_at=datetime(2026, 11, 24, 15, 10, tzinfo=UTC),
        created_at=NOW,
    )
    answer = intake(store).answer(ada, record, now=NOW)
    assert answer is not None
    assert answer.from_name == "Near Miss" and answer.to_address == "ada@example.com"
    assert "received Tue 24 Nov at 16:10 your time" in answer.text
    assert answer.html is not None
    assert "<script>" not in answer.html and "&lt;script&gt;" in answer.html
    assert "/forwards/start?token=" in answer.text and "/forwards/dismiss?token=" in answer.text


def test_an_invitation_answer_names_the_people_and_offers_an_undo() -> None:
    store = MemoryStore()
    ada = Candidate(
        candidate_id="ada",
        name="Ada Quinn",
        email="ada@example.com",
        email_proved_at=NOW,
        time_zone="Europe/London",
    )
    store.put_candidate(ada)
    store.put_application(app("nw", "Northwind Data", "grace.park@northwind.example"))
    record = ForwardRecord(
        candidate_id="ada",
        forward_id="m2",
        kind="invitation",
        reason="request (sequence 0)",
        company="Northwind Data",
        application_id="nw",
        named=(
            ForwardPerson(name="Grace Park", address="grace.park@northwind.example", role=Role.RECRUITER),
            ForwardPerson(name="Mei Tanaka", address="mei.tanaka@northwind.example", role=Role.INTERVIEWER),
        ),
        people=(
            ForwardPerson(name="Mei Tanaka", address="mei.tanaka@northwind.example", role=Role.INTERVIEWER),
        ),
        interview_at=datetime(2026, 11, 12, 14, 0, tzinfo=UTC),
        created_at=NOW,
    )
    answer = intake(store).answer(ada, record, now=NOW)
    assert answer is not None
    text = answer.text
    assert "Your interview with Grace Park and Mei Tanaka on Thu 12 Nov at 14:00 your time." in text
    assert "- Grace Park (recruiter)\n- Mei Tanaka (interviewer)\n" in text
    assert "Added to Engineer at Northwind Data: Mei Tanaka." in text
    assert "/forwards/undo?token=" in text and "/forwards/start" not in text


def test_an_automatic_forward_is_the_members_only_by_their_own_forwarding_envelope_and_spf() -> None:
    from nearmiss.service.forwards import forwarded_by

    ada = Candidate(candidate_id="ada", name="Ada Quinn", email="ada.quinn@gmail.com", email_proved_at=NOW)
    gmail = "ada.quinn+caf_=in+abc=in.example@gmail.com"
    assert forwarded_by(ada, gmail, PASS) == "ada.quinn@gmail.com"
    assert forwarded_by(ada, gmail, {**PASS, "spf": "FAIL"}) is None
    assert forwarded_by(ada, "ada.quinn@gmail.com", PASS) is None  # no forwarding envelope
    assert forwarded_by(ada, "mallory+caf_=in+abc=in.example@gmail.com", PASS) is None
    assert forwarded_by(ada, "ada.quinn+caf_=in+abc=in.example@evil.example", PASS) is None


# ---- receive_mail's side, on fakes: the answer at most once ------------------------------------------------
def test_an_answer_ses_did_not_take_is_retried_and_then_sent_once() -> None:
    from pathlib import Path

    from nearmiss.service.inbound import ForwardNotSent, Inbound
    from nearmiss.service.ports import SendError, SendFailure
    from nearmiss.service.reply_addresses import ReplyAddresses
    from nearmiss_local.fakes import RecordingMailer

    from tests.unit.test_replies_routing import Objects, record

    store, mailer, objects = MemoryStore(), RecordingMailer(), Objects()
    store.put_candidate(
        Candidate(candidate_id="ada", name="Ada Quinn", email="ada.quinn@example.com", email_proved_at=NOW)
    )
    store.set_candidate_key("ada", "hash-of-adas-key")
    forwards = ForwardIntake(
        store,
        Links("https://nearmiss.example", SECRET, generations=store.link_generation),
        IntakeAddresses("in.example", SECRET, store, store.link_generation),
        platform_address="notes@mail.example",
    )
    address = forwards.addresses.for_member("ada", now=NOW)
    assert address is not None
    receiving = Inbound(
        store,
        objects,
        mailer,
        ReplyAddresses("in.example", SECRET, store, store.link_generation),
        bucket="b",
        prefix="inbound/",
        platform_address="notes@mail.example",
        forwards=lambda: forwards,
    )
    corpus = Path(__file__).parents[1] / "fixtures" / "mail" / "forwards"
    objects.stored["inbound/m1"] = (corpus / "rej-greenhouse-en-gmail.eml").read_bytes()
    mailer.failures.append(SendError(SendFailure.TRANSIENT, "Throttling: slow down"))
    with pytest.raises(ForwardNotSent):
        receiving.receive(record(address), now=NOW)
    assert receiving.receive(record(address), now=NOW) == ["acted"]
    assert receiving.receive(record(address), now=NOW) == ["duplicate"]
    (answer,) = mailer.sent
    assert answer.subject == "Understood: a rejection from Northwind Data"
    assert len(store.forwards) == 1  # one record, written once across the attempts
