"""1. Cold start, per function: a fresh `import functions.<name>.app` against the floor.

The floor is a fresh interpreter that imports boto3 and creates the boto3 clients that function
uses (as observed after its first invocation, else as bootstrap.py builds them). Runs are
interleaved (A, B, A, B, ...) after one discarded warm-up of each, so machine noise hits both
sides; the ratio is median(A) / median(B).

The first invocation after the import is measured in another fresh interpreter
(bench/coldstart_child.py) against a moto server: what the handler imports and builds lazily
(boto3, the clients, the secrets, the use case) is paid there, as in Lambda.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import fixtures
from common import BENCH, FUNCTIONS, ROOT, Measure, child_env, median

TARGET_RATIO = 1.25
FLOOR_OBJECT = "inbound/floor-object"


def function_names() -> list[str]:
    return sorted(p.parent.name for p in (ROOT / "functions").glob("*/app.py"))


def _wall(code: str, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=ROOT)
    return time.perf_counter() - started


def floor_code(clients: list[str]) -> str:
    made = "; ".join(f"boto3.client({c!r})" for c in clients)
    return f"import boto3; {made}"


def import_breakdown(name: str, env: dict[str, str], top: int = 8) -> list[tuple[str, float]]:
    """The heaviest top-level imports (cumulative ms) of the handler module, from -X importtime."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import functions.{name}.app"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    rows = []
    for line in done.stderr.splitlines():
        parts = line.split("|")
        if len(parts) != 3 or not parts[1].strip().isdigit():
            continue
        module = parts[2].rstrip()
        depth = (len(module) - len(module.lstrip())) // 2
        if depth <= 1:
            rows.append((module.strip(), int(parts[1]) / 1000))
    rows.sort(key=lambda r: -r[1])
    return rows[:top]


# ---- first invocation (fresh interpreter, moto server) -------------------------------------------
def _plans(stack: Any, run: int) -> dict[str, dict[str, Any]]:
    """Two events per function (first, warm second), with the data they need already stored."""
    from nearmiss.adapters.dynamo import DynamoStore
    from nearmiss.service.playbooks import SenderPolicy, plan_records

    store = DynamoStore(stack.client("dynamodb"), stack.names["Table"])
    ada = fixtures.candidate()
    store.put_candidate(ada)
    apps = [f"cold-{run}-{i}" for i in range(10)]
    for app_id in apps:
        store.put_application(fixtures.application(application_id=app_id, unique_contacts=app_id))
    now = datetime.now(UTC)
    api = f"/candidates/{ada.candidate_id}/applications"
    key = {"x-api-key": stack.api_key}
    senders = SenderPolicy(domain=stack.parameters["SenderDomain"])

    def due_step(app_id: str) -> dict[str, Any]:
        app = fixtures.application(application_id=app_id, unique_contacts=app_id)
        records = plan_records(
            ada, app, fixtures.rejection(ada.candidate_id, app_id, now), senders.for_candidate(ada), now=now
        )
        record = next(r for r in records if r.recipient_address and r.state.value == "scheduled")
        return store._step_item(record.model_copy(update={"due_at": now - timedelta(minutes=1)}))

    first_due = due_step(apps[6])
    store.client.put_item(TableName=store.table, Item=first_due)
    plans: dict[str, dict[str, Any]] = {
        "api": {
            "events": [
                fixtures.http_event("POST", f"{api}/{apps[0]}/rejection", {}, key),
                fixtures.http_event("POST", f"{api}/{apps[1]}/rejection", {}, key),
            ]
        },
        "start_playbook": {
            "events": [
                fixtures.bus_event(fixtures.rejection(ada.candidate_id, apps[2], now)),
                fixtures.bus_event(fixtures.rejection(ada.candidate_id, apps[3], now)),
            ]
        },
        "stop_playbook": {
            "events": [fixtures.bus_event(_reopened(ada.candidate_id, a, now)) for a in apps[4:6]],
        },
        "send_due_steps": {
            "events": [fixtures.scheduled_event(), fixtures.scheduled_event()],
            "put_between": [due_step(apps[7])],
        },
    }
    for name in function_names():  # any other function: its own sample events from events/<name>/
        samples = sorted((fixtures.EVENTS / name).glob("*.json")) if (fixtures.EVENTS / name).is_dir() else []
        if name not in plans and samples:
            events = [json.loads(p.read_text()) for p in samples]
            plans[name] = {"events": [events[0], events[1 % len(events)]], "from_samples": True}
    if "ReceiveMailFunction" in stack.functions and stack.receipt_rules:
        replies = [_reply_event(stack, due_step(a), now, f"{run}x{a}") for a in apps[8:10]]
        rule = stack.receipt_rules[0]  # the object the floor reads (put by the harness, untimed)
        stack.client("s3").put_object(Bucket=rule.bucket, Key=FLOOR_OBJECT, Body=b"Subject: floor\r\n\r\nx")
        plans["receive_mail"] = {"events": replies}
    webhook = next((f for f in stack.functions.values() if f.module == "functions.receive_webhook.app"), None)
    if webhook is not None:
        secret = _webhook_secret(stack, webhook)
        plans["receive_webhook"] = {
            "events": [
                fixtures.webhook_event("greenhouse", *fixtures.greenhouse_rejection(run * 10 + i, secret))
                for i in range(2)
            ]
        }
    return plans


