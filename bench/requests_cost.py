"""2. AWS requests per rejected application, and what they cost.

The real handlers run on the embedded default (nearmiss_local.runtime.LocalStack: template.yaml on
moto, in process) under a simulated clock, as the end-to-end tests drive them: register a candidate
(auto mode) and an application with three contacts (one with a resource) through the API, report
the rejection, then jump from one due instant to the next, firing the dispatcher's schedule and
delivering the bus events, until nothing is due. Every AWS request is counted with botocore event
hooks (bench/awscount.py) and attributed to the handler that made it; the harness's own requests
(the clock's look at the due-index, the queue pumping) are counted apart and excluded.

Review mode is run the same way in a second stack (the candidate approves every draft through the
link in it) to show its extra requests.
"""

from __future__ import annotations

import email
import email.policy
import re
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import awscount
import fixtures
import prices
from common import ROOT, Measure

A = f"/candidates/{fixtures.CANDIDATE_ID}/applications/{fixtures.APPLICATION_ID}"
EMAIL_BUDGET_PER_EMAIL = 2
EMAIL_BUDGET_PER_APPLICATION = 6


def _now() -> datetime:
    return datetime.now(UTC)


def drive(mode: str) -> dict[str, Any]:
    """One application through its whole playbook; returns the stack's logs and the counter's requests."""
    import time_machine
    from stacks import BenchStack

    counter = awscount.COUNTER
    counter.shadow.clear()
    first = len(counter.requests)
    clock = awscount.MOTO.install()
    clock.reset()
    with time_machine.travel(fixtures.NOW, tick=False) as traveller, BenchStack() as stack:
        stack.moto_clock = clock
        awscount.set_phase("setup")
        status, _, text = stack.http(
            "PUT", f"/candidates/{fixtures.CANDIDATE_ID}", body=fixtures.candidate_body(mode)
        )
        assert 200 <= status < 300, text
        fixtures.prove_address(stack)  # registration (its own figure): the proof mail and its Confirm
        status, _, text = stack.http("PUT", A, body=fixtures.application_body())
        assert 200 <= status < 300, text
        awscount.set_phase("rejection")
        status, _, text = stack.http("POST", f"{A}/rejection", body={})
        assert 200 <= status < 300, text
        stack.pump()
        awscount.set_phase("dispatch")
        ticks, seen, approvals = 0, 0, 0
        while (due := stack.next_due()) is not None:
            traveller.move_to(max(due, _now()))
            stack.tick()
            stack.pump()
            ticks += 1
            messages = stack.sent_messages()
            for message in messages[seen:]:
                parsed = email.message_from_bytes(message.raw_data.encode(), policy=email.policy.default)
                if not str(parsed["From"]).startswith("Near Miss") or not str(parsed["Subject"]).startswith(
                    "Draft"
                ):
                    continue  # the notes, and the member's other mail (the proof, notices): no approval
                text = parsed.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
                link = re.search(r"Approve and send: \S+?(/steps/approve\?token=\S+)", text)
                assert link, "a draft carries an approve link"
                awscount.set_phase("approval")
                status, _, page = stack.http("POST", link.group(1), auth=False)
                awscount.set_phase("dispatch")
                assert 200 <= status < 300, page
                approvals += 1
            seen = len(messages)
            assert ticks < 200, "the playbook should finish"
        stored = sum(awscount.item_size(item) for item in counter.shadow.values())
        awscount.set_phase("empty-tick")
        stack.tick()  # what every run costs when nothing is due
        awscount.set_phase("")
        timeline = stack.http("GET", f"{A}/timeline")  # harness-side check, not counted below
        states = Counter(s["state"] for s in __import__("json").loads(timeline[2])["steps"])
        sent = stack.sent_messages()
        invocations = list(stack.invocation_log)
        dead = len(stack.dead_letters)
    return {
        "requests": counter.requests[first:],
        "ticks": ticks,
        "approvals": approvals,
        "states": dict(states),
        "ses_accepted": len(sent),
        "invocations": invocations,
        "dead_letters": dead,
        "moto_seconds": clock.seconds,
        "stored_bytes": stored,
    }


