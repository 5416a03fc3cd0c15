"""The dispatcher's DynamoDB requests, on DynamoStore (moto): a note is its claim and its record (2), a
draft its claim (1); the member as the step saw them is checked inside the claim, and read only when
that check fails (a new address proved, a key renewed, an item written before the check existed)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from nearmiss.adapters.dynamo import DynamoStore
from nearmiss.domain.models import Mode, StepKind, StepState
from nearmiss.domain.records import StepRecord
from nearmiss.service.dispatch import Dispatcher
from nearmiss.service.links import Links
from nearmiss.service.playbooks import SenderPolicy, start_playbook
from nearmiss.service.ports import ClaimOutcome, CreateOutcome, ReplyRoute
from nearmiss.service.reply_addresses import ReplyAddresses
from nearmiss_local.fakes import RecordingMailer

from tests.conftest import NOW, make_application, make_candidate, make_rejection
from tests.reliability.support import TABLE, moto_table

SECRET = b"s" * 32
SENDERS = SenderPolicy(domain="mail.example")
THANK_YOUS_DUE = NOW + timedelta(days=1, hours=1)  # the three thank-yous (auto), each to its own person


def drafts_due(store: DynamoStore) -> Any:
    """When the thank-yous' drafts fall due (review mode)."""
    return max(s.due_at for s in stored_steps(store, StepKind.THANK_YOU) if s.due_at is not None)


class Requests:
    """The DynamoDB operations a client makes, in order (a botocore event hook, as bench/awscount)."""

    def __init__(self, client: Any) -> None:
        self.made: list[str] = []
        client.meta.events.register("before-call.dynamodb", self._seen)

    def _seen(self, model: Any, **_: Any) -> None:
        self.made.append(model.name)

    def since(self, mark: int, *, queries: bool = False) -> list[str]:
        """What was made after `mark`, without the run's due-index Queries unless asked."""
        return [op for op in self.made[mark:] if queries or op != "Query"]


@pytest.fixture
def client() -> Iterator[Any]:
    from nearmiss_local import hooks

    hooks.install()  # the contract layer: what AWS refuses is refused here too, run alone or not
    with moto_table() as ddb:
        yield ddb


def member_world(client: Any, mode: Mode = Mode.AUTO) -> tuple[DynamoStore, Links]:
    """Ada, her key, her application and her playbook, started (the steps see her as she is)."""
    store = DynamoStore(client, TABLE)
    store.put_candidate(make_candidate(mode=mode))
    store.set_candidate_key("ada", "hash-of-adas-first-key")
    store.put_application(make_application())
    outcome, _ = start_playbook(store, make_rejection(), SENDERS, now=NOW)
    assert outcome is CreateOutcome.CREATED
    return store, Links("https://nearmiss.example", SECRET, generations=store.link_generation)


def dispatcher(store: DynamoStore, links: Links, mailer: RecordingMailer, **wiring: Any) -> Dispatcher:
    return Dispatcher(
        store, mailer, links, platform_address="notes@mail.example", sleep=lambda s: None, **wiring
    )


def stored_steps(store: DynamoStore, kind: StepKind) -> list[StepRecord]:
    return [s for s in store.list_steps("ada", "northwind") if s.kind is kind]


def token_of(url: str) -> str:
    return parse_qs(urlparse(url).query)["token"][0]


def test_a_note_costs_its_claim_and_its_record_and_reads_no_member(client: Any) -> None:
    store, links = member_world(client)
    requests, mailer = Requests(client), RecordingMailer()
    mark = len(requests.made)
    report = dispatcher(store, links, mailer).run(THANK_YOUS_DUE)
    assert report.outcomes["sent"] == 3
    # Then each note is one transaction (the claim, with the member's checks) and one write (sent)
    assert requests.since(mark) == ["TransactWriteItems", "PutItem"] * 3
    assert [m.reply_to for m in mailer.sent] == ["ada@example.com"] * 3


def test_a_draft_costs_its_claim_alone(client: Any) -> None:
    store, links = member_world(client, Mode.REVIEW)
    requests, mailer = Requests(client), RecordingMailer()
    mark = len(requests.made)
    report = dispatcher(store, links, mailer).run(drafts_due(store))
    # Then three drafts went to Ada, each one transaction (its claim) and nothing else
    assert report.outcomes["draft_sent"] == 3
    assert requests.since(mark) == ["TransactWriteItems"] * 3
    assert {m.to_address for m in mailer.sent} == {"ada@example.com"}


