"""6. Dispatcher throughput and backlog: SES kept at the account's rate, with realistic latency.

a) Throughput (real time, real threads). `Dispatcher.run` with the deployed concurrency on the real
   DynamoStore and the real SesMailer, on boto3 clients against moto, with latency injected *under*
   the SDK: a `before-send` handler on each client (registered first, so it runs before moto's own
   stubber answers) sleeps 80 ms for an SES SendEmail and 8 ms for a DynamoDB request, then lets moto
   answer. The SDK's own code (parameter validation, serialisation, signing, parsing) runs for every
   request. moto in process is not thread-safe for concurrent writers, so its request processing is
   serialised with a lock (as the reliability suite's atomic_dynamodb and the local server do); the
   injected latency is outside the lock, so the threads really overlap it. Throughput = notes sent /
   wall time of the run (from its first due-index Query to its last recorded send), against the
   configured rate; target at least 90 %.
b) Backlog drain (simulated clock). 100,000 notes due at one instant, on the deployed settings
   (4 due-index shards, 400 steps per batch, a 5-minute schedule, a 240 s timeout): the scheduled
   run at that instant fans out, each shard run works batch after batch at its share of the rate and
   hands on to its successor near its timeout; every scheduled run after that looks again. The real
   Dispatcher code runs (run, run_shard, the claim protocol, the limiter) on an in-memory store
   (nearmiss_local.fakes) and a mailer that advance a simulated clock by the same injected latencies
   (8 ms per DynamoDB request, 80 ms per SES send, 100 ms for Lambda to start an asynchronous
   invocation); a run's sender threads are simulated workers (each step goes to the worker free
   earliest, on its own timeline), since real threads cannot share a simulated clock. Shard runs do
   not share state besides the store (their steps are disjoint), so each invocation is simulated in
   turn. Rendering is cached (the same note every time): it is CPU, which the simulated clock does
   not count, and section 5 measures. Target: the last note is sent within N / rate + one dispatch
   interval of the instant they fell due.
"""

from __future__ import annotations

import bisect
import heapq
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import fixtures
from common import Measure

THRESHOLD = 0.9
SES_LATENCY = 0.080
DYNAMODB_LATENCY = 0.008
INVOKE_LATENCY = 0.100
RATES = (14.0, 100.0)
BACKLOG = 100_000


# ---- shared set-up ---------------------------------------------------------------------------
def _base_step() -> Any:
    from nearmiss.service.playbooks import SenderPolicy, plan_records

    ada = fixtures.candidate()
    app = fixtures.application()
    rejection = fixtures.rejection(ada.candidate_id, app.application_id, fixtures.NOW)
    records = plan_records(
        ada, app, rejection, SenderPolicy("mail.nearmiss.example").for_candidate(ada), now=fixtures.NOW
    )
    return next(r for r in records if r.recipient_address and r.state.value == "scheduled")


MEMBERS = 50  # the due notes belong to 50 members: a run reads each member once (their proved address)


def _members(store: Any, prefix: str, n: int) -> None:
    """The members the notes of `_steps(n, ..., prefix)` belong to, stored as after proving their address."""
    for m in range(min(n, MEMBERS)):
        store.put_candidate(
            fixtures.candidate(candidate_id=f"{prefix}c{m}", email=f"member{m}@{prefix}.example")
        )


def _steps(n: int, due: datetime, prefix: str) -> list[Any]:
    base = _base_step()
    return [
        base.model_copy(
            update={
                "candidate_id": f"{prefix}c{i % MEMBERS}",
                "application_id": f"{prefix}a{i}",
                "recipient_key": f"{prefix}r{i:07d}",
                "recipient_address": f"person{i}@{prefix}.example",
                "due_at": due,
            }
        )
        for i in range(n)
    ]


def _settings() -> Any:
    from nearmiss.config import Settings

    return Settings(table_name="bench", event_bus_name="bench", sender_domain="mail.nearmiss.example")


# ---- a) throughput on moto, real threads -----------------------------------------------------
MOTO_CPU = [0.0]  # CPU seconds spent inside moto's request processing (all threads; it is serialised)


def _serialise_moto() -> None:
    from moto.core.models import botocore_stubber

    original = botocore_stubber.process_request
    lock = threading.Lock()

    def one_at_a_time(request: Any) -> Any:
        with lock:
            cpu = time.thread_time()
            try:
                return original(request)
            finally:
                MOTO_CPU[0] += time.thread_time() - cpu

    botocore_stubber.process_request = one_at_a_time  # type: ignore[method-assign]


def _latency(client: Any, seconds: float) -> None:
    def wait(**_: Any) -> None:
        time.sleep(seconds)  # then moto's own before-send handler answers

    client.meta.events.register_first("before-send", wait)


