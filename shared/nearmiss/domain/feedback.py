"""What SES tells us after a send: bounces and complaints, as SES event publishing puts them on
EventBridge (source "aws.ses"). Only the fields we act on are modelled; the rest is ignored."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


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
