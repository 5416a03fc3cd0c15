"""6. Dispatcher throughput and backlog: SES kept at the account's rate, with realistic latency.

a) Throughput (real time, real threads, real processes). `Dispatcher.run` on the deployed settings
   (16 sender threads, 400 steps per batch, 4 due-index shards) with the real DynamoStore and
   SesMailer on boto3 clients, DynamoDB on a moto server in a process of its own (its CPU is
   DynamoDB's in AWS, not the function's), latency injected *under* the SDK: a `before-send`
   handler on each client (registered first) sleeps 8 ms before each DynamoDB request goes to the
   server and answers each SES SendEmail after 80 ms with SES's own answer, so the SDK's code
   (parameter validation, serialisation, signing, parsing) runs for every request. Each environment
   is warmed first (one run over a few notes of its own). Throughput = notes sent / time from the
   scheduled run's start to its last send, against the configured rate; target at least 90 %.
   At 14/s the notes due are one batch: the scheduled run sends them itself. At 100/s they are more
   than a batch: the scheduled run fans out, one shard run per shard at a quarter of the rate, each
   in its own warm worker process (bench/dispatch_worker.py), as Lambda runs each asynchronous
   invocation in its own environment with its own CPU. This machine has 2 cores, and the emulator
   alone needs more than one of them at 100/s; so the measured row runs the shard runs one after
   another (each with a core to itself) and adds their rates. Two rows of information show the
   rest: the same fan-out with all runs at once on this machine, and one environment sending the
   whole rate by itself (its ceiling is one GIL).
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
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import fixtures
from common import BENCH, ROOT, Measure

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


# ---- a) throughput: real threads, real processes, DynamoDB on a moto server ----------------------
class _TimedMailer:
    """The mailer, noting the instant of each accepted send on time.monotonic (one clock for every
    process of the machine, so the shard runs' sends line up with the scheduled run's start)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.times: list[float] = []
        self._lock = threading.Lock()

    def send(self, message: Any) -> str:
        message_id: str = self.inner.send(message)
        with self._lock:
            self.times.append(time.monotonic())
        return message_id


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any) -> Any:
        yield self.data


def _ses_answer(**kwargs: Any) -> Any:
    """SES's side of a SendEmail: 80 ms, then its answer (a 200 with a MessageId), returned from
    botocore's before-send, so the SDK serialises, signs and parses as for the real service."""
    from botocore.awsrequest import AWSResponse

    time.sleep(SES_LATENCY)
    request = kwargs["request"]
    body = json.dumps({"MessageId": f"bench-{uuid.uuid4()}"}).encode()
    response = AWSResponse(request.url, 200, {"content-type": "application/json"}, _Body(body))
    response._content = body  # type: ignore[attr-defined]
    return response


def _dynamodb_latency(**_: Any) -> None:
    time.sleep(DYNAMODB_LATENCY)  # then botocore sends it to the moto server