def _dynamo(requests: list[awscount.Request]) -> list[awscount.Request]:
    return [r for r in requests if r.service == "dynamodb"]


def summarise(run: dict[str, Any]) -> dict[str, Any]:
    reqs: list[awscount.Request] = run["requests"]
    flow = [r for r in reqs if r.phase in ("setup", "rejection", "dispatch", "approval")]
    handlers = [r for r in flow if r.owner != "harness"]
    harness = [r for r in flow if r.owner == "harness"]
    after_setup = [r for r in handlers if r.phase != "setup"]
    setup = [r for r in handlers if r.phase == "setup"]
    # The application's messages (registration's proof mail is setup, counted apart with its requests)
    emails = sum(1 for r in after_setup if r.service == "sesv2" and r.operation == "SendEmail")
    tick_queries = [
        r
        for r in after_setup
        if r.owner == "SendDueStepsFunction" and r.operation == "Query" and r.index == "due"
    ]
    ddb = _dynamo(after_setup)
    marginal = [r for r in ddb if r not in tick_queries]
    scans = [r for r in reqs if r.operation == "Scan"]
    return {
        "emails": emails,
        "ddb_after_setup": len(ddb),
        "ddb_marginal": len(marginal),
        "tick_queries": len(tick_queries),
        "ddb_setup": len(_dynamo(setup)),
        "scans": len(scans),
        "by_phase_and_function": {
            phase: awscount.Counter_.by_owner_operation([r for r in reqs if r.phase == phase])
            for phase in ("setup", "rejection", "dispatch", "approval")
            if any(r.phase == phase for r in reqs)
        },
        "handlers_by_operation": awscount.Counter_.by_operation(handlers),
        "harness_by_operation": awscount.Counter_.by_operation(harness),
        "rru": sum(r.rru for r in _dynamo(handlers)),
        "wru": sum(r.wru for r in _dynamo(handlers)),
        "rru_setup": sum(r.rru for r in _dynamo(setup)),
        "wru_setup": sum(r.wru for r in _dynamo(setup)),
        "moto_reported_units": sum(r.moto_units or 0 for r in _dynamo(handlers)),
        "bus_entries": sum(r.bus_entries for r in handlers),
        "ses_sends": emails,
        "secrets_reads": sum(1 for r in handlers if r.service == "secretsmanager"),
        "ssm_reads": sum(1 for r in handlers if r.service == "ssm"),
        "wru_by_operation": {
            op: sum(r.wru for r in _dynamo(handlers) if r.operation == op)
            for op in sorted({r.operation for r in _dynamo(handlers)})
        },
        "bytes_per_step_write": sorted(
            {
                r.bytes_written
                for r in _dynamo(handlers)
                if r.operation == "PutItem" and r.owner == "SendDueStepsFunction"
            }
        ),
    }


def lambda_cost(run: dict[str, Any], memory_mb: dict[str, int]) -> dict[str, Any]:
    """Billed Lambda duration: our in-process time (wall minus moto's) plus assumed AWS latencies."""
    gb_s = 0.0
    invocations = 0
    ms_by_function: dict[str, float] = {}
    for inv in run["invocations"]:
        if inv["phase"] not in ("setup", "rejection", "dispatch", "approval"):
            continue
        ours_ms = (inv["wall"] - inv["moto"]) * 1000
        network_ms = sum(prices.latency_ms(r.service, r.operation) for r in inv["requests"])
        billed_ms = ours_ms + network_ms
        gb_s += memory_mb.get(inv["function"], 256) / 1024 * billed_ms / 1000
        invocations += 1
        ms_by_function[inv["function"]] = ms_by_function.get(inv["function"], 0.0) + billed_ms
    return {"gb_s": gb_s, "invocations": invocations, "billed_ms_by_function": ms_by_function}


