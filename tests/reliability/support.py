"""What the reliability tests share: the stack under a simulated clock, running the months through,
reading everything back (steps, mail, the whole table), and counting sends per step."""

from __future__ import annotations

import email
import email.policy
import json
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from nearmiss.domain.records import StepRecord

from tests.conftest import NOW

FINAL = frozenset({"sent", "failed", "skipped", "cancelled", "lapsed"})
PLATFORM = "mail.nearmiss.example"


# ---- the stack ------------------------------------------------------------------------------------
@contextmanager
def local_stack(
    *,
    quiet: bool = True,
    start: datetime = NOW,
    base_url: str = "http://127.0.0.1:8000",
    parameters: dict[str, str] | None = None,
) -> Iterator[Any]:
    """template.yaml on moto with the real handlers, the clock frozen at `start` (moved by the test);
    `parameters`: template parameters beside the local defaults (e.g. a ReceivingDomain)."""
    import time_machine
    from nearmiss_local.runtime import LocalStack

    with (
        time_machine.travel(start, tick=False) as traveller,
        LocalStack(quiet=quiet, base_url=base_url, parameters=parameters) as stack,
    ):
        stack.traveller = traveller
        yield stack


def ok(response: tuple[int, dict[str, str], str], *expected: int) -> dict[str, Any]:
    status, _, text = response
    assert status in (expected or (200, 201, 202)), f"{status}: {text[:500]}"
    return json.loads(text) if text.startswith("{") else {}


def run_through(
    stack: Any,
    until: datetime,
    *,
    lock: AbstractContextManager[Any] | None = None,
    max_ticks: int = 20_000,
    between: Callable[[], None] | None = None,
) -> int:
    """Tick as the schedule would, jumping the clock from one due instant to the next, up to `until`.
    Returns the number of dispatcher runs. `lock`: held around each tick (the LocalServer's lock)."""
    from datetime import UTC

    guard = lock or nullcontext()
    ticks = 0
    while ticks < max_ticks:
        with guard:
            due = stack.next_due()
        if due is None or due > until:
            break
        stack.traveller.move_to(max(due, datetime.now(UTC)))
        with guard:
            stack.tick()
            stack.pump()
        ticks += 1
        if between is not None:
            between()
    assert ticks < max_ticks, "the dispatcher never ran out of due work"
    stack.traveller.move_to(until)
    with guard:
        stack.tick()
        stack.pump()
    return ticks + 1


