"""The processes of section 6's measured throughput (each its own interpreter, its own GIL):

python bench/dispatch_worker.py server
    DynamoDB on moto, served on 127.0.0.1 (the project's moto patches applied): prints its port,
    then serves until its standard input closes. DynamoDB's work is not the dispatcher's CPU in
    AWS, so here it is not in the dispatcher's process either.

python bench/dispatch_worker.py shard <table> <prefix>
    One warm SendDueStepsFunction environment (AWS_ENDPOINT_URL: the server above): it warms up
    on a few notes of its own, prints "ready", then reads one shard run per line as JSON
    {"shard", "rate", "until", "epoch"} and runs `Dispatcher.run_shard` for it, with the
    injected latencies; it answers one JSON line {"times", "outcomes", "cpu"}: the instant
    (time.monotonic, the same clock in every process) of each send. As an environment of an
    asynchronous invocation, it takes one run at a time.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime, timedelta
from typing import Any


def serve() -> None:
    import logging
    import threading

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler
    from moto.server import ThreadedMotoServer
    from nearmiss_local import moto_patches

    moto_patches.apply()
    # moto's backends are not safe for concurrent writers: one request at a time (as the local
    # server does), while the clients' injected latency overlaps outside this process.
    lock = threading.Lock()
    call = DomainDispatcherApplication.__call__

    def one_at_a_time(self: Any, environ: Any, start_response: Any) -> Any:
        with lock:
            return list(call(self, environ, start_response))

    DomainDispatcherApplication.__call__ = one_at_a_time  # type: ignore[method-assign]
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    # Keep-alive, as DynamoDB's endpoint does (werkzeug answers HTTP/1.0 and closes otherwise: a
    # new TCP connection per request, on the client's CPU).
    MotoRequestHandler.protocol_version = "HTTP/1.1"
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    _, port = server.get_host_and_port()
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()
    sys.stdin.read()  # until the parent closes it
    server.stop()


def shard(table: str, prefix: str) -> None:
    import dispatch_rate
    from nearmiss_local.runtime import set_fake_credentials

    set_fake_credentials()
    rig = dispatch_rate.Rig(table)
    rig.warm_up(prefix)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    for line in sys.stdin:
        run = json.loads(line)
        epoch = datetime.fromisoformat(run["epoch"])
        started = time.monotonic()
        rig.mailer.times.clear()
        cpu = time.process_time()
        report = rig.dispatcher_for(run["rate"]).run_shard(
            run["shard"],
            run["rate"],
            datetime.fromisoformat(run["until"]),
            lambda epoch=epoch, started=started: epoch + timedelta(seconds=time.monotonic() - started),
        )
        answer = {
            "started": started,
            "times": rig.mailer.times,
            "outcomes": report.as_dict(),
            "cpu": time.process_time() - cpu,
        }
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    if sys.argv[1] == "server":
        serve()
    else:
        shard(sys.argv[2], sys.argv[3])