def cost_per_1000(
    summary: dict[str, Any], lam: dict[str, Any], api_requests: int, stored_bytes: int
) -> dict[str, float]:
    per_app = {
        "DynamoDB writes": prices.usd("dynamodb_wru", summary["wru"]),
        "DynamoDB reads": prices.usd("dynamodb_rru", summary["rru"]),
        "DynamoDB storage (400-day retention)": prices.usd(
            "dynamodb_storage_gb_month", stored_bytes / 1e9 * 400 / 30.4
        ),
        "EventBridge events": prices.usd("eventbridge_custom_event", summary["bus_entries"]),
        "SES emails": prices.usd("ses_email", summary["ses_sends"]),
        "Lambda requests": prices.usd("lambda_request", lam["invocations"]),
        "Lambda duration (arm64)": prices.usd("lambda_gb_second_arm64", lam["gb_s"]),
        "Secrets Manager calls": prices.usd("secretsmanager_api_call", summary["secrets_reads"]),
        "API Gateway HTTP API requests": prices.usd("apigateway_http_request", api_requests),
    }
    return {k: round(v * 1000, 5) for k, v in per_app.items()}


def fixed_monthly(empty_tick_ms: float, memory_mb: int, shards: int, secrets: int) -> dict[str, float]:
    """What runs whatever the volume: the dispatcher's schedule (every 5 minutes) and the secrets."""
    ticks = 30 * 24 * 12
    return {
        "dispatcher ticks (Lambda requests + duration)": round(
            prices.usd("lambda_request", ticks)
            + prices.usd("lambda_gb_second_arm64", ticks * memory_mb / 1024 * empty_tick_ms / 1000),
            4,
        ),
        "dispatcher due-index queries": round(prices.usd("dynamodb_rru", ticks * shards * 0.5), 4),
        "secrets stored": round(prices.usd("secretsmanager_secret_month", secrets), 2),
    }


