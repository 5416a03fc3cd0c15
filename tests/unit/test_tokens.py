"""Review and stop links: signed, expiring, single-purpose."""

from __future__ import annotations

from datetime import timedelta

import pytest
from nearmiss.domain import tokens

from tests.conftest import NOW

SECRET = b"k" * 32


def test_a_valid_token_gives_back_its_claims() -> None:
    token = tokens.sign(
        "step-approve", {"s": "thank_you#1"}, expires_at=NOW + timedelta(days=1), secret=SECRET
    )
    assert tokens.verify(token, "step-approve", now=NOW, secret=SECRET) == {"s": "thank_you#1"}


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"), "not valid"),
        (lambda t: "x" + t, "not valid"),
        (lambda t: t.replace(".", ""), "incomplete"),
        (lambda t: "", "incomplete"),
        (lambda t: t + "." + t, "incomplete"),
        (lambda t: "a" * 5000, "incomplete"),
    ],
)
def test_a_tampered_token_is_refused_with_a_reason(mutate, reason) -> None:  # type: ignore[no-untyped-def]
    token = tokens.sign("stop", {"r": "abc"}, expires_at=NOW + timedelta(days=1), secret=SECRET)
    with pytest.raises(tokens.TokenError, match=reason):
        tokens.verify(mutate(token), "stop", now=NOW, secret=SECRET)


def test_an_expired_token_is_refused() -> None:
    token = tokens.sign("stop", {}, expires_at=NOW, secret=SECRET)
    with pytest.raises(tokens.TokenError, match="expired"):
        tokens.verify(token, "stop", now=NOW, secret=SECRET)


def test_a_token_for_one_purpose_cannot_be_used_for_another() -> None:
    token = tokens.sign("step-skip", {"s": "x"}, expires_at=NOW + timedelta(days=1), secret=SECRET)
    with pytest.raises(tokens.TokenError, match="meant for something else"):
        tokens.verify(token, "step-approve", now=NOW, secret=SECRET)


def test_a_token_signed_with_another_key_is_refused() -> None:
    token = tokens.sign("stop", {}, expires_at=NOW + timedelta(days=1), secret=b"o" * 32)
    with pytest.raises(tokens.TokenError):
        tokens.verify(token, "stop", now=NOW, secret=SECRET)
