"""3. Dispatcher scaling: send_due_steps runs against what is stored, on the real DynamoDB adapter.

Steps are written straight into moto tables in the store's own item format (DynamoStore._step_item
on StepRecords built by nearmiss.service.playbooks.plan_records), with batch_write_item. A run is
`Dispatcher.run(now)` with the real DynamoStore and a RecordingMailer (nearmiss_local.fakes; here
one that does not keep the messages), so DynamoDB is the only AWS behind it. Every due step has its
own recipient (no one-per-day deferrals).

a) One run over 100 due steps, with 0 and with 100,000 dormant steps stored in the same table
   (half scheduled for later, so in the due-index but not due; half sent, so not in the index). Two
   tables side by side, runs interleaved, the 100 due steps put back between runs.
b) 1,000 against 10,000 due steps, worked off with the deployed cap (400 steps per run): runs until
   one finds nothing due, as the five-minute schedule would.
c) Informative: one run with the cap lifted to take 300 or 3,000 due steps at once.

"Our side" is the CPU time of the run minus the CPU time moto spends emulating the requests
(awscount.MotoClock): it is what would run in Lambda. What DynamoDB would do is counted too
(requests, items read, read units). The heap is frozen (gc.freeze) before each run, so the garbage
collector does not walk moto's stored items, which live in DynamoDB, not in a Lambda's heap.
moto's TransactWriteItems is patched (nearmiss_local/moto_patches.py) to stop it from deep-copying the whole
table per item, which DynamoDB does not do either.
"""

from __future__ import annotations

import gc
import time
from datetime import timedelta
from typing import Any

import awscount
import fixtures
from common import Measure, median

DORMANT = 100_000
CAP = 400  # the template's max_steps_per_run (nearmiss.config.Settings default)
DUE_SMALL = 100
RATIO_DORMANT = 1.2
RATIO_LINEAR = 11.0


def _base_records() -> list[Any]:
    from nearmiss.service.playbooks import SenderPolicy, plan_records

    ada = fixtures.candidate()
    app = fixtures.application()
    rejection = fixtures.rejection(ada.candidate_id, app.application_id, fixtures.NOW)
    records = plan_records(
        ada, app, rejection, SenderPolicy("mail.nearmiss.example").for_candidate(ada), now=fixtures.NOW
    )
    return [r for r in records if r.recipient_address and r.state.value == "scheduled"]


MEMBERS = 50  # due steps belong to 50 members: the dispatcher reads each member once per run


def due_items(store: Any, n: int, prefix: str, now: Any) -> list[dict[str, Any]]:
    bases = _base_records()
    items = []
    members = min(n, MEMBERS)
    for m in range(members):  # the members the steps belong to, as stored after proving their address
        member = fixtures.candidate(candidate_id=f"{prefix}c{m}", email=f"member{m}@{prefix or 'x'}.example")
        items.append(
            store._doc_item(
                f"CAND#{member.candidate_id}", "PROFILE", "candidate", member.model_dump_json(), now
            )
        )
    for i in range(n):
        base = bases[i % len(bases)]
        record = base.model_copy(
            update={
                "candidate_id": f"{prefix}c{i % MEMBERS}",
                "application_id": f"{prefix}a{i}",
                "recipient_key": f"{prefix}r{i:08d}",
                "recipient_address": f"person{i}@{prefix or 'x'}.example",
                "due_at": now - timedelta(seconds=60 + i % 3600),
            }
        )
        items.append(store._step_item(record))
    return items


def dormant_items(store: Any, n: int, now: Any) -> list[dict[str, Any]]:
    from nearmiss.domain.models import StepState

    bases = _base_records()
    items = []
    for i in range(n):
        base = bases[i % len(bases)]
        later = i % 2 == 0
        record = base.model_copy(
            update={
                "candidate_id": f"d{i}",
                "application_id": f"da{i}",
                "recipient_key": f"dr{i:08d}",
                "state": StepState.SCHEDULED if later else StepState.SENT,
                "due_at": now + timedelta(days=1 + i % 120) if later else None,
                "version": 0 if later else 2,
            }
        )
        items.append(store._step_item(record))
    return items


