"""A fresh interpreter that does what a Lambda sandbox does: import the handler module, then invoke it.

    python bench/coldstart_child.py <plan.json>

The plan names the module, two events (the first invocation and a warm second one) and, optionally,
DynamoDB items to put between them (with the function's own client, untimed). AWS is a moto server
reached through AWS_ENDPOINT_URL, so nothing but the handler's own imports is loaded here before
the first invocation: what it imports lazily (boto3, its clients, the use case) is paid there, as in
Lambda. Prints one JSON line: import, first and second invocation times, the responses' status,
and the boto3 clients that exist after the first invocation.
"""

import json
import sys
import time

started = time.perf_counter()


class Context:
    function_name = "bench"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:bench"
    aws_request_id = "bench-request"
    function_version = "$LATEST"
    log_group_name = "/aws/lambda/bench"
    log_stream_name = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def main() -> None:
    import os

    with open(sys.argv[1]) as f:
        plan = json.load(f)
    protocol = os.fdopen(os.dup(1), "w")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # handlers log JSON lines to stdout; keep the protocol line clean

    t0 = time.perf_counter()
    __import__(plan["module"])  # the builtin import (importlib.import_module is not seen by -X importtime)
    module = sys.modules[plan["module"]]
    t1 = time.perf_counter()
    modules_after_import = len(sys.modules)

    def status(result: object) -> object:
        return result.get("statusCode", "ok") if isinstance(result, dict) else "ok"

    t2 = time.perf_counter()
    try:
        first = status(module.handler(plan["events"][0], Context()))
    except Exception as exc:
        first = f"error: {type(exc).__name__}: {exc}"
    t3 = time.perf_counter()

    import gc

    from botocore.client import BaseClient

    clients = sorted(
        {o.meta.service_model.service_name for o in gc.get_objects() if isinstance(o, BaseClient)}
    )
    for item in plan.get("put_between", []):
        from nearmiss import bootstrap

        store = bootstrap.container().store
        store.client.put_item(TableName=store.table, Item=item)
    t4 = time.perf_counter()
    try:
        second = status(module.handler(plan["events"][1], Context()))
    except Exception as exc:
        second = f"error: {type(exc).__name__}: {exc}"
    t5 = time.perf_counter()
    protocol.write(
        json.dumps(
            {
                "import_ms": (t1 - t0) * 1000,
                "first_ms": (t3 - t2) * 1000,
                "second_ms": (t5 - t4) * 1000,
                "interpreter_to_import_ms": (t0 - started) * 1000,
                "first_status": first,
                "second_status": second,
                "clients": clients,
                "modules_after_import": modules_after_import,
                "modules_after_first": len(sys.modules),
            }
        )
        + "\n"
    )
    protocol.flush()


main()
