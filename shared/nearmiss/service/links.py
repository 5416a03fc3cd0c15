"""The links in our emails: review decisions for the candidate, "please stop" for recipients, the
proof of a member's address."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlencode

from nearmiss.domain import tokens
from nearmiss.domain.records import MemberSeen, StepRecord
from nearmiss.service.ports import LinkGeneration


def read_once[T](read: Callable[[str], T]) -> Callable[[str], T]:
    """`read`, asking once per member id for as long as the result is kept (one dispatcher run): a
    member with forty due steps is one read, not forty. What changes meanwhile is seen next run."""
    seen: dict[str, T] = {}

    def once(candidate_id: str) -> T:
        if candidate_id not in seen:
            seen[candidate_id] = read(candidate_id)
        return seen[candidate_id]

    return once


Decision = Literal["approve", "skip", "review"]
ForwardAction = Literal["start", "dismiss", "edit", "undo"]
FORWARD_ACTIONS: tuple[ForwardAction, ...] = ("start", "dismiss", "edit", "undo")
FORWARD_LINK_LIFETIME = timedelta(days=60)
STOP_LINK_LIFETIME = timedelta(days=3 * 365)  # a stop link must keep working long after the mail
TIMELINE_LINK_LIFETIME = timedelta(days=365)
PROOF_LINK_LIFETIME = timedelta(hours=48)  # the link that proves a member's address


@dataclass(frozen=True)
class StepRef:
    candidate_id: str
    application_id: str
    step_id: str


@dataclass(frozen=True)
class SignedApproval:
    """What an approve link carries besides its step, signed with it when the draft was minted: the
    member's key generation then and the step's planned instant (an edit does not change it).
    Enough to approve on time in one conditional write and to answer without reading: the write
    itself proves the generation and the planned instant still hold. No name: a link travels
    through mail scanners, proxies and browser histories, so it carries ids and times only."""

    ref: StepRef
    key_generation: str
    planned_at: datetime


DEAD_LINK = "this link is no longer valid: the account it belongs to was closed, or its key was renewed"


@dataclass(frozen=True)
class Links:
    """Every token names its account's generation (`g`) and is honoured only while it is current:
    deleting the account (or re-creating its id) kills every link; a new key kills the candidate's
    own links (review, timeline). Stop links, in recipients' hands, follow only the account: a
    member renewing a leaked key must not take away a recipient's "please stop".
    `generations` is None only where no account store exists (pure unit tests)."""

    base_url: str
    secret: bytes
    generations: Callable[[str], LinkGeneration | None] | None = None

    def for_one_run(self) -> Links:
        """These links, reading each member's generation once for the rest of one run (a draft
        carries five links; a run signs dozens). A member deleted meanwhile only gets links that
        are dead on arrival: checking a link always reads the generation afresh, from another
        Links. Not for checking, and not to keep beyond the run."""
        if self.generations is None:
            return self
        return replace(self, generations=read_once(self.generations))

    def knowing(self, candidate_id: str, current: LinkGeneration | None) -> Links:
        """These links, signing for `candidate_id` with the generation just read with the link being
        answered (not read again), for the rest of that one answer; any other member's is read."""
        read = self.generations
        if read is None:
            return self

        def generations(member: str) -> LinkGeneration | None:
            return current if member == candidate_id else read(member)

        return replace(self, generations=generations)

    def as_seen(self, candidate_id: str, seen: MemberSeen) -> Links:
        """`knowing`, with the generation of `seen` (which a claim just proved current)."""
        generation = (
            None if seen.account is None or seen.key is None else LinkGeneration(seen.account, seen.key)
        )
        return self.knowing(candidate_id, generation)

    def _bound(
        self, candidate_id: str, claims: dict[str, Any], *, account_only: bool = False
    ) -> dict[str, Any]:
        if self.generations is None:
            return claims
        current = self.generations(candidate_id)
        # An account that does not exist gets a link that can never verify.
        value = "" if current is None else (current.account if account_only else current.key)
        return {**claims, "g": value}

    def _check(self, claims: dict[str, Any], *, account_only: bool = False) -> None:
        if self.generations is None:
            return
        self._check_against(claims, self.generations(str(claims.get("c", ""))), account_only=account_only)

    @staticmethod
    def _check_against(
        claims: dict[str, Any], current: LinkGeneration | None, *, account_only: bool = False
    ) -> None:
        given = claims.get("g")
        if current is None or not isinstance(given, str) or not given:
            raise tokens.TokenError(DEAD_LINK)
        expected = current.account if account_only else current.key
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise tokens.TokenError(DEAD_LINK)

    def _url(self, path: str, token: str) -> str:
        return f"{self.base_url.rstrip('/')}{path}?{urlencode({'token': token})}"

    def decision_path(self, step: StepRecord, decision: Decision) -> str:
        """The link without the host: what a page on our own API uses as a form action."""
        assert step.expires_at is not None, "only review-mode steps have decisions"
        claims = self._bound(
            step.candidate_id, {"c": step.candidate_id, "a": step.application_id, "s": step.step_id}
        )
        token = tokens.sign(f"step-{decision}", claims, expires_at=step.expires_at, secret=self.secret)
        if decision == "approve":  # what answers an on-time approval without a read (SignedApproval)
            fuller = tokens.sign(
                "step-approve",
                {**claims, "p": step.planned_at.astimezone(UTC).isoformat()},
                expires_at=step.expires_at,
                secret=self.secret,
            )
            # Long ids could outgrow what a link may be: then the plain link, answered by reading the
            # step, as every late approval is.
            token = fuller if len(fuller) <= tokens.MAX_TOKEN_LENGTH else token
        return f"/steps/{decision}?{urlencode({'token': token})}"

    def decision(self, step: StepRecord, decision: Decision) -> str:
        return self.base_url.rstrip("/") + self.decision_path(step, decision)

    def read_decision(self, token: str, decision: Decision, *, now: datetime) -> StepRef:
        claims = tokens.verify(token, f"step-{decision}", now=now, secret=self.secret)
        self._check(claims)
        return self._step_ref(claims)

    def read_approval(self, token: str, *, now: datetime) -> SignedApproval | None:
        """An approve link's signed claims, checked for signature and expiry only (constant time, no
        read): None when the link does not carry what a one-write approval needs (a link minted
        before it did, or without a generation); the caller then answers as `read_decision_with`.
        The generation is not checked here: the write that uses it is conditional on it."""
        claims = tokens.verify(token, "step-approve", now=now, secret=self.secret)
        ref = self._step_ref(claims)
        generation, planned = claims.get("g"), claims.get("p")
        if self.generations is None or not isinstance(generation, str) or not generation:
            return None
        if not isinstance(planned, str):
            return None
        try:
            planned_at = datetime.fromisoformat(planned)
        except ValueError:
            return None
        if planned_at.tzinfo is None:
            return None
        return SignedApproval(ref, generation, planned_at)

    @staticmethod
    def _step_ref(claims: dict[str, Any]) -> StepRef:
        try:
            return StepRef(str(claims["c"]), str(claims["a"]), str(claims["s"]))
        except KeyError as exc:
            raise tokens.TokenError("this link is incomplete or damaged") from exc

    def read_decision_with[T](
        self,
        token: str,
        decision: Decision,
        *,
        now: datetime,
        read: Callable[[StepRef], tuple[LinkGeneration | None, T]],
    ) -> tuple[StepRef, T]:
        """`read_decision`, with the member's current generation read by `read` together with what
        the decision needs (the step: one request, not two). Nothing is read for a token whose
        signature or expiry fails; what was read is returned only once the link matched that
        generation (compared in constant time)."""
        claims = tokens.verify(token, f"step-{decision}", now=now, secret=self.secret)
        ref = self._step_ref(claims)
        current, loaded = read(ref)
        if self.generations is not None:  # None only in pure unit tests, as in _check
            self._check_against(claims, current)
        return ref, loaded

    def stop(self, candidate_id: str, recipient_key: str, *, anchor: datetime) -> str:
        """The recipient's "please stop" link. Its lifetime counts from `anchor` (the step's planned
        instant), so the preview shows the very link the message will carry."""
        claims = self._bound(candidate_id, {"c": candidate_id, "r": recipient_key}, account_only=True)
        token = tokens.sign("stop", claims, expires_at=anchor + STOP_LINK_LIFETIME, secret=self.secret)
        return self._url("/stop", token)

    def timeline(self, candidate_id: str, application_id: str, *, now: datetime) -> str:
        """A read-only link to an application's timeline page, for the candidate's drafts."""
        claims = self._bound(candidate_id, {"c": candidate_id, "a": application_id})
        token = tokens.sign("timeline", claims, expires_at=now + TIMELINE_LINK_LIFETIME, secret=self.secret)
        return self._url("/timeline", token)

    def read_timeline(self, token: str, *, now: datetime) -> tuple[str, str]:
        claims = tokens.verify(token, "timeline", now=now, secret=self.secret)
        self._check(claims)
        try:
            return str(claims["c"]), str(claims["a"])
        except KeyError as exc:
            raise tokens.TokenError("this link is incomplete or damaged") from exc

    def prove_address(self, candidate_id: str, address: str, *, now: datetime) -> str:
        """The link mailed to an address to prove the member owns it: bound to that exact address
        (lower-cased), to the account (deleting it kills the link), expiring in 48 hours."""
        claims = self._bound(candidate_id, {"c": candidate_id, "e": address.lower()}, account_only=True)
        token = tokens.sign("prove-address", claims, expires_at=now + PROOF_LINK_LIFETIME, secret=self.secret)
        return self._url("/address/confirm", token)

    def read_prove_address(self, token: str, *, now: datetime) -> tuple[str, str]:
        """(candidate id, the lower-cased address the link proves)."""
        claims = tokens.verify(token, "prove-address", now=now, secret=self.secret)
        self._check(claims, account_only=True)
        try:
            return str(claims["c"]), str(claims["e"])
        except KeyError as exc:
            raise tokens.TokenError("this link is incomplete or damaged") from exc

    def read_stop(self, token: str, *, now: datetime) -> tuple[str, str]:
        claims = tokens.verify(token, "stop", now=now, secret=self.secret)
        self._check(claims, account_only=True)
        try:
            return str(claims["c"]), str(claims["r"])
        except KeyError as exc:
            raise tokens.TokenError("this link is incomplete or damaged") from exc

    # ---- the answer to a forward: start / not a rejection / edit / undo ----------------------------------
    def forward(self, candidate_id: str, forward_id: str, action: ForwardAction, *, now: datetime) -> str:
        """A link of the answer to a forward: single purpose (`forward-<action>`), bound to the member's
        key generation (a new key kills it), opening a page whose button POSTs."""
        claims = self._bound(candidate_id, {"c": candidate_id, "f": forward_id})
        token = tokens.sign(
            f"forward-{action}", claims, expires_at=now + FORWARD_LINK_LIFETIME, secret=self.secret
        )
        return self._url(f"/forwards/{action}", token)

    def read_forward(self, token: str, action: ForwardAction, *, now: datetime) -> tuple[str, str]:
        claims = tokens.verify(token, f"forward-{action}", now=now, secret=self.secret)
        self._check(claims)
        try:
            return str(claims["c"]), str(claims["f"])
        except KeyError as exc:
            raise tokens.TokenError("this link is incomplete or damaged") from exc