# ---- reading back -----------------------------------------------------------------------------------
def scan(stack: Any) -> list[dict[str, Any]]:
    """Every item of the table (a test-side Scan; no function is allowed one)."""
    ddb = stack.client("dynamodb")
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": stack.names["Table"], "ConsistentRead": True}
    while True:
        page = ddb.scan(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def table_dump(stack: Any) -> list[str]:
    """The whole table as sorted JSON lines: equal dumps mean nothing was written."""
    return sorted(json.dumps(item, sort_keys=True) for item in scan(stack))


def all_steps(stack: Any) -> list[StepRecord]:
    return [
        StepRecord.model_validate_json(i["doc"]["S"])
        for i in scan(stack)
        if i["sk"]["S"].startswith("STEP#") and "doc" in i
    ]


def half_claimed(steps: list[StepRecord]) -> list[StepRecord]:
    """A claim nobody will ever look at again: `sending` without a lease or a due instant."""
    return [s for s in steps if s.state.value == "sending" and (s.lease_until is None or s.due_at is None)]


def states(steps: list[StepRecord]) -> dict[str, int]:
    return dict(sorted(Counter(s.state.value for s in steps).items()))


@dataclass(frozen=True)
class Mail:
    message_id: str
    raw: bytes
    parsed: Any

    @property
    def to(self) -> str:
        return str(self.parsed["To"].addresses[0].addr_spec)

    @property
    def subject(self) -> str:
        return str(self.parsed["Subject"])

    @property
    def is_draft(self) -> bool:
        return str(self.parsed["From"]).startswith("Near Miss")


def mails(stack: Any) -> list[Mail]:
    """What SES accepted for the playbooks: every message but the proof mails of members'
    addresses (tests.helpers.proof_mails)."""
    from tests.helpers import PROOF_SUBJECT

    out = []
    for message in stack.sent_messages():
        raw = message.raw_data.encode() if isinstance(message.raw_data, str) else message.raw_data
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        if str(parsed["Subject"]) != PROOF_SUBJECT:
            out.append(Mail(message.id, raw, parsed))
    return out


@dataclass(frozen=True)
class Account:
    """Messages SES accepted to the hiring side, matched to the steps they belong to."""

    accepted: int
    sent_steps: int
    duplicates: int  # messages beyond the first for one step
    unrecorded: int  # accepted, but no step records it as sent (a crash window; at most once is kept)
    per_step: dict[str, int]


def account(stack: Any, steps: list[StepRecord] | None = None) -> Account:
    """Every accepted message is matched to one step: by the message id the step recorded, else (a
    crash between SES and the store) by recipient and subject. A step with two messages is a duplicate."""
    from nearmiss.domain import compose

    steps = all_steps(stack) if steps is None else steps
    by_id = {s.message_id: s for s in steps if s.message_id}
    by_words: dict[tuple[str, str], list[StepRecord]] = {}
    for s in steps:
        if s.recipient_address and s.state.value != "skipped":  # a skipped step may have nothing to say
            subject = s.edited_subject or compose.compose_step(s.context).subject
            by_words.setdefault((s.recipient_address.lower(), subject), []).append(s)
    per_step: Counter[str] = Counter()
    unrecorded = 0
    accepted = 0
    for mail in mails(stack):
        if mail.is_draft:
            continue
        accepted += 1
        step = by_id.get(mail.message_id)
        if step is None:
            unrecorded += 1
            matches = by_words.get((mail.to.lower(), mail.subject), [])
            step = matches[0] if len(matches) == 1 else None
        key = (
            f"{step.candidate_id}/{step.application_id}/{step.step_id}"
            if step
            else f"?{mail.to}/{mail.subject}"
        )
        per_step[key] += 1
    return Account(
        accepted=accepted,
        sent_steps=sum(1 for s in steps if s.state.value == "sent"),
        duplicates=sum(n - 1 for n in per_step.values() if n > 1),
        unrecorded=unrecorded,
        per_step=dict(per_step),
    )


# ---- moto as DynamoDB: one request at a time -------------------------------------------------------------
@contextmanager
def atomic_dynamodb() -> Iterator[threading.Lock]:
    """Make moto's DynamoDB handle one request at a time, as DynamoDB makes each request atomic.

    moto's in-process backend is plain Python: two threads inside `transact_write_items` (or a
    conditional `put_item`) can interleave between the condition check and the write, which
    DynamoDB never allows, and a Query can iterate a dict another thread is growing. Serialising
    whole requests (DynamoHandler.call_action, where each request is parsed, executed and answered)
    restores DynamoDB's per-request atomicity and nothing more: which request wins a race is still
    decided by the threads, and the store's claim logic (read, then conditional write) still races
    for real between requests.

    moto also backs up the whole table (`copy.deepcopy`) once per item of every transaction, so a
    5-item claim on a table of N items copies 5N items; DynamoDB's cost does not grow with the table.
    Under the lock it is enough to snapshot the items a transaction names and put those back if it is
    cancelled (nearmiss_local.moto_patches); conditions, reasons and writes stay moto's own.
    """
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.responses import DynamoHandler
    from nearmiss_local import moto_patches

    lock = threading.Lock()
    original_call = DynamoHandler.call_action
    original_transact = DynamoDBBackend.transact_write_items

    def call_action(self: Any) -> Any:
        with lock:
            return original_call(self)

    transact_write_items = moto_patches.snapshotting(original_transact)

    DynamoHandler.call_action = call_action  # type: ignore[method-assign]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    try:
        yield lock
    finally:
        DynamoHandler.call_action = original_call  # type: ignore[method-assign]
        DynamoDBBackend.transact_write_items = original_transact  # type: ignore[method-assign]


def later(**delta: float) -> datetime:
    return NOW + timedelta(**delta)


# ---- a bare table for the store-level tests ------------------------------------------------------------
AT = NOW + timedelta(days=2)  # when the store-level tests run the dispatcher
TABLE = "nearmiss-local"


@contextmanager
def moto_table(**client_config: Any) -> Iterator[Any]:
    """An empty table built from template.yaml's own schema in moto; yields a DynamoDB client
    (configured like bootstrap's when `client_config` says so, e.g. retries)."""
    import boto3
    from botocore.config import Config
    from moto import mock_aws
    from nearmiss_local.runtime import REGION, load_template, set_fake_credentials, table_definition

    set_fake_credentials()
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION, config=Config(**client_config))
        client.create_table(**table_definition(load_template(), TABLE))
        yield client


def due_steps(count: int, *, at: datetime = AT) -> list[StepRecord]:
    """`count` auto-mode thank-yous due before `at`, each to its own recipient (no day cap applies)."""
    from nearmiss.service.playbooks import SenderPolicy, plan_records

    from tests.conftest import make_application, make_candidate, make_rejection

    candidate = make_candidate()
    bases = [
        r
        for r in plan_records(
            candidate,
            make_application(),
            make_rejection(),
            SenderPolicy("mail.example").for_candidate(candidate),
            now=NOW,
        )
        if r.recipient_address and r.state.value == "scheduled"
    ]
    return [
        bases[i % len(bases)].model_copy(
            update={
                "candidate_id": f"cand-{i % 50}",
                "application_id": f"app-{i}",
                "recipient_key": f"rcpt{i:05d}",
                "recipient_address": f"person{i}@hiring.example",
                "due_at": at - timedelta(minutes=1 + i % 600),
            }
        )
        for i in range(count)
    ]


def write(client: Any, steps: list[StepRecord]) -> None:
    """Put steps straight into the table in the store's own item format, with their members (as
    registered, address proved: the dispatcher sends only for a member with a proved address), each
    step seeing its member as they are (as a playbook's start plans them: the claim checks it)."""
    from nearmiss.adapters.dynamo import DynamoStore
    from nearmiss.domain.records import MemberSeen

    from tests.conftest import make_candidate

    store = DynamoStore(client, TABLE)
    for cid in sorted({s.candidate_id for s in steps}):
        if store.get_candidate(cid) is None:
            store.put_candidate(make_candidate(candidate_id=cid, email=f"{cid}@members.example"))
    seen = [
        s.model_copy(update={"member": MemberSeen(email=f"{s.candidate_id}@members.example")}) for s in steps
    ]
    items = [{"PutRequest": {"Item": store._step_item(s)}} for s in seen]
    for i in range(0, len(items), 25):
        client.batch_write_item(RequestItems={TABLE: items[i : i + 25]})


def stored_steps(client: Any) -> list[StepRecord]:
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": TABLE, "ConsistentRead": True}
    while True:
        page = client.scan(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return [StepRecord.model_validate_json(i["doc"]["S"]) for i in items if i["sk"]["S"].startswith("STEP#")]
