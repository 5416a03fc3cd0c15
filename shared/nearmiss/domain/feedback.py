"""What SES tells us after a send: bounces and complaints, as SES event publishing puts them on
EventBridge (source "aws.ses"). Only the fields we act on are modelled; the rest is ignored.
The tags each note carries (`step_tags`) are how feedback finds its step again (`step_from_tags`)."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from nearmiss.domain.records import StepRecord


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)


class Recipient(_Loose):
    emailAddress: str = Field(max_length=320)


class Bounce(_Loose):
    bounceType: Literal["Permanent", "Transient", "Undetermined"]
    bouncedRecipients: list[Recipient] = Field(max_length=100)


class Complaint(_Loose):
    complainedRecipients: list[Recipient] = Field(max_length=100)


class Mail(_Loose):
    messageId: str = Field(max_length=200)
    tags: dict[str, list[str]] = Field(default_factory=dict)


class SesEventDetail(_Loose):
    eventType: Literal["Bounce", "Complaint"]
    mail: Mail
    bounce: Bounce | None = None
    complaint: Complaint | None = None

    def blocked_addresses(self) -> tuple[list[str], str]:
        """The addresses nobody may write to again, and why. A transient bounce blocks no one."""
        if self.eventType == "Complaint" and self.complaint:
            return [
                r.emailAddress for r in self.complaint.complainedRecipients
            ], "the recipient marked our mail as spam"
        if self.bounce and self.bounce.bounceType == "Permanent":
            return [r.emailAddress for r in self.bounce.bouncedRecipients], "the address bounced permanently"
        return [], ""


class SesEvent(_Loose):
    source: Literal["aws.ses"]
    detail: SesEventDetail


def _tag(value: str) -> str:
    # SES v2 MessageTag names and values may hold only ASCII letters, digits, '_' and '-' (1 to 256
    # characters); anything else is a 400 for the whole send. Ids carry '.', ':' and '@', so every
    # value is sent as base64url without padding, which is exactly that alphabet (a 128-character
    # id becomes 171 characters).
    return base64.urlsafe_b64encode(value.encode()).rstrip(b"=").decode()


def _untag(value: str) -> str:
    # Strict: a value with characters outside the alphabet is not ours (the lenient decoder would
    # skip them and read something else).
    return base64.b64decode(value + "=" * (-len(value) % 4), altchars=b"-_", validate=True).decode()


def step_tags(step: StepRecord) -> dict[str, str]:
    """The tags a message to the hiring side carries; SES echoes them in its bounce and complaint
    events, so `step_from_tags` can tell which application's pending steps to cancel."""
    return {
        "nm_candidate": _tag(step.candidate_id),
        "nm_application": _tag(step.application_id),
        "nm_step": _tag(step.step_id),
    }


def step_from_tags(tags: dict[str, list[str]]) -> tuple[str, str, str] | None:
    """(candidate, application, step) from the tags SES echoes in its feedback events; None when
    they are missing or are not ours."""
    try:
        candidate, application, step = (
            _untag(tags[name][0]) for name in ("nm_candidate", "nm_application", "nm_step")
        )
    except (KeyError, IndexError, ValueError, UnicodeDecodeError):
        return None
    return candidate, application, step
