"""The playbook: who gets what, when, and what is skipped and why."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from nearmiss.domain.models import Contact, Mode, PlaybookSettings, Role, StepKind, StepState
from nearmiss.domain.playbook import learned_at, merge_contacts, plan

from tests.conftest import NOW, make_application, make_candidate, make_rejection


def by(kind: StepKind, steps: list) -> dict[str, object]:  # type: ignore[type-arg]
    return {s.recipient.name: s for s in steps if s.kind is kind}


def test_everyone_involved_gets_a_thank_you_one_day_after_the_candidate_learned_of_it() -> None:
    steps = plan(make_candidate(), make_application(), make_rejection(), now=NOW)
    thanks = by(StepKind.THANK_YOU, steps)
    assert set(thanks) == {"Grace Park", "Mei Tanaka", "Sam Rivera"}
    assert all(
        s.planned_at == NOW + timedelta(days=1) for s in thanks.values()
    )  # Wednesday 15:10 UTC is in all windows
    assert all(s.state is StepState.SCHEDULED for s in thanks.values())


def test_the_resource_step_goes_to_the_person_with_something_to_share_after_three_business_days() -> None:
    steps = plan(make_candidate(), make_application(), make_rejection(), now=NOW)
    resources = by(StepKind.SHARE_RESOURCE, steps)
    grace = resources["Grace Park"]
    assert grace.state is StepState.SCHEDULED
    # Tuesday + 3 US business days, Thanksgiving skipped: Monday 30 November, 10:10 in New York
    assert (
        grace.planned_at.astimezone(ZoneInfo("America/New_York")).isoformat() == "2026-11-30T10:10:00-05:00"
    )


def test_the_resource_step_is_skipped_not_sent_empty_when_there_is_nothing_to_share() -> None:
    steps = plan(make_candidate(), make_application(), make_rejection(), now=NOW)
    for name in ("Mei Tanaka", "Sam Rivera"):
        step = by(StepKind.SHARE_RESOURCE, steps)[name]
        assert step.state is StepState.SKIPPED
        assert step.skip_reason == "nothing to share with this person"


def test_the_check_in_goes_to_the_hiring_manager_and_the_recruiter_only() -> None:
    steps = plan(make_candidate(), make_application(), make_rejection(), now=NOW)
    check_ins = by(StepKind.CHECK_IN, steps)
    assert set(check_ins) == {"Grace Park", "Sam Rivera"}
    assert all(s.offset_days == 90 for s in check_ins.values())


def test_several_check_in_offsets_give_one_step_each() -> None:
    candidate = make_candidate(playbook=PlaybookSettings(check_in_after_days=(120, 45)))
    steps = [
        s
        for s in plan(candidate, make_application(), make_rejection(), now=NOW)
        if s.kind is StepKind.CHECK_IN
    ]
    assert sorted({s.offset_days for s in steps}) == [45, 120]
    assert len({s.step_id for s in steps}) == 4


def test_a_contact_without_an_email_or_who_may_not_be_emailed_is_kept_but_skipped_with_the_reason() -> None:
    application = make_application(
        contacts=(
            Contact(name="No Address", role=Role.INTERVIEWER),
            Contact(name="Opted Out", email="out@x.example", role=Role.INTERVIEWER, may_email=False),
        )
    )
    steps = by(StepKind.THANK_YOU, plan(make_candidate(), application, make_rejection(), now=NOW))
    assert steps["No Address"].skip_reason == "no email address for this person yet"  # type: ignore[attr-defined]
    assert steps["Opted Out"].skip_reason == "this person may not be emailed"  # type: ignore[attr-defined]


def test_review_mode_sends_drafts_ahead_and_lets_approvals_lapse_after_a_grace_period() -> None:
    steps = plan(make_candidate(mode=Mode.REVIEW), make_application(), make_rejection(), now=NOW)
    thank_you = next(s for s in steps if s.kind is StepKind.THANK_YOU)
    assert thank_you.draft_at == thank_you.planned_at - timedelta(hours=20)
    assert thank_you.expires_at == thank_you.planned_at + timedelta(hours=48)


def test_review_mode_never_drafts_in_the_past() -> None:
    candidate = make_candidate(mode=Mode.REVIEW, playbook=PlaybookSettings(thank_you_after_days=0))
    steps = plan(candidate, make_application(), make_rejection(), now=NOW)
    assert all(s.draft_at is None or s.draft_at >= NOW for s in steps)


def test_the_plan_is_the_same_every_time() -> None:
    first = plan(make_candidate(), make_application(), make_rejection(), now=NOW)
    second = plan(make_candidate(), make_application(), make_rejection(), now=NOW)
    assert first == second


def test_the_ats_adds_contacts_and_can_forbid_emailing_someone_but_the_candidates_list_wins() -> None:
    registered = make_application().contacts
    from_ats = (
        Contact(name="G. Park (ATS)", email="GRACE@northwind.example", role=Role.RECRUITER, may_email=False),
        Contact(name="New Person", email="new@northwind.example", role=Role.RECRUITER),
    )
    merged = {c.key: c for c in merge_contacts(registered, from_ats)}
    assert merged["grace@northwind.example"].name == "Grace Park"
    assert merged["grace@northwind.example"].may_email is False
    assert "new@northwind.example" in merged


def test_the_greenhouse_delay_shifts_when_the_candidate_learned_of_the_rejection() -> None:
    at = datetime(2026, 11, 24, 9, 0, tzinfo=ZoneInfo("UTC"))
    assert learned_at(at, "greenhouse", PlaybookSettings()) == at + timedelta(days=1)
    assert learned_at(at, "manual", PlaybookSettings()) == at
    custom = make_candidate(playbook=PlaybookSettings(source_delay_hours={"lever": 6}))
    assert learned_at(at, "lever", custom.playbook) == at + timedelta(hours=6)
