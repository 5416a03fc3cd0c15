"""Issue 12: the rejection's answer, the playbook's start and a decision link, in few DynamoDB requests.

What became of each application's rejections (started, held for contacts, waiting for a re-open) is
kept beside the application (CAND#<c>/APPSTATE#<a>) by the very transactions that start, hold or
release one, so the counts every answer carries are one Query, whatever the member's number of
applications. Both stores keep it alike; an application stored before states were kept is read
from its own items, as before. Expected values come from the scenarios.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from nearmiss.domain.models import Contact, Mode, PlaybookSettings, Role
from nearmiss.domain.records import PlaybookRecord
from nearmiss.service.ports import ApplicationState, Waiting

from tests.conftest import NOW, make_application, make_candidate, make_rejection
from tests.helpers import register

ADA = "/candidates/ada"
NORTHWIND = f"{ADA}/applications/northwind"
HARBOR = f"{ADA}/applications/harbor"
PROFILE = {"name": "Ada Quinn", "email": "ada@example.com", "mode": "auto", "time_zone": "Europe/London"}
CONTACTS = [
    {"name": "Grace Park", "email": "grace@northwind.example", "role": "hiring_manager"},
    {"name": "Mei Tanaka", "email": "mei@northwind.example", "role": "interviewer"},
]


def application_body(contacts: list[dict[str, str]], company: str = "Northwind Data") -> dict[str, Any]:
    return {"company": company, "job_title": "Staff Engineer", "contacts": contacts}


# ---- the two stores, alike ----------------------------------------------------------------------------
@pytest.fixture(params=["memory", "dynamo"])
def store(request: pytest.FixtureRequest) -> Iterator[Any]:
    if request.param == "memory":
        from nearmiss_local.fakes import MemoryIntakeStore

        yield MemoryIntakeStore()
        return
    from nearmiss.adapters.dynamo import DynamoStore
    from nearmiss_local import hooks

    from tests.reliability.support import TABLE, moto_table

    hooks.install()  # the contract layer: what AWS refuses is refused here too
    with moto_table() as client:
        yield DynamoStore(client, TABLE)


def _marker(generation: int = 1, at: Any = NOW) -> PlaybookRecord:
    return PlaybookRecord(
        candidate_id="ada",
        application_id="northwind",
        generation=generation,
        source="manual",
        rejected_at=at,
        learned_at=at,
        started_at=at,
        mode=Mode.AUTO,
    )


def _states(store: Any) -> dict[str, ApplicationState | None]:
    return {a.application_id: s for a, s in store.application_states("ada")}


def test_an_applications_state_follows_its_hold_start_and_waits_in_both_stores(store: Any) -> None:
    store.put_candidate(make_candidate())
    store.put_application(make_application())
    store.put_application(make_application(application_id="harbor", company="Harbor", contacts=()))
    # Given two applications, nothing rejected
    assert _states(store) == {"northwind": ApplicationState(), "harbor": ApplicationState()}
    # When one rejection waits for contacts
    store.hold_rejection(make_rejection(application_id="harbor"), Waiting.NEEDS_CONTACTS.value, NOW)
    assert _states(store)["harbor"] == ApplicationState(waiting=Waiting.NEEDS_CONTACTS)
    # and northwind's is held too, then its playbook is written: started, and released with it
    store.hold_rejection(make_rejection(), Waiting.NEEDS_CONTACTS.value, NOW)
    assert store.create_playbook(_marker(), []).value == "created"
    assert _states(store)["northwind"] == ApplicationState(started=True)
    assert store.held_rejection("ada", "northwind") is None
    # When two newer rejections wait for the re-open before them
    second, third = NOW + timedelta(days=1), NOW + timedelta(days=2)
    store.wait_for_reopen(make_rejection(second), NOW)
    store.wait_for_reopen(make_rejection(third), NOW)
    assert _states(store)["northwind"] == ApplicationState(started=True, waiting=Waiting.WAITING_FOR_REOPEN)
    # Then releasing one leaves the other waiting, releasing both leaves none
    store.release_waiting("ada", "northwind", second)
    assert _states(store)["northwind"] == ApplicationState(started=True, waiting=Waiting.WAITING_FOR_REOPEN)
    store.release_waiting("ada", "northwind", third)
    assert _states(store)["northwind"] == ApplicationState(started=True)
    # and a released hold says so (harbor's, by hand)
    store.release_rejection("ada", "harbor")
    assert _states(store)["harbor"] == ApplicationState()
    # and re-saving an application keeps its state
    store.put_application(make_application(job_title="Principal Engineer"))
    assert _states(store)["northwind"] == ApplicationState(started=True)


def test_the_start_reads_member_application_marker_and_stop_at_once_in_both_stores(store: Any) -> None:
    candidate, application = make_candidate(), make_application()
    store.put_candidate(candidate)
    store.put_application(application)
    read = store.start_reads("ada", "northwind")
    assert (read.candidate, read.application, read.playbook, read.stopped_at) == (
        candidate,
        application,
        None,
        None,
    )
    store.create_playbook(_marker(), [])
    store.record_stop("ada", "northwind", NOW + timedelta(hours=1), "the application was re-opened")
    read = store.start_reads("ada", "northwind")
    assert read.playbook == _marker() and read.stopped_at == NOW + timedelta(hours=1)
    assert store.start_reads("ada", "elsewhere").application is None


def test_the_largest_playbook_fits_one_transaction_with_its_state_and_release(store: Any) -> None:
    """15 contacts (MAX_CONTACTS), each with 3 check-ins, one without an address (a notice): with the
    state update and the held rejection's delete, 80 items of a transaction's 100 (the contract
    layer refuses more, as DynamoDB does)."""
    from nearmiss.domain.models import MAX_CONTACTS
    from nearmiss.service.playbooks import SenderPolicy, start_playbook

    settings = PlaybookSettings(check_in_after_days=(30, 60, 90))
    contacts = tuple(
        Contact(name=f"Person {i}", email=f"p{i}@northwind.example" if i else None, role=Role.RECRUITER)
        for i in range(MAX_CONTACTS)
    )
    store.put_candidate(make_candidate(playbook=settings))
    store.put_application(make_application(contacts=contacts))
    store.hold_rejection(make_rejection(), Waiting.NEEDS_CONTACTS.value, NOW)
    outcome, scheduled = start_playbook(store, make_rejection(), SenderPolicy("mail.example"), now=NOW)
    assert outcome.value == "created" and scheduled > 0
    assert len(store.list_steps("ada", "northwind")) == MAX_CONTACTS * 5
    assert _states(store)["northwind"] == ApplicationState(started=True)


def test_a_decision_reads_the_link_generation_and_the_step_at_once_in_both_stores(store: Any) -> None:
    from nearmiss.service.playbooks import SenderPolicy, plan_records

    store.put_candidate(make_candidate())
    store.set_candidate_key("ada", "0" * 64)
    sender = SenderPolicy("mail.example").for_candidate(make_candidate())
    step = plan_records(make_candidate(), make_application(), make_rejection(), sender, now=NOW)[0]
    assert store.add_step(step)
    generation, read = store.decision_reads("ada", "northwind", step.step_id)
    assert generation == store.link_generation("ada") and generation is not None
    assert read == step
    assert store.decision_reads("ada", "northwind", "nothing") == (generation, None)
    assert store.decision_reads("nobody", "northwind", step.step_id) == (None, None)


# ---- the answers, across start, hold, release, re-open and out-of-order rejections --------------------
def _counts(stack: Any) -> dict[str, Any]:
    status, _, text = stack.http("PUT", ADA, body=PROFILE)
    assert status == 200, text
    return dict(json.loads(text)["rejections"])


def _reject(stack: Any, path: str, **body: Any) -> dict[str, Any]:
    status, _, text = stack.http("POST", f"{path}/rejection", body=body)
    assert status == 202, text
    counts = dict(json.loads(text)["rejections"])
    stack.pump()
    return counts


def _held(**by_reason: int) -> dict[str, Any]:
    return {"total": sum(by_reason.values()), "by_reason": by_reason}


def test_the_counts_stay_right_across_start_hold_release_reopen_and_out_of_order_rejections(stack) -> None:  # type: ignore[no-untyped-def]
    register(stack, "ada", PROFILE)
    assert stack.http("PUT", NORTHWIND, body=application_body(CONTACTS))[0] == 200
    assert stack.http("PUT", HARBOR, body=application_body([], "Harbor"))[0] == 200
    assert _counts(stack) == {"playbooks_started": 0, "rejections_queued": 0, "held": _held()}
    # When northwind is rejected: queued in the answer, started once the bus delivered it
    first = (NOW - timedelta(hours=2)).isoformat()
    assert _reject(stack, NORTHWIND, rejected_at=first) == {
        "playbooks_started": 0,
        "rejections_queued": 1,
        "held": _held(),
    }
    # and harbor, with nobody in it, is held for contacts
    assert _reject(stack, HARBOR)["playbooks_started"] == 1
    assert _counts(stack) == {"playbooks_started": 1, "rejections_queued": 0, "held": _held(needs_contacts=1)}
    # When a newer rejection of northwind comes before the re-open that precedes it (out of order)
    _reject(stack, NORTHWIND, rejected_at=NOW.isoformat())
    assert _counts(stack) == {
        "playbooks_started": 1,
        "rejections_queued": 0,
        "held": _held(needs_contacts=1, waiting_for_reopen=1),
    }
    # Then the re-open starts it as the next generation: it waits no more
    reopened = (NOW - timedelta(hours=1)).isoformat()
    assert stack.http("POST", f"{NORTHWIND}/reopened", body={"occurred_at": reopened})[0] == 202
    stack.pump()
    assert _counts(stack) == {"playbooks_started": 1, "rejections_queued": 0, "held": _held(needs_contacts=1)}
    # When harbor gets its people: queued in the answer, started and released once delivered
    status, _, text = stack.http("PUT", HARBOR, body=application_body(CONTACTS, "Harbor"))
    assert status == 200 and json.loads(text)["rejections"]["rejections_queued"] == 1, text
    stack.pump()
    assert _counts(stack) == {"playbooks_started": 2, "rejections_queued": 0, "held": _held()}
    # and the same rejection again is a duplicate: nothing changes
    _reject(stack, HARBOR, rejected_at=NOW.isoformat())
    assert _counts(stack) == {"playbooks_started": 2, "rejections_queued": 0, "held": _held()}


def test_an_application_stored_before_states_were_kept_is_counted_from_its_own_items(stack) -> None:  # type: ignore[no-untyped-def]
    register(stack, "ada", PROFILE)
    assert stack.http("PUT", NORTHWIND, body=application_body(CONTACTS))[0] == 200
    assert stack.http("PUT", HARBOR, body=application_body([], "Harbor"))[0] == 200
    _reject(stack, NORTHWIND)
    _reject(stack, HARBOR)
    # Given both stored as before this change: no mark, no state item
    client, table = stack.client("dynamodb"), stack.names["Table"]
    for app in ("northwind", "harbor"):
        client.update_item(
            TableName=table,
            Key={"pk": {"S": "CAND#ada"}, "sk": {"S": f"APP#{app}"}},
            UpdateExpression="REMOVE states_kept",
        )
        client.delete_item(TableName=table, Key={"pk": {"S": "CAND#ada"}, "sk": {"S": f"APPSTATE#{app}"}})
    # Then the counts read their items: one started, one held for contacts
    assert _counts(stack) == {"playbooks_started": 1, "rejections_queued": 0, "held": _held(needs_contacts=1)}
    # and a re-save keeps one unmarked (its history is not in a state item): still counted right
    status, _, text = stack.http("PUT", HARBOR, body=application_body(CONTACTS, "Harbor"))
    assert status == 200, text
    stack.pump()
    item = client.get_item(TableName=table, Key={"pk": {"S": "CAND#ada"}, "sk": {"S": "APP#harbor"}})["Item"]
    assert "states_kept" not in item
    assert _counts(stack) == {"playbooks_started": 2, "rejections_queued": 0, "held": _held()}


# ---- requests --------------------------------------------------------------------------------------------
def _dynamodb_calls(stack: Any, function: str) -> list[str]:
    """The DynamoDB operations `function`'s handler makes from now on (its container's one client)."""
    calls: list[str] = []
    client = stack._container(stack.functions[function]).store.client
    client.meta.events.register("before-call.dynamodb", lambda model, **_: calls.append(model.name))
    return calls


@pytest.mark.parametrize("applications", [1, 6])
def test_the_rejection_phase_makes_six_dynamodb_requests_whatever_the_applications(  # type: ignore[no-untyped-def]
    stack, applications: int
) -> None:
    register(stack, "ada", PROFILE)
    for i in range(applications):
        path = NORTHWIND if i == 0 else f"{ADA}/applications/other-{i}"
        assert stack.http("PUT", path, body=application_body(CONTACTS))[0] == 200
    api, start = _dynamodb_calls(stack, "ApiFunction"), _dynamodb_calls(stack, "StartPlaybookFunction")
    _reject(stack, NORTHWIND)
    # The member and the application; the applications with their states; the address's lookup and
    # the webhooks kept under it. Then: the start's reads, and its transaction.
    assert sorted(api) == ["BatchGetItem", "GetItem", "Query", "Query"]
    assert start == ["BatchGetItem", "TransactWriteItems"]


def test_an_approval_through_its_link_is_one_read_and_one_write(stack) -> None:  # type: ignore[no-untyped-def]
    import re

    from tests.helpers import mails, plain_text

    register(stack, "ada", {**PROFILE, "mode": "review"})
    assert stack.http("PUT", NORTHWIND, body=application_body(CONTACTS))[0] == 200
    _reject(stack, NORTHWIND)
    stack.traveller.move_to(NOW + timedelta(days=2))
    stack.tick()
    draft = next(m for m in mails(stack) if str(m["Subject"]).startswith("Draft"))
    link = re.search(r"Approve and send: \S+?(/steps/approve\?token=\S+)", plain_text(draft))
    assert link is not None
    api = _dynamodb_calls(stack, "ApiFunction")
    status, _, page = stack.http("GET", link.group(1), auth=False)
    assert status == 200 and api == ["BatchGetItem"], page  # the page only reads
    api.clear()
    status, _, page = stack.http("POST", link.group(1), auth=False)
    assert status == 200 and "Approved" in page, page
    assert api == ["BatchGetItem", "PutItem"]
    # and the same link again changes nothing (the step is approved): one read, no write
    api.clear()
    status, _, page = stack.http("POST", link.group(1), auth=False)
    assert status == 409 and api == ["BatchGetItem"], page
