"""start_playbook: on "Application Rejected", write the application's steps, once."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from nearmiss import bootstrap, entrypoints, snapstart
from nearmiss.observability import logger, metrics

snapstart.register("start_playbook")  # SnapStart=on: warm imports, fresh clients on restore


@logger.inject_lambda_context(correlation_id_path="detail.metadata.correlation_id")
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return entrypoints.on_rejected(event, bootstrap.container())
