"""handle_ses_feedback: on an SES bounce or complaint, suppress the address, cancel what is pending."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nearmiss import bootstrap, entrypoints, snapstart
from nearmiss.observability import logger, metrics

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

snapstart.register("handle_ses_feedback")  # SnapStart=on: warm imports, fresh clients on restore


@logger.inject_lambda_context(correlation_id_path="id")
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return entrypoints.on_ses_feedback(event, bootstrap.container())