def run(quick: bool = False) -> tuple[list[Measure], dict[str, Any]]:
    awscount.install()
    auto = drive("auto")
    review = drive("review")
    s, r = summarise(auto), summarise(review)
    from nearmiss_local.runtime import load_template

    template = load_template()
    memory = {
        k: int(v["Properties"].get("MemorySize", template["Globals"]["Function"].get("MemorySize", 128)))
        for k, v in template["Resources"].items()
        if v["Type"] == "AWS::Serverless::Function"
    }
    secrets = sum(1 for v in template["Resources"].values() if v["Type"] == "AWS::SecretsManager::Secret")
    lam = lambda_cost(auto, memory)
    api_requests = sum(1 for i in auto["invocations"] if i["function"] == "ApiFunction")
    stored_per_app = auto["stored_bytes"]
    cost = cost_per_1000(s, lam, api_requests, stored_per_app)
    empty = next(i for i in auto["invocations"] if i["phase"] == "empty-tick")
    empty_tick_ms = (empty["wall"] - empty["moto"]) * 1000 + sum(
        prices.latency_ms(q.service, q.operation) for q in empty["requests"]
    )
    fixed = fixed_monthly(empty_tick_ms, memory.get("SendDueStepsFunction", 512), 4, secrets)

    scan_calls = [
        f"{path.relative_to(ROOT)}:{n}"
        for folder in ("shared", "functions")
        for path in sorted((ROOT / folder).rglob("*.py"))
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if ".scan(" in line or '"Scan"' in line or "paginator('scan')" in line
    ]
    budget = EMAIL_BUDGET_PER_EMAIL * s["emails"] + EMAIL_BUDGET_PER_APPLICATION
    review_budget = EMAIL_BUDGET_PER_EMAIL * r["emails"] + EMAIL_BUDGET_PER_APPLICATION
    total_cost = round(sum(cost.values()), 4)
    measures = [
        Measure(
            "2 requests",
            "emails sent per rejected application (auto)",
            s["emails"],
            "emails",
            "",
            None,
            f"steps: {auto['states']}; {auto['ticks']} dispatcher runs with work; "
            f"dead letters {auto['dead_letters']}",
        ),
        Measure(
            "2 requests",
            "DynamoDB requests per application (auto)",
            s["ddb_marginal"],
            "requests",
            f"<= {EMAIL_BUDGET_PER_EMAIL}/email + {EMAIL_BUDGET_PER_APPLICATION} = {budget}",
            s["ddb_marginal"] <= budget,
            f"from the rejection on, handlers only, not counting the dispatcher's per-run due-index Queries "
            f"({s['tick_queries']} here: {auto['ticks']} runs x 4 shards; a run every 5 minutes pays them "
            f"whatever is due); registering the candidate and application: {s['ddb_setup']} more",
            {"by_phase_and_function": s["by_phase_and_function"]},
        ),
        Measure(
            "2 requests",
            "harness requests, excluded (auto)",
            sum(s["harness_by_operation"].values()),
            "requests",
            "",
            None,
            f"the clock's look at the due-index and the queue pumping: {s['harness_by_operation']}",
        ),
        Measure(
            "2 requests",
            "DynamoDB requests incl. due-index queries (auto)",
            s["ddb_after_setup"],
            "requests",
            "",
            None,
            "the same, with every dispatcher Query of this single-application run charged to it",
        ),
        Measure(
            "2 requests",
            "Scan requests (all runs, handlers and harness)",
            s["scans"] + r["scans"],
            "requests",
            "0",
            s["scans"] + r["scans"] == 0 and not scan_calls,
            "and in the code: "
            + (", ".join(scan_calls) if scan_calls else "no .scan( / Scan call in shared/ or functions/"),
        ),
        Measure(
            "2 requests",
            "DynamoDB capacity per application (auto, estimated)",
            round(s["wru"] + s["rru"], 1),
            "units",
            "",
            None,
            f"{s['wru']:.0f} WRU + {s['rru']:.1f} RRU (from item sizes; incl. registration "
            f"{s['wru_setup']:.0f} WRU + {s['rru_setup']:.1f} RRU); "
            f"moto reports {s['moto_reported_units']:.1f} "
            f"(fixed placeholders); WRU by operation {s['wru_by_operation']}",
        ),
        Measure(
            "2 requests",
            "EventBridge PutEvents entries per application (auto)",
            s["bus_entries"],
            "events",
            "",
            None,
            f"in {s['handlers_by_operation'].get('events.PutEvents', 0)} PutEvents requests",
        ),
        Measure("2 requests", "SES sends per application (auto)", s["ses_sends"], "emails", "", None, ""),
        Measure(
            "2 requests",
            "Secrets Manager / SSM reads (auto run)",
            s["secrets_reads"] + s["ssm_reads"],
            "requests",
            "",
            None,
            f"GetSecretValue {s['secrets_reads']}, SSM {s['ssm_reads']}: once per function container "
            "(the composition root keeps the value), so per application it tends to 0",
        ),
        Measure(
            "2 requests",
            "review mode: DynamoDB requests per application",
            r["ddb_marginal"],
            "requests",
            # The default mode: its drafts to the candidate are messages too (each costs a send).
            f"<= {EMAIL_BUDGET_PER_EMAIL}/message + {EMAIL_BUDGET_PER_APPLICATION} = {review_budget}",
            r["ddb_marginal"] <= review_budget,
            f"{r['emails']} SES sends ({r['emails'] - s['emails']} drafts to the candidate) and "
            f"{review['approvals']} approvals through the link; "
            f"+{r['ddb_marginal'] - s['ddb_marginal']} DynamoDB "
            f"requests over auto mode; steps {review['states']}",
            {"by_phase_and_function": r["by_phase_and_function"]},
        ),
        Measure(
            "2 requests",
            "estimated AWS cost per 1,000 rejected applications",
            total_cost,
            "USD",
            "",
            None,
            f"{prices.REGION} list prices ({prices.LOOKED_UP}); "
            + "; ".join(f"{k} ${v:.4f}" for k, v in cost.items())
            + ". Fixed per month besides: "
            + "; ".join(f"{k} ${v}" for k, v in fixed.items()),
            {"per_1000": cost, "fixed_monthly": fixed, "lambda": lam},
        ),
    ]
    notes = {
        "auto": {k: v for k, v in s.items()},
        "review": {k: v for k, v in r.items()},
        "prices": prices.PRICES,
        "price_region": prices.REGION,
        "assumed_latency_ms": prices.ASSUMED_LATENCY_MS,
        "stored_bytes_per_application": stored_per_app,
        "empty_tick_billed_ms": round(empty_tick_ms, 1),
    }
    return measures, notes
