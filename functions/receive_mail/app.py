"""receive_mail: a message SES received at a reply or intake address, read from S3 and routed once."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nearmiss import bootstrap, entrypoints, snapstart
from nearmiss.observability import logger, metrics

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

snapstart.register("receive_mail")  # SnapStart=on: warm imports, fresh clients on restore


@logger.inject_lambda_context(correlation_id_path="Records[0].ses.mail.messageId")
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return entrypoints.on_inbound_mail(event, bootstrap.container())
