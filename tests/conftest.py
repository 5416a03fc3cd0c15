"""Shared fixtures. Unit tests cannot reach the network: sockets are off (pytest-socket), except
loopback for the tests that run the embedded server; AWS calls go to moto only."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

# Fake credentials before anything can build a boto3 client: nothing can sign for real AWS.
from nearmiss_local.runtime import set_fake_credentials

set_fake_credentials()
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "nearmiss")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "NearMiss")

from nearmiss.domain.events import ApplicationRejected  # noqa: E402
from nearmiss.domain.models import Application, Candidate, Contact, Mode, Resource, Role  # noqa: E402

NOW = datetime(2026, 11, 24, 15, 10, tzinfo=UTC)  # Tuesday; Thursday is Thanksgiving (US)


@pytest.fixture
def now() -> datetime:
    return NOW


def make_candidate(**changes: object) -> Candidate:
    """A member as stored after registering and proving their address (pass
    `email_proved_at=None` for one whose address waits for proof)."""
    base: dict[str, object] = {
        "candidate_id": "ada",
        "name": "Ada Quinn",
        "email": "ada@example.com",
        "time_zone": "Europe/London",
        "country": "GB",
        "mode": Mode.AUTO,
        "email_proved_at": NOW - timedelta(days=30),
    }
    return Candidate.model_validate({**base, **changes})


def make_contacts() -> tuple[Contact, ...]:
    return (
        Contact(
            name="Grace Park",
            email="grace@northwind.example",
            role=Role.HIRING_MANAGER,
            time_zone="America/New_York",
            country="US",
            discussed="event sourcing",
            resource=Resource(kind="link", title="the billing write-up", url="https://example.org/billing"),
        ),
        Contact(
            name="Mei Tanaka",
            email="mei@northwind.example",
            role=Role.INTERVIEWER,
            time_zone="Europe/Berlin",
            country="DE",
        ),
        Contact(name="Sam Rivera", email="sam@northwind.example", role=Role.RECRUITER),
    )


def make_application(**changes: object) -> Application:
    base: dict[str, object] = {
        "candidate_id": "ada",
        "application_id": "northwind",
        "company": "Northwind Data",
        "job_title": "Staff Engineer",
        "contacts": make_contacts(),
    }
    return Application.model_validate({**base, **changes})


def make_rejection(at: datetime = NOW, **changes: object) -> ApplicationRejected:
    base: dict[str, object] = {
        "candidate_id": "ada",
        "application_id": "northwind",
        "rejected_at": at,
        "learned_at": at,
    }
    return ApplicationRejected.model_validate({**base, **changes})


@pytest.fixture
def candidate() -> Candidate:
    return make_candidate()


@pytest.fixture
def application() -> Application:
    return make_application()


@pytest.fixture
def stack() -> Iterator[object]:
    """template.yaml on moto, the real handlers in process, the clock frozen at NOW."""
    import time_machine
    from nearmiss_local.runtime import LocalStack

    with time_machine.travel(NOW, tick=False) as traveller, LocalStack() as local:
        local.traveller = traveller  # type: ignore[attr-defined]
        yield local


def later(hours: float = 0, days: float = 0) -> datetime:
    return NOW + timedelta(hours=hours, days=days)
