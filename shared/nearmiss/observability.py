"""Logging and metrics, configured once; imported by handlers, never the other way round.

Logs are structured (keys, not f-strings) and every line passes through a mask: an email
address anywhere in a log line is replaced before it is written.
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


class MaskingFormatter(LambdaPowertoolsFormatter):
    def serialize(self, log: Any) -> str:
        return EMAIL.sub(mask_email, super().serialize(log))


logger = Logger(service="nearmiss", logger_formatter=MaskingFormatter())
metrics = Metrics(namespace="NearMiss", service="nearmiss")
