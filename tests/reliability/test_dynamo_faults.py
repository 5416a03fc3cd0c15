"""DynamoDB misbehaving under the dispatcher and the playbook start: throughput exceeded, a competing
write that lands first, a transaction cancelled for a conflict. Each is retried or resolved, nothing is
sent twice, and no step is left half-claimed (`sending` with no lease, which no run would look at again).

The store is the real DynamoStore on moto. Faults come from nearmiss_local.faults: `WireFaults` answers
below the SDK (so botocore's own retry policy, configured as bootstrap configures it, retries), and
`FaultyDynamo` wraps the client above the SDK (errors the SDK gave up on or does not retry, and
competitors' writes that make our conditions fail for real).
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from nearmiss.adapters.dynamo import DynamoStore
from nearmiss.domain.models import StepState
from nearmiss.domain.records import StepRecord
from nearmiss.service.dispatch import Dispatcher, DispatchSettings
from nearmiss.service.links import Links
from nearmiss.service.playbooks import SenderPolicy, start_playbook
from nearmiss.service.ports import CreateOutcome, Suppression
from nearmiss_local.fakes import RecordingMailer
from nearmiss_local.faults import FaultyDynamo, WireFaults, instant_sdk_backoff

from tests.conftest import NOW, make_application, make_candidate, make_rejection
from tests.reliability.support import (
    AT,
    TABLE,
    due_steps,
    half_claimed,
    moto_table,
    states,
    stored_steps,
    write,
)

pytestmark = pytest.mark.reliability

LINKS = Links("https://nearmiss.example", b"k" * 32)
SDK_RETRIES = {"retries": {"mode": "standard", "max_attempts": 5}}  # as nearmiss.bootstrap builds it
DUE = 20


def dispatcher(client: Any, mailer: RecordingMailer) -> Dispatcher:
    return Dispatcher(
        DynamoStore(client, TABLE),
        mailer,
        LINKS,
        platform_address="notes@mail.example",
        settings=DispatchSettings(max_send_rate=1e9),
        sleep=lambda s: None,
    )


def is_claim(kwargs: dict[str, Any]) -> bool:
    """DynamoStore.claim_send's transaction (it books the recipient's day)."""
    return any(
        "Put" in item and item["Put"]["Item"]["sk"]["S"].startswith("DAY#")
        for item in kwargs["TransactItems"]
    )


def writes_state(state: str) -> Any:
    return lambda kwargs: kwargs.get("Item", {}).get("state", {}).get("S") == state


def sends_per_recipient(mailer: RecordingMailer) -> Counter[str]:
    return Counter(m.to_address for m in mailer.sent)


def check_books(steps: list[StepRecord], mailer: RecordingMailer) -> tuple[int, int]:
    """(duplicates, lost): a second message for one step; a step with no message and no visible state."""
    per = sends_per_recipient(mailer)
    duplicates = sum(n - 1 for n in per.values() if n > 1)
    lost = sum(
        1
        for s in steps
        if per[s.recipient_address or ""] == 0
        and s.state.value not in ("cancelled", "needs_review", "failed")
    )
    return duplicates, lost


def test_throughput_exceeded_is_retried_by_the_sdk_and_every_step_is_sent_once(table: Any) -> None:
    with moto_table(**SDK_RETRIES) as client, instant_sdk_backoff() as sdk_sleeps:
        # Given 20 due steps, and DynamoDB answering ProvisionedThroughputExceeded to the first
        # requests of every kind the dispatcher makes (at most 4 in a row: the SDK's 5th attempt passes)
        write(client, due_steps(DUE))
        wire = WireFaults(client)
        wire.add("Query", "ProvisionedThroughputExceededException", times=2)
        wire.add("TransactWriteItems", "ProvisionedThroughputExceededException", times=4)
        wire.add("PutItem", "ProvisionedThroughputExceededException", times=3)
        wire.add("TransactWriteItems", "ThrottlingException", times=1)
        mailer = RecordingMailer()

        # When the dispatcher runs
        report = dispatcher(client, mailer).run(AT)

        # Then the SDK retried (with backoff) and every step was sent once
        steps = stored_steps(client)
        duplicates, lost = check_books(steps, mailer)
        injected = ", ".join(f"{k} {v}" for k, v in sorted(wire.injected.items()))
        print(
            f"\n  injected {injected}; SDK retries {len(sdk_sleeps)} "
            f"(slept {sum(sdk_sleeps):.2f} s simulated); outcomes {report.as_dict()}"
        )
        table.add(
            "DynamoDB throughput exceeded (SDK retries)",
            load=f"{DUE} due steps, 1 run",
            faults=injected,
            expected=DUE,
            sent=len(mailer.sent),
            duplicates=duplicates,
            lost=lost,
        )
        assert sum(wire.injected.values()) == 10 == len(sdk_sleeps)
        assert report.as_dict() == {"sent": DUE}
        assert states(steps) == {"sent": DUE} and not half_claimed(steps)
        assert duplicates == 0 and lost == 0


def test_a_write_dynamodb_applied_but_whose_answer_was_lost_is_retried_without_a_second_send(
    table: Any,
) -> None:
    with moto_table(**SDK_RETRIES) as client, instant_sdk_backoff() as sdk_sleeps:
        # Given 20 due steps; DynamoDB commits the first claim and the first "sent" write, but both
        # answers are lost (a 500 after the commit): the SDK sends each request again
        write(client, due_steps(DUE))
        wire = WireFaults(client)
        wire.add("TransactWriteItems", "InternalServerError", status=500, applied=True)
        wire.add("PutItem", "InternalServerError", status=500, applied=True)
        mailer = RecordingMailer()

        # When the dispatcher runs
        report = dispatcher(client, mailer).run(AT)

        # Then the retried claim is the same transaction (its ClientRequestToken), so the step is sent
        # once; the retried "sent" write finds its own write (reported, never re-sent)
        steps = stored_steps(client)
        duplicates, lost = check_books(steps, mailer)
        injected = ", ".join(f"{k} {v}" for k, v in sorted(wire.injected.items()))
        print(
            f"\n  injected {injected}; SDK retries {len(sdk_sleeps)}; transactions answered from their "
            f"ClientRequestToken {wire.replayed_tokens}; outcomes {report.as_dict()}"
        )
        table.add(
            "DynamoDB write applied, answer lost",
            load=f"{DUE} due steps, 1 run",
            faults=injected,
            expected=DUE,
            sent=len(mailer.sent),
            duplicates=duplicates,
            lost=lost,
        )
        assert wire.replayed_tokens == 1
        assert report.as_dict() == {"sent": DUE - 1, "sent_but_unrecorded": 1}
        assert states(steps) == {"sent": DUE} and not half_claimed(steps)
        assert duplicates == 0 and lost == 0


def test_throughput_exceeded_after_the_sdk_gave_up_leaves_no_step_half_claimed(table: Any) -> None:
    with moto_table() as client:
        # Given 20 due steps; DynamoDB refuses (after every SDK retry) the first claim, and later
        # the write that records a step as sent, after SES accepted it
        write(client, due_steps(DUE))
        faulty = FaultyDynamo(client)
        faulty.fail(
            "transact_write_items",
            faulty.provisioned_throughput_exceeded("transact_write_items"),
            when=is_claim,
            label="PTEE on a claim",
        )
        mailer = RecordingMailer()
        d = dispatcher(faulty, mailer)
        failures = []

        # When the runs go on, every five minutes, as the schedule fires them
        at = AT
        for _ in range(4):
            if faulty.pending() == 0 and not faulty.injected["PTEE on the sent write"]:
                faulty.fail(
                    "put_item",
                    faulty.provisioned_throughput_exceeded("put_item"),
                    when=writes_state("sent"),
                    label="PTEE on the sent write",
                )
            try:
                d.run(at)
            except Exception as exc:  # the Lambda invocation fails; the next tick is its retry
                failures.append(type(exc).__name__)
            steps = stored_steps(client)
            assert not half_claimed(steps), [s for s in half_claimed(steps)]
            at += timedelta(minutes=5)
        d.run(at + timedelta(minutes=5))

        # Then the refused claim was taken again; the unrecorded send went to needs_review, not out again
        steps = stored_steps(client)
        duplicates, lost = check_books(steps, mailer)
        print(f"\n  failed runs: {failures}; steps {states(steps)}; sends {len(mailer.sent)}")
        table.add(
            "DynamoDB throughput exceeded (SDK gave up)",
            load=f"{DUE} due steps, 5 runs",
            faults=", ".join(f"{k} {v}" for k, v in sorted(faulty.injected.items())),
            expected=DUE,
            sent=len(mailer.sent),
            duplicates=duplicates,
            lost=lost,
        )
        assert faulty.injected == {"PTEE on a claim": 1, "PTEE on the sent write": 1}
        assert states(steps) == {"needs_review": 1, "sent": DUE - 1}
        assert len(mailer.sent) == DUE and duplicates == 0 and lost == 0


def test_a_competing_write_that_lands_first_makes_our_conditional_write_lose_cleanly(table: Any) -> None:
    with moto_table() as client:
        # Given 20 due steps
        steps = due_steps(DUE)
        write(client, steps)
        store = DynamoStore(client, TABLE)
        faulty = FaultyDynamo(client)
        rival_mailer = RecordingMailer()
        rival = dispatcher(client, rival_mailer)
        targets = {s.step_id + s.application_id: s for s in steps[:4]}

        def claim_of(step: StepRecord) -> Any:
            pk = f"APP#{step.candidate_id}#{step.application_id}"
            return lambda kwargs: (
                is_claim(kwargs)
                and any(
                    "Put" in i
                    and i["Put"]["Item"]["pk"]["S"] == pk
                    and i["Put"]["Item"]["sk"]["S"] == f"STEP#{step.step_id}"
                    for i in kwargs["TransactItems"]
                )
            )

        cancelled, suppressed, taken, reviewed = list(targets.values())
        # ... and, just before our claim of each: the candidate cancels one step's application,
        faulty.race(
            "transact_write_items",
            lambda kw: stop(store, cancelled),
            when=claim_of(cancelled),
            label="a stop",
        )
        # its recipient asks to stop (the link in an earlier mail),
        faulty.race(
            "transact_write_items",
            lambda kw: store.suppress(
                Suppression(suppressed.recipient_key, "asked to stop", suppressed.candidate_id), AT
            ),
            when=claim_of(suppressed),
            label="a recipient's stop",
        )
        # another run claims and sends it first,
        faulty.race(
            "transact_write_items",
            lambda kw: rival.handle(fresh(store, taken), AT),
            when=claim_of(taken),
            label="a racing run",
        )
        # and, for a fourth, a run that believes our lease ran out moves it to needs_review before
        # we record "sent"
        faulty.race(
            "put_item",
            lambda kw: expire(store, reviewed),
            when=lambda kw: (
                writes_state("sent")(kw)
                and kw["Item"]["sk"]["S"] == f"STEP#{reviewed.step_id}"
                and kw["Item"]["pk"]["S"].endswith(reviewed.application_id)
            ),
            label="a lease taken over",
        )
        mailer = RecordingMailer()

        # When our run handles them
        report = dispatcher(faulty, mailer).run(AT)

        # Then each lost its race without a second send, and each step says what happened
        stored = {s.application_id: s for s in stored_steps(client)}
        everyone = Counter(m.to_address for m in mailer.sent + rival_mailer.sent)
        duplicates = sum(n - 1 for n in everyone.values() if n > 1)
        print(
            f"\n  races: {dict(faulty.injected)}; our outcomes {report.as_dict()}; "
            f"rival sent {len(rival_mailer.sent)}"
        )
        table.add(
            "DynamoDB conditional-check races",
            load=f"{DUE} due steps, 1 run + competitors",
            faults=", ".join(f"{k} {v}" for k, v in sorted(faulty.injected.items())),
            expected=DUE - 2,
            sent=sum(everyone.values()),
            duplicates=duplicates,
            lost=DUE
            - 2
            - sum(
                1 for s in stored.values() if s.state is StepState.SENT or s.state is StepState.NEEDS_REVIEW
            ),
        )
        assert sum(faulty.injected.values()) == 4
        assert report.outcomes["lost_race"] == 2  # the stopped one (its version moved) and the rival's
        assert report.outcomes["cancelled"] == 1  # the suppressed one, with the reason
        assert report.outcomes["sent_but_unrecorded"] == 1
        assert stored[cancelled.application_id].state is StepState.CANCELLED
        assert stored[suppressed.application_id].state is StepState.CANCELLED
        assert "asked not to be contacted" in (stored[suppressed.application_id].reason or "")
        assert stored[taken.application_id].state is StepState.SENT
        assert stored[reviewed.application_id].state is StepState.NEEDS_REVIEW
        assert (
            everyone[cancelled.recipient_address or ""] == 0
            and everyone[suppressed.recipient_address or ""] == 0
        )
        assert (
            everyone[taken.recipient_address or ""] == 1 and everyone[reviewed.recipient_address or ""] == 1
        )
        assert duplicates == 0 and not half_claimed(list(stored.values()))


def fresh(store: DynamoStore, step: StepRecord) -> StepRecord:
    got = store.get_step(step.candidate_id, step.application_id, step.step_id)
    assert got is not None
    return got


def stop(store: DynamoStore, step: StepRecord) -> None:
    from nearmiss.domain.events import PlaybookCancelled
    from nearmiss.service.playbooks import stop_playbook

    stop_playbook(
        store,
        PlaybookCancelled(candidate_id=step.candidate_id, application_id=step.application_id, occurred_at=AT),
        now=AT,
    )


def expire(store: DynamoStore, step: StepRecord) -> None:
    claimed = fresh(store, step)
    assert claimed.state is StepState.SENDING
    store.replace_step(
        claimed, claimed.moved(StepState.NEEDS_REVIEW, now=AT, due_at=None, reason="lease expired")
    )


def test_a_transaction_conflict_on_a_claim_is_resolved_without_a_second_send(table: Any) -> None:
    with moto_table() as client:
        # Given 20 due steps, and the first claim cancelled by DynamoDB for a conflict with another
        # transaction (TransactionCanceledException, reason TransactionConflict; the SDK does not retry it)
        write(client, due_steps(DUE))
        faulty = FaultyDynamo(client)
        faulty.fail(
            "transact_write_items",
            faulty.canceled(["TransactionConflict", "None", "None", "None", "None"]),
            when=is_claim,
            label="TransactionConflict on a claim",
        )
        mailer = RecordingMailer()
        d = dispatcher(faulty, mailer)

        # When the schedule runs the dispatcher twice, five minutes apart
        raised = None
        try:
            d.run(AT)
        except Exception as exc:  # a step.s error is isolated: the run goes on
            raised = type(exc).__name__
        after_first = len(mailer.sent)
        assert not half_claimed(stored_steps(client))
        d.run(AT + timedelta(minutes=5))

        # Then the conflicting step was taken again and everything was sent exactly once
        steps = stored_steps(client)
        duplicates, lost = check_books(steps, mailer)
        print(f"\n  first run: raised {raised}, sent {after_first}; after the next run: {states(steps)}")
        table.add(
            "DynamoDB TransactionConflict on a claim",
            load=f"{DUE} due steps, 2 runs",
            faults="TransactionCanceled(TransactionConflict) 1",
            expected=DUE,
            sent=len(mailer.sent),
            duplicates=duplicates,
            lost=lost,
        )
        assert states(steps) == {"sent": DUE} and duplicates == 0 and lost == 0


def test_a_transaction_conflict_on_one_claim_does_not_abort_the_run_for_the_others(table: Any) -> None:
    with moto_table() as client:
        write(client, due_steps(DUE))
        faulty = FaultyDynamo(client)
        faulty.fail(
            "transact_write_items",
            faulty.canceled(["TransactionConflict", "None", "None", "None", "None"]),
            when=is_claim,
        )
        mailer = RecordingMailer()
        try:
            report = dispatcher(faulty, mailer).run(AT)
            outcomes = report.as_dict()
        except Exception as exc:
            outcomes = {"run raised": type(exc).__name__}  # type: ignore[dict-item]
        print(
            f"\n  one TransactionConflict among {DUE} claims: {outcomes}; "
            f"sent in that run: {len(mailer.sent)}"
        )
        table.add(
            "TransactionConflict aborts the run (bug fixed)",
            load=f"{DUE} due steps, 1 run",
            faults="TransactionCanceled(TransactionConflict) 1",
            expected=DUE - 1,
            sent=len(mailer.sent),
            duplicates=0,
            lost=f"{DUE - 1 - len(mailer.sent)} delayed",
        )
        assert len(mailer.sent) == DUE - 1


def test_a_transaction_conflict_when_a_playbook_starts_is_retried_into_exactly_one_playbook(
    table: Any,
) -> None:
    with moto_table() as client:
        # Given a registered candidate and application, and the playbook's transaction cancelled once
        store = DynamoStore(client, TABLE)
        store.put_candidate(make_candidate())
        store.put_application(make_application())
        faulty = FaultyDynamo(client)
        faulty.fail(
            "transact_write_items",
            faulty.canceled(["None", "None", "TransactionConflict"]),
            when=lambda kw: any(
                i.get("Put", {}).get("Item", {}).get("sk", {}).get("S") == "PLAYBOOK"
                for i in kw["TransactItems"]
            ),
        )
        flaky = DynamoStore(faulty, TABLE)  # type: ignore[arg-type]
        senders = SenderPolicy("mail.example")

        # When start_playbook fails and Lambda's asynchronous retry delivers the event again (twice)
        outcomes = []
        for _ in range(3):
            try:
                outcomes.append(start_playbook(flaky, make_rejection(), senders, now=NOW)[0].value)
            except Exception as exc:
                outcomes.append(type(exc).__name__)

        # Then one playbook, all of its steps, and nothing half-written by the cancelled attempt
        steps = stored_steps(client)
        print(f"\n  start_playbook outcomes: {outcomes}; steps {states(steps)}")
        table.add(
            "TransactionConflict on playbook start",
            load="1 rejection delivered 3 times",
            faults="TransactionCanceled(TransactionConflict) 1",
            expected="1 playbook",
            sent="-",
            duplicates=outcomes.count(CreateOutcome.CREATED.value) - 1,
            lost=0 if CreateOutcome.CREATED.value in outcomes else 1,
        )
        assert outcomes == ["TransactionCanceledException", "created", "duplicate"]
        assert steps and len(steps) == len({s.step_id for s in steps})
