"""Secrets are read once per container and kept for a while; a restore from a snapshot forgets them."""

from __future__ import annotations

from typing import Any

from nearmiss.adapters.secrets import SecretCache


class Client:
    def __init__(self) -> None:
        self.calls: list[str] = []
        self.value = '{"greenhouse": "s1"}'

    def get_secret_value(self, SecretId: str) -> dict[str, Any]:
        self.calls.append(SecretId)
        return {"SecretString": self.value}


def test_a_secret_is_fetched_once_while_it_is_fresh_and_again_after() -> None:
    clock = [0.0]
    client = Client()
    cache = SecretCache(client, max_age=300, clock=lambda: clock[0])
    assert cache.get_json("arn:hooks") == {"greenhouse": "s1"}
    clock[0] = 299
    client.value = '{"greenhouse": "s2"}'  # rotated
    assert cache.get_json("arn:hooks") == {"greenhouse": "s1"}
    clock[0] = 300
    assert cache.get_json("arn:hooks") == {"greenhouse": "s2"}
    assert client.calls == ["arn:hooks", "arn:hooks"]


def test_forget_drops_every_value() -> None:
    client = Client()
    cache = SecretCache(client)
    cache.get("a")
    cache.forget()
    cache.get("a")
    assert client.calls == ["a", "a"]
