"""Source name (the `/webhooks/<source>` path segment) -> its module under `nearmiss.intake.ats`.

Each module has NAME, SIGNING_OPTIONAL, SUCCESS_STATUS, verify(headers, body, secret, now=...)
and parse(headers, body); `WebhookSource` states that shape for the type checker.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Protocol

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
MODULES = ("greenhouse", "lever", "ashby", "workable", "recruitee", "generic")


class _Sources(Mapping[str, WebhookSource]):
    """Source name -> its parser module, imported when a webhook of that source arrives: a
    receive_webhook container serves one or two ATSs, and importing all six is cold start for
    nothing. The module's payload models are built later still, by its first parse."""

    def __getitem__(self, name: str) -> WebhookSource:
        if name not in MODULES:
            raise KeyError(name)
        module: WebhookSource = importlib.import_module(f"nearmiss.intake.ats.{name}")  # type: ignore[assignment]
        return module

    def __iter__(self) -> Iterator[str]:
        return iter(MODULES)

    def __len__(self) -> int:
        return len(MODULES)


SOURCES: Mapping[str, WebhookSource] = _Sources()
