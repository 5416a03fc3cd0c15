"""api: the HTTP API: candidates, applications, manual rejections, timelines, review and stop links."""

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from nearmiss import api, snapstart
from nearmiss.observability import logger, metrics

snapstart.register("api")  # SnapStart=on: warm imports, fresh clients on restore


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return api.handle(event, context)