def load(client: Any, table: str, items: list[dict[str, Any]]) -> float:
    started = time.perf_counter()
    for start in range(0, len(items), 25):
        batch = {table: [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]}
        while batch:
            got = client.batch_write_item(RequestItems=batch)
            batch = got.get("UnprocessedItems") or {}
    return time.perf_counter() - started


class CountingMailer:
    """nearmiss_local.fakes.RecordingMailer's contract without keeping the messages: a run over
    10,000 steps would otherwise hold 10,000 rendered emails that no Lambda run keeps."""

    def __init__(self) -> None:
        from nearmiss_local.fakes import RecordingMailer

        self._inner = RecordingMailer()
        self.count = 0

    def send(self, message: Any) -> str:
        message_id = self._inner.send(message)
        self._inner.sent.clear()
        self.count += 1
        return message_id


def dispatcher_for(store: Any, max_steps: int) -> tuple[Any, CountingMailer]:
    from nearmiss.service.dispatch import Dispatcher, DispatchSettings
    from nearmiss.service.links import Links

    mailer = CountingMailer()
    dispatcher = Dispatcher(
        store,
        mailer,
        Links("https://nearmiss.example", b"bench-link-secret-0123456789abcdef"),
        platform_address="notes@mail.nearmiss.example",
        settings=DispatchSettings(max_steps=max_steps, max_send_rate=1e9),
    )
    return dispatcher, mailer


def timed_runs(store: Any, max_steps: int, now: Any, *, drain: bool) -> dict[str, Any]:
    """One Dispatcher.run, or (drain) runs until one finds nothing due, as the schedule would."""
    dispatcher, mailer = dispatcher_for(store, max_steps)
    counter, clock = awscount.COUNTER, awscount.MOTO
    gc.collect()
    gc.freeze()  # what exists before the run (moto's tables above all) is not the run's to collect
    first = len(counter.requests)
    moto_before, moto_cpu_before = clock.seconds, clock.cpu_seconds
    cpu = time.thread_time()
    started = time.perf_counter()
    outcomes: dict[str, int] = {}
    runs = 0
    while True:
        report = dispatcher.run(now)
        runs += 1
        for k, v in report.as_dict().items():
            outcomes[k] = outcomes.get(k, 0) + v
        if not drain or not report.as_dict():
            break
    wall = time.perf_counter() - started
    cpu = time.thread_time() - cpu
    moto, moto_cpu = clock.seconds - moto_before, clock.cpu_seconds - moto_cpu_before
    gc.unfreeze()
    requests = counter.requests[first:]
    return {
        "wall": wall,
        "moto": moto,
        "ours": cpu - moto_cpu,  # CPU time: what other processes on the machine do hardly moves it
        "ours_wall": wall - moto,
        "cpu": cpu,
        "runs": runs,
        "outcomes": outcomes,
        "sent": mailer.count,
        "requests": len(requests),
        "queries": sum(1 for r in requests if r.operation == "Query"),
        "items_read": sum(r.items_read for r in requests),
        "scanned": sum(r.scanned for r in requests),
        "rru": sum(r.rru for r in requests),
        "wru": sum(r.wru for r in requests),
    }


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    keys = ("wall", "moto", "ours", "ours_wall", "cpu")
    out: dict[str, Any] = {k: median([r[k] for r in runs]) for k in keys}
    for k in ("requests", "queries", "items_read", "scanned", "rru", "wru", "sent", "runs"):
        out[k] = runs[-1][k]
    out["outcomes"] = runs[-1]["outcomes"]
    return out


