"""start_playbook: on "Application Rejected", write the application's steps, once."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nearmiss import bootstrap, entrypoints, snapstart
from nearmiss.observability import logger, metrics

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

snapstart.register("start_playbook")  # SnapStart=on: warm imports, fresh clients on restore


@logger.inject_lambda_context(correlation_id_path="detail.metadata.correlation_id")
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return entrypoints.on_rejected(event, bootstrap.container())
