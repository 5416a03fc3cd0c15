"""4. Webhook acknowledgement: the warm, in-process handler time for a signed Greenhouse rejection.

The receive_webhook function (POST /webhooks/{source}) runs on the embedded default (moto in
process) as its template wiring gives it: verify the signature, parse, record, put on the bus,
answer. 1,000 signed rejections (each for another Greenhouse application, so none is a duplicate),
then 1,000 with a wrong signature; p50 and p99 of the handler's wall time, and of our side alone
(minus the time moto spends emulating the requests). Skipped, with a row saying so, while
functions/receive_webhook/app.py does not exist or the template does not wire it.
"""

from __future__ import annotations

import json
import time
from typing import Any

import awscount
import fixtures
from common import ROOT, Measure, median, percentile

MODULE = "functions.receive_webhook.app"


def _unavailable(reason: str) -> tuple[list[Measure], dict[str, Any]]:
    return [
        Measure(
            "4 webhook",
            "Greenhouse webhook acknowledgement",
            None,
            "ms",
            "",
            None,
            f"not available yet: {reason}",
        )
    ], {"skipped": reason}


def run(quick: bool = False) -> tuple[list[Measure], dict[str, Any]]:
    if not (ROOT / "functions" / "receive_webhook" / "app.py").exists():
        return _unavailable("functions/receive_webhook/app.py does not exist")
    awscount.install()
    n = 200 if quick else 1000
    try:
        return _measure(n)
    except Exception as exc:  # work in progress elsewhere: say why, do not fail the whole bench
        return _unavailable(f"{type(exc).__name__}: {str(exc)[:300]}")


def _measure(n: int) -> tuple[list[Measure], dict[str, Any]]:
    from cold_start import _webhook_secret
    from nearmiss_local import moto_patches
    from stacks import BenchStack

    moto_patches.apply()  # moto deep-copies the table per transaction item otherwise (O(table) per call)
    clock = awscount.MOTO.install()
    with BenchStack() as stack:
        stack.moto_clock = clock
        fn = next((f for f in stack.functions.values() if f.module == MODULE), None)
        if fn is None:
            return _unavailable("template.yaml does not wire functions/receive_webhook yet")
        secret = _webhook_secret(stack, fn)
        status, _, text = stack.http(
            "PUT", f"/candidates/{fixtures.CANDIDATE_ID}", body=fixtures.candidate_body("auto")
        )
        if not 200 <= status < 300:
            return _unavailable(f"registering the candidate failed: {status} {text[:200]}")

        # Each Greenhouse application the webhooks name is registered (by its ATS id), so a signed
        # rejection goes the whole way: verified, parsed, recorded once, matched, put on the bus.
        store = stack._container(stack.functions["ApiFunction"]).store
        for number in [*range(20), *range(1000, 1000 + n)]:
            ats_id = f"greenhouse:{90_000_000 + number}"
            app = fixtures.application(application_id=f"gh-{number}")
            store.put_application(
                app.model_copy(update={"ats_application_id": ats_id, "source": "greenhouse"})
            )

        def measure(events: list[dict[str, Any]]) -> dict[str, Any]:
            first = len(stack.invocation_log)
            statuses: dict[str, int] = {}
            for event in events:
                result = stack.invoke(fn.logical_id, event)
                code = str(result.get("statusCode")) if isinstance(result, dict) else "?"
                try:
                    body = json.loads(result.get("body") or "{}")
                    code += f" {body.get('status') or body.get('error', '')}".rstrip()
                except (AttributeError, ValueError):
                    pass
                statuses[code] = statuses.get(code, 0) + 1
            log = stack.invocation_log[first:]
            wall = [i["wall"] * 1000 for i in log]
            ours = [(i["wall"] - i["moto"]) * 1000 for i in log]
            requests = [r for i in log for r in i["requests"]]
            return {
                "p50": percentile(wall, 50),
                "p99": percentile(wall, 99),
                "ours_p50": percentile(ours, 50),
                "ours_p99": percentile(ours, 99),
                "statuses": statuses,
                "requests_per_call": awscount.Counter_.by_operation(requests),
                "n": len(log),
            }

        warm = [
            fixtures.webhook_event("greenhouse", *fixtures.greenhouse_rejection(i, secret)) for i in range(20)
        ]
        measure(warm)  # warm-up: imports, clients, secrets, templates
        signed = [
            fixtures.webhook_event("greenhouse", *fixtures.greenhouse_rejection(1000 + i, secret))
            for i in range(n)
        ]
        bad = []
        for i in range(n):
            headers, body = fixtures.greenhouse_rejection(5000 + i, secret)
            headers["signature"] = "sha256 " + "0" * 64
            bad.append(fixtures.webhook_event("greenhouse", headers, body))
        started = time.perf_counter()
        good_stats = measure(signed)
        bad_stats = measure(bad)
        elapsed = time.perf_counter() - started

    def row(name: str, stats: dict[str, Any], expect: str) -> Measure:
        per_call = {k: round(v / stats["n"], 2) for k, v in stats["requests_per_call"].items()}
        return Measure(
            "4 webhook",
            name,
            round(stats["p50"], 2),
            "ms p50",
            "",
            None,
            f"p99 {stats['p99']:.2f} ms; our side (minus moto) p50 {stats['ours_p50']:.2f} / p99 "
            f"{stats['ours_p99']:.2f} ms; {stats['n']} requests, answers {stats['statuses']} "
            f"(expected {expect}); "
            f"AWS requests per call {per_call}",
            {"p99_ms": round(stats["p99"], 2), **stats},
        )

    measures = [
        row("signed Greenhouse rejection, warm handler", good_stats, "200"),
        row("rejected signature, warm handler", bad_stats, "401"),
    ]
    return measures, {
        "signed": good_stats,
        "bad_signature": bad_stats,
        "elapsed_s": round(elapsed, 1),
        "median_check": median([1.0]),
    }