def run(quick: bool = False) -> tuple[list[Measure], dict[str, Any]]:
    import boto3
    from moto import mock_aws
    from nearmiss.adapters.dynamo import DynamoStore
    from nearmiss_local import moto_patches
    from nearmiss_local.runtime import load_template, set_fake_credentials, table_definition

    set_fake_credentials()
    awscount.install()
    dormant_n = 20_000 if quick else DORMANT
    big = 2_000 if quick else 10_000
    small = big // 10
    repeats = 2 if quick else 4
    one_n = 1_000 if quick else 3_000
    now = fixtures.NOW + timedelta(days=1)
    notes: dict[str, Any] = {"dormant": dormant_n, "due": DUE_SMALL, "linear": [small, big]}
    with mock_aws():
        moto_patches.apply()
        awscount.MOTO.install()
        client = boto3.client("dynamodb", region_name="eu-west-1")
        template = load_template()
        stores = {}
        for name in (
            "bench-empty",
            "bench-dormant",
            "bench-linear-small",
            "bench-linear-big",
            "bench-one-small",
            "bench-one-big",
        ):
            client.create_table(**table_definition(template, name))
            stores[name] = DynamoStore(client, name)
        awscount.COUNTER.enabled = False  # loading is set-up, not the dispatcher's
        built = time.perf_counter()
        dormant = dormant_items(stores["bench-dormant"], dormant_n, now)
        due = due_items(stores["bench-empty"], DUE_SMALL, "", now)
        notes["build_items_seconds"] = round(time.perf_counter() - built, 1)
        notes["load_dormant_seconds"] = round(load(client, "bench-dormant", dormant), 1)
        notes["dormant_item_bytes_avg"] = round(sum(awscount.item_size(i) for i in dormant[:1000]) / 1000)
        del dormant

        # a) 100 due steps with 0 and with N dormant steps, interleaved
        runs: dict[str, list[dict[str, Any]]] = {"bench-empty": [], "bench-dormant": []}
        for _ in range(repeats):
            for name in ("bench-empty", "bench-dormant"):
                awscount.COUNTER.enabled = False
                load(client, name, due)
                awscount.COUNTER.enabled = True
                runs[name].append(timed_runs(stores[name], CAP, now, drain=False))
        empty, full = _summary(runs["bench-empty"]), _summary(runs["bench-dormant"])

        # b) 1,000 against 10,000 due steps, worked off with the deployed cap (runs until none is due)
        awscount.COUNTER.enabled = False
        small_items = due_items(stores["bench-linear-small"], small, "s", now)
        big_items = due_items(stores["bench-linear-big"], big, "b", now)
        linear: dict[str, list[dict[str, Any]]] = {"small": [], "big": []}
        for which, table, items in (
            ("small", "bench-linear-small", small_items),
            ("big", "bench-linear-big", big_items),
            ("small", "bench-linear-small", small_items),
        ):
            awscount.COUNTER.enabled = False
            notes[f"load_{which}_seconds"] = round(load(client, table, items), 1)
            awscount.COUNTER.enabled = True
            linear[which].append(timed_runs(stores[table], CAP, now, drain=True))
        lo, hi = _summary(linear["small"]), _summary(linear["big"])

        # c) one run with the cap lifted, 10x the steps (informative: why the cap is there)
        awscount.COUNTER.enabled = False
        one_small = due_items(stores["bench-one-small"], one_n // 10, "o", now)
        one_big = due_items(stores["bench-one-big"], one_n, "O", now)
        load(client, "bench-one-small", one_small)
        load(client, "bench-one-big", one_big)
        awscount.COUNTER.enabled = True
        single_lo = timed_runs(stores["bench-one-small"], one_n // 10, now, drain=False)
        single_hi = timed_runs(stores["bench-one-big"], one_n, now, drain=False)

    notes["runs"] = {"dormant_a": runs, "linear_b": linear, "single_c": [single_lo, single_hi]}
    raw = full["wall"] / empty["wall"]
    ours = full["ours"] / empty["ours"]
    work = full["rru"] / empty["rru"] if empty["rru"] else float("nan")
    per_query_moto_ms = (full["moto"] - empty["moto"]) / max(1, full["queries"]) * 1000
    label = f"{dormant_n:,}"
    measures = [
        Measure(
            "3 dispatcher",
            f"100 due: {label} vs 0 dormant, our side",
            round(ours, 3),
            "x",
            "(information)",
            None,
            f"not a target: identical DynamoDB work moves it by as much as a 20 % tolerance (noise); "
            f"the run's CPU time minus moto's: {empty['ours'] * 1000:.0f} ms vs {full['ours'] * 1000:.0f} ms "
            f"(median of {repeats}, interleaved; in wall time {empty['ours_wall'] * 1000:.0f} vs "
            f"{full['ours_wall'] * 1000:.0f} ms); sent {empty['sent']} / {full['sent']}; "
            f"outcomes {full['outcomes']}",
        ),
        Measure(
            "3 dispatcher",
            f"100 due: {label} vs 0 dormant, DynamoDB work",
            round(work, 3),
            "x",
            f"<= {RATIO_DORMANT}",
            work <= RATIO_DORMANT,
            f"read units {empty['rru']:.1f} vs {full['rru']:.1f}; "
            f"requests {empty['requests']} vs {full['requests']}; "
            f"items read by the due-index Queries {empty['items_read']} vs {full['items_read']} "
            f"(ScannedCount {empty['scanned']} vs {full['scanned']}); no Scan",
        ),
        Measure(
            "3 dispatcher",
            f"100 due: {label} vs 0 dormant, wall on moto",
            round(raw, 2),
            "x",
            "(moto artefact)",
            None,
            f"{empty['wall'] * 1000:.0f} ms vs {full['wall'] * 1000:.0f} ms; moto's GSI Query visits every "
            f"stored item: {per_query_moto_ms:.0f} ms more per Query with {label} items; DynamoDB reads "
            "only the index range",
        ),
        Measure(
            "3 dispatcher",
            f"due steps {big:,} vs {small:,} worked off, our side",
            round(hi["ours"] / lo["ours"], 2),
            "x",
            f"<= {RATIO_LINEAR:g} (linear)",
            hi["ours"] / lo["ours"] <= RATIO_LINEAR,
            f"runs with the deployed cap ({CAP} per run) until none is due: "
            f"{lo['runs']} vs {hi['runs']} runs, "
            f"{lo['ours']:.2f} s vs {hi['ours']:.2f} s CPU ({lo['ours'] / lo['sent'] * 1000:.2f} vs "
            f"{hi['ours'] / hi['sent'] * 1000:.2f} ms per step sent); sent {lo['sent']} vs {hi['sent']}; "
            f"requests {lo['requests']} vs {hi['requests']} ({lo['queries']} vs {hi['queries']} Queries)",
        ),
        Measure(
            "3 dispatcher",
            f"due steps {big:,} vs {small:,} worked off, DynamoDB work",
            round(hi["requests"] / lo["requests"], 2),
            "x",
            f"<= {RATIO_LINEAR:g} (linear)",
            hi["requests"] / lo["requests"] <= RATIO_LINEAR,
            f"requests {lo['requests']} vs {hi['requests']}; read units {lo['rru']:.1f} vs {hi['rru']:.1f} "
            f"({hi['rru'] / lo['rru']:.2f} x); write units {lo['wru']:.0f} vs {hi['wru']:.0f}",
        ),
        Measure(
            "3 dispatcher",
            f"due steps {big:,} vs {small:,} worked off, wall on moto",
            round(hi["wall"] / lo["wall"], 2),
            "x",
            "(moto artefact)",
            None,
            f"{lo['wall']:.1f} s vs {hi['wall']:.1f} s; moto's share {lo['moto'] / lo['wall']:.0%} vs "
            f"{hi['moto'] / hi['wall']:.0%} (its due-index Query visits the whole table, "
            "once per shard per run)",
        ),
        Measure(
            "3 dispatcher",
            f"one run, cap lifted: {one_n:,} vs {one_n // 10:,} due, our side",
            round(single_hi["ours"] / single_lo["ours"], 2),
            "x",
            "",
            None,
            f"{single_lo['ours'] / single_lo['sent'] * 1000:.2f} vs "
            f"{single_hi['ours'] / single_hi['sent'] * 1000:.2f} "
            f"ms per step sent; sent {single_lo['sent']} vs {single_hi['sent']} (the per-shard share "
            f"ceil(cap / shards) leaves some due steps when shards are uneven); a single run holds every "
            f"due StepRecord at once",
        ),
    ]
    notes.update({"empty": empty, "dormant_summary": full, "small": lo, "big": hi})
    notes.update({"single_small": single_lo, "single_big": single_hi})
    return measures, notes
