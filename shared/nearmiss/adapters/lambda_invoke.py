"""Dispatch fan-out: send_due_steps starts its per-shard runs by invoking itself asynchronously.

`InvocationType="Event"`: Lambda queues the event and answers 202; the run happens in another
sandbox. Lambda may deliver an asynchronous event more than once; a repeated shard run is harmless
(every step is still claimed by a conditional write before it is sent). The function's
EventInvokeConfig (no retries, failures to the dead-letter queue) applies to these runs too.
"""

from __future__ import annotations

import json
from typing import Any

from nearmiss.service.ports import ShardRun


def shard_event(run: ShardRun) -> dict[str, object]:
    """The event a shard run is started with (parsed back by entrypoints.on_schedule)."""
    return {"shard": run.shard, "rate": run.rate, "until": run.until.isoformat()}


class LambdaShardRuns:
    """`client` is a boto3 lambda client, or a function that makes one: most runs never fan out,
    so the client (about 15 ms of a first invocation) is made when the first shard run starts."""

    def __init__(self, client: Any, function_name: str) -> None:  # no boto3 stubs for lambda installed
        self._client = client
        self.function_name = function_name

    @property
    def client(self) -> Any:
        if callable(self._client) and not hasattr(self._client, "invoke"):
            self._client = self._client()
        return self._client

    def start(self, run: ShardRun) -> None:
        self.client.invoke(
            FunctionName=self.function_name,
            InvocationType="Event",
            Payload=json.dumps(shard_event(run)).encode(),
        )
