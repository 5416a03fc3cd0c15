"""Webhook intake: verify each ATS's signature and parse its payload into one `Parsed` shape.

Pure code (no AWS, no I/O). The HTTP handler looks the source up in `registry.SOURCES`, calls
`verify` on the raw body, then `parse`, and answers `SUCCESS_STATUS` or the `WebhookError`'s status.
"""

from nearmiss.intake.base import Parsed, WebhookError

__all__ = ["Parsed", "WebhookError"]
