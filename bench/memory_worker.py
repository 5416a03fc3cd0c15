"""One function's sandbox for the memory measure: a long-lived interpreter that imports the handler
module once and runs every invocation the demo sends it, as a warm Lambda container does.

    python bench/memory_worker.py <module>

Protocol: one JSON line in, one JSON line out. In: {"event": ..., "now": iso} runs the handler at
that simulated instant; {"stats": true} answers the peak and current RSS. The environment is the
function's, from ServerStack.function_env (AWS is a moto server reached through AWS_ENDPOINT_URL).
"""

import json
import os
import sys


class Context:
    function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "bench")
    memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256"))
    invoked_function_arn = f"arn:aws:lambda:eu-west-1:123456789012:function:{function_name}"
    aws_request_id = "bench"
    function_version = "$LATEST"
    log_group_name = f"/aws/lambda/{function_name}"
    log_stream_name = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mb() -> float:
    """VmHWM, this address space's high-water mark. (getrusage's ru_maxrss survives exec on Linux, so a
    child forked from a big parent would report the parent's size.)"""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    protocol = os.fdopen(os.dup(1), "w")
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # the handlers' log lines (CloudWatch in AWS)
    baseline = rss_mb()
    __import__(sys.argv[1])
    module = sys.modules[sys.argv[1]]
    after_import = rss_mb()
    invocations = 0
    import time_machine  # after the import, so that the import's footprint is the handler's own

    for line in sys.stdin:
        request = json.loads(line)
        if request.get("stats"):
            answer = {
                "peak_rss_mb": peak_mb(),
                "rss_mb": rss_mb(),
                "rss_interpreter_mb": baseline,
                "rss_after_import_mb": after_import,
                "invocations": invocations,
            }
        else:
            invocations += 1
            try:
                with time_machine.travel(request["now"], tick=False):
                    answer = {"result": module.handler(request["event"], Context())}
            except Exception as exc:
                answer = {"error": f"{type(exc).__name__}: {exc}"}
        protocol.write(json.dumps(answer, default=str) + "\n")
        protocol.flush()


main()
