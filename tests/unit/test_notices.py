"""The member is told: a rejection that needs contacts, people to complete, and one summary a day
of what lapsed or was too late; rejections ordered by their own times. On in-memory fakes."""

from __future__ import annotations

from datetime import timedelta

from nearmiss.domain.events import ApplicationReopened
from nearmiss.domain.models import Contact, Mode, Role, StepState
from nearmiss.domain.records import NoticeKind, NoticeState
from nearmiss.service.dispatch import Dispatcher
from nearmiss.service.links import Links
from nearmiss.service.playbooks import SenderPolicy, start_playbook, stop_playbook
from nearmiss.service.ports import CreateOutcome
from nearmiss_local.fakes import MemoryStore, RecordingMailer

from tests.conftest import NOW, make_application, make_candidate, make_contacts, make_rejection

LINKS = Links("https://nearmiss.example", b"s" * 32)
SENDERS = SenderPolicy(domain="mail.example")
PLATFORM = "notes@mail.example"


def world(mode: Mode = Mode.AUTO, **application: object) -> tuple[MemoryStore, RecordingMailer, Dispatcher]:
    store, mailer = MemoryStore(), RecordingMailer()
    store.put_candidate(make_candidate(mode=mode))
    store.put_application(make_application(**application))
    return store, mailer, Dispatcher(store, mailer, LINKS, platform_address=PLATFORM, sleep=lambda s: None)


def run_until(dispatcher: Dispatcher, store: MemoryStore, until: timedelta) -> None:
    """Run the dispatcher at every due instant up to NOW + until."""
    for _ in range(1000):
        due = [d.due_at for d in store.due_steps(NOW + until, 10_000) if d.due_at is not None]
        if not due:
            return
        dispatcher.run(max(NOW, min(due)))
    raise AssertionError("never ran out of due work")


def to_member(mailer: RecordingMailer) -> list[object]:
    return [m for m in mailer.sent if m.from_name == "Near Miss" and m.to_address == "ada@example.com"]


def test_a_rejection_with_nobody_to_write_to_tells_the_member_once_however_often_it_arrives() -> None:
    # Given an application with nobody in it, and its rejection delivered three times (retries)
    store, mailer, dispatcher = world(contacts=())
    for _ in range(3):
        outcome, _ = start_playbook(store, make_rejection(), SENDERS, now=NOW)
        assert outcome is CreateOutcome.NEEDS_CONTACTS
    # When the dispatcher runs, twice
    dispatcher.run(NOW)
    dispatcher.run(NOW + timedelta(minutes=5))
    # Then the member got one email naming the company and role, with the signed timeline link
    (notice,) = to_member(mailer)
    assert notice.subject == "Nobody to write to yet: Staff Engineer at Northwind Data"  # type: ignore[attr-defined]
    text = notice.text  # type: ignore[attr-defined]
    assert "nobody could be written to" in text
    assert "https://nearmiss.example/timeline?token=" in text
    assert "PUT /candidates/ada/applications/northwind" in text
    assert [n.state for n in store.notices.values()] == [NoticeState.SENT]


def test_adding_contacts_after_the_notice_starts_the_playbook() -> None:
    store, _mailer, dispatcher = world(contacts=())
    start_playbook(store, make_rejection(), SENDERS, now=NOW)
    dispatcher.run(NOW)
    store.put_application(make_application())  # the member adds the people (the API re-publishes it)
    held = store.held_rejection("ada", "northwind")
    assert held is not None
    outcome, scheduled = start_playbook(store, held.rejection, SENDERS, now=NOW + timedelta(hours=1))
    assert (outcome, scheduled) == (CreateOutcome.CREATED, 6)
    assert store.held_rejection("ada", "northwind") is None