def _reply_event(stack: Any, item: dict[str, Any], now: datetime, tag: str) -> dict[str, Any]:
    """A recipient's human reply to a sent note, as SES delivers it: the note stored with its reply
    address registered, the message in the receipt rule's bucket, and the receipt event (the sample
    in events/receive_mail/ with this message's id, address and object)."""
    from email.message import EmailMessage

    from nearmiss.adapters.dynamo import DynamoStore
    from nearmiss.domain.models import StepState

    fn = stack.functions["ReceiveMailFunction"]
    container = stack._container(fn)
    store = DynamoStore(stack.client("dynamodb"), stack.names["Table"])
    due = store._step_from(item)
    generation = store.link_generation(due.candidate_id)
    route = container.reply_addresses.route(due, account=generation.account if generation else "")
    step = due.model_copy(
        update={"state": StepState.SENT, "due_at": None, "sent_at": now, "reply_id": route.reply_id}
    )
    store.client.put_item(TableName=store.table, Item=store._step_item(step))
    store.put_reply_route(route, now)  # as the note's claim writes it
    address = container.reply_addresses.address(route.reply_id)
    message = EmailMessage()
    message["From"] = f"{step.recipient_name} <{step.recipient_address}>"
    message["To"] = address
    message["Subject"] = "Re: Thank you"
    message["Message-ID"] = f"<bench-{tag}@hiring.example>"
    message["Date"] = now.strftime("%a, %d %b %Y %H:%M:%S +0000")
    message.set_content("Thanks Ada, good to hear from you. Let's talk next week.\n\nGrace")
    rule = stack.receipt_rules[0]
    message_id = "bench" + "".join(ch for ch in tag.lower() if ch.isalnum())
    key = f"{rule.prefix}{message_id}"
    stack.client("s3").put_object(Bucket=rule.bucket, Key=key, Body=message.as_bytes())
    event: dict[str, Any] = json.loads((fixtures.EVENTS / "receive_mail" / "reply.json").read_text())
    ses = event["Records"][0]["ses"]
    ses["mail"]["messageId"] = message_id
    ses["mail"]["source"] = step.recipient_address
    ses["mail"]["destination"] = [address]
    ses["mail"]["headers"] = [{"name": k, "value": str(v)} for k, v in message.items()]
    ses["mail"]["commonHeaders"] = {
        "from": [str(message["From"])],
        "to": [address],
        "subject": "Re: Thank you",
        "messageId": str(message["Message-ID"]),
        "date": str(message["Date"]),
        "returnPath": step.recipient_address,
    }
    ses["receipt"]["recipients"] = [address]
    ses["receipt"]["action"]["functionArn"] = fn.invoked_arn
    return event


def _reopened(candidate_id: str, application_id: str, at: datetime) -> Any:
    from nearmiss.domain.events import ApplicationReopened

    return ApplicationReopened(candidate_id=candidate_id, application_id=application_id, occurred_at=at)


def _webhook_secret(stack: Any, fn: Any) -> str:
    """Make sure the webhook secrets hold a Greenhouse secret we know, and return it."""
    from stacks import WEBHOOK_SECRET

    for name, value in fn.env.items():
        if "WEBHOOK" in name and name.endswith("_ARN"):
            stack.client("secretsmanager").put_secret_value(
                SecretId=value, SecretString=json.dumps({"greenhouse": WEBHOOK_SECRET})
            )
    return WEBHOOK_SECRET


