"""Source name (the `/webhooks/<source>` path segment) -> its intake module.

Each module has NAME, SIGNING_OPTIONAL, SUCCESS_STATUS, verify(headers, body, secret, now=...)
and parse(headers, body); `WebhookSource` states that shape for the type checker.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Protocol

from nearmiss.intake import ashby, generic, greenhouse, lever, recruitee, workable
from nearmiss.intake.base import Parsed


class WebhookSource(Protocol):
    NAME: str
    SIGNING_OPTIONAL: bool
    SUCCESS_STATUS: int

    def verify(self, headers: Mapping[str, str], body: bytes, secret: str, *, now: datetime) -> None: ...

    def parse(self, headers: Mapping[str, str], body: bytes) -> Parsed: ...


# SmartRecruiters is not here on purpose: its application webhooks carry ids only (no status), so
# telling a rejection apart needs an API call this pure layer does not make; acknowledging them
# without acting would lose rejections silently.
SOURCES: Mapping[str, WebhookSource] = MappingProxyType(
    {module.NAME: module for module in (greenhouse, lever, ashby, workable, recruitee, generic)}
)
