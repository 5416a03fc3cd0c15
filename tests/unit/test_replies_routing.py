"""Reply addresses (tokens, lookups) and receive_mail's routing, on in-memory fakes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from email.message import EmailMessage

import pytest
from nearmiss.domain import tokens
from nearmiss.domain.inbound import SesRecord
from nearmiss.domain.models import StepKind, StepState
from nearmiss.domain.records import StepRecord
from nearmiss.intake.mail.replies import ReplyClass
from nearmiss.service import inbound as inbound_module
from nearmiss.service.dispatch import Dispatcher
from nearmiss.service.inbound import ForwardNotSent, Inbound, MailObject
from nearmiss.service.links import Links
from nearmiss.service.playbooks import SenderPolicy, start_playbook
from nearmiss.service.ports import ReplyRoute, SendError, SendFailure
from nearmiss.service.reply_addresses import ReplyAddresses, split_local_part
from nearmiss_local.fakes import MemoryStore, RecordingMailer

from tests.conftest import NOW, make_application, make_candidate, make_rejection

SECRET = b"r" * 32
DOMAIN = "reply.careers.example.org"
GRACE = "grace@northwind.example"


# ---- tokens -------------------------------------------------------------------------------------------
def test_a_reply_token_is_short_lowercase_base32_and_reads_back_in_any_case() -> None:
    identifier = tokens.reply_id(SECRET, "ada", "northwind", "thank_you.0123")
    token = tokens.reply_token(identifier, secret=SECRET)
    assert len(token) == tokens.REPLY_TOKEN_LENGTH == 26
    assert set(token) <= set("abcdefghijklmnopqrstuvwxyz234567")
    assert tokens.read_reply_token(token, secret=SECRET) == identifier
    assert tokens.read_reply_token(token.upper(), secret=SECRET) == identifier  # MTAs may change the case
    assert len("reply+" + token) <= 64  # RFC 5321: a local part is at most 64 octets


def test_the_reply_id_is_stable_per_note_and_differs_between_notes() -> None:
    one = tokens.reply_id(SECRET, "ada", "northwind", "thank_you.01")
    assert one == tokens.reply_id(SECRET, "ada", "northwind", "thank_you.01")  # a retried send: same address
    assert one != tokens.reply_id(SECRET, "ada", "northwind", "check_in_90.01")
    assert one != tokens.reply_id(b"x" * 32, "ada", "northwind", "thank_you.01")  # keyed


@pytest.mark.parametrize(
    "mutate",
    [
        lambda t: t[:-1] + ("a" if t[-1] != "a" else "b"),  # the MAC altered
        lambda t: ("a" if t[0] != "a" else "b") + t[1:],  # the id altered
        lambda t: t[:-1],  # too short
        lambda t: t + "a",  # too long
        lambda t: t[:-1] + "1",  # outside the alphabet
        lambda t: "",
    ],
)
def test_an_altered_reply_token_is_refused(mutate: object) -> None:
    token = tokens.reply_token(tokens.reply_id(SECRET, "a", "b", "c"), secret=SECRET)
    with pytest.raises(tokens.TokenError):
        tokens.read_reply_token(mutate(token), secret=SECRET)  # type: ignore[operator]


def test_a_token_signed_with_another_key_is_refused() -> None:
    token = tokens.reply_token(tokens.reply_id(b"o" * 32, "a", "b", "c"), secret=b"o" * 32)
    with pytest.raises(tokens.TokenError, match="altered or is not ours"):
        tokens.read_reply_token(token, secret=SECRET)


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("reply+abc@Reply.Example.org", ("reply", "abc", "reply.example.org")),
        ("REPLY+ABC@reply.example.org", ("reply", "abc", "reply.example.org")),
        ("in+xyz@reply.example.org", ("in", "xyz", "reply.example.org")),
        ("jobs@reply.example.org", ("", "jobs", "reply.example.org")),
    ],
)
def test_our_addresses_are_read_case_insensitively(address: str, expected: tuple[str, str, str]) -> None:
    assert split_local_part(address) == expected


# ---- the world: a sent thank-you to Grace ------------------------------------------------------------------
@dataclass
class Objects:
    stored: dict[str, bytes] = field(default_factory=dict)

    def read(self, bucket: str, key: str, *, max_bytes: int) -> MailObject:
        raw = self.stored.get(key)
        if raw is None:
            return MailObject(size=0, raw=None, missing=True)
        return MailObject(size=len(raw), raw=raw if len(raw) <= max_bytes else None)


@dataclass
class World:
    store: MemoryStore
    mailer: RecordingMailer
    replies: ReplyAddresses
    objects: Objects
    inbound: Inbound
    address: str  # Grace's thank-you's Reply-To


def world() -> World:
    store, mailer = MemoryStore(), RecordingMailer()
    store.put_candidate(make_candidate())
    store.set_candidate_key("ada", "hash-of-adas-key")
    store.put_application(make_application())
    start_playbook(store, make_rejection(), SenderPolicy(domain="mail.example"), now=NOW)
    replies = ReplyAddresses(DOMAIN, SECRET, store, store.link_generation)
    dispatcher = Dispatcher(
        store,
        mailer,
        Links("https://nearmiss.example", SECRET),
        platform_address="notes@mail.example",
        sleep=lambda s: None,
        reply_addresses=replies,
    )
    dispatcher.run(NOW + timedelta(days=1, hours=1))
    (note,) = [m for m in mailer.sent if m.to_address == GRACE]
    assert note.reply_to is not None
    objects = Objects()
    inbound = Inbound(
        store, objects, mailer, replies, bucket="b", prefix="inbound/", platform_address="notes@mail.example"
    )
    return World(store, mailer, replies, objects, inbound, note.reply_to)


def message(**headers: str) -> bytes:
    mail = EmailMessage()
    mail["From"] = f"Grace Park <{GRACE}>"
    mail["Subject"] = "Re: Thank you"
    for name, value in headers.items():
        mail[name.replace("_", "-")] = value
    mail.set_content("Thank you, Ada. Let's talk.")
    return mail.as_bytes()


def record(to: str, message_id: str = "m1", **verdicts: str) -> SesRecord:
    given = {"spam": "PASS", "virus": "PASS", "spf": "PASS", "dkim": "PASS", "dmarc": "PASS", **verdicts}
    return SesRecord.model_validate(
        {
            "eventSource": "aws:ses",
            "eventVersion": "1.0",
            "ses": {
                "mail": {"timestamp": "t", "source": GRACE, "messageId": message_id, "destination": [to]},
                "receipt": {
                    "timestamp": "t",
                    "recipients": [to],
                    **{f"{k}Verdict": {"status": v} for k, v in given.items()},
                    "action": {"type": "Lambda"},
                },
            },
        }
    )


def grace_steps(w: World) -> dict[StepKind, StepRecord]:
    return {s.kind: s for s in w.store.steps.values() if s.recipient_name == "Grace Park"}


def test_each_note_gets_its_own_reply_address_and_an_owned_lookup() -> None:
    w = world()
    addresses = {m.reply_to for m in w.mailer.sent}
    assert len(addresses) == 3 and all(a and a.endswith(f"@{DOMAIN}") for a in addresses)
    thank_you = grace_steps(w)[StepKind.THANK_YOU]
    route = w.store.reply_routes[thank_you.reply_id or ""]
    assert (route.candidate_id, route.application_id, route.step_id) == (
        "ada",
        "northwind",
        thank_you.step_id,
    )
    # A lookup held by another note is never taken over
    assert not w.store.put_reply_route(
        type(route)(route.reply_id, "bob", "other", "thank_you.x", route.recipient_key, route.account), NOW
    )


def test_a_human_reply_marks_the_step_stops_the_persons_notes_and_is_forwarded_once() -> None:
    w = world()
    w.objects.stored["inbound/m1"] = message()
    assert w.inbound.receive(record(w.address), now=NOW + timedelta(days=2)) == ["acted"]
    steps = grace_steps(w)
    assert steps[StepKind.THANK_YOU].state is StepState.REPLIED
    assert steps[StepKind.SHARE_RESOURCE].state is StepState.CANCELLED
    assert steps[StepKind.CHECK_IN].state is StepState.CANCELLED
    (forward,) = [m for m in w.mailer.sent if m.to_address == "ada@example.com"]
    assert (forward.from_name, forward.reply_to, forward.subject) == (
        "Grace Park via Near Miss",
        GRACE,
        "Re: Thank you",
    )
    assert forward.html is None and "Let's talk." in forward.text
    # A redelivery of the same SES message acts no more
    assert w.inbound.receive(record(w.address), now=NOW + timedelta(days=2)) == ["duplicate"]
    assert len([m for m in w.mailer.sent if m.to_address == "ada@example.com"]) == 1


def test_a_forward_ses_did_not_take_is_retried_and_then_sent_once() -> None:
    w = world()
    w.objects.stored["inbound/m1"] = message()
    w.mailer.failures.append(SendError(SendFailure.TRANSIENT, "Throttling: slow down"))
    with pytest.raises(ForwardNotSent):
        w.inbound.receive(record(w.address), now=NOW + timedelta(days=2))
    assert w.inbound.receive(record(w.address), now=NOW + timedelta(days=2)) == ["acted"]
    assert len([m for m in w.mailer.sent if m.to_address == "ada@example.com"]) == 1


def test_a_forward_whose_outcome_is_unknown_is_never_sent_again() -> None:
    # Given an invocation that died after the send (the record says `forwarding`)
    w = world()
    w.objects.stored["inbound/m1"] = message()
    w.inbound.receive(record(w.address), now=NOW)
    key = next(iter(w.store.inbound))
    w.store.inbound[key] = w.store.inbound[key].__class__(
        **{**w.store.inbound[key].__dict__, "status": "forwarding"}
    )
    sent = len(w.mailer.sent)
    assert w.inbound.receive(record(w.address), now=NOW) == ["acted"]
    assert len(w.mailer.sent) == sent
    assert "not sent again" in w.store.inbound[key].reason


def test_a_stop_request_blocks_the_address_for_that_member() -> None:
    w = world()
    w.objects.stored["inbound/m1"] = message()
    original = inbound_module.classify
    inbound_module.classify = lambda m, now: ReplyClass("stop_request", "asked to stop")  # type: ignore[assignment]
    try:
        assert w.inbound.receive(record(w.address), now=NOW) == ["acted"]
    finally:
        inbound_module.classify = original
    assert any(
        reason == "the recipient asked to stop" for (_, c), reason in w.store.blocks.items() if c == "ada"
    )
    assert grace_steps(w)[StepKind.CHECK_IN].state is StepState.CANCELLED


def test_an_out_of_office_moves_that_persons_notes_past_the_return_date() -> None:
    w = world()
    w.objects.stored["inbound/m1"] = message()
    back = date(2026, 12, 14)  # a Monday, before Grace's check-in (90 days) and after her resource note
    original = inbound_module.classify
    inbound_module.classify = lambda m, now: ReplyClass("out_of_office", "ooo", return_date=back)  # type: ignore[assignment]
    try:
        assert w.inbound.receive(record(w.address), now=NOW + timedelta(days=1)) == ["recorded"]
    finally:
        inbound_module.classify = original
    steps = grace_steps(w)
    resource = steps[StepKind.SHARE_RESOURCE]
    assert resource.state is StepState.SCHEDULED
    local = resource.planned_at.astimezone(__import__("zoneinfo").ZoneInfo("America/New_York"))
    assert local.date() == back and 9 <= local.hour < 17  # the first window on the day she is back
    assert resource.due_at == resource.planned_at
    assert steps[StepKind.CHECK_IN].planned_at > resource.planned_at  # later anyway: not moved
    assert steps[StepKind.THANK_YOU].state is StepState.SENT  # an auto-reply is not a reply


def test_an_out_of_office_far_ahead_moves_notes_at_most_thirty_days() -> None:
    w = world()
    w.objects.stored["inbound/m1"] = message()
    original = inbound_module.classify
    far = date(2027, 6, 1)
    inbound_module.classify = lambda m, now: ReplyClass("out_of_office", "ooo", return_date=far)  # type: ignore[assignment]
    try:
        w.inbound.receive(record(w.address), now=NOW + timedelta(days=1))
    finally:
        inbound_module.classify = original
    resource = grace_steps(w)[StepKind.SHARE_RESOURCE]
    assert NOW + timedelta(days=31) <= resource.planned_at <= NOW + timedelta(days=35)


@pytest.mark.parametrize(
    ("verdicts", "reason"),
    [({"virus": "GRAY"}, "virus verdict GRAY"), ({"spf": "GRAY", "dkim": "FAIL"}, "neither SPF")],
)
def test_failing_verdicts_keep_the_message_before_anything_is_read(
    verdicts: dict[str, str], reason: str
) -> None:
    w = world()
    assert w.inbound.receive(record(w.address, **verdicts), now=NOW) == ["kept"]
    (kept,) = w.inbound.kept()
    assert reason in kept.reason and kept.candidate_id is None


def test_a_classifier_that_raises_keeps_the_message_instead_of_failing() -> None:
    w = world()
    w.objects.stored["inbound/m1"] = message()
    original = inbound_module.classify

    def broken(m: object, now: object) -> ReplyClass:
        raise IndexError("a bug")

    inbound_module.classify = broken  # type: ignore[assignment]
    try:
        assert w.inbound.receive(record(w.address), now=NOW) == ["kept"]
    finally:
        inbound_module.classify = original
    assert w.inbound.kept()[0].reason == "could not be classified: IndexError"
    assert grace_steps(w)[StepKind.CHECK_IN].state is StepState.SCHEDULED


def test_unparseable_mail_is_kept() -> None:
    w = world()
    w.objects.stored["inbound/m1"] = b"   \r\n"
    assert w.inbound.receive(record(w.address), now=NOW) == ["kept"]
    assert w.inbound.kept()[0].reason.startswith("unreadable:")


def test_a_reply_address_of_a_closed_account_leads_nowhere() -> None:
    w = world()
    w.objects.stored["inbound/m1"] = message()
    w.store.delete_candidate("ada")
    assert w.inbound.receive(record(w.address), now=NOW) == ["kept"]
    assert "reply address refused" in w.inbound.kept()[0].reason
    assert w.mailer.sent[-1].to_address != "ada@example.com"


def test_a_reply_lookup_held_by_another_note_fails_the_claim_sends_nothing_and_retries_later() -> None:
    # Given the lookup ids of the thank-yous' reply addresses are held by another note (an HMAC
    # collision, or tampering)
    store, mailer = MemoryStore(), RecordingMailer()
    store.put_candidate(make_candidate())
    store.set_candidate_key("ada", "hash-of-adas-key")
    store.put_application(make_application())
    start_playbook(store, make_rejection(), SenderPolicy(domain="mail.example"), now=NOW)
    replies = ReplyAddresses(DOMAIN, SECRET, store, store.link_generation)
    thank_yous = [s for s in store.steps.values() if s.kind is StepKind.THANK_YOU]
    for step in thank_yous:
        reply_id = replies.identifier(step)
        store.reply_routes[reply_id] = ReplyRoute(reply_id, "mallory", "other", "other-step", "r", "g")
    dispatcher = Dispatcher(
        store,
        mailer,
        Links("https://nearmiss.example", SECRET),
        platform_address="notes@mail.example",
        sleep=lambda s: None,
        reply_addresses=replies,
    )
    report = dispatcher.run(NOW + timedelta(days=1, hours=1))
    # Then the claims fail (the lookup is in the claim's transaction): nothing goes out without its
    # reply address, nobody's day is taken, and each note is retried, not flagged for review
    assert mailer.sent == [] and store.days == {}
    assert report.outcomes["retry_scheduled"] == 3
    thank_yous = [s for s in store.steps.values() if s.kind is StepKind.THANK_YOU]
    assert {s.state for s in thank_yous} == {StepState.SCHEDULED}
    assert all(s.reason and "lookup is held by another note" in s.reason for s in thank_yous)
    assert {r.candidate_id for r in store.reply_routes.values()} == {"mallory"}