def lazy_imports(stderr: str, module: str, top: int = 6) -> tuple[float, list[tuple[str, float]]]:
    """From a child's -X importtime output: the top-level imports made after `module` was imported
    (that is, during the first invocation), their total and the heaviest, in ms."""
    rows: list[tuple[str, float]] = []
    seen_module = False
    for line in stderr.splitlines():
        parts = line.split("|")
        if len(parts) != 3 or not parts[1].strip().isdigit():
            continue
        name = parts[2].rstrip()
        if name.strip() == module and not name.startswith("  "):
            seen_module = True
            continue
        if seen_module and not name.startswith("  "):
            rows.append((name.strip(), int(parts[1]) / 1000))
    total = sum(ms for _, ms in rows)
    return total, sorted(rows, key=lambda r: -r[1])[:top]


def first_invocations(names: list[str], runs: int) -> dict[str, list[dict[str, Any]]]:
    import logging

    from stacks import ServerStack

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the moto server's request log
    results: dict[str, list[dict[str, Any]]] = {n: [] for n in names}
    from nearmiss_local.runtime import RECEIVING_DOMAIN

    receiving = {"ReceivingDomain": RECEIVING_DOMAIN}  # receive_mail exists only with a receiving domain
    with ServerStack(parameters=receiving) as stack, tempfile.TemporaryDirectory() as tmp:
        logical = {f.module.split(".")[1]: f.logical_id for f in stack.functions.values()}
        for run in range(runs + 1):  # the last run, with -X importtime, only explains the first invocation
            profile = run == runs
            plans = _plans(stack, run)
            for name in names:
                if name not in plans or name not in logical:
                    continue
                plan = {"module": f"functions.{name}.app", **plans[name]}
                plan.pop("from_samples", None)
                path = Path(tmp) / f"{name}-{run}.json"
                path.write_text(json.dumps(plan))
                env = {**child_env(), **stack.function_env(logical[name])}
                for k in ("NEARMISS_LINK_SECRET", "NEARMISS_API_KEY"):
                    env.pop(k, None)  # as deployed: the secrets come from Secrets Manager
                done = _fresh("coldstart_child.py", path, env, profile=profile)
                if done.returncode != 0 or not done.stdout.strip():
                    if not profile:
                        results[name].append({"error": (done.stderr or done.stdout)[-800:]})
                    continue
                answer = json.loads(done.stdout.strip().splitlines()[-1])
                if profile:
                    total, heaviest = lazy_imports(done.stderr, f"functions.{name}.app")
                    results[name].append(
                        {"profile": True, "lazy_import_ms": total, "heaviest_lazy_imports_ms": heaviest}
                    )
                    continue
                # Right after it, in the same conditions: the floor doing the same AWS work.
                answer["floor_ms"] = _floor(stack, env, Path(tmp) / f"{name}-{run}-floor.json", answer)
                results[name].append(answer)
    return results


