"""Webhook deliveries, each routed to completion once: Powertools Idempotency on the one table.

Items (pk / sk), written by Powertools' DynamoDBPersistenceLayer:
    DELIVERY                         <function>#<hash of the dedupe key>   status, expiry, the answer

Why Powertools rather than a hand-made "seen" marker: the record is INPROGRESS while the event is
being put on the bus and carries the invocation's deadline (`in_progress_expiration`, from the
Lambda context), so an invocation killed in between (a timeout, an out-of-memory) leaves a record
the ATS's next retry may take over instead of one that answers "duplicate" for a month; it becomes
COMPLETED only after routing returned, and is deleted when routing raised.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError

from nearmiss.service.intake import DeliveryInProgressError

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext
    from mypy_boto3_dynamodb import DynamoDBClient

DELIVERY_MEMORY = timedelta(days=30)  # ATSs retry for hours (Greenhouse ~15 h); a month is ample


class IdempotentDeliveries:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self.persistence = DynamoDBPersistenceLayer(
            table_name=table_name,
            key_attr="pk",
            sort_key_attr="sk",
            static_pk_value="DELIVERY",
            expiry_attr="expires_at_epoch",  # the table's TTL attribute: DynamoDB removes old records
            boto3_client=client,
        )
        self.config = IdempotencyConfig(
            event_key_jmespath="dedupe_key",
            raise_on_no_idempotency_key=True,
            expires_after_seconds=int(DELIVERY_MEMORY.total_seconds()),
        )

    def register(self, context: LambdaContext | None) -> None:
        """The invocation's deadline bounds the in-progress record; without a context Powertools
        keeps it in progress until the record's own expiry, so every handler registers one."""
        if context is not None:
            self.config.register_lambda_context(context)

    def once(self, dedupe_key: str, route: Callable[[], str]) -> str | None:
        ran = False

        # Decorated per call, with a fixed key prefix (the key stays "webhook#<hash>" whatever the
        # function is called), so concurrent deliveries in one process share no state but the table.
        def routed(delivery: dict[str, str]) -> dict[str, Any]:
            nonlocal ran
            ran = True
            return {"status": route()}

        once = idempotent_function(
            data_keyword_argument="delivery",
            config=self.config,
            persistence_store=self.persistence,
            key_prefix="webhook",
        )(routed)
        try:
            answer = once(delivery={"dedupe_key": dedupe_key})
        except IdempotencyAlreadyInProgressError:
            raise DeliveryInProgressError(dedupe_key) from None
        return str(answer["status"]) if ran else None
