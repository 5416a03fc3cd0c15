"""Issue 12: an on-time approval through its link is one DynamoDB request; every other case as before.

The approve link carries, signed, the member's key generation, the step's planned instant and its
recipient's name. On time, one TransactWriteItems checks the KEY's generation and moves the STEP's
top level to approved, due at the planned instant; the answer page needs no read. Anything else
(late, expired, skipped, decided already, a renewed key, an item written before the top level
carried the planned instant) writes nothing there and is answered by the read and the conditional
write, as before. Expected values come from the scenario: rejected Tuesday 24 November 2026 15:10
UTC, the thank-you planned a day later (Wednesday 15:10 UTC, the member's London clock), its draft
the evening before.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from nearmiss.domain.models import Mode, StepKind, StepState

from tests.conftest import NOW, make_application, make_candidate, make_rejection
from tests.helpers import mails, plain_text, register, steps_of

ADA = "/candidates/ada"
NORTHWIND = f"{ADA}/applications/northwind"
PROFILE = {"name": "Ada Quinn", "email": "ada@example.com", "mode": "review", "time_zone": "Europe/London"}
GRACE = "grace@northwind.example"
CONTACTS = [
    {"name": "Grace <b>Park</b>", "email": GRACE, "role": "hiring_manager"},
    {"name": "Mei Tanaka", "email": "mei@northwind.example", "role": "interviewer"},
]
PLANNED = datetime(2026, 11, 25, 15, 10, tzinfo=UTC)  # the day after the rejection, 15:10 London
# The one-write answer names nobody (the link carries ids and times only); the read path names them.
ON_TIME = "Your note goes out Wednesday 25 November 2026, 15:10 UTC."
ON_TIME_READ = "Your note to Grace &lt;b&gt;Park&lt;/b&gt; goes out Wednesday 25 November 2026, 15:10 UTC."


def b64decode_claims(token: str) -> str:
    """The claims part of a token, decoded (what anyone holding the link can read)."""
    import base64

    body = token.split(".")[0]
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()


def _calls(stack: Any, function: str = "ApiFunction") -> list[str]:
    """The DynamoDB operations `function`'s handler makes from now on (its container's one client)."""
    calls: list[str] = []
    client = stack._container(stack.functions[function]).store.client
    client.meta.events.register("before-call.dynamodb", lambda model, **_: calls.append(model.name))
    return calls


def _grace_thank_you(stack: Any) -> Any:
    return next(
        s
        for s in steps_of(stack, "ada", "northwind")
        if s.kind is StepKind.THANK_YOU and s.recipient_address == GRACE
    )


def _link(stack: Any, decision: str = "approve") -> str:
    """The link of Grace's thank-you draft, as the member got it."""
    draft = next(
        m for m in mails(stack) if str(m["Subject"]).startswith("Draft") and "Grace" in plain_text(m)
    )
    label = {"approve": "Approve and send", "skip": "Skip this one"}[decision]
    found = re.search(rf"{label}: \S+?(/steps/{decision}\?token=\S+)", plain_text(draft))
    assert found is not None, plain_text(draft)
    return found.group(1)


def _notes_to_grace(stack: Any) -> list[Any]:
    return [
        m
        for m in mails(stack)
        if m["To"].addresses[0].addr_spec == GRACE and not str(m["Subject"]).startswith("Draft")
    ]


@pytest.fixture
def drafted(stack: Any) -> Any:
    """Ada in review mode, rejected at NOW; the evening's run has mailed her the thank-you drafts."""
    register(stack, "ada", PROFILE)
    status, _, text = stack.http(
        "PUT",
        NORTHWIND,
        body={"company": "Northwind Data", "job_title": "Staff Engineer", "contacts": CONTACTS},
    )
    assert status == 200, text
    assert stack.http("POST", f"{NORTHWIND}/rejection", body={})[0] == 202
    stack.pump()
    stack.traveller.move_to(NOW + timedelta(hours=8))  # Tuesday 23:10: the drafts are out
    stack.tick()
    assert _grace_thank_you(stack).state is StepState.AWAITING_APPROVAL
    return stack


