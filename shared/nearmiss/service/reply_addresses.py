"""A reply address per note: `reply+<token>@<receiving domain>`, and reading one back.

The token (nearmiss.domain.tokens) is a reference, not a container: a 26-character lowercase
base32 string, the id of a lookup item plus a truncated HMAC of it. The lookup names the member,
the application, the recipient and the step; it is written conditionally (its id is free, or it
names the same note already: a retried send) and owned by the member, so one member's reply
address can never lead to another's notes. It is bound to the member's account generation, as
stop links are: closing (or re-creating) the account kills every reply address it gave out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from nearmiss.domain import tokens
from nearmiss.domain.records import StepRecord
from nearmiss.service.ports import LinkGeneration, ReplyRoute, ReplyRoutes

REPLY_PREFIX = "reply+"
FORWARD_PREFIX = "in+"
MAX_LOCAL_PART = 64  # octets, RFC 5321 4.5.3.1.1


@dataclass(frozen=True)
class ReplyAddresses:
    domain: str
    secret: bytes
    routes: ReplyRoutes
    generations: Callable[[str], LinkGeneration | None]

    def identifier(self, step: StepRecord) -> str:
        return tokens.reply_id(self.secret, step.candidate_id, step.application_id, step.step_id)

    def address(self, identifier: str) -> str:
        local = REPLY_PREFIX + tokens.reply_token(identifier, secret=self.secret)
        assert len(local) <= MAX_LOCAL_PART
        return f"{local}@{self.domain}"

    def route(self, step: StepRecord, *, account: str) -> ReplyRoute:
        """The lookup of `step`'s reply address (its `reply_id`, or the one it gets), bound to the
        member's account generation `account` (as the claim that writes it just proved it current).
        The dispatcher writes it inside the note's claim transaction (Store.claim_send): no note
        goes out without its lookup, and a lookup held by another note is a failed claim."""
        return ReplyRoute(
            reply_id=step.reply_id or self.identifier(step),
            candidate_id=step.candidate_id,
            application_id=step.application_id,
            step_id=step.step_id,
            recipient_key=step.recipient_key,
            account=account,
        )

    def read(self, token: str) -> ReplyRoute:
        """The note a reply token leads to, or TokenError saying why not (the reason is safe to
        store: it names no one)."""
        identifier = tokens.read_reply_token(token, secret=self.secret)
        route = self.routes.reply_route(identifier)
        if route is None:
            raise tokens.TokenError("no note has this reply address (or its member's data was deleted)")
        current = self.generations(route.candidate_id)
        if current is None or not route.account or current.account != route.account:
            raise tokens.TokenError("the reply address belongs to an account that was closed")
        return route


def split_local_part(address: str) -> tuple[str, str, str]:
    """(kind, token, domain) of one of our addresses: kind "reply", "in" or "" (anything else).
    Case-insensitive, as some MTAs lower-case local parts."""
    local, _, domain = address.strip().lower().rpartition("@")
    for kind, prefix in (("reply", REPLY_PREFIX), ("in", FORWARD_PREFIX)):
        if local.startswith(prefix):
            return kind, local.removeprefix(prefix), domain
    return "", local, domain
