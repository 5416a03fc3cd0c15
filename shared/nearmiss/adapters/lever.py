"""Re-reading an opportunity from Lever's API, because Lever does not sign webhook bodies.

GET https://api.lever.co/v1/opportunities/{id} with the API key as the basic-auth user name
(Lever's documented scheme). A rejection is confirmed when the opportunity is archived now for a
reason whose type is "non-hired" (GET /archive_reasons/{id}: a "Hired" archive is no rejection); the
candidate's address comes from the opportunity's `emails`. Anything else (no key, a network
failure, an unexpected answer) confirms nothing: the event stays held, never lost.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from nearmiss.intake.base import Parsed, email_address

API = "https://api.lever.co/v1/opportunities/"
ARCHIVE_REASONS = "https://api.lever.co/v1/archive_reasons/"
TIMEOUT_SECONDS = 3.0

Fetch = Callable[[urllib.request.Request, float], Any]


def _urlopen(request: urllib.request.Request, timeout: float) -> Any:
    with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310 (a fixed https URL)
        return json.load(answer)


class LeverEnricher:
    def __init__(self, api_key: str, fetch: Fetch = _urlopen) -> None:
        self._auth = "Basic " + base64.b64encode(f"{api_key}:".encode()).decode()
        self._fetch = fetch

    def confirm(self, parsed: Parsed) -> Parsed | None:
        """The event, confirmed and completed from Lever's own record, or None."""
        if not parsed.ats_application_id or not parsed.ats_application_id.startswith("lever:"):
            return None
        opportunity = parsed.ats_application_id.removeprefix("lever:")
        request = urllib.request.Request(API + opportunity, headers={"Authorization": self._auth})  # noqa: S310
        try:
            data = self._fetch(request, TIMEOUT_SECONDS).get("data") or {}
        except (urllib.error.URLError, TimeoutError, ValueError, AttributeError, OSError):
            return None
        archived = data.get("archived")
        if parsed.kind == "rejected":
            if not (isinstance(archived, dict) and archived.get("archivedAt")):
                return None  # Lever says it is not archived: the body was not telling the truth
            if self._archive_type(archived.get("reason")) != "non-hired":
                return None  # archived as hired (or for a reason we cannot read): no rejection
        raw = data.get("emails")
        emails: list[Any] = raw if isinstance(raw, list) else []
        address = next((a for a in (email_address(e) for e in emails) if a), None)
        return replace(parsed, candidate_email=parsed.candidate_email or address, needs_enrichment=False)

    def _archive_type(self, reason_id: Any) -> str | None:
        """Lever's type of an archive reason ("hired" or "non-hired"), or None if unknown."""
        if not isinstance(reason_id, str) or not reason_id.replace("-", "").isalnum():
            return None
        request = urllib.request.Request(ARCHIVE_REASONS + reason_id, headers={"Authorization": self._auth})  # noqa: S310
        try:
            reason = self._fetch(request, TIMEOUT_SECONDS).get("data") or {}
        except (urllib.error.URLError, TimeoutError, ValueError, AttributeError, OSError):
            return None
        kind = reason.get("type") if isinstance(reason, dict) else None
        return kind if isinstance(kind, str) else None
