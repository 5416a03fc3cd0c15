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

import re
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

VERDICTS = ("spam", "virus", "spf", "dkim", "dmarc")


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)


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


class Header(_Loose):
    name: str
    value: str


class ReceivedMail(_Loose):
    timestamp: str
    # SES message ids are letters, digits and '-' (they name the S3 object): nothing else gets in a key.
    messageId: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9-]+$")
    source: str = Field(max_length=320)
    destination: list[str] = []  # the header To/Cc addresses: unbounded (sender-chosen) and unused
    # The message's headers as SES saw them, its own first: "Authentication-Results: amazonses.com;
    # spf=... dkim=pass header.i=@<domain> ..." names the domain each DKIM signature is of.
    headers: list[Header] = Field(default_factory=list, max_length=10_000)


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


# ---- who vouches for the From address ------------------------------------------------------------------
SES_AUTHSERV = "amazonses.com"
_DKIM_PASS = re.compile(r"\bdkim=pass\b[^;]*?\bheader\.[di]=@?([A-Za-z0-9.-]+)", re.I)


def ses_dkim_domains(headers: list[Header]) -> frozenset[str]:
    """The domains of the DKIM signatures SES verified: from SES's own Authentication-Results header
    (the first one, authserv-id amazonses.com; SES adds it above the message's own headers, so one a
    sender wrote lower down is never read)."""
    for header in headers:
        if header.name.lower() != "authentication-results":
            continue
        value = header.value.strip()
        if value.split(";", 1)[0].strip().lower() != SES_AUTHSERV:
            return frozenset()  # the topmost is not SES's: nothing to trust
        return frozenset(m.group(1).lower().rstrip(".") for m in _DKIM_PASS.finditer(value))
    return frozenset()


def _aligned(domain: str, from_domain: str) -> bool:
    """Relaxed alignment (RFC 7489 3.1), read without the public-suffix list: the same domain, or one a
    subdomain of the other. Stricter than DMARC's (two sibling subdomains do not align here), never
    looser."""
    a, b = domain.lower().rstrip("."), from_domain.lower().rstrip(".")
    return bool(a and b) and (a == b or a.endswith("." + b) or b.endswith("." + a))


@dataclass(frozen=True)
class Vouched:
    ok: bool
    reason: str  # why not, or which verdict vouches (safe to store: names a verdict, never an address)


def vouched_for(
    from_domain: str, verdicts: dict[str, str], *, envelope_from: str, dkim_domains: frozenset[str]
) -> Vouched:
    """Does SES's verdict vouch for the From domain? DKIM or SPF must PASS aligned with it: a DMARC PASS
    is exactly that; else a passing DKIM signature of an aligned domain (SES's Authentication-Results),
    or a passing SPF of an aligned envelope sender (SPF checks MAIL FROM, not the From header)."""
    if verdicts.get("dmarc") == "PASS":
        return Vouched(True, "DMARC PASS")
    if verdicts.get("dkim") == "PASS" and any(_aligned(d, from_domain) for d in dkim_domains):
        return Vouched(True, "DKIM PASS, aligned")
    envelope_domain = envelope_from.rpartition("@")[2]
    if verdicts.get("spf") == "PASS" and _aligned(envelope_domain, from_domain):
        return Vouched(True, "SPF PASS, aligned")
    return Vouched(
        False,
        f"no verdict aligned with the From domain (DKIM {verdicts.get('dkim')}, SPF {verdicts.get('spf')}, "
        f"DMARC {verdicts.get('dmarc')})",
    )
