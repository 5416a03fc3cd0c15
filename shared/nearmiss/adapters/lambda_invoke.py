"""Dispatch fan-out: send_due_steps starts its per-shard runs by invoking itself asynchronously.

`InvocationType="Event"`: Lambda queues the event and answers 202; the run happens in another
sandbox. Lambda may deliver an asynchronous event more than once; a repeated shard run is harmless
(every step is still claimed by a conditional write before it is sent). The function's
EventInvokeConfig (no retries, failures to the dead-letter queue) applies to these runs too.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cached_property
from typing import Any

from nearmiss.service.ports import ShardRun


def shard_event(run: ShardRun) -> dict[str, object]:
    """The event a shard run is started with (parsed back by entrypoints.on_schedule)."""
    return {"shard": run.shard, "rate": run.rate, "until": run.until.isoformat()}


class LambdaShardRuns:
    """`make_client` makes the boto3 lambda client: most runs never fan out, so the client (about
    15 ms of a first invocation) is made when the first shard run starts."""

    def __init__(self, make_client: Callable[[], Any], function_name: str) -> None:
        self._make_client = make_client
        self.function_name = function_name

    @cached_property
    def client(self) -> Any:  # no boto3 stubs for lambda installed
        return self._make_client()

    def start(self, run: ShardRun) -> None:
        self.client.invoke(
            FunctionName=self.function_name,
            InvocationType="Event",
            Payload=json.dumps(shard_event(run)).encode(),
        )