def test_an_on_time_approval_is_one_request_and_the_note_goes_once_at_its_planned_instant(drafted) -> None:  # type: ignore[no-untyped-def]
    stack = drafted
    link = _link(stack)
    api = _calls(stack)
    # When Ada approves on Tuesday evening (before Wednesday 15:10)
    status, _, page = stack.http("POST", link, auth=False)
    # Then one request, and the answer says whom to and when, escaped
    assert status == 200 and "Approved" in page and ON_TIME in page, page
    assert api == ["TransactWriteItems"]
    # and the step reads as approved, due at its planned instant, one version on, no reason left
    step = _grace_thank_you(stack)
    assert (step.state, step.due_at, step.version, step.reason) == (StepState.APPROVED, PLANNED, 2, None)
    # and the page shows it approved with no buttons (a read only)
    api.clear()
    status, _, page = stack.http("GET", link, auth=False)
    assert status == 200 and "Current state: approved." in page and "<button" not in page, page
    assert api == ["BatchGetItem"]
    # When the dispatcher runs a minute before, at, and after the planned instant
    stack.traveller.move_to(PLANNED - timedelta(minutes=1))
    stack.tick()
    assert _notes_to_grace(stack) == []
    stack.traveller.move_to(PLANNED)
    stack.tick()
    stack.traveller.move_to(PLANNED + timedelta(hours=1))
    stack.tick()
    # Then the note went out once
    assert len(_notes_to_grace(stack)) == 1
    assert _grace_thank_you(stack).state is StepState.SENT


def test_approving_twice_answers_as_before_and_writes_nothing(drafted) -> None:  # type: ignore[no-untyped-def]
    stack = drafted
    link = _link(stack)
    assert stack.http("POST", link, auth=False)[0] == 200
    api = _calls(stack)
    status, _, page = stack.http("POST", link, auth=False)
    assert status == 409 and "this message is already approved" in page, page
    # the refused write, then the read that answers; no second write
    assert api == ["TransactWriteItems", "BatchGetItem"]
    assert _grace_thank_you(stack).version == 2


def test_a_late_approval_goes_in_the_next_window_through_the_read(drafted) -> None:  # type: ignore[no-untyped-def]
    stack = drafted
    link = _link(stack)
    # When Ada approves on Thursday 10:00 (after the planned instant, before the expiry)
    late = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    stack.traveller.move_to(late)
    api = _calls(stack)
    status, _, page = stack.http("POST", link, auth=False)
    assert status == 200 and "Approved" in page, page
    # Then the link's planned instant is past: no one-write attempt, the read and the write as before
    assert api == ["BatchGetItem", "PutItem"]
    step = _grace_thank_you(stack)
    assert step.state is StepState.APPROVED and step.due_at is not None
    assert late <= step.due_at < late + timedelta(days=2) and step.due_at != PLANNED
    assert f"{step.due_at:%A %d %B %Y, %H:%M} UTC" in page


def test_after_the_expiry_the_link_is_refused_and_the_draft_lapses(drafted) -> None:  # type: ignore[no-untyped-def]
    stack = drafted
    link = _link(stack)
    expires_at = _grace_thank_you(stack).expires_at
    assert expires_at is not None
    stack.traveller.move_to(expires_at)
    api = _calls(stack)
    status, _, page = stack.http("POST", link, auth=False)
    assert status == 400 and "this link has expired" in page, page
    assert api == []  # refused by its signed expiry, before any request
    # and the API's approval (no link) at that moment lapses it, as before
    status, _, text = stack.http("POST", f"{NORTHWIND}/steps/{_grace_thank_you(stack).step_id}/approve")
    assert status == 200 and json.loads(text)["state"] == "lapsed", text
    assert json.loads(text)["reason"] == "approved too late"


def test_a_renewed_key_kills_the_link_and_nothing_is_written(drafted) -> None:  # type: ignore[no-untyped-def]
    stack = drafted
    link = _link(stack)
    assert stack.http("POST", f"{ADA}/api-key")[0] == 200
    before = _grace_thank_you(stack)
    api = _calls(stack)
    status, _, page = stack.http("POST", link, auth=False)
    assert status == 400 and "no longer valid" in page, page
    assert api == ["TransactWriteItems", "BatchGetItem"]
    assert _grace_thank_you(stack) == before