def test_a_new_address_proved_after_planning_is_the_notes_reply_to_read_once(client: Any) -> None:
    # Given the playbook was planned while ada@example.com was proved, and Ada has since changed
    # to ada.quinn@example.org and proved it
    store, links = member_world(client)
    before = make_candidate()
    store.put_candidate(
        make_candidate(email="ada.quinn@example.org", email_proved_at=NOW + timedelta(hours=2)),
        previous_email="ada@example.com",
        expected=before,
    )
    requests, mailer = Requests(client), RecordingMailer()
    mark = len(requests.made)
    report = dispatcher(store, links, mailer).run(THANK_YOUS_DUE)
    # Then every note carries the new address; the first claim found the snapshot stale, Ada was
    # read once (profile and key in one request), and the others claimed with what was read
    assert report.outcomes["sent"] == 3
    assert [m.reply_to for m in mailer.sent] == ["ada.quinn@example.org"] * 3
    assert requests.since(mark) == [
        "TransactWriteItems",  # the claim with the snapshot: the member check fails
        "BatchGetItem",  # Ada as she is now
        "TransactWriteItems",
        "PutItem",
        *["TransactWriteItems", "PutItem"] * 2,
    ]
    # And the claimed steps now see her as she is
    sent = [s for s in stored_steps(store, StepKind.THANK_YOU) if s.state is StepState.SENT]
    assert {s.member.email if s.member else None for s in sent} == {"ada.quinn@example.org"}


def test_a_renewed_key_gives_drafts_links_of_the_new_generation(client: Any) -> None:
    # Given review mode, and Ada renewed her key after the playbook was planned
    store, links = member_world(client, Mode.REVIEW)
    old = store.link_generation("ada")
    store.set_candidate_key("ada", "hash-of-adas-second-key")
    new = store.link_generation("ada")
    assert old is not None and new is not None and old.key != new.key
    mailer, at = RecordingMailer(), drafts_due(store)
    report = dispatcher(store, links, mailer).run(at)
    assert report.outcomes["draft_sent"] == 3
    # Then every decision link in the drafts verifies against the key she has now
    checking = Links("https://nearmiss.example", SECRET, generations=store.link_generation)
    for message in mailer.sent:
        urls = [w for w in message.text.split() if "/steps/approve?token=" in w]
        assert urls, "a draft carries its approve link"
        ref = checking.read_decision(token_of(urls[0]), "approve", now=at)
        assert ref.candidate_id == "ada"
    drafted = [s for s in store.list_steps("ada", "northwind") if s.state is StepState.AWAITING_APPROVAL]
    assert len(drafted) == 3 and all(s.member and s.member.key == new.key for s in drafted)


def test_a_profile_written_before_the_check_existed_falls_back_to_a_read_never_a_wrong_send(
    client: Any,
) -> None:
    # Given Ada's profile stored as it was before `proved_email` was written (only its doc)
    store, links = member_world(client)
    client.update_item(
        TableName=TABLE,
        Key={"pk": {"S": "CAND#ada"}, "sk": {"S": "PROFILE"}},
        UpdateExpression="REMOVE proved_email",
    )
    requests, mailer = Requests(client), RecordingMailer()
    mark = len(requests.made)
    report = dispatcher(store, links, mailer).run(THANK_YOUS_DUE)
    # Then the first claim fails (nothing is claimed on an unchecked member); Ada is read once, her
    # profile gets the attribute (conditional on its doc), and every note goes to her proved address
    assert report.outcomes["sent"] == 3
    assert [m.reply_to for m in mailer.sent] == ["ada@example.com"] * 3
    assert requests.since(mark) == [
        "TransactWriteItems",
        "BatchGetItem",
        "UpdateItem",
        "TransactWriteItems",
        "PutItem",
        *["TransactWriteItems", "PutItem"] * 2,
    ]


