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
# Reply and intake addresses carry their token in the local part (`reply+<26 base32>@`, `in+<token>@`),
# also percent-encoded in a query string (`to=reply%2B...%40...`): whoever holds one can act as the
# recipient's reply. Case-insensitive: MTAs and URL encoders change the case.
ADDRESS_TOKEN = re.compile(r"(?i)\b(reply|in)(\+|%2B)[a-z0-9_-]{8,}")
ENCODED_EMAIL = re.compile(r"(?i)[\w.%+\-]+%40[\w\-]+(?:\.[\w\-]+)+")


def mask_encoded_email(match: re.Match[str]) -> str:
    found = match.group(0)
    domain = found[found.upper().index("%40") + 3 :]
    return f"{found[:1]}***%40***.{domain.rsplit('.', 1)[-1]}"


def mask_secrets(text: str) -> str:
    """Every address (also percent-encoded), link token, reply token and candidate key in `text`,
    masked."""
    text = EMAIL.sub(mask_email, ENCODED_EMAIL.sub(mask_encoded_email, TOKEN.sub("***", text)))
    return ADDRESS_TOKEN.sub(lambda m: f"{m.group(1)}{m.group(2)}***", text)


class MaskingFormatter(LambdaPowertoolsFormatter):
    def serialize(self, log: Any) -> str:
        return mask_secrets(super().serialize(log))


logger = Logger(service="nearmiss", logger_formatter=MaskingFormatter())
metrics = Metrics(namespace="NearMiss", service="nearmiss")
