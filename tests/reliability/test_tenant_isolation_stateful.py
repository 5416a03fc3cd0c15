"""A tenant-isolation suite that can find what nobody listed (issue 10).

Three members run random sequences of: register, update email, prove an address (with any link
they were mailed, current or not), claim an ATS id, a webhook (matched or not), start a held event,
delete, re-create, rotate the key, and use old links. Addresses and
ATS ids come from small shared pools, so members keep reaching for each other's. After every step:
nothing of one member is visible to, changed by or sent on behalf of another, and only an address
its member proved matches anything.

Budget: a few seconds in the normal suite; `make reliability` (-m reliability) runs a larger one.
"""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from nearmiss.domain.playbook import recipient_key
from nearmiss_local.sign_webhook import signed_request

from tests.conftest import NOW
from tests.integration.test_api import APP_BODY, dump

pytestmark = pytest.mark.reliability

MEMBERS = ("m0", "m1", "m2")
EMAILS = ("e0", "e1", "e2", "e3")
ATS_IDS = ("a0", "a1", "a2")
_run = itertools.count()


class TenantMachine(RuleBasedStateMachine):
    stack: Any = None  # one LocalStack per test; each example uses its own ids

    def __init__(self) -> None:
        super().__init__()
        self.run = next(_run)
        self.keys: dict[str, str] = {}  # live member -> current key
        self.old_keys: dict[str, list[str]] = {}
        self.email: dict[str, str] = {}  # live member -> the address they proved
        self.pending: dict[str, str] = {}  # live member -> an address waiting for their proof
        self.proof_links: dict[str, dict[str, str]] = {}  # live member -> address -> link mailed
        self.dead_proof_links: list[str] = []  # mailed to members since deleted
        self.ats: dict[str, tuple[str, str]] = {}  # ATS id -> (member, application) holding it
        self.links: list[tuple[str, str, int]] = []  # (member, timeline link, generation number)
        self.generation: dict[str, int] = {}
        self.births = itertools.count()
        self.webhooks = itertools.count()
        self.steps = 0

    # ---- names, unique per example (one table for the whole test) -------------------------------
    def cid(self, m: str) -> str:
        return f"r{self.run}{m}"

    def address(self, e: str) -> str:
        return f"r{self.run}{e}@example.com"

    def ats_id(self, a: str) -> str:
        return f"r{self.run}{a}"

    def call(self, method: str, path: str, body: Any = None, key: str | None = None) -> tuple[int, str]:
        if key is None:
            status, _, text = self.stack.http(method, path, body=body)
        else:
            status, _, text = self.stack.http(
                method, path, body=body, headers={"authorization": f"Bearer {key}"}, auth=False
            )
        assert status < 500, (method, path, status, text)
        return status, text

    # ---- rules --------------------------------------------------------------------------------
    @rule(m=st.sampled_from(MEMBERS), e=st.sampled_from(EMAILS))
    def register(self, m: str, e: str) -> None:
        if m in self.keys:
            return
        taken = any(v == e for v in self.email.values())  # proved by another: only those hold it
        status, text = self.call(
            "PUT", f"/candidates/{self.cid(m)}", {"name": "Member", "email": self.address(e), "mode": "auto"}
        )
        if taken:
            assert status == 409 and "email" in text, text
            return
        assert status == 201, text
        answer = json.loads(text)
        assert answer["email_status"] == "pending", answer
        self.keys[m], self.pending[m], self.proof_links[m] = answer["api_key"], e, {}
        self.generation[m] = next(self.births)
        self.keep_proof_link(m, e, answer)

    def keep_proof_link(self, m: str, e: str, answer: dict[str, Any]) -> None:
        """The link this save mailed to the address, if it mailed one (the newest mail there)."""
        if (answer.get("proof_email") or {}).get("status") != "sent":
            return
        from tests.helpers import proof_link

        self.proof_links[m][e] = proof_link(self.stack, self.address(e))

    @rule(m=st.sampled_from(MEMBERS), e=st.sampled_from(EMAILS))
    def update_email(self, m: str, e: str) -> None:
        if m not in self.keys:
            return
        body = {"name": "Member", "email": self.address(e), "mode": "auto"}
        status, text = self.call("PUT", f"/candidates/{self.cid(m)}", body, key=self.keys[m])
        if any(v == e for o, v in self.email.items() if o != m):
            assert status == 409 and "email" in text, text
            return
        assert status == 200, text
        answer = json.loads(text)
        if self.email.get(m) == e:
            self.pending.pop(m, None)  # back to the proved one: nothing waits
        else:
            self.pending[m] = e
        # The proved address stays in use until the new one is proved.
        in_use = self.email.get(m, self.pending.get(m))
        assert answer["email"] == self.address(in_use or e), answer
        self.keep_proof_link(m, e, answer)

    @rule(m=st.sampled_from(MEMBERS), e=st.sampled_from(EMAILS))
    def prove_address(self, m: str, e: str) -> None:
        """Confirm a link the member was mailed for `e`: it proves `e` only while `e` is the address
        waiting, and only if no other member proved `e` first."""
        link = self.proof_links.get(m, {}).get(e)
        if link is None:
            return
        status, _, page = self.stack.http("POST", link, auth=False)
        if self.pending.get(m) == e:
            if any(v == e for o, v in self.email.items() if o != m):
                assert status == 409 and "another member" in page, (status, page[:300])
                return
            assert status == 200 and "Address confirmed" in page, (status, page[:300])
            self.email[m] = self.pending.pop(m)
        elif self.email.get(m) == e:
            assert status == 200 and "Already confirmed" in page, (status, page[:300])
        else:
            assert status == 409 and "no longer the one waiting" in page, (status, page[:300])

    @rule(m=st.sampled_from(MEMBERS), a=st.sampled_from(ATS_IDS))
    def claim_ats_id(self, m: str, a: str) -> None:
        if m not in self.keys:
            return
        body = {**APP_BODY, "ats_application_id": f"generic:{self.ats_id(a)}"}
        status, text = self.call(
            "PUT", f"/candidates/{self.cid(m)}/applications/app-{a}", body, key=self.keys[m]
        )
        if self.ats.get(a, (m, f"app-{a}")) != (m, f"app-{a}"):
            assert status == 409 and "ats_application_id" in text, text
            return
        assert status == 200, text
        self.ats[a] = (m, f"app-{a}")
        _, timeline = self.call(
            "GET", f"/candidates/{self.cid(m)}/applications/app-{a}/timeline", key=self.keys[m]
        )
        self.links.append((m, json.loads(timeline)["page_url"], self.generation[m]))

    @rule(e=st.sampled_from(EMAILS), a=st.sampled_from(ATS_IDS))
    def webhook(self, e: str, a: str) -> None:
        before = self.playbooks()
        n = next(self.webhooks)
        payload = {
            "event": "rejected",
            "application_id": self.ats_id(a),
            "candidate_email": self.address(e),
            "occurred_at": (NOW - timedelta(days=1, minutes=n)).isoformat().replace("+00:00", "Z"),
            "company": "Northwind",
            "job_title": "Engineer",
            "contacts": [
                {"name": "Grace Park", "email": "grace@northwind.example", "role": "hiring_manager"}
            ],
        }
        signature, raw = signed_request(
            "generic", json.dumps(payload).encode(), self.stack.webhook_secrets["generic"], datetime.now(UTC)
        )
        status, _, text = self.stack.http(
            "POST",
            "/webhooks/generic",
            body=raw.decode(),
            headers={"content-type": "application/json", **signature},
            auth=False,
        )
        assert status == 200, text
        self.stack.pump()
        new = self.playbooks() - before
        # The event goes to the holder of its ATS id, else the holder of its address, else nobody.
        by_email = next((m for m, v in self.email.items() if v == e), None)
        owner = self.ats[a][0] if a in self.ats else by_email
        got = json.loads(text)["status"]
        if owner is None:
            assert got == "kept_unmatched" and not new, (got, new)
        else:
            assert {pk.split("#")[1] for pk in new} <= {self.cid(owner)}, (owner, new)
        self.sync_ats()

    def sync_ats(self) -> None:
        """An email match registers the application under the ATS id: read who holds what."""
        for item in self.mine():
            pk = item["pk"]["S"]
            if pk.startswith(f"LOOKUP#ATS#generic:r{self.run}"):
                a = pk.removeprefix(f"LOOKUP#ATS#generic:r{self.run}")
                m = item["candidate_id"]["S"].removeprefix(f"r{self.run}")
                assert m in self.keys, (pk, m)
                self.ats[a] = (m, item["application_id"]["S"])

    @rule(m=st.sampled_from(MEMBERS))
    def start_held_events(self, m: str) -> None:
        if m not in self.keys:
            return
        _, text = self.call("GET", f"/candidates/{self.cid(m)}/held-events", key=self.keys[m])
        for held in json.loads(text)["held_events"]:
            before = self.playbooks()
            status, answer = self.call(
                "POST", f"/candidates/{self.cid(m)}/held-events/{held['held_id']}/start", key=self.keys[m]
            )
            assert status in (200, 404), answer
            self.stack.pump()
            assert {pk.split("#")[1] for pk in self.playbooks() - before} <= {self.cid(m)}
        self.sync_ats()

    @rule(m=st.sampled_from(MEMBERS))
    def delete(self, m: str) -> None:
        if m not in self.keys:
            return
        assert self.call("DELETE", f"/candidates/{self.cid(m)}")[0] == 200
        self.old_keys.setdefault(m, []).append(self.keys.pop(m))
        self.email.pop(m, None)
        self.pending.pop(m, None)
        self.dead_proof_links += self.proof_links.pop(m).values()
        self.ats = {a: o for a, o in self.ats.items() if o[0] != m}
        left = json.dumps(self.mine())
        assert f"#{self.cid(m)}" not in left and f'"{self.cid(m)}"' not in left

    @rule(m=st.sampled_from(MEMBERS))
    def rotate_key(self, m: str) -> None:
        if m not in self.keys:
            return
        status, text = self.call("POST", f"/candidates/{self.cid(m)}/api-key", key=self.keys[m])
        assert status == 200
        self.old_keys.setdefault(m, []).append(self.keys[m])
        self.keys[m] = json.loads(text)["api_key"]
        self.generation[m] = next(self.births)

    @rule()
    def use_old_links_and_keys(self) -> None:
        for m, link, generation in self.links:
            status, _, page = self.stack.http(
                "GET", "/" + link.split("://", 1)[1].split("/", 1)[1], auth=False
            )
            current = m in self.keys and self.generation[m] == generation
            assert status == (200 if current else 400), (m, status, page[:200])
        for m, keys in self.old_keys.items():
            for key in keys:
                assert self.call("GET", f"/candidates/{self.cid(m)}", key=key)[0] == 401
        for link in self.dead_proof_links:  # a proof link dies with its account
            status, _, page = self.stack.http("POST", link, auth=False)
            assert status == 400 and "no longer valid" in page, (status, page[:300])

    # ---- what must hold after every step ------------------------------------------------------------
    def mine(self) -> list[dict[str, Any]]:
        return [i for i in dump(self.stack) if f"r{self.run}" in json.dumps(i)]

    def playbooks(self) -> set[str]:
        return {i["pk"]["S"] for i in self.mine() if i["sk"]["S"] == "PLAYBOOK"}

    @invariant()
    def nothing_of_one_member_is_anothers(self) -> None:
        if self.stack is None:
            return
        items = self.mine()
        live = {self.cid(m) for m in self.keys}
        for item in items:
            pk, sk = item["pk"]["S"], item["sk"]["S"]
            if pk.startswith("LOOKUP#EMAIL#"):
                owner = item["candidate_id"]["S"]
                m = owner.removeprefix(f"r{self.run}")
                proved = self.email.get(m)  # only a proved address holds a lookup
                assert owner in live and proved is not None, (pk, owner)
                assert pk == f"LOOKUP#EMAIL#{recipient_key(self.address(proved))}", (pk, proved)
            elif pk.startswith("LOOKUP#ATS#"):
                owner = item["candidate_id"]["S"]
                a = pk.removeprefix(f"LOOKUP#ATS#generic:r{self.run}")
                held = self.ats.get(a)
                assert owner in live and held and self.cid(held[0]) == owner, (pk, owner)
            elif pk.startswith(("CAND#", "APP#")):
                assert pk.split("#")[1] in live, (pk, sk)
        for m, key in self.keys.items():
            for other in self.keys:
                status = self.call("GET", f"/candidates/{self.cid(other)}", key=key)[0]
                assert status == (200 if other == m else 403)
        self.steps += 1


def _budget(config: pytest.Config) -> tuple[int, int]:
    long = "reliability" in (config.getoption("markexpr") or "")
    return (20, 20) if long else (4, 10)


def test_no_member_sees_changes_or_sends_anything_of_another(stack, request, table) -> None:  # type: ignore[no-untyped-def]
    import time

    examples, steps = _budget(request.config)
    TenantMachine.stack = stack
    started = time.monotonic()
    before = next(_run)
    try:
        run_state_machine_as_test(
            TenantMachine,
            settings=settings(
                max_examples=examples,
                stateful_step_count=steps,
                deadline=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            ),
        )
    finally:
        TenantMachine.stack = None
    ran = next(_run) - before - 1
    table.add(
        "tenant isolation (stateful, 3 members)",
        load=f"{ran} examples of up to {steps} steps",
        faults="shared addresses and ATS ids, proofs, deletions, re-creations, key rotations, old links",
        expected="0 leaks",
        sent="-",
        duplicates="-",
        lost="0",
        seconds=time.monotonic() - started,
    )