def test_people_named_without_an_address_are_told_of_once_per_generation() -> None:
    grace, _mei, sam = make_contacts()
    store, mailer, dispatcher = world(
        contacts=(grace, Contact(name="Mei Tanaka", role=Role.INTERVIEWER), sam)
    )
    assert start_playbook(store, make_rejection(), SENDERS, now=NOW)[0] is CreateOutcome.CREATED
    assert start_playbook(store, make_rejection(), SENDERS, now=NOW)[0] is CreateOutcome.DUPLICATE
    dispatcher.run(NOW)
    (notice,) = to_member(mailer)
    assert notice.subject == "1 person to complete: Staff Engineer at Northwind Data"  # type: ignore[attr-defined]
    assert "- Mei Tanaka" in notice.text  # type: ignore[attr-defined]


def test_review_mode_lapses_of_one_application_make_one_summary_email_a_day() -> None:
    # Given review mode and a member who approves nothing
    store, mailer, dispatcher = world(Mode.REVIEW)
    start_playbook(store, make_rejection(), SENDERS, now=NOW)
    # When the three thank-yous (day 3) and Grace's resource (day 10) lapse, and a day passes
    run_until(dispatcher, store, timedelta(days=12))
    # Then one summary tells of them all: 3 thank-yous lapse the same day, the resource days later
    summaries = [m for m in to_member(mailer) if "not sent" in m.subject]  # type: ignore[attr-defined]
    lapsed = [s for s in store.steps.values() if s.state is StepState.LAPSED]
    assert len(lapsed) == 4
    assert [m.subject for m in summaries] == [  # type: ignore[attr-defined]
        "3 notes not sent: Staff Engineer at Northwind Data",
        "1 note not sent: Staff Engineer at Northwind Data",
    ]
    assert "thank-you to Grace Park (hiring manager): no approval came before it expired" in summaries[0].text  # type: ignore[attr-defined]
    days = {n.key for n in store.notices.values() if n.kind is NoticeKind.SUMMARY}
    assert len(days) == 2


def test_auto_mode_a_late_report_summarises_what_is_too_late_in_one_email() -> None:
    # Given a rejection reported 10 days late: the three thank-yous (7 days) are too late
    store, mailer, dispatcher = world()
    late = make_rejection(NOW - timedelta(days=10))
    start_playbook(store, late, SENDERS, now=NOW)
    run_until(dispatcher, store, timedelta(days=2))
    (summary,) = [m for m in to_member(mailer) if "not sent" in m.subject]  # type: ignore[attr-defined]
    assert summary.subject == "3 notes not sent: Staff Engineer at Northwind Data"  # type: ignore[attr-defined]
    assert summary.text.count("past its latest useful moment") == 3  # type: ignore[attr-defined]


def test_a_rejection_delivered_before_the_reopen_before_it_waits_and_then_starts() -> None:
    # Given reject#1 (day 0), then reject#2 (day 2) delivered before the re-open of day 1
    store, _mailer, _dispatcher = world()
    assert start_playbook(store, make_rejection(), SENDERS, now=NOW)[0] is CreateOutcome.CREATED
    second = make_rejection(NOW + timedelta(days=2))
    at = NOW + timedelta(days=2)
    assert start_playbook(store, second, SENDERS, now=at)[0] is CreateOutcome.WAITING_FOR_REOPEN
    assert start_playbook(store, second, SENDERS, now=at)[0] is CreateOutcome.WAITING_FOR_REOPEN
    # When the re-open arrives
    reopen = ApplicationReopened(
        candidate_id="ada", application_id="northwind", occurred_at=NOW + timedelta(days=1)
    )
    stop_playbook(store, reopen, now=at, senders=SENDERS)
    # Then generation 2 exists, nothing waits, and a redelivery of reject#2 is a duplicate
    playbook = store.get_playbook("ada", "northwind")
    assert playbook is not None and playbook.generation == 2
    assert store.waiting_rejections("ada", "northwind") == []
    assert start_playbook(store, second, SENDERS, now=at)[0] is CreateOutcome.DUPLICATE
