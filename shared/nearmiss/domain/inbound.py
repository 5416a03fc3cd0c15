"""What SES hands receive_mail: the receipt event of a Lambda action, and what its verdicts allow.

The event is SES's documented one ("Invoking Lambda functions" in the SES developer guide,
https://docs.aws.amazon.com/ses/latest/dg/receiving-email-action-lambda-event.html):
`Records[].eventSource` "aws:ses", `Records[].ses.mail` (messageId, source, destination, headers,
commonHeaders) and `Records[].ses.receipt` (recipients, the spam, virus, SPF, DKIM and DMARC
verdicts, the action). The message itself is not in it: the rule's S3 action stored it first, at
ObjectKeyPrefix + messageId. Only the fields we act on are modelled; the rest is ignored.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

VERDICTS = ("spam", "virus", "spf", "dkim", "dmarc")


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Verdict(_Loose):
    status: Literal["PASS", "FAIL", "GRAY", "PROCESSING_FAILED"]


class ReceiptAction(_Loose):
    type: str
    functionArn: str | None = None
    invocationType: str | None = None


class Receipt(_Loose):
    timestamp: str
    recipients: list[str] = Field(min_length=1, max_length=100)  # SES: at most 100 per message
    spamVerdict: Verdict
    virusVerdict: Verdict
    spfVerdict: Verdict
    dkimVerdict: Verdict
    dmarcVerdict: Verdict
    action: ReceiptAction

    def verdicts(self) -> dict[str, str]:
        return {name: getattr(self, f"{name}Verdict").status for name in VERDICTS}


class ReceivedMail(_Loose):
    timestamp: str
    # SES message ids are letters, digits and '-' (they name the S3 object): nothing else gets in a key.
    messageId: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9-]+$")
    source: str = Field(max_length=320)
    destination: list[str] = Field(max_length=100)


class SesReceipt(_Loose):
    mail: ReceivedMail
    receipt: Receipt


class SesRecord(_Loose):
    eventSource: Literal["aws:ses"]
    eventVersion: str
    ses: SesReceipt


class SesReceiptEvent(_Loose):
    Records: list[SesRecord] = Field(min_length=1, max_length=10)


def verdict_refusal(verdicts: dict[str, str]) -> str | None:
    """Why a message must not be acted on, by SES's verdicts, or None. A virus scan that did not
    pass, a spam FAIL, or neither SPF nor DKIM passing (no one vouches for where it came from)."""
    if verdicts.get("virus") != "PASS":
        return f"virus verdict {verdicts.get('virus')}"
    if verdicts.get("spam") == "FAIL":
        return "spam verdict FAIL"
    if verdicts.get("spf") != "PASS" and verdicts.get("dkim") != "PASS":
        return f"neither SPF ({verdicts.get('spf')}) nor DKIM ({verdicts.get('dkim')}) passed"
    return None
