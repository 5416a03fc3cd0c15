"""The composition root: settings, boto3 clients and adapters, each built on first use.

Nothing here runs at import. A Lambda container builds what its handler touches once and reuses
it across invocations; a test replaces the container with `use(Container(...))` or sets fakes on it.
"""

from __future__ import annotations

import os
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from nearmiss.config import Settings, settings

if TYPE_CHECKING:
    from nearmiss.adapters.deliveries import IdempotentDeliveries
    from nearmiss.adapters.secrets import SecretCache
    from nearmiss.service.dispatch import Dispatcher
    from nearmiss.service.forwards import ForwardIntake, IntakeAddresses
    from nearmiss.service.inbound import Inbound, MailObjects
    from nearmiss.service.intake import Intake
    from nearmiss.service.links import Links
    from nearmiss.service.playbooks import SenderPolicy
    from nearmiss.service.ports import Identities, Mailer, Publisher, ShardRuns, Store
    from nearmiss.service.reply_addresses import ReplyAddresses


def _client(service: str, **config: Any) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(service, config=Config(**config))  # type: ignore[call-overload]


class Container:
    def __init__(self, config: Settings | None = None) -> None:
        self._config = config

    @cached_property
    def settings(self) -> Settings:
        return self._config or settings()

    # ---- secrets -------------------------------------------------------------------------------
    @cached_property
    def secrets(self) -> SecretCache:
        from nearmiss.adapters.secrets import SecretCache

        client = _client("secretsmanager", retries={"mode": "standard", "max_attempts": 3})
        return SecretCache(client, max_age=300)  # a rotated secret reaches warm containers in 5 minutes

    def _secret(self, value: str | None, arn: str | None, what: str) -> str:
        if value:
            return value
        if arn:
            return self.secrets.get(arn)
        raise RuntimeError(
            f"no {what} configured: set NEARMISS_{what.upper()} or NEARMISS_{what.upper()}_ARN"
        )

    @cached_property
    def link_secret(self) -> bytes:
        s = self.settings
        return self._secret(s.link_secret, s.link_secret_arn, "link_secret").encode()

    @cached_property
    def api_key(self) -> str:
        s = self.settings
        return self._secret(s.api_key, s.api_key_secret_arn, "api_key")

    # ---- adapters ------------------------------------------------------------------------------
    @cached_property
    def store(self) -> Store:
        from nearmiss.adapters.dynamo import DynamoStore

        s = self.settings
        # One connection per dispatcher sender thread (botocore keeps 10 by default; more threads
        # would open and discard extra connections).
        pool = max(10, s.send_concurrency)
        retries = {"mode": "standard", "max_attempts": 5}
        client = _client("dynamodb", retries=retries, max_pool_connections=pool)
        return DynamoStore(client, s.table_name, shards=s.due_shards, retention_days=s.retention_days)

    @cached_property
    def deliveries(self) -> IdempotentDeliveries:
        from nearmiss.adapters.deliveries import IdempotentDeliveries

        # The store's client: the same table, the same retry policy.
        return IdempotentDeliveries(self.store.client, self.settings.table_name)  # type: ignore[attr-defined]

    @cached_property
    def mailer(self) -> Mailer:
        from nearmiss.adapters.ses import SesMailer

        # No SDK retries for sends: a retried request after a timeout could send twice. The
        # dispatcher decides what to retry, and when.
        client = _client(
            "sesv2",
            retries={"mode": "standard", "max_attempts": 1},
            read_timeout=20,
            max_pool_connections=max(10, self.settings.send_concurrency),  # one per sender thread
        )
        return SesMailer(client, self.settings.ses_configuration_set)

    @cached_property
    def identities(self) -> Identities:
        from nearmiss.adapters.ses_identities import SesIdentities

        # A read, safe to retry (unlike a send), but short: the API answers within its 10 s timeout
        # even when SES is slow, and a check without an answer is simply tried again later.
        client = _client(
            "sesv2", retries={"mode": "standard", "max_attempts": 2}, connect_timeout=1, read_timeout=2
        )
        return SesIdentities(client)

    @cached_property
    def publisher(self) -> Publisher:
        from nearmiss.adapters.eventbridge import EventBridgePublisher

        client = _client("events", retries={"mode": "standard", "max_attempts": 5})
        return EventBridgePublisher(client, self.settings.event_bus_name)

    # ---- services ------------------------------------------------------------------------------
    @cached_property
    def links(self) -> Links:
        return self.links_for(str(self.settings.public_base_url or "http://127.0.0.1:8000"))

    def links_for(self, base_url: str) -> Links:
        from nearmiss.service.links import Links

        return Links(base_url, self.link_secret, generations=self.store.link_generation)

    @cached_property
    def reply_addresses(self) -> ReplyAddresses | None:
        """Each note's own reply address; None when no receiving domain is configured."""
        from nearmiss.service.reply_addresses import ReplyAddresses

        domain = self.settings.receiving_domain
        if not domain:
            return None
        store: Any = self.store
        return ReplyAddresses(domain.lower(), self.link_secret, store, self.store.link_generation)

    @cached_property
    def mail_objects(self) -> MailObjects:
        from nearmiss.adapters.s3_mail import S3MailObjects

        client = _client("s3", retries={"mode": "standard", "max_attempts": 3})
        return S3MailObjects(client)

    @cached_property
    def inbound(self) -> Inbound:
        from nearmiss.service.inbound import Inbound

        s = self.settings
        if self.reply_addresses is None or not s.inbound_bucket:
            raise RuntimeError("receive_mail needs NEARMISS_RECEIVING_DOMAIN and NEARMISS_INBOUND_BUCKET")
        store: Any = self.store
        return Inbound(
            store,
            self.mail_objects,
            self.mailer,
            self.reply_addresses,
            bucket=s.inbound_bucket,
            prefix=s.inbound_prefix,
            platform_address=f"{s.sender_local_part}@{s.sender_domain}",
            forwards=lambda: self.forward_intake,
        )

    @cached_property
    def intake_addresses(self) -> IntakeAddresses | None:
        """Each member's private intake address; None when no receiving domain is configured."""
        from nearmiss.service.forwards import IntakeAddresses

        domain = self.settings.receiving_domain
        if not domain:
            return None
        store: Any = self.store
        return IntakeAddresses(domain.lower(), self.link_secret, store, self.store.link_generation)

    @cached_property
    def forward_intake(self) -> ForwardIntake | None:
        from nearmiss.service.forwards import ForwardIntake

        s = self.settings
        if self.intake_addresses is None:
            return None
        store: Any = self.store
        return ForwardIntake(
            store,
            self.links,
            self.intake_addresses,
            platform_address=f"{s.sender_local_part}@{s.sender_domain}",
        )

    @cached_property
    def senders(self) -> SenderPolicy:
        from nearmiss.service.playbooks import SenderPolicy

        return SenderPolicy(domain=self.settings.sender_domain, local_part=self.settings.sender_local_part)

    def webhook_secret(self, source: str) -> str | None:
        local = os.environ.get(f"NEARMISS_WEBHOOK_SECRET_{source.upper()}")
        if local:
            return local
        arn = self.settings.webhook_secrets_arn
        if not arn:
            return None
        secrets = self.secrets.get_json(arn)
        value = secrets.get(source) if isinstance(secrets, dict) else None
        return str(value) if value else None

    @cached_property
    def intake(self) -> Intake:
        from nearmiss.service.intake import Intake

        unsigned = frozenset(s.strip() for s in self.settings.webhook_unsigned.split(",") if s.strip())
        confirm = None
        lever_key = self.webhook_secret("lever_api_key")  # optional, beside the signing secrets
        if lever_key:
            from nearmiss.adapters.lever import LeverEnricher

            confirm = LeverEnricher(lever_key).confirm
        return Intake(
            self.store,  # type: ignore[arg-type]
            self.deliveries,
            self.publisher,
            self.webhook_secret,
            unsigned_allowed=unsigned,
            confirm_unsigned=confirm,
        )

    @cached_property
    def dispatcher(self) -> Dispatcher:
        from nearmiss.service.dispatch import Dispatcher, DispatchSettings

        s = self.settings
        return Dispatcher(
            self.store,
            self.mailer,
            self.links,
            platform_address=f"{s.sender_local_part}@{s.sender_domain}",
            settings=DispatchSettings(
                lease=timedelta(seconds=s.lease_seconds),
                max_attempts=s.max_send_attempts,
                max_steps=s.max_steps_per_run,
                max_send_rate=s.ses_max_send_rate,
                concurrency=s.send_concurrency,
                interval=timedelta(seconds=s.dispatch_interval_seconds),
            ),
            identities=self.identities,
            shard_runs=self.shard_runs,
            reply_addresses=self.reply_addresses,
        )

    @cached_property
    def shard_runs(self) -> ShardRuns | None:
        """The dispatcher's fan-out: it invokes its own function (Lambda sets the name)."""
        from nearmiss.adapters.lambda_invoke import LambdaShardRuns

        name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        if name is None:
            return None  # not in a Lambda function (a script, a test): no fan-out
        # The alias, not $LATEST: the shard runs must run the published version the tick runs.
        alias = os.environ.get("NEARMISS_FUNCTION_ALIAS")
        qualified = f"{name}:{alias}" if alias else name
        return LambdaShardRuns(
            lambda: _client("lambda", retries={"mode": "standard", "max_attempts": 3}), qualified
        )


_current: Container | None = None


def container() -> Container:
    global _current
    if _current is None:
        _current = Container()
    return _current


def use(replacement: Container | None) -> None:
    """Swap the container (tests, the local runner); None builds a fresh one on next use."""
    global _current
    _current = replacement
