"""Four send_due_steps runs at once over the same 500 due steps: none sent twice, none missed.

The real DynamoStore on moto and four real Dispatchers in four threads (four Lambda sandboxes that
the schedule happened to start together), each sending on its deployed number of threads
(NEARMISS_SEND_CONCURRENCY, 16), so 64 senders race for the claims; one RecordingMailer counts what
reaches "SES". moto answers one request at a time (atomic_dynamodb), as DynamoDB makes each atomic.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

import boto3
import pytest
from nearmiss.adapters.dynamo import DynamoStore
from nearmiss.config import Settings
from nearmiss.service.dispatch import Dispatcher, DispatchReport, DispatchSettings
from nearmiss.service.links import Links
from nearmiss_local.fakes import RecordingMailer
from nearmiss_local.runtime import REGION

from tests.reliability.support import (
    AT,
    TABLE,
    atomic_dynamodb,
    due_steps,
    half_claimed,
    moto_table,
    states,
    stored_steps,
    write,
)

pytestmark = pytest.mark.reliability

DUE = 500
DISPATCHERS = 4
CONCURRENCY = Settings.model_fields["send_concurrency"].default  # the deployed sender threads per run
LINKS = Links("https://nearmiss.example", b"k" * 32)


def test_four_dispatchers_on_their_deployed_threads_over_500_due_steps_send_each_once(table: Any) -> None:
    assert CONCURRENCY > 1, "the runs must race within themselves too"
    with moto_table() as dynamo, atomic_dynamodb():
        # Given 500 due steps in the real table
        steps = due_steps(DUE)
        write(dynamo, steps)
        mailer = RecordingMailer()
        settings = DispatchSettings(max_steps=DUE * 2, max_send_rate=1e9, concurrency=CONCURRENCY)
        # each "sandbox" with its own client and store, as four Lambda instances would have
        dispatchers = [
            Dispatcher(
                DynamoStore(boto3.client("dynamodb", region_name=REGION), TABLE),
                mailer,
                LINKS,
                platform_address="notes@mail.example",
                settings=settings,
                sleep=lambda s: None,
            )
            for _ in range(DISPATCHERS)
        ]
        reports: list[DispatchReport] = []
        errors: list[BaseException] = []
        start = threading.Barrier(DISPATCHERS)

        def run(dispatcher: Dispatcher) -> None:
            start.wait()
            try:
                reports.append(dispatcher.run(AT))
            except BaseException as exc:  # a thread's failure must fail the test, not vanish
                errors.append(exc)

        # When four runs start at the same instant
        began = time.perf_counter()
        threads = [threading.Thread(target=run, args=(d,)) for d in dispatchers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        elapsed = time.perf_counter() - began
        stored = stored_steps(dynamo)

    # Then every step was sent exactly once: each claim was won by exactly one run
    assert not errors, errors
    assert len(reports) == DISPATCHERS
    outcomes: Counter[str] = Counter()
    for report in reports:
        outcomes.update(report.outcomes)
    per_recipient = Counter(m.to_address for m in mailer.sent)
    duplicates = sum(n - 1 for n in per_recipient.values() if n > 1)
    lost = sum(1 for s in steps if per_recipient[s.recipient_address or ""] == 0)
    print(
        f"\n  {DISPATCHERS} dispatchers x {DUE} due steps in {elapsed:.1f} s: outcomes {dict(outcomes)}; "
        f"sends per run {[r.outcomes['sent'] for r in reports]}; stored states {states(stored)}"
    )
    table.add(
        "racing dispatchers",
        load=f"{DISPATCHERS} runs x {CONCURRENCY} threads x {DUE} due steps",
        faults=f"{outcomes['lost_race']} claims lost to a racing run",
        expected=DUE,
        sent=len(mailer.sent),
        duplicates=duplicates,
        lost=lost,
        seconds=elapsed,
    )
    assert duplicates == 0 and lost == 0
    assert len(mailer.sent) == DUE == outcomes["sent"]
    assert set(outcomes) <= {"sent", "lost_race", "not_due"}
    assert sum(1 for r in reports if r.outcomes["sent"]) > 1, "the runs did not overlap: no race was tested"
    assert states(stored) == {"sent": DUE}
    assert not half_claimed(stored)
    assert all(s.message_id for s in stored)
