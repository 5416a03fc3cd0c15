"""SES v2 identities: may this account send From an address? (GetEmailIdentity, cached briefly.)

SES sends From an address when the address itself is a verified identity, or its domain is, or a
parent domain is (a verified domain covers its subdomains). GetEmailIdentity answers for one
name: `VerifiedForSendingStatus`, or NotFoundException when the name is no identity of this
account in this region. The names are asked in that order, and the first verified one wins.

Answers are cached for a few minutes, per name: the API asks when a candidate chooses their own
address, the dispatcher before each send from it, and a run with fifty such notes asks once. The
cache ages by the wall clock, so the embedded default's simulated months age it too.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from nearmiss.service.ports import IdentityCheck, IdentityLookupError

if TYPE_CHECKING:
    from mypy_boto3_sesv2 import SESV2Client

CACHE_SECONDS = 300.0
CACHE_ENTRIES = 1000  # a warm container serves many members; forget them all rather than grow


@dataclass(frozen=True)
class _Identity:
    exists: bool
    verified: bool = False
    status: str = ""  # VerificationStatus: PENDING, SUCCESS, FAILED, TEMPORARY_FAILURE, NOT_STARTED


def identity_names(address: str) -> list[str]:
    """The identities that could cover `address`, most specific first: the address, its domain,
    then each parent domain down to two labels (a.b.example.org -> b.example.org -> example.org)."""
    domain = address.rpartition("@")[2].strip().lower().rstrip(".")
    labels = domain.split(".")
    return [address, *(".".join(labels[i:]) for i in range(len(labels) - 1))]


class SesIdentities:
    def __init__(
        self,
        client: SESV2Client,
        *,
        cache_seconds: float = CACHE_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.cache_seconds = cache_seconds
        self._clock = clock
        self._cache: dict[str, tuple[float, _Identity]] = {}

    def can_send_from(self, address: str) -> IdentityCheck:
        names = identity_names(address)
        found: list[tuple[str, _Identity]] = []
        for name in names:
            identity = self._identity(name)
            if identity.verified:
                return IdentityCheck(verified=True, identity=name)
            if identity.exists:
                found.append((name, identity))
        domain = names[1] if len(names) > 1 else address
        if found:
            name, identity = found[0]
            what = "the address" if name == address else name
            return IdentityCheck(
                verified=False,
                reason=f"{what} is an SES identity of this account but not verified for sending "
                f"(status {identity.status or 'unknown'})",
            )
        return IdentityCheck(
            verified=False,
            reason=f"neither the address nor its domain {domain} is a verified SES identity of this account",
        )

    def _identity(self, name: str) -> _Identity:
        key = name.lower()
        cached = self._cache.get(key)
        now = self._clock()
        if cached is not None and cached[0] > now:
            return cached[1]
        identity = self._ask(name)
        if len(self._cache) >= CACHE_ENTRIES:
            self._cache.clear()
        self._cache[key] = (now + self.cache_seconds, identity)
        return identity

    def _ask(self, name: str) -> _Identity:
        try:
            answer = self.client.get_email_identity(EmailIdentity=name)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            # NotFound: no identity by that name. BadRequest: SES refuses the name itself (no identity
            # can have it), which for our purpose is the same answer.
            if code in ("NotFoundException", "BadRequestException"):
                return _Identity(exists=False)
            raise IdentityLookupError(f"could not check the sending identity with SES: {code}") from exc
        except BotoCoreError as exc:  # unreachable, timed out
            raise IdentityLookupError(
                f"could not check the sending identity with SES: {type(exc).__name__}"
            ) from exc
        return _Identity(
            exists=True,
            verified=bool(answer.get("VerifiedForSendingStatus")),
            status=str(answer.get("VerificationStatus", "")),
        )
