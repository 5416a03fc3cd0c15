"""The embedded default (nearmiss_local.runtime.LocalStack) as the benchmarks need it.

- `BenchStack`: LocalStack on moto in process, with every handler invocation attributed to its
  function (so awscount can tell the handlers' requests from the harness's) and timed.
- `ServerStack`: the same template wiring on a moto *server* (a thread of this process, reached
  over loopback HTTP through AWS_ENDPOINT_URL), so that a handler can run in another process
  (a fresh interpreter for the first invocation, a long-lived worker per function for peak memory)
  without moto or anything else pre-imported there.

Both tolerate template resources the runtime does not create yet (a secret added to template.yaml
by work in progress): such a secret is created here, anything else gets a placeholder name.
"""

from __future__ import annotations

import json
import os
import secrets as pysecrets
import socket
import time
from typing import Any

import awscount
from nearmiss_local.runtime import LocalStack, set_fake_credentials

WEBHOOK_SECRET = "bench-webhook-signing-secret"  # noqa: S105 - a local placeholder, signs nothing real


class _Tolerant(LocalStack):
    durations: list[tuple[str, float]]
    invocation_log: list[dict[str, Any]]
    moto_clock: awscount.MotoClock | None = None

    def _create_resources(self) -> None:
        super()._create_resources()
        sm = self.client("secretsmanager")
        for logical_id, resource in self.template["Resources"].items():
            if logical_id in self.names:
                continue
            if resource["Type"] == "AWS::SecretsManager::Secret":
                value = resource.get("Properties", {}).get("SecretString")
                if not isinstance(value, str):
                    value = pysecrets.token_urlsafe(32)
                if "webhook" in logical_id.lower():
                    value = json.dumps({"greenhouse": WEBHOOK_SECRET})
                arn = sm.create_secret(Name=f"bench-{logical_id}", SecretString=value)["ARN"]
                self.names[logical_id] = arn
            else:
                self.names.setdefault(logical_id, f"bench-{logical_id}")

    def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
        """The handler, attributed and timed: wall time, moto's share of it, the AWS requests made."""
        first_request = len(awscount.COUNTER.requests)
        moto_before = self.moto_clock.seconds if self.moto_clock else 0.0
        started = time.perf_counter()
        try:
            with awscount.owner(logical_id):
                return super().invoke(logical_id, event)
        finally:
            wall = time.perf_counter() - started
            self.durations.append((logical_id, wall))
            self.invocation_log.append(
                {
                    "function": logical_id,
                    "phase": awscount.current_phase(),
                    "wall": wall,
                    "moto": (self.moto_clock.seconds - moto_before) if self.moto_clock else 0.0,
                    "requests": awscount.COUNTER.requests[first_request:],
                }
            )


class BenchStack(_Tolerant):
    """LocalStack (moto in process), handler requests attributed, invocations timed."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.durations = []
        self.invocation_log = []


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerStack(_Tolerant):
    """The template's resources on a moto server in a thread of this process.

    `function_env(logical_id)` is the environment a separate process needs to run that function's
    handler against it: the template's variables, fake credentials and AWS_ENDPOINT_URL.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.durations = []
        self.invocation_log = []
        self.server: Any = None
        self.endpoint = ""

    def __enter__(self) -> ServerStack:
        set_fake_credentials()
        from moto.server import ThreadedMotoServer

        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
        self.server.start()
        host, port = self.server.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"
        os.environ["AWS_ENDPOINT_URL"] = self.endpoint
        self._create_resources()
        self._wire_functions()
        self._wire_receipt_rules()
        return self

    def __exit__(self, *exc: object) -> None:
        from nearmiss import bootstrap

        bootstrap.use(None)
        os.environ.pop("AWS_ENDPOINT_URL", None)
        if self.server is not None:
            self.server.stop()

    def function_env(self, logical_id: str) -> dict[str, str]:
        fn = self.functions[logical_id]
        return {
            **fn.env,
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": "eu-west-1",
            "AWS_REGION": "eu-west-1",
            "AWS_LAMBDA_FUNCTION_NAME": logical_id,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory),
        }
