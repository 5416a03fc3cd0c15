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


def test_every_sample_event_is_listed_here() -> None:
    on_disk = {str(p.relative_to(EVENTS)) for p in EVENTS.glob("*/*.json") if p.parent.name != "webhooks"}
    assert on_disk == set(ORDER)


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