class Rig:
    """One SendDueStepsFunction environment as bootstrap.py builds it, against the moto server at
    AWS_ENDPOINT_URL: the real DynamoStore and SesMailer on boto3 clients (the deployed botocore
    Config), 8 ms injected before each DynamoDB request and SES answered after 80 ms, both under the
    SDK (before-send)."""

    def __init__(self, table: str) -> None:
        import boto3
        from botocore.config import Config
        from nearmiss.adapters.dynamo import DynamoStore
        from nearmiss.adapters.ses import SesMailer

        config = Config(retries={"mode": "standard", "max_attempts": 3}, max_pool_connections=64)
        self.dynamo = boto3.client("dynamodb", region_name="eu-west-1", config=config)
        self.ses = boto3.client("sesv2", region_name="eu-west-1", config=config)
        self.dynamo.meta.events.register_first("before-send", _dynamodb_latency)
        self.ses.meta.events.register_first("before-send", _ses_answer)
        self.table = table
        self.store = DynamoStore(self.dynamo, table)
        self.mailer = _TimedMailer(SesMailer(self.ses))

    def dispatcher_for(self, rate: float, *, max_steps: int | None = None, shard_runs: Any = None) -> Any:
        from nearmiss.service.dispatch import Dispatcher, DispatchSettings
        from nearmiss.service.links import Links

        s = _settings()
        settings = DispatchSettings(
            max_steps=max_steps or s.max_steps_per_run,
            max_send_rate=rate,
            concurrency=s.send_concurrency,
            interval=timedelta(seconds=s.dispatch_interval_seconds),
        )
        return Dispatcher(
            self.store,
            self.mailer,
            Links("https://nearmiss.example", b"bench-link-secret-0123456789abcdef"),
            platform_address="notes@mail.nearmiss.example",
            settings=settings,
            shard_runs=shard_runs,
        )

    def put_steps(self, steps: list[Any]) -> None:
        for step in steps:
            self.dynamo.put_item(TableName=self.table, Item=self.store._step_item(step))

    def warm_up(self, prefix: str) -> None:
        """A warm container: one run over a few notes of its own first (templates compiled, SDK
        models loaded, connections open); they are all sent before the measured notes are stored."""
        now = fixtures.NOW + timedelta(days=1)
        n = _settings().send_concurrency
        _members(self.store, prefix, n)
        self.put_steps(_steps(n, now - timedelta(minutes=2), prefix))
        self.dispatcher_for(1000.0).run(now)
        self.mailer.times.clear()


class _Worker:
    """A warm environment of the function in its own process (bench/dispatch_worker.py)."""

    def __init__(self, table: str, prefix: str, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(BENCH / "dispatch_worker.py"), "shard", table, prefix],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            cwd=ROOT,
            text=True,
        )
        assert self.proc.stdout is not None
        assert self.proc.stdin is not None
        ready = self.proc.stdout.readline().strip()
        if ready != "ready":
            raise RuntimeError(f"a shard worker did not start: {ready!r}")

    def start(self, message: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(message) + "\n")
        self.proc.stdin.flush()

    def result(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        answer: dict[str, Any] = json.loads(self.proc.stdout.readline())
        return answer

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


class _ProcessShardRuns:
    """The ShardRuns port as Lambda's asynchronous Invoke does it: each shard run goes to its own
    warm environment (a worker process, one run at a time), INVOKE_LATENCY after it is asked for.

    `isolated`: the runs are asked for as they are, but each then runs while no other does (one
    after another), so each environment has a core to itself, as each Lambda environment has its
    own CPU; else they all run at once on this machine's cores, beside the DynamoDB emulator."""

    def __init__(self, workers: list[_Worker], epoch: datetime, *, isolated: bool) -> None:
        self.idle = list(workers)
        self.busy: list[_Worker] = []
        self.epoch = epoch
        self.isolated = isolated
        self.queued: list[tuple[_Worker, dict[str, Any]]] = []

    def start(self, run: Any) -> None:
        time.sleep(INVOKE_LATENCY)
        worker = self.idle.pop(0)
        until, epoch = run.until.isoformat(), self.epoch.isoformat()
        message = {"shard": run.shard, "rate": run.rate, "until": until, "epoch": epoch}
        self.busy.append(worker)
        if self.isolated:
            self.queued.append((worker, message))
        else:
            worker.start(message)

    def results(self) -> list[dict[str, Any]]:
        """Each run's answer (a queued run is started now, and waited for before the next)."""
        if self.isolated:
            answers = []
            for worker, message in self.queued:
                worker.start(message)
                answers.append(worker.result())
            return answers
        return [worker.result() for worker in self.busy]


def _server_env() -> dict[str, str]:
    from common import child_env

    return child_env(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": "eu-west-1",
        }
    )