def test_a_skip_then_the_approve_link_answers_already_skipped(drafted) -> None:  # type: ignore[no-untyped-def]
    stack = drafted
    approve, skip = _link(stack), _link(stack, "skip")
    status, _, page = stack.http("POST", skip, auth=False)
    assert status == 200 and "will not be sent" in page, page
    status, _, page = stack.http("POST", approve, auth=False)
    assert status == 409 and "this message is already skipped" in page, page
    assert _grace_thank_you(stack).state is StepState.SKIPPED
    stack.traveller.move_to(PLANNED + timedelta(hours=1))
    stack.tick()
    assert _notes_to_grace(stack) == []


def test_an_edit_after_a_one_write_approval_is_what_goes_out(drafted) -> None:  # type: ignore[no-untyped-def]
    stack = drafted
    assert stack.http("POST", _link(stack), auth=False)[0] == 200
    step_id = _grace_thank_you(stack).step_id
    words = "Thank you for Tuesday, Grace. I enjoyed the conversation about the data platform."
    status, _, text = stack.http("PUT", f"{NORTHWIND}/steps/{step_id}/draft", body={"text": words})
    assert status == 200 and json.loads(text)["state"] == "approved", text
    step = _grace_thank_you(stack)
    assert (step.state, step.due_at, step.version) == (StepState.APPROVED, PLANNED, 3)
    stack.traveller.move_to(PLANNED + timedelta(minutes=5))
    stack.tick()
    notes = _notes_to_grace(stack)
    assert len(notes) == 1 and words in plain_text(notes[0])


def test_a_step_stored_before_the_top_level_planned_instant_is_approved_through_the_read(drafted) -> None:  # type: ignore[no-untyped-def]
    stack = drafted
    link = _link(stack)
    # Given the step's item as written before this change: no top-level planned_at / expires_at
    client, table = stack.client("dynamodb"), stack.names["Table"]
    key = {"pk": {"S": "APP#ada#northwind"}, "sk": {"S": f"STEP#{_grace_thank_you(stack).step_id}"}}
    client.update_item(TableName=table, Key=key, UpdateExpression="REMOVE planned_at, expires_at, updated_at")
    api = _calls(stack)
    status, _, page = stack.http("POST", link, auth=False)
    assert status == 200 and ON_TIME_READ in page, page
    assert api == ["TransactWriteItems", "BatchGetItem", "PutItem"]
    step = _grace_thank_you(stack)
    assert (step.state, step.due_at, step.version) == (StepState.APPROVED, PLANNED, 2)
    stack.traveller.move_to(PLANNED)
    stack.tick()
    assert len(_notes_to_grace(stack)) == 1


# ---- the two stores, alike ----------------------------------------------------------------------------
@pytest.fixture(params=["memory", "dynamo"])
def store(request: pytest.FixtureRequest) -> Iterator[Any]:
    if request.param == "memory":
        from nearmiss_local.fakes import MemoryIntakeStore

        yield MemoryIntakeStore()
        return
    from nearmiss.adapters.dynamo import DynamoStore
    from nearmiss_local import hooks

    from tests.reliability.support import TABLE, moto_table

    hooks.install()  # the contract layer: what AWS refuses is refused here too
    with moto_table() as client:
        yield DynamoStore(client, TABLE)


def _awaiting(store: Any, **changes: Any) -> Any:
    from nearmiss.service.playbooks import SenderPolicy, plan_records

    candidate = make_candidate(mode=Mode.REVIEW)
    store.put_candidate(candidate)
    store.set_candidate_key("ada", "0" * 64)
    sender = SenderPolicy("mail.example").for_candidate(candidate)
    planned = plan_records(candidate, make_application(), make_rejection(), sender, now=NOW)[0]
    step = planned.model_copy(
        update={
            "state": StepState.AWAITING_APPROVAL,
            "due_at": planned.expires_at,
            "reason": "moved",
            **changes,
        }
    )
    assert step.expires_at is not None and step.planned_at > NOW
    assert store.add_step(step)
    return step


