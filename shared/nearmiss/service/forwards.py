"""Mail a member forwards to their private intake address (`in+<token>@<receiving domain>`): the
rejection emails and interview invitations they receive. Issue 14 builds it; until then every such
message is kept (in S3, and listed for the operator) with the reason below, never acted on."""

from __future__ import annotations

from dataclasses import dataclass

NOT_BUILT = "forwarded-mail intake not built yet"


@dataclass(frozen=True)
class ForwardOutcome:
    status: str  # "kept" until the intake exists
    reason: str
    candidate_id: str | None = None


def handle_forward(token: str, raw: bytes | None, *, message_id: str) -> ForwardOutcome:
    """What to do with a message at an intake address. `token` names the member (issue 14 signs and
    verifies it); `raw` is the message as SES stored it (None when it was not read)."""
    return ForwardOutcome(status="kept", reason=NOT_BUILT)
