"""Logging and metrics, configured once; imported by handlers, never the other way round.

Logs are structured (keys, not f-strings) and every line passes through a mask: an email
address, a link token or a candidate key anywhere in a log line is replaced before it is written.
"""

from __future__ import annotations

import re
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

# \w is Unicode-aware: internationalised domains (and local parts) are masked too.
EMAIL = re.compile(r"[\w.%+\-]+@[\w\-]+(?:\.[\w\-]+)+")


def mask_email(match: re.Match[str]) -> str:
    local, _, domain = match.group(0).partition("@")
    return f"{local[:1]}***@***.{domain.rsplit('.', 1)[-1]}"


# Link tokens (`<base64url>.<base64url>`, also as `token=` in a URL) and candidate keys
# (`nmk.<id>.<secret>`): whoever reads a log line must not be able to click or replay them.
TOKEN = re.compile(r"(?<=token=)[^&\s\"']+|nmk\.[^\s\"'&]+|[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{40,}")


def mask_secrets(text: str) -> str:
    """Every address, link token and candidate key in `text`, masked."""
    return EMAIL.sub(mask_email, TOKEN.sub("***", text))


class MaskingFormatter(LambdaPowertoolsFormatter):
    def serialize(self, log: Any) -> str:
        return mask_secrets(super().serialize(log))


logger = Logger(service="nearmiss", logger_formatter=MaskingFormatter())
metrics = Metrics(namespace="NearMiss", service="nearmiss")
