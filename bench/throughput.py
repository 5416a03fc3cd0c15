"""5. Throughput and memory of our own code.

a) Throughput: 2,000 rejected applications (one candidate each, auto mode, the sample application's
   three contacts, one with a resource) run end to end through the real handlers with in-memory
   adapters (nearmiss_local.fakes: MemoryStore, RecordingMailer, RecordingPublisher), so neither
   moto nor the network is measured: the API's rejection report, start_playbook on the event it
   published, then send_due_steps at every due instant until nothing is due. CPU time
   (time.process_time) per email sent, in total and without the fakes' own time.

b) Memory: the demo (nearmiss_local.demo) with each function in its own long-lived interpreter
   (bench/memory_worker.py), as each has its own Lambda sandbox, against a moto server; the peak
   RSS of each (what Lambda reports as Max Memory Used, less the runtime's own client) against its
   MemorySize in template.yaml.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import fixtures
from common import BENCH, PYTHONPATH, ROOT, Measure

APPLICATIONS = 2000


# ---- a) throughput on the fakes -------------------------------------------------------------------
class FakeClock:
    seconds = 0.0
    lock = threading.Lock()


def _timed_store() -> Any:
    from nearmiss_local.fakes import MemoryIntakeStore

    store = MemoryIntakeStore()  # the API's answers count held events (the intake's lookups)
    for name in (
        "put_candidate",
        "get_candidate",
        "put_application",
        "load",
        "create_playbook",
        "get_playbook",
        "record_stop",
        "list_steps",
        "get_step",
        "due_steps",
        "replace_step",
        "claim_send",
        "suppress",
    ):
        method = getattr(store, name, None)
        if method is None:
            continue

        def timed(*args: Any, _m: Any = method, **kwargs: Any) -> Any:
            # This thread's CPU only: the dispatcher's sender threads call the fakes at once, and
            # process time would count every other thread's work during each call too.
            started = time.thread_time()
            try:
                return _m(*args, **kwargs)
            finally:
                with FakeClock.lock:
                    FakeClock.seconds += time.thread_time() - started

        setattr(store, name, timed)
    return store


def throughput(n: int) -> dict[str, Any]:
    import time_machine
    from nearmiss import bootstrap
    from nearmiss.bootstrap import Container
    from nearmiss.config import Settings
    from nearmiss_local.fakes import RecordingMailer, RecordingPublisher
    from nearmiss_local.runtime import FakeContext

    for key, value in {
        "POWERTOOLS_SERVICE_NAME": "nearmiss",
        "POWERTOOLS_METRICS_NAMESPACE": "NearMiss",
        "POWERTOOLS_LOG_LEVEL": "INFO",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }.items():
        os.environ[key] = value
    import warnings

    warnings.filterwarnings("ignore", message="No application metrics to publish")
    api_key = "bench-api-key-0123456789"
    settings = Settings(
        table_name="nearmiss-bench",
        event_bus_name="nearmiss-bench",
        sender_domain="mail.nearmiss.example",
        link_secret="bench-link-secret-0123456789abcdef0123",  # noqa: S106 - a local placeholder
        api_key=api_key,
        ses_max_send_rate=1e9,
        public_base_url="https://nearmiss.example",  # type: ignore[arg-type]
    )
    c = Container(settings)
    store, mailer, publisher = _timed_store(), RecordingMailer(), RecordingPublisher()
    from nearmiss_local.fakes import FakeIdentities, MemoryDeliveries

    c.store, c.mailer, c.publisher = store, mailer, publisher  # type: ignore[misc]
    c.deliveries = MemoryDeliveries()  # type: ignore[misc]  # the API's counts read the held events
    c.identities = FakeIdentities()  # type: ignore[misc]  # nobody sends from an own address here
    bootstrap.use(c)
    for i in range(n):
        store.candidates[f"cand-{i}"] = fixtures.candidate(f"cand-{i}", email=f"cand{i}@example.com")
        app = fixtures.application(f"cand-{i}", "app", unique_contacts=f"u{i}")
        store.applications[(f"cand-{i}", "app")] = app

    import functions.api.app as api
    import functions.send_due_steps.app as send
    import functions.start_playbook.app as start

    cpu: dict[str, float] = {}
    fake: dict[str, float] = {}
    ticks = 0
    outcomes: Counter[str] = Counter()
    sys.stdout.flush()
    saved_stdout = os.dup(1)
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # the handlers' log lines (their logger holds sys.stdout)
    with (
        time_machine.travel(fixtures.NOW, tick=False) as traveller,
        contextlib.redirect_stdout(io.StringIO()) as sink,
    ):

        def phase(name: str, work: Any) -> None:
            FakeClock.seconds = 0.0
            started = time.process_time()
            work()
            cpu[name] = time.process_time() - started
            fake[name] = FakeClock.seconds
            sink.seek(0)
            sink.truncate()

        def report() -> None:
            for i in range(n):
                event = fixtures.http_event(
                    "POST", f"/candidates/cand-{i}/applications/app/rejection", {}, {"x-api-key": api_key}
                )
                answer = api.handler(event, FakeContext("ApiFunction"))
                assert 200 <= answer["statusCode"] < 300, answer

        phase("api: report rejection", report)
        events = [fixtures.bus_event(e) for e in publisher.events]

        def begin() -> None:
            for event in events:
                start.handler(event, FakeContext("StartPlaybookFunction"))

        phase("start_playbook", begin)

        def dispatch() -> None:
            nonlocal ticks
            while True:
                pending = [s.due_at for s in store.steps.values() if s.due_at is not None]
                if not pending:
                    return
                traveller.move_to(max(min(pending), datetime.now(UTC)))
                result = send.handler(
                    fixtures.scheduled_event(), FakeContext("SendDueStepsFunction", 512, 240)
                )
                outcomes.update(result["outcomes"])
                ticks += 1
                if ticks % 10 == 0:
                    sink.seek(0)
                    sink.truncate()

        phase("send_due_steps", dispatch)
    sys.stdout.flush()
    os.dup2(saved_stdout, 1)
    bootstrap.use(None)
    return {"cpu": cpu, "fake": fake, "emails": len(mailer.sent), "ticks": ticks, "outcomes": dict(outcomes)}


# ---- b) memory under the demo, one interpreter per function ----------------------------------------
def memory_under_demo() -> dict[str, Any]:
    import time_machine
    from nearmiss_local.demo import START, Demo
    from stacks import ServerStack

    class WorkerStack(ServerStack):
        workers: dict[str, subprocess.Popen[str]]

        def worker(self, logical_id: str) -> subprocess.Popen[str]:
            if logical_id not in self.workers:
                fn = self.functions[logical_id]
                env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
                env.update({"PYTHONPATH": PYTHONPATH, **self.function_env(logical_id)})
                env.update({k: v for k, v in fn.env.items() if k.startswith("POWERTOOLS_")})
                env["PYTHONWARNINGS"] = "ignore:No application metrics to publish"
                self.workers[logical_id] = subprocess.Popen(
                    [sys.executable, str(BENCH / "memory_worker.py"), fn.module],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    env=env,
                    cwd=ROOT,
                    text=True,
                )
            return self.workers[logical_id]

        def ask(self, logical_id: str, request: dict[str, Any]) -> dict[str, Any]:
            proc = self.worker(logical_id)
            assert proc.stdin
            assert proc.stdout
            proc.stdin.write(json.dumps(request) + "\n")
            proc.stdin.flush()
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError(f"the {logical_id} worker died")
            return json.loads(line)  # type: ignore[no-any-return]

        def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
            answer = self.ask(logical_id, {"event": event, "now": datetime.now(UTC).isoformat()})
            if "error" in answer:
                raise RuntimeError(answer["error"])
            return answer["result"]

    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with time_machine.travel(START, tick=False) as traveller, WorkerStack() as stack:
        stack.workers = {}
        demo = Demo(stack, traveller, out=lambda _: None)
        demo.run()
        demo.timelines()
        webhook = next(
            (f for f in stack.functions.values() if f.module == "functions.receive_webhook.app"), None
        )
        webhooks = 0
        if webhook is not None:  # not part of the demo's story: Ada's Greenhouse rejections, signed
            from cold_start import _webhook_secret

            secret = _webhook_secret(stack, webhook)
            for i in range(50):
                stack.invoke(
                    webhook.logical_id,
                    fixtures.webhook_event("greenhouse", *fixtures.greenhouse_rejection(7000 + i, secret)),
                )
                webhooks += 1
        samples_run: dict[str, int] = {}
        for fn in stack.functions.values():  # the rest (not in the demo): their own sample events, 10 times
            folder = fixtures.EVENTS / fn.module.split(".")[1]
            if fn.logical_id in stack.workers or not folder.is_dir():
                continue
            for path in sorted(folder.glob("*.json")) * 10:
                # a sample naming data the demo did not create may fail: the run still counts
                with contextlib.suppress(RuntimeError):
                    stack.invoke(fn.logical_id, json.loads(path.read_text()))
                samples_run[fn.logical_id] = samples_run.get(fn.logical_id, 0) + 1
        stats = {lid: stack.ask(lid, {"stats": True}) for lid in sorted(stack.workers)}
        memory = {lid: fn.memory for lid, fn in stack.functions.items()}
        for proc in stack.workers.values():
            assert proc.stdin
            proc.stdin.close()
            proc.wait(timeout=30)
        summary = {
            "emails": demo.emails,
            "drafts": demo.drafts,
            "dead_letters": len(stack.dead_letters),
            "webhooks": webhooks,
            "sample_invocations": samples_run,
        }
    return {"stats": stats, "memory": memory, "demo": summary}


def run(quick: bool = False) -> tuple[list[Measure], dict[str, Any]]:
    n = 200 if quick else APPLICATIONS
    t = throughput(n)
    total_cpu = sum(t["cpu"].values())
    total_fake = sum(t["fake"].values())
    per_email = total_cpu / t["emails"] * 1000
    ours_per_email = (total_cpu - total_fake) / t["emails"] * 1000
    phases = "; ".join(
        f"{k} {v:.1f} s CPU ({(v - t['fake'][k]) / n * 1000:.2f} ms per application without the fakes)"
        for k, v in t["cpu"].items()
    )
    measures = [
        Measure(
            "5 throughput",
            f"our CPU per email sent ({n:,} applications, fakes)",
            round(ours_per_email, 2),
            "ms",
            "",
            None,
            f"{t['emails']:,} emails in {t['ticks']} dispatcher runs; {total_cpu:.1f} s CPU in all, "
            "of which the "
            f"in-memory fakes {total_fake:.1f} s ({per_email:.2f} ms per email with them); {phases}; "
            f"outcomes {t['outcomes']}",
            t,
        )
    ]
    m = memory_under_demo()
    for lid, stat in m["stats"].items():
        size = m["memory"].get(lid, 0)
        peak = stat["peak_rss_mb"]
        measures.append(
            Measure(
                "5 memory",
                f"{lid}: peak RSS under the demo",
                round(peak, 1),
                "MB",
                f"< MemorySize {size} MB",
                peak < size,
                f"{stat['invocations']} invocations; {peak / size:.0%} of MemorySize; interpreter "
                f"{stat['rss_interpreter_mb']:.0f} MB, after importing the handler "
                f"{stat['rss_after_import_mb']:.0f} MB, "
                f"now {stat['rss_mb']:.0f} MB",
                stat,
            )
        )
    return measures, {"throughput": t, "memory": m}
