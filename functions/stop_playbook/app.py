"""stop_playbook: on a re-open, a hire or the candidate's cancel, cancel every pending step."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nearmiss import bootstrap, entrypoints, snapstart
from nearmiss.observability import logger, metrics

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

snapstart.register("stop_playbook")  # SnapStart=on: warm imports, fresh clients on restore


@logger.inject_lambda_context(correlation_id_path="detail.metadata.correlation_id")
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return entrypoints.on_stop(event, bootstrap.container())