def throughput(
    rate: float, n: int, *, one_environment: bool = False, isolated: bool = True
) -> dict[str, Any]:
    """`n` notes due at once, at `rate`, on the deployed settings: the scheduled run sends them
    itself, or (more than one batch due) fans out, one shard run per due-index shard with work, each
    in its own warm environment at its share of the rate (`isolated`: one after another, each with
    a core to itself; else all at once on this machine). `one_environment`: the batch cap lifted,
    so one run (one process, one GIL) must reach the whole rate by itself (information)."""
    from nearmiss_local.runtime import load_template, table_definition

    tag = f"{int(rate)}{'-one' if one_environment else ''}{'' if isolated else '-together'}"
    table = f"bench-rate-{tag}"
    rig = Rig(table)
    rig.dynamo.create_table(**table_definition(load_template(), table))
    rig.warm_up(f"w{tag}")
    s = _settings()
    fans_out = n >= s.max_steps_per_run and not one_environment
    env = {**_server_env(), "AWS_ENDPOINT_URL": os.environ["AWS_ENDPOINT_URL"]}
    workers = [_Worker(table, f"x{tag}s{i}", env) for i in range(s.due_shards)] if fans_out else []
    now = fixtures.NOW + timedelta(days=1)
    _members(rig.store, f"t{tag}", n)
    rig.put_steps(_steps(n, now - timedelta(minutes=1), f"t{tag}"))
    runs = _ProcessShardRuns(workers, now, isolated=isolated)
    server_cpu = _Server.cpu()
    dispatcher = rig.dispatcher_for(rate, max_steps=n + 1 if one_environment else None, shard_runs=runs)
    try:
        cpu = time.process_time()
        started = time.monotonic()
        report = dispatcher.run(now)
        cpu = time.process_time() - cpu
        times = list(rig.mailer.times)
        outcomes = Counter(report.as_dict())
        shard_cpu = []
        per_run = []
        for answer in runs.results():
            times += answer["times"]
            outcomes.update(answer["outcomes"])
            shard_cpu.append(answer["cpu"])
            if answer["times"]:
                span = max(answer["times"]) - answer["started"]
                per_run.append(len(answer["times"]) / span)
    finally:
        for worker in workers:
            worker.close()
    server_cpu = _Server.cpu() - server_cpu
    sent = len(times)
    wall = (max(times) - started) if times else float("nan")
    # Isolated, the runs' own rates add up (they would run at once, in separate environments);
    # otherwise the notes over the wall time from the scheduled run's start to the last send.
    measured = sum(per_run) if isolated and per_run else sent / wall
    return {
        "rate": rate,
        "concurrency": s.send_concurrency,
        "due": n,
        "sent": sent,
        "wall": wall,
        "throughput": measured,
        "per_run": per_run,
        "isolated": isolated and bool(per_run),
        "environments": 1 + len(runs.busy),
        "shard_runs": len(runs.busy),
        "cpu_per_note_ms": (cpu + sum(shard_cpu)) / max(1, sent) * 1000,
        "outcomes": dict(sorted(outcomes.items())),
        "one_environment": one_environment,
        "server_cpu_per_note_ms": server_cpu / max(1, sent) * 1000,
        "machine_cpus": os.cpu_count(),
    }