class _TimedMailer:
    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.times: list[float] = []
        self._lock = threading.Lock()

    def send(self, message: Any) -> str:
        message_id: str = self.inner.send(message)
        with self._lock:
            self.times.append(time.perf_counter())
        return message_id


def throughput(rate: float, n: int, concurrency: int) -> dict[str, Any]:
    import boto3
    from nearmiss.adapters.dynamo import DynamoStore
    from nearmiss.adapters.ses import SesMailer
    from nearmiss.service.dispatch import Dispatcher, DispatchSettings
    from nearmiss.service.links import Links
    from nearmiss_local.runtime import load_template, table_definition

    table = f"bench-rate-{int(rate)}"
    dynamo = boto3.client("dynamodb", region_name="eu-west-1")
    ses = boto3.client("sesv2", region_name="eu-west-1")
    dynamo.create_table(**table_definition(load_template(), table))
    ses.create_email_identity(EmailIdentity="mail.nearmiss.example")
    store = DynamoStore(dynamo, table)
    now = fixtures.NOW + timedelta(days=1)
    _latency(dynamo, DYNAMODB_LATENCY)
    _latency(ses, SES_LATENCY)
    mailer = _TimedMailer(SesMailer(ses))
    dispatcher = Dispatcher(
        store,
        mailer,
        Links("https://nearmiss.example", b"bench-link-secret-0123456789abcdef"),
        platform_address="notes@mail.nearmiss.example",
        settings=DispatchSettings(max_steps=n, max_send_rate=rate, concurrency=concurrency),
    )
    # A warm container: one run over a few notes first (templates compiled, SDK models loaded).
    _members(store, f"w{int(rate)}", concurrency)
    _members(store, f"t{int(rate)}", n)
    for step in _steps(concurrency, now - timedelta(minutes=2), f"w{int(rate)}"):
        dynamo.put_item(TableName=table, Item=store._step_item(step))
    dispatcher.run(now)
    mailer.times.clear()
    for step in _steps(n, now - timedelta(minutes=1), f"t{int(rate)}"):
        dynamo.put_item(TableName=table, Item=store._step_item(step))
    moto_before = MOTO_CPU[0]
    cpu = time.process_time()
    started = time.perf_counter()
    report = dispatcher.run(now)
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu
    moto_cpu = MOTO_CPU[0] - moto_before
    sent = len(mailer.times)
    return {
        "rate": rate,
        "concurrency": concurrency,
        "due": n,
        "sent": sent,
        "wall": wall,
        "throughput": sent / wall,
        "paced_span": (mailer.times[-1] - mailer.times[0]) if sent > 1 else 0.0,
        "cpu_per_note_ms": cpu / max(1, sent) * 1000,
        "moto_cpu_per_note_ms": moto_cpu / max(1, sent) * 1000,
        "outcomes": report.as_dict(),
    }