def test_a_profile_changed_while_it_is_read_gets_no_attribute_and_nothing_goes(client: Any) -> None:
    # Given a profile without `proved_email`, changed between the read and the attribute's write
    store, links = member_world(client)
    client.update_item(
        TableName=TABLE,
        Key={"pk": {"S": "CAND#ada"}, "sk": {"S": "PROFILE"}},
        UpdateExpression="REMOVE proved_email",
    )

    def change_first(model: Any, params: dict[str, Any], **_: Any) -> None:
        if "proved_email" in params.get("UpdateExpression", ""):
            client.update_item(
                TableName=TABLE,
                Key={"pk": {"S": "CAND#ada"}, "sk": {"S": "PROFILE"}},
                UpdateExpression="SET doc = :doc",
                ExpressionAttributeValues={":doc": {"S": make_candidate(name="Ada Q").model_dump_json()}},
            )

    client.meta.events.register("before-parameter-build.dynamodb.UpdateItem", change_first)
    mailer = RecordingMailer()
    report = dispatcher(store, links, mailer).run(THANK_YOUS_DUE)
    # Then no claim passes on the unchecked profile: nothing goes, every note is still due
    assert mailer.sent == [] and report.outcomes["member_changed"] == 3
    item = client.get_item(TableName=TABLE, Key={"pk": {"S": "CAND#ada"}, "sk": {"S": "PROFILE"}})["Item"]
    assert "proved_email" not in item
    assert {s.state for s in stored_steps(store, StepKind.THANK_YOU)} == {StepState.SCHEDULED}


def test_an_unproved_member_is_read_and_the_note_waits_uncounted(client: Any) -> None:
    # Given the playbook was planned before Ada proved her address (the steps saw no proved address)
    store = DynamoStore(client, TABLE)
    store.put_candidate(make_candidate(email_proved_at=None))
    store.set_candidate_key("ada", "hash-of-adas-first-key")
    store.put_application(make_application())
    start_playbook(store, make_rejection(), SENDERS, now=NOW)
    assert all(s.member is None for s in store.list_steps("ada", "northwind"))
    links = Links("https://nearmiss.example", SECRET, generations=store.link_generation)
    requests, mailer = Requests(client), RecordingMailer()
    mark = len(requests.made)
    report = dispatcher(store, links, mailer).run(THANK_YOUS_DUE)
    # Then nothing goes; she is read once, and each note waits (one write each), no day taken
    assert mailer.sent == [] and report.outcomes["awaiting_address"] == 3
    assert requests.since(mark) == ["BatchGetItem", "PutItem", "PutItem", "PutItem"]
    assert all(
        s.attempts == 0 and s.reason and "awaiting your address" in s.reason
        for s in stored_steps(store, StepKind.THANK_YOU)
    )


def test_the_reply_lookup_is_written_inside_the_claim(client: Any) -> None:
    store, links = member_world(client)
    replies = ReplyAddresses("in.mail.example", SECRET, store, store.link_generation)
    requests, mailer = Requests(client), RecordingMailer()
    mark = len(requests.made)
    report = dispatcher(store, links, mailer, reply_addresses=replies).run(THANK_YOUS_DUE)
    # Then each note is still two requests, and carries its own reply address, whose lookup is Ada's
    assert report.outcomes["sent"] == 3
    assert requests.since(mark) == ["TransactWriteItems", "PutItem"] * 3
    for message in mailer.sent:
        assert message.reply_to and message.reply_to.endswith("@in.mail.example")
        route = replies.read(message.reply_to.split("@")[0].removeprefix("reply+"))
        assert route.candidate_id == "ada" and route.account == store.link_generation("ada").account  # type: ignore[union-attr]


def test_a_reply_lookup_held_by_another_note_fails_the_claim_and_writes_nothing(client: Any) -> None:
    store, _ = member_world(client)
    replies = ReplyAddresses("in.mail.example", SECRET, store, store.link_generation)
    step = stored_steps(store, StepKind.THANK_YOU)[0]
    reply_id = replies.identifier(step)
    assert store.put_reply_route(ReplyRoute(reply_id, "mallory", "other", "other-step", "r", "g"), NOW)
    now = THANK_YOUS_DUE
    claimed = step.moved(
        StepState.SENDING, now=now, due_at=now + timedelta(minutes=5), member=step.member, reply_id=reply_id
    )
    outcome = store.claim_send(step, claimed, "2026-11-25", reply=replies.route(claimed, account="g"))
    # Then the claim says why, and nothing of it was written: the step, the day, the lookup
    assert outcome is ClaimOutcome.REPLY_TAKEN
    assert store.get_step("ada", "northwind", step.step_id) == step
    days = client.query(
        TableName=TABLE,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"RCPT#{step.recipient_key}"}},
    )["Items"]
    assert days == []
    assert store.reply_route(reply_id) == ReplyRoute(reply_id, "mallory", "other", "other-step", "r", "g")
