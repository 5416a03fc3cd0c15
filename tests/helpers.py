"""Small helpers the tests share: sample events from events/, and reading what the stack did."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

EVENTS = Path(__file__).resolve().parents[1] / "events"


def load_event(relative: str) -> dict[str, Any]:
    return json.loads((EVENTS / relative).read_text())  # type: ignore[no-any-return]


def function_for_folder(stack: Any, folder: str) -> str:
    """The template's logical id of the function whose CodeUri is functions/<folder>/."""
    return next(f.logical_id for f in stack.functions.values() if f.module == f"functions.{folder}.app")


def steps_of(stack: Any, candidate_id: str, application_id: str) -> list[Any]:
    store = stack._container(stack.functions["ApiFunction"]).store
    return sorted(store.list_steps(candidate_id, application_id), key=lambda s: (s.planned_at, s.step_id))


def mails(stack: Any) -> list[Any]:
    """What SES received, parsed back into email messages."""
    import email
    import email.policy

    return [
        email.message_from_bytes(m.raw_data.encode(), policy=email.policy.default)
        for m in stack.sent_messages()
    ]


def plain_text(message: Any) -> str:
    return str(message.get_body(preferencelist=("plain",)).get_content())


def recipients(stack: Any) -> list[str]:
    import email
    import email.policy

    out = []
    for message in stack.sent_messages():
        parsed = email.message_from_bytes(message.raw_data.encode(), policy=email.policy.default)
        out.append(parsed["To"].addresses[0].addr_spec)
    return out


def member_notices(stack: Any) -> list[Any]:
    """The notices the member got (from Near Miss, not drafts), in the order SES took them."""
    return [
        m
        for m in mails(stack)
        if str(m["From"]).startswith("Near Miss") and not str(m["Subject"]).startswith("Draft")
    ]
