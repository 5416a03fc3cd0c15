"""send_due_steps: on the schedule, send (or draft, or lapse) every step that is due."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nearmiss import bootstrap, entrypoints, snapstart
from nearmiss.observability import logger, metrics

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

snapstart.register("send_due_steps")  # SnapStart=on: warm imports, fresh clients on restore


@logger.inject_lambda_context(correlation_id_path="id")
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    time_left = lambda: context.get_remaining_time_in_millis() / 1000  # noqa: E731
    return entrypoints.on_schedule(event, bootstrap.container(), time_left)
