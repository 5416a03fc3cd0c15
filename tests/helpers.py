"""Small helpers the tests share: sample events from events/, reading what the stack did, and
registering members who proved their address."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

EVENTS = Path(__file__).resolve().parents[1] / "events"
PROOF_SUBJECT = "Near Miss: please confirm this address is yours"  # templates/prove_address.subject.j2


def load_event(relative: str) -> dict[str, Any]:
    return json.loads((EVENTS / relative).read_text())  # type: ignore[no-any-return]


def function_for_folder(stack: Any, folder: str) -> str:
    """The template's logical id of the function whose CodeUri is functions/<folder>/."""
    return next(f.logical_id for f in stack.functions.values() if f.module == f"functions.{folder}.app")


def steps_of(stack: Any, candidate_id: str, application_id: str) -> list[Any]:
    store = stack._container(stack.functions["ApiFunction"]).store
    return sorted(store.list_steps(candidate_id, application_id), key=lambda s: (s.planned_at, s.step_id))


def all_mails(stack: Any) -> list[Any]:
    """Everything SES received, parsed back into email messages."""
    import email
    import email.policy

    return [
        email.message_from_bytes(m.raw_data.encode(), policy=email.policy.default)
        for m in stack.sent_messages()
    ]


def mails(stack: Any) -> list[Any]:
    """What SES received for the playbooks (notes and drafts), parsed back into email messages:
    every mail but the proof mails of members' addresses (those are `proof_mails`)."""
    return [m for m in all_mails(stack) if str(m["Subject"]) != PROOF_SUBJECT]


def plain_text(message: Any) -> str:
    return str(message.get_body(preferencelist=("plain",)).get_content())


def recipients(stack: Any) -> list[str]:
    """Whom the playbooks' mails went to (as `mails`: proof mails aside)."""
    return [m["To"].addresses[0].addr_spec for m in mails(stack)]


def member_notices(stack: Any) -> list[Any]:
    """The notices the member got (from Near Miss; no drafts, no proof mails), oldest first."""
    return [
        m
        for m in mails(stack)
        if str(m["From"]).startswith("Near Miss") and not str(m["Subject"]).startswith("Draft")
    ]


# ---- members: registered and proved (the fixture path) ---------------------------------------------
def proof_mails(stack: Any, address: str) -> list[Any]:
    """The proof mails SES accepted for `address`, oldest first: what lands in that inbox."""
    return [
        m
        for m in all_mails(stack)
        if m["To"].addresses[0].addr_spec.lower() == address.lower() and str(m["Subject"]) == PROOF_SUBJECT
    ]


def proof_link(stack: Any, address: str) -> str:
    """The path (with its token) of the newest proof link mailed to `address`."""
    import re

    found = proof_mails(stack, address)
    assert found, f"no proof mail reached {address}"
    match = re.search(r"https?://[^/\s]+(/address/confirm\?token=\S+)", plain_text(found[-1]))
    assert match, "a proof mail carries its link"
    return match.group(1)


def prove(stack: Any, address: str) -> None:
    """What the member does with the proof mail: opens the link, presses Confirm (the POST)."""
    path = proof_link(stack, address)
    status, _, page = stack.http("GET", path, auth=False)
    assert status == 200, page
    status, _, page = stack.http("POST", path, auth=False)
    assert status == 200 and "Address confirmed" in page, page


def register(
    stack: Any, candidate_id: str, body: dict[str, Any], *, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """PUT the profile and prove the address it puts up for proof, as the member would: for tests
    of what comes after a registration or an email change. `own_address` is chosen once the
    address is proved (it needs a proved address), so such a body is saved twice. Returns the
    last answer, with `api_key` from the first save when one was issued."""
    wanted = dict(body)
    first = (
        {**wanted, "sending_identity": "platform"}
        if wanted.get("sending_identity") == "own_address"
        else wanted
    )
    auth = headers is None
    status, _, text = stack.http("PUT", f"/candidates/{candidate_id}", body=first, headers=headers, auth=auth)
    assert status in (200, 201), text
    answer: dict[str, Any] = json.loads(text)
    waiting = answer.get("pending_email") or (
        answer["email"] if answer["email_status"] == "pending" else None
    )
    if waiting is not None:
        prove(stack, waiting)
    if first is not wanted:
        status, _, text = stack.http(
            "PUT", f"/candidates/{candidate_id}", body=wanted, headers=headers, auth=auth
        )
        assert status == 200, text
        answer = {**json.loads(text), **({"api_key": answer["api_key"]} if "api_key" in answer else {})}
    else:
        status, _, text = stack.http("GET", f"/candidates/{candidate_id}", headers=headers, auth=auth)
        assert status == 200, text
        answer = {**answer, **{k: v for k, v in json.loads(text).items() if k != "applications"}}
    return answer