# ---- b) backlog drain, simulated clock -------------------------------------------------------
class SimClock:
    """Simulated seconds since `epoch`; sleeping and injected latencies move it, nothing else."""

    def __init__(self, epoch: datetime) -> None:
        self.epoch = epoch
        self.t = 0.0

    def monotonic(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += max(0.0, seconds)

    def now(self) -> datetime:
        return self.epoch + timedelta(seconds=self.t)


def _sim_store(clock: SimClock, shards: int) -> Any:
    from nearmiss.adapters.dynamo import due_shard
    from nearmiss_local.fakes import MemoryStore

    class SimStore(MemoryStore):
        """MemoryStore with a per-shard due index (its own scans every step) and DynamoDB's latency."""

        def __init__(self, shards: int) -> None:
            super().__init__(shards=shards)
            self.index: list[dict[tuple[str, str, str], Any]] = [{} for _ in range(shards)]

        def add(self, step: Any) -> None:
            key = (step.candidate_id, step.application_id, step.step_id)
            self.steps[key] = step
            self._index(step)

        def _index(self, step: Any) -> None:
            key = (step.candidate_id, step.application_id, step.step_id)
            shard = self.index[due_shard(step, self.shards)]
            if step.due_at is None:
                shard.pop(key, None)
            else:
                shard[key] = step

        def due_steps(self, now: datetime, limit: int, *, shard: int | None = None) -> list[Any]:
            clock.sleep(DYNAMODB_LATENCY * (1 if shard is not None else self.shards))
            pools = self.index if shard is None else [self.index[shard]]
            due = [s for pool in pools for s in pool.values() if s.due_at is not None and s.due_at <= now]
            return sorted(due, key=lambda s: s.due_at)[:limit]

        def shards_with_due(self, now: datetime) -> list[int]:
            clock.sleep(DYNAMODB_LATENCY * self.shards)
            return [n for n, pool in enumerate(self.index) if any(s.due_at <= now for s in pool.values())]

        def replace_step(self, old: Any, new: Any) -> bool:
            clock.sleep(DYNAMODB_LATENCY)
            done = super().replace_step(old, new)
            if done:
                self._index(new)
            return done

        def claim_send(self, old: Any, new: Any, day: str) -> Any:
            from nearmiss.service.ports import ClaimOutcome

            clock.sleep(DYNAMODB_LATENCY)
            outcome = super().claim_send(old, new, day)
            if outcome is ClaimOutcome.CLAIMED:
                self._index(new)
            return outcome

    return SimStore(shards=shards)


class _SimMailer:
    def __init__(self, clock: SimClock) -> None:
        self.clock = clock
        self.times: list[float] = []

    def send(self, message: Any) -> str:
        self.clock.sleep(SES_LATENCY)
        self.times.append(self.clock.t)
        return f"sim-{len(self.times)}"


class _Started:
    def __init__(self, clock: SimClock) -> None:
        self.clock = clock
        self.runs: list[tuple[float, Any]] = []

    def start(self, run: Any) -> None:
        self.runs.append((self.clock.t + INVOKE_LATENCY, run))


def _sim_dispatcher(store: Any, mailer: Any, clock: SimClock, started: _Started, settings: Any) -> Any:
    from nearmiss.service.dispatch import Dispatcher
    from nearmiss.service.links import Links

    class SimDispatcher(Dispatcher):
        def _map(self, handle: Callable[[Any], str], due: list[Any], workers: int) -> list[str]:
            # `workers` simulated threads: each step runs on the worker free earliest, from that
            # worker's instant; the batch is done when the last worker is (as pool.map returns).
            begin = clock.t
            free = [(begin, w) for w in range(workers)]
            out = []
            end = begin
            for step in due:
                at, worker = heapq.heappop(free)
                clock.t = at
                out.append(handle(step))
                end = max(end, clock.t)
                heapq.heappush(free, (clock.t, worker))
            clock.t = end
            return out

    return SimDispatcher(
        store,
        mailer,
        Links("https://nearmiss.example", b"bench-link-secret-0123456789abcdef"),
        platform_address="notes@mail.nearmiss.example",
        settings=settings,
        sleep=clock.sleep,
        monotonic=clock.monotonic,
        shard_runs=started,
    )


def sim_throughput(rate: float, n: int, concurrency: int) -> dict[str, Any]:
    """One run over `n` due notes on the simulated clock: what pacing and concurrency reach when
    CPU is not the limit (information beside the measured rows)."""
    from nearmiss.service.dispatch import DispatchSettings

    epoch = fixtures.NOW + timedelta(days=1)
    clock = SimClock(epoch)
    store = _sim_store(clock, 4)
    _members(store, "s", n)
    for step in _steps(n, epoch, "s"):
        store.add(step)
    mailer = _SimMailer(clock)
    settings = DispatchSettings(max_steps=n + 1, max_send_rate=rate, concurrency=concurrency)
    _sim_dispatcher(store, mailer, clock, _Started(clock), settings).run(clock.now())
    return {
        "rate": rate,
        "sent": len(mailer.times),
        "seconds": clock.t,
        "throughput": len(mailer.times) / clock.t,
    }


def drain(n: int, rate: float) -> dict[str, Any]:
    from nearmiss.service import dispatch
    from nearmiss.service.dispatch import DispatchSettings

    s = _settings()
    timeout = 240.0  # template.yaml: SendDueStepsFunction Timeout
    interval = float(s.dispatch_interval_seconds)
    settings = DispatchSettings(
        max_steps=s.max_steps_per_run,
        max_send_rate=rate,
        concurrency=s.send_concurrency,
        interval=timedelta(seconds=interval),
    )
    epoch = fixtures.NOW + timedelta(days=1)
    clock = SimClock(epoch)
    store = _sim_store(clock, s.due_shards)
    _members(store, "b", n)
    for step in _steps(n, epoch, "b"):
        store.add(step)
    mailer = _SimMailer(clock)
    rendered = dispatch.render_step(_base_step())
    real_render = dispatch.render_step
    dispatch.render_step = lambda step: rendered  # type: ignore[assignment]
    invocations = continued = ticks = 0
    cpu = time.process_time()
    try:
        tick = 0.0
        while any(store.index):
            ticks += 1
            clock.t = tick
            started = _Started(clock)
            _sim_dispatcher(store, mailer, clock, started, settings).run(
                clock.now(),
                time_left=lambda tick=tick: timeout - (clock.t - tick),  # type: ignore[misc]
            )
            pending = list(started.runs)
            while pending:
                begin, run = pending.pop()
                invocations += 1
                clock.t = begin
                after = _Started(clock)
                _sim_dispatcher(store, mailer, clock, after, settings).run_shard(
                    run.shard,
                    run.rate,
                    run.until,
                    clock.now,
                    time_left=lambda begin=begin: timeout - (clock.t - begin),  # type: ignore[misc]
                )
                continued += len(after.runs)
                pending += after.runs
            tick += interval
            if ticks > 10_000:
                raise RuntimeError("the backlog does not drain")
    finally:
        dispatch.render_step = real_render
    last = max(mailer.times)
    bound = n / rate + interval
    times = sorted(mailer.times)
    busiest = max(bisect.bisect_left(times, t + 1.0) - i for i, t in enumerate(times))
    return {
        "due": n,
        "rate": rate,
        "sent": len(mailer.times),
        "drain_seconds": last,
        "bound_seconds": bound,
        "ideal_seconds": n / rate,
        "ticks": ticks,
        "shard_invocations": invocations,
        "successors": continued,
        "cpu_seconds": time.process_time() - cpu,
        "busiest_second": busiest,
        "shards": s.due_shards,
    }


def run(quick: bool = False) -> tuple[list[Measure], dict[str, Any]]:
    from moto import mock_aws
    from nearmiss_local import moto_patches
    from nearmiss_local.runtime import set_fake_credentials

    set_fake_credentials()
    concurrency = _settings().send_concurrency
    seconds = 4 if quick else 10  # of paced sending per rate
    measured: list[dict[str, Any]] = []
    with mock_aws():
        moto_patches.apply()
        _serialise_moto()
        for rate in RATES:
            measured.append(throughput(rate, int(rate * seconds), concurrency))
    simulated = [sim_throughput(rate, int(rate * seconds), concurrency) for rate in RATES]
    backlog = 20_000 if quick else BACKLOG
    drains = [drain(backlog, rate) for rate in RATES]

    measures: list[Measure] = []
    for m in measured:
        share = m["throughput"] / m["rate"]
        measures.append(
            Measure(
                "6 dispatch rate",
                f"throughput at {m['rate']:g}/s configured, {m['concurrency']} threads",
                round(share * 100, 1),
                "% of rate",
                f">= {THRESHOLD:.0%}",
                share >= THRESHOLD,
                f"{m['sent']} of {m['due']} due sent in {m['wall']:.2f} s = {m['throughput']:.1f}/s "
                f"(first to last send {m['paced_span']:.2f} s); SES {SES_LATENCY * 1000:.0f} ms and "
                f"DynamoDB {DYNAMODB_LATENCY * 1000:.0f} ms injected under the SDK (before-send), moto "
                f"serialised; CPU per note {m['cpu_per_note_ms']:.1f} ms, of it moto's "
                f"{m['moto_cpu_per_note_ms']:.1f} ms (one interpreter, one GIL: at {m['rate']:g}/s the run "
                f"needs {m['cpu_per_note_ms'] * m['rate'] / 1000:.2f} CPU-seconds per second); "
                f"outcomes {m['outcomes']}",
            )
        )
    for m in simulated:
        measures.append(
            Measure(
                "6 dispatch rate",
                f"throughput at {m['rate']:g}/s, {concurrency} threads, simulated clock (no CPU)",
                round(m["throughput"] / m["rate"] * 100, 1),
                "% of rate",
                "(information)",
                None,
                f"{m['sent']} sent in {m['seconds']:.2f} simulated s: the limiter and the thread pool with "
                "the same injected latencies, CPU not counted (what the run reaches where CPU is not the "
                "limit; the measured rows above include it)",
            )
        )
    for d in drains:
        measures.append(
            Measure(
                "6 dispatch rate",
                f"backlog {d['due']:,} due at once, {d['rate']:g}/s: drain time (simulated)",
                round(d["drain_seconds"]),
                "s",
                f"<= {d['bound_seconds']:,.0f} s (N/rate + interval)",
                d["drain_seconds"] <= d["bound_seconds"] and d["sent"] == d["due"],
                f"last of {d['sent']:,} sent {d['drain_seconds']:,.0f} s after they fell due "
                f"(N/rate alone {d['ideal_seconds']:,.0f} s, {d['ideal_seconds'] / d['drain_seconds']:.1%} "
                f"of the rate on average); {d['ticks']} scheduled runs, {d['shard_invocations']} shard "
                f"invocations ({d['successors']} started by a predecessor near its timeout); at most "
                f"{d['busiest_second']} sends in any one second (the rate plus one first slot per shard "
                f"run: {d['rate'] + d['shards']:g}); "
                f"simulated with the injected latencies in {d['cpu_seconds']:.0f} s of CPU",
            )
        )
    return measures, {"throughput": measured, "simulated": simulated, "drain": drains}
