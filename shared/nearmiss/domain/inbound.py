"""What SES hands receive_mail: the receipt event of a Lambda action, and what its verdicts allow.

The event is SES's documented one ("Invoking Lambda functions" in the SES developer guide,
https://docs.aws.amazon.com/ses/latest/dg/receiving-email-action-lambda-event.html):
`Records[].eventSource` "aws:ses", `Records[].ses.mail` (messageId, source, destination, headers,
commonHeaders) and `Records[].ses.receipt` (recipients, the spam, virus, SPF, DKIM and DMARC
verdicts, the action). The message itself is not in it: the rule's S3 action stored it first, at
ObjectKeyPrefix + messageId. Only the fields we act on are modelled; the rest is ignored.

Read as AWS documents it, not as its example looks: `mail.destination` is every To/Cc address of the
message's headers (the sender writes them: any number, and unused here), `receipt.recipients` the
envelope's RCPT TO addresses the rule matched ("may differ" from destination: a Bcc), and a verdict's
status is any string (PASS, FAIL, GRAY, PROCESSING_FAILED, DISABLED for a rule that does not scan,
and whatever SES adds): anything but PASS does not pass.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

VERDICTS = ("spam", "virus", "spf", "dkim", "dmarc")


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Verdict(_Loose):
    status: str = Field(max_length=64)  # PASS, FAIL, GRAY, PROCESSING_FAILED, DISABLED...


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
    destination: list[str] = []  # the header To/Cc addresses: unbounded (sender-chosen) and unused


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
    """Why a message must not be acted on, by SES's verdicts, or None:
    - a virus or spam scan that did not PASS: FAIL, but also GRAY (SES could not decide),
      PROCESSING_FAILED and DISABLED (not scanned). Such mail is kept for the operator, never lost;
      acting on it would let unscanned mail stop notes and reach the member;
    - DMARC FAIL: the From domain's owner says this From is not theirs (a spoof of the recipient
      passes SPF for the spoofer's own envelope domain). GRAY (the domain publishes no DMARC
      policy) and the rest are not a failure: most companies' mail would be refused otherwise;
    - neither SPF nor DKIM passing: no one vouches for where it came from."""
    for scan in ("virus", "spam"):
        if verdicts.get(scan) != "PASS":
            return f"{scan} verdict {verdicts.get(scan)}"
    if verdicts.get("dmarc") == "FAIL":
        return "DMARC verdict FAIL"
    if verdicts.get("spf") != "PASS" and verdicts.get("dkim") != "PASS":
        return f"neither SPF ({verdicts.get('spf')}) nor DKIM ({verdicts.get('dkim')}) passed"
    return None
