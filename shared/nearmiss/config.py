"""Configuration: every environment variable, validated once, in one model.

`Settings.from_environ()` reads the `NEARMISS_*` variables (the prefix dropped, case-insensitive)
into a plain pydantic model. pydantic-settings did the same, for about 60 ms of every cold start
(python-dotenv and its source machinery) that a flat set of variables does not need.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator

ENV_PREFIX = "NEARMISS_"


class Settings(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings in `environ` (default: os.environ); raises ValidationError naming the field."""
        source = os.environ if environ is None else environ
        values = {
            key[len(ENV_PREFIX) :].lower(): value
            for key, value in source.items()
            if key.upper().startswith(ENV_PREFIX)
        }
        return cls.model_validate(values)

    table_name: str = Field(min_length=3)
    event_bus_name: str = Field(min_length=1)
    # Platform sending: From "<candidate name>" <notes@sender_domain>, Reply-To the candidate.
    sender_domain: str = Field(min_length=3, pattern=r"^[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
    sender_local_part: str = Field(default="notes", pattern=r"^[A-Za-z0-9._+-]{1,64}$")
    # Replies: each note's Reply-To is reply+<token>@<receiving_domain> (template parameter
    # ReceivingDomain); unset or empty, notes keep the member's address as Reply-To. receive_mail
    # reads the raw messages SES stored in `inbound_bucket` under `inbound_prefix`.
    receiving_domain: str | None = Field(default=None, pattern=r"^[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
    inbound_bucket: str | None = None
    inbound_prefix: str = Field(default="inbound/", max_length=200)

    @field_validator("receiving_domain", "inbound_bucket", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    # Base URL of the links in emails and pages. Unset (or empty): the API answers with links to the
    # host it was called on; the dispatcher, which has no request, always gets it from the template.
    public_base_url: HttpUrl | None = None

    @field_validator("public_base_url", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    # The key that signs review and stop links: locally from the environment, in AWS from Secrets
    # Manager (the ARN is set by the template; the value is fetched once and cached).
    link_secret: str | None = Field(default=None, min_length=32, repr=False)
    link_secret_arn: str | None = None
    # The operator's API key (career-services staff) for the candidate routes; same two sources.
    api_key: str | None = Field(default=None, min_length=16, repr=False)
    api_key_secret_arn: str | None = None
    # Webhook signing secrets: in AWS one Secrets Manager secret holding {"greenhouse": "...", ...};
    # locally NEARMISS_WEBHOOK_SECRET_<SOURCE>. A source without one is refused, unless its ATS makes
    # signing optional and it is named here (comma-separated) by the operator.
    webhook_secrets_arn: str | None = None
    webhook_unsigned: str = ""
    ses_configuration_set: str | None = None
    due_shards: int = Field(default=4, ge=1, le=64)
    max_steps_per_run: int = Field(default=400, ge=1, le=5000)
    max_send_attempts: int = Field(default=6, ge=1, le=20)
    lease_seconds: int = Field(default=300, ge=30, le=3600)
    ses_max_send_rate: float = Field(default=10.0, gt=0, description="messages per second the account allows")
    # Sender threads per dispatch run: a note is ~100 ms of waiting (claim, SES, record), so one
    # thread sends ~10/s and 16 cover 100/s with room; the rate limiter, not this, keeps SES at its
    # rate. Bounded: each thread holds a connection (botocore's pool is 10 by default, raised to match).
    send_concurrency: int = Field(default=16, ge=1, le=64)
    # The schedule of send_due_steps (the template's DispatchRate): a fan-out's shard runs stop taking
    # work when the next scheduled run is due, which looks at the backlog again.
    dispatch_rate: str = Field(default="rate(5 minutes)", pattern=r"^rate\(\d+ (minutes?|hours?)\)$")

    @property
    def dispatch_interval_seconds(self) -> int:
        count, unit = self.dispatch_rate[len("rate(") : -1].split()
        return int(count) * (3600 if unit.startswith("hour") else 60)

    retention_days: int = Field(default=400, ge=30, le=3650)


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings.from_environ()