class _Server:
    """DynamoDB on moto in its own process; AWS_ENDPOINT_URL points at it while it runs."""

    pid = 0

    @classmethod
    def cpu(cls) -> float:
        """The server process's CPU seconds so far (user + system, from /proc)."""
        with open(f"/proc/{cls.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def __enter__(self) -> _Server:
        self.proc = subprocess.Popen(
            [sys.executable, str(BENCH / "dispatch_worker.py"), "server"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=_server_env(),
            cwd=ROOT,
            text=True,
        )
        assert self.proc.stdout is not None
        port = int(self.proc.stdout.readline())
        _Server.pid = self.proc.pid
        self.before = os.environ.get("AWS_ENDPOINT_URL")
        os.environ["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{port}"
        return self

    def __exit__(self, *exc: object) -> None:
        if self.before is None:
            os.environ.pop("AWS_ENDPOINT_URL", None)
        else:
            os.environ["AWS_ENDPOINT_URL"] = self.before
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


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

        def claim_send(self, old: Any, new: Any, day: str, **kwargs: Any) -> Any:
            from nearmiss.service.ports import ClaimOutcome

            clock.sleep(DYNAMODB_LATENCY)
            outcome = super().claim_send(old, new, day, **kwargs)
            if outcome is ClaimOutcome.CLAIMED:
                self._index(new)
            return outcome

        def member_as_now(self, candidate_id: str) -> Any:
            clock.sleep(DYNAMODB_LATENCY)  # one BatchGetItem (a note planned without the snapshot)
            return super().member_as_now(candidate_id)

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
    from nearmiss_local.runtime import set_fake_credentials

    set_fake_credentials()
    concurrency = _settings().send_concurrency
    seconds = 4 if quick else 10  # of paced sending per rate
    measured: list[dict[str, Any]] = []
    s = _settings()
    with _Server():
        for rate in RATES:
            measured.append(throughput(rate, int(rate * seconds)))
        top = RATES[-1]
        # Information: the same fan-out with all runs at once on this machine, a batch's worth (the
        # fewest notes that fan out), and one environment sending the whole rate by itself.
        measured.append(throughput(top, s.max_steps_per_run, isolated=False))
        measured.append(throughput(top, int(top * 4), one_environment=True))
    simulated = [sim_throughput(rate, int(rate * seconds), concurrency) for rate in RATES]
    backlog = 20_000 if quick else BACKLOG
    drains = [drain(backlog, rate) for rate in RATES]

    measures: list[Measure] = []
    for m in measured:
        share = m["throughput"] / m["rate"]
        per_run = ", ".join(f"{r:.1f}" for r in m["per_run"])
        if not m["shard_runs"]:
            how = f"{m['sent']} of {m['due']} due sent in {m['wall']:.2f} s: the scheduled run by itself"
        elif m["isolated"]:
            how = (
                f"{m['sent']} of {m['due']} due: the scheduled run fanned out to {m['shard_runs']} shard "
                f"runs at {m['rate'] / m['shard_runs']:g}/s, each in its own warm environment (a "
                "process), run one after another so each has a core to itself as each Lambda "
                f"environment has its own CPU; they sent at {per_run}/s, together {m['throughput']:.1f}/s"
            )
        else:
            how = (
                f"{m['sent']} of {m['due']} due sent in {m['wall']:.2f} s: {m['shard_runs']} shard runs "
                f"at once on this machine's {m['machine_cpus']} cores, beside the emulator (each at "
                f"{per_run}/s)"
            )
        common = (
            f"{how}; {m['concurrency']} sender threads per run; SES answered after "
            f"{SES_LATENCY * 1000:.0f} ms and DynamoDB delayed {DYNAMODB_LATENCY * 1000:.0f} ms, both "
            "under the SDK (before-send); DynamoDB on a moto server in its own process; CPU per note: "
            f"ours {m['cpu_per_note_ms']:.1f} ms (the SDK's included), the emulator's "
            f"{m['server_cpu_per_note_ms']:.1f} ms; outcomes {m['outcomes']}"
        )
        if m["one_environment"]:
            ceiling = 1000 / m["cpu_per_note_ms"]
            name = f"one environment alone at {m['rate']:g}/s (batch cap lifted, no fan-out)"
            detail = (
                f"{common}. One process has one GIL: at {m['cpu_per_note_ms']:.1f} ms per note it sends "
                f"at most about {ceiling:.0f}/s on a core of its own, and Lambda gives 1,024 MB about 0.6 "
                "vCPU; hence the fan-out above one batch"
            )
        elif m["shard_runs"] and not m["isolated"]:
            need = (m["cpu_per_note_ms"] + m["server_cpu_per_note_ms"]) * m["rate"] / 1000
            name = f"fan-out at {m['rate']:g}/s, all runs at once on this machine"
            detail = (
                f"{common}. At {m['rate']:g}/s the runs and the emulator need {need:.1f} CPU-seconds per "
                f"second, more than this machine's {m['machine_cpus']} cores (in AWS DynamoDB's work is "
                "not ours, and each environment has its own CPU)"
            )
        else:
            measures.append(
                Measure(
                    "6 dispatch rate",
                    f"throughput at {m['rate']:g}/s configured, deployed settings",
                    round(share * 100, 1),
                    "% of rate",
                    f">= {THRESHOLD:.0%}",
                    share >= THRESHOLD,
                    common,
                )
            )
            continue
        pct = round(share * 100, 1)
        measures.append(Measure("6 dispatch rate", name, pct, "% of rate", "(information)", None, detail))
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