def _approve(store: Any, step: Any, *, at: Any = NOW, key: str | None = None, planned: Any = None) -> bool:
    generation = store.link_generation("ada")
    return bool(
        store.approve_on_time(
            "ada",
            "northwind",
            step.step_id,
            key_generation=key or generation.key,
            planned_at=planned or step.planned_at,
            now=at,
        )
    )


def test_both_stores_approve_on_time_as_decide_read_would(store: Any) -> None:
    step = _awaiting(store)
    assert _approve(store, step)
    read = store.get_step("ada", "northwind", step.step_id)
    assert read == step.model_copy(
        update={
            "state": StepState.APPROVED,
            "due_at": step.planned_at,
            "version": 1,
            "updated_at": NOW,
            "reason": None,
        }
    )
    # and in the due-index at its planned instant, as the dispatcher reads it
    assert [d.step_id for d in store.due_steps(step.planned_at, 10)] == [step.step_id]
    assert store.due_steps(step.planned_at - timedelta(seconds=1), 10) == []
    # and a write over the version read works (the dispatcher's claim, an edit)
    assert store.replace_step(read, read.moved(StepState.SKIPPED, now=NOW, due_at=None))
    assert not _approve(store, step)


@pytest.mark.parametrize(
    "case",
    ["late", "expired", "other key", "moved since the link", "not awaiting", "no such step"],
)
def test_both_stores_write_nothing_outside_the_on_time_case(store: Any, case: str) -> None:
    step = _awaiting(store, **({"state": StepState.SCHEDULED} if case == "not awaiting" else {}))
    if case == "expired":  # an expiry before the planned instant (only by hand): the check still holds
        step = step.model_copy(update={"expires_at": NOW})
        store.replace_step(
            store.get_step("ada", "northwind", step.step_id), step.model_copy(update={"version": 1})
        )
        step = store.get_step("ada", "northwind", step.step_id)
    args: dict[str, Any] = {
        "late": {"at": step.planned_at + timedelta(seconds=1)},
        "expired": {},
        "other key": {"key": "another-generation"},
        "moved since the link": {"planned": step.planned_at - timedelta(hours=1)},
        "not awaiting": {},
        "no such step": {},
    }[case]
    if case == "no such step":
        step = step.model_copy(update={"step_id": "thank_you.00000000000000000000"})
    assert not _approve(store, step, **args)
    if case != "no such step":
        assert store.get_step("ada", "northwind", step.step_id) == step


def test_a_link_carries_the_planned_instant_and_no_name_unless_too_long() -> None:
    from nearmiss.domain.tokens import MAX_TOKEN_LENGTH
    from nearmiss.service.links import Links, StepRef
    from nearmiss.service.playbooks import SenderPolicy, plan_records
    from nearmiss.service.ports import LinkGeneration

    candidate = make_candidate(mode=Mode.REVIEW)
    sender = SenderPolicy("mail.example").for_candidate(candidate)
    step = plan_records(candidate, make_application(), make_rejection(), sender, now=NOW)[0]
    links = Links("https://x.example", b"k" * 32, generations=lambda _: LinkGeneration("acc", "gen"))
    token = links.decision_path(step, "approve").split("token=")[1]
    approval = links.read_approval(token, now=NOW)
    assert approval is not None
    assert approval.ref == StepRef("ada", "northwind", step.step_id)
    assert (approval.key_generation, approval.planned_at) == ("gen", step.planned_at)
    # The link names nobody: no recipient's name in a URL that scanners, proxies and histories keep
    assert step.recipient_name.split()[0] not in b64decode_claims(token)
    # Ids long enough that the fuller link would outgrow what a link may be: the plain link,
    # answered through the read
    plains = [
        links.decision_path(step.model_copy(update={"step_id": "s" * n}), "approve").split("token=")[1]
        for n in range(1300, 1560, 4)
    ]
    plain = [t for t in plains if len(t) <= MAX_TOKEN_LENGTH and links.read_approval(t, now=NOW) is None]
    assert plain, "some step id fits the plain link but not the fuller one"
    # and a skip link is never an approval
    from nearmiss.domain.tokens import TokenError

    with pytest.raises(TokenError):
        links.read_approval(links.decision_path(step, "skip").split("token=")[1], now=NOW)
