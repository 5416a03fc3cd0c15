"""The links in our emails: review decisions for the candidate, "please stop" for recipients."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import urlencode

from nearmiss.domain import tokens
from nearmiss.domain.records import StepRecord

Decision = Literal["approve", "skip", "review"]
STOP_LINK_LIFETIME = timedelta(days=3 * 365)  # a stop link must keep working long after the mail
TIMELINE_LINK_LIFETIME = timedelta(days=365)


@dataclass(frozen=True)
class StepRef:
    candidate_id: str
    application_id: str
    step_id: str


@dataclass(frozen=True)
class Links:
    base_url: str
    secret: bytes

    def _url(self, path: str, token: str) -> str:
        return f"{self.base_url.rstrip('/')}{path}?{urlencode({'token': token})}"

    def decision_path(self, step: StepRecord, decision: Decision) -> str:
        """The link without the host: what a page on our own API uses as a form action."""
        assert step.expires_at is not None, "only review-mode steps have decisions"
        claims = {"c": step.candidate_id, "a": step.application_id, "s": step.step_id}
        token = tokens.sign(f"step-{decision}", claims, expires_at=step.expires_at, secret=self.secret)
        return f"/steps/{decision}?{urlencode({'token': token})}"

    def decision(self, step: StepRecord, decision: Decision) -> str:
        return self.base_url.rstrip("/") + self.decision_path(step, decision)

    def read_decision(self, token: str, decision: Decision, *, now: datetime) -> StepRef:
        claims = tokens.verify(token, f"step-{decision}", now=now, secret=self.secret)
        try:
            return StepRef(str(claims["c"]), str(claims["a"]), str(claims["s"]))
        except KeyError as exc:
            raise tokens.TokenError("this link is incomplete or damaged") from exc

    def stop(self, candidate_id: str, recipient_key: str, *, anchor: datetime) -> str:
        """The recipient's "please stop" link. Its lifetime counts from `anchor` (the step's planned
        instant), so the preview shows the very link the message will carry."""
        claims = {"c": candidate_id, "r": recipient_key}
        token = tokens.sign("stop", claims, expires_at=anchor + STOP_LINK_LIFETIME, secret=self.secret)
        return self._url("/stop", token)

    def timeline(self, candidate_id: str, application_id: str, *, now: datetime) -> str:
        """A read-only link to an application's timeline page, for the candidate's drafts."""
        claims = {"c": candidate_id, "a": application_id}
        token = tokens.sign("timeline", claims, expires_at=now + TIMELINE_LINK_LIFETIME, secret=self.secret)
        return self._url("/timeline", token)

    def read_timeline(self, token: str, *, now: datetime) -> tuple[str, str]:
        claims = tokens.verify(token, "timeline", now=now, secret=self.secret)
        try:
            return str(claims["c"]), str(claims["a"])
        except KeyError as exc:
            raise tokens.TokenError("this link is incomplete or damaged") from exc

    def read_stop(self, token: str, *, now: datetime) -> tuple[str, str]:
        claims = tokens.verify(token, "stop", now=now, secret=self.secret)
        try:
            return str(claims["c"]), str(claims["r"])
        except KeyError as exc:
            raise tokens.TokenError("this link is incomplete or damaged") from exc