def _fresh(script: str, plan: Path, env: dict[str, str], *, profile: bool = False) -> Any:
    """One of the bench's child scripts in a fresh interpreter (under -X importtime when profiling)."""
    return subprocess.run(
        [sys.executable, *(["-X", "importtime"] if profile else []), str(BENCH / script), str(plan)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _floor(stack: Any, env: dict[str, str], path: Path, answer: dict[str, Any]) -> float | None:
    """bench/coldstart_floor.py with the clients the handler's first invocation created."""
    secret = next(
        (v for k, v in env.items() if k.startswith("NEARMISS_") and k.endswith("SECRET_ARN") and v),
        next(iter(v for k, v in env.items() if k.endswith("SECRETS_ARN") and v), ""),
    )
    plan = {
        "clients": answer.get("clients") or ["dynamodb"],
        "table": env["NEARMISS_TABLE_NAME"],
        "bus": env["NEARMISS_EVENT_BUS_NAME"],
        "secret": secret,
        "sender_domain": env["NEARMISS_SENDER_DOMAIN"],
        "bucket": env.get("NEARMISS_INBOUND_BUCKET", ""),
        "object_key": FLOOR_OBJECT,
    }
    path.write_text(json.dumps(plan))
    done = _fresh("coldstart_floor.py", path, env)
    if done.returncode != 0 or not done.stdout.strip():
        return None
    return float(json.loads(done.stdout.strip().splitlines()[-1])["floor_ms"])


def run(quick: bool = False) -> tuple[list[Measure], dict[str, Any]]:
    # BENCH_FUNCTIONS=a,b limits the section to those functions (`run.py --only 1 --functions a,b`).
    only = {n.strip() for n in os.environ.get("BENCH_FUNCTIONS", "").split(",") if n.strip()}
    names = [n for n in function_names() if not only or n in only]
    runs = 3 if quick else 7
    first = first_invocations(names, 2 if quick else 5)
    measures: list[Measure] = []
    notes: dict[str, Any] = {"first_invocation_raw": first}
    boto3_only: list[float] = []
    for name in names:
        ok = [r for r in first.get(name, []) if "error" not in r and "profile" not in r]
        profile = next((r for r in first.get(name, []) if "profile" in r), None)
        observed = ok[0]["clients"] if ok else []
        clients = sorted(set(observed)) if observed else FUNCTIONS.get(name, {}).get("clients", ["dynamodb"])
        env = child_env()
        a_code, b_code = f"import functions.{name}.app", floor_code(clients)
        _wall(a_code, env), _wall(b_code, env)  # warm-ups (file cache), discarded
        a, b = [], []
        for _ in range(runs):
            a.append(_wall(a_code, env))
            b.append(_wall(b_code, env))
            if name == names[0]:
                boto3_only.append(_wall("import boto3", env))
        ratio = median(a) / median(b)
        breakdown = import_breakdown(name, env)
        fair = [r for r in ok if r.get("floor_ms")]
        if fair:
            ours = median([r["import_ms"] + r["first_ms"] for r in fair])
            floor = median([r["floor_ms"] for r in fair])
            measures.append(
                Measure(
                    "1 cold start",
                    f"{name}: (import + first invocation) / floor",
                    round(ours / floor, 3),
                    "x",
                    f"<= {TARGET_RATIO}",
                    ours / floor <= TARGET_RATIO,
                    f"import + first invocation {ours:.0f} ms vs floor {floor:.0f} ms (import boto3, "
                    f"{', '.join(clients)}, one call each, same moto server); "
                    f"median of {len(fair)}, interleaved",
                    {
                        "ours_ms": [round(r["import_ms"] + r["first_ms"], 1) for r in fair],
                        "floor_ms": [round(r["floor_ms"], 1) for r in fair],
                    },
                )
            )
        measures.append(
            Measure(
                "1 cold start",
                f"{name}: import alone / import boto3 + clients",
                round(ratio, 3),
                "x",
                "",
                None,
                f"import {median(a) * 1000:.0f} ms vs floor {median(b) * 1000:.0f} ms "
                f"(import boto3 + {', '.join(clients)}, no calls); median of {runs}, interleaved; "
                "information only: the handlers build boto3 and the use case on first call",
                {
                    "import_ms": [round(x * 1000, 1) for x in a],
                    "floor_ms": [round(x * 1000, 1) for x in b],
                    "floor_clients": clients,
                    "clients_source": "observed after the first invocation" if observed else "bootstrap.py",
                    "heaviest_imports_ms": breakdown,
                },
            )
        )
        if ok:
            first_ms = median([r["first_ms"] for r in ok])
            second_ms = median([r["second_ms"] for r in ok])
            statuses = sorted({str(r["first_status"]) for r in ok} | {str(r["second_status"]) for r in ok})
            total = median(a) * 1000 + first_ms
            measures.append(
                Measure(
                    "1 cold start",
                    f"{name}: first invocation after import",
                    round(first_ms, 1),
                    "ms",
                    "",
                    None,
                    f"warm second invocation {second_ms:.1f} ms; import + first = {total:.0f} ms "
                    f"= {total / (median(b) * 1000):.2f} x floor; against a moto server on loopback; "
                    f"status {', '.join(statuses)}"
                    + (
                        "; imports during it (-X importtime, inflated by the profiler) "
                        f"{profile['lazy_import_ms']:.0f} ms: "
                        + ", ".join(f"{m} {ms:.0f}" for m, ms in profile["heaviest_lazy_imports_ms"])
                        if profile
                        else ""
                    ),
                    {
                        "runs": ok,
                        "import_plus_first_over_floor": round(total / (median(b) * 1000), 3),
                        "profile": profile,
                    },
                )
            )
        else:
            errors = [r.get("error", "") for r in first.get(name, [])]
            measures.append(
                Measure(
                    "1 cold start",
                    f"{name}: first invocation after import",
                    None,
                    "ms",
                    "",
                    None,
                    "not measured: "
                    + (
                        errors[0].strip().splitlines()[-1]
                        if errors and errors[0].strip()
                        else "no plan for this function"
                    ),
                )
            )
    if boto3_only:
        notes["import_boto3_ms_median"] = round(median(boto3_only) * 1000, 1)
    return measures, notes


if __name__ == "__main__":
    sys.path[:0] = [str(ROOT), str(ROOT / "shared"), str(ROOT / "local")]
    os.chdir(ROOT)
    ms, notes = run(quick=True)
    for m in ms:
        print(m)
