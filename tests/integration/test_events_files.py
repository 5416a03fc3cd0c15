"""Every file under events/ is fed to its handler, so `sam local invoke -e events/<file>` keeps working."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import EVENTS, function_for_folder, load_event

ORDER = [
    "api/put_candidate.json",
    "api/put_application.json",
    "api/report_rejection.json",
    "start_playbook/application_rejected.json",
    "api/get_timeline.json",
    "send_due_steps/scheduled.json",
    "handle_ses_feedback/bounce.json",
    "handle_ses_feedback/complaint.json",
    "api/report_reopened.json",
    "stop_playbook/application_reopened.json",
    "stop_playbook/candidate_hired.json",
    "stop_playbook/playbook_cancelled.json",
]


# Functions that exist only with a ReceivingDomain: run on a stack that receives mail.
RECEIVING = ["receive_mail/reply.json"]


def test_every_sample_event_is_listed_here() -> None:
    on_disk = {str(p.relative_to(EVENTS)) for p in EVENTS.glob("*/*.json") if p.parent.name != "webhooks"}
    assert on_disk == set(ORDER) | set(RECEIVING)


def test_every_receiving_sample_event_runs_through_its_handler() -> None:
    from nearmiss_local import contract
    from nearmiss_local.runtime import RECEIVING_DOMAIN, LocalStack

    with LocalStack(parameters={"ReceivingDomain": RECEIVING_DOMAIN}) as stack:
        for relative in RECEIVING:
            event = load_event(relative)
            assert contract.ses_receipt_event_problems(event) == []
            # The sample's reply address was signed by no key of this stack: kept, never acted on
            result = stack.invoke(function_for_folder(stack, Path(relative).parts[0]), event)
            assert result == {"outcomes": {"kept": 1}}
        assert stack.dead_letters == []


def test_every_sample_event_runs_through_its_handler(stack) -> None:  # type: ignore[no-untyped-def]
    for relative in ORDER:
        event = load_event(relative)
        folder = Path(relative).parts[0]
        if folder == "api":
            event["headers"]["x-api-key"] = stack.api_key
        result = stack.invoke(function_for_folder(stack, folder), event)
        if folder == "api":
            assert result["statusCode"] < 300, (relative, result["body"])
        stack.pump()
    assert stack.dead_letters == []


@pytest.mark.parametrize("relative", [r for r in ORDER if "data" in load_event(r).get("detail", {})])
def test_a_sample_event_with_a_broken_field_fails_with_the_fields_name(stack, relative: str) -> None:  # type: ignore[no-untyped-def]
    from nearmiss.domain.errors import InvalidInputError

    event = load_event(relative)
    event["detail"]["data"]["candidate_id"] = "../etc/passwd"
    with pytest.raises(InvalidInputError, match="candidate_id"):
        stack.invoke(function_for_folder(stack, Path(relative).parts[0]), event)
