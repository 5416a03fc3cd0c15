"""Bad input fails at the edge with the field's name and the reason."""

from __future__ import annotations

import pytest
from nearmiss.domain.errors import invalid
from nearmiss.domain.models import Candidate, Contact, PlaybookSettings, SendWindow
from pydantic import ValidationError

from tests.conftest import make_application, make_candidate


def reasons(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, str]:
    return dict(invalid("input", exc.value).errors)


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone", "unknown time zone"),
        ({"email": "not-an-email"}, "email", "email"),
        ({"name": "Ada\r\nBcc: everyone@example.com"}, "name", "line breaks"),
        ({"country": "Germany"}, "country", "pattern"),
        ({"mode": "yolo"}, "mode", "review"),
        ({"favourite_colour": "blue"}, "favourite_colour", "Extra inputs"),
        ({"candidate_id": "../../etc"}, "candidate_id", "pattern"),
    ],
)
def test_an_invalid_candidate_names_the_field_and_the_reason(
    changes: dict[str, object], field: str, reason: str
) -> None:
    with pytest.raises(ValidationError) as exc:
        make_candidate(**changes)
    assert field in reasons(exc)
    assert reason in reasons(exc)[field]


def test_rejection_dates_far_in_the_past_or_future_are_refused() -> None:
    from tests.conftest import make_rejection

    with pytest.raises(ValidationError, match="between 2000-01-01 and 2100-01-01"):
        make_rejection(rejected_at="1970-01-01T00:00:00Z", learned_at="1970-01-01T00:00:00Z")


def test_a_naive_datetime_is_refused() -> None:
    from tests.conftest import make_rejection

    with pytest.raises(ValidationError, match="timezone"):
        make_rejection(rejected_at="2026-11-24T10:00:00", learned_at="2026-11-24T10:00:00")


def test_the_same_person_twice_in_one_application_is_refused() -> None:
    twice = (Contact(name="A", email="a@x.example"), Contact(name="A again", email="A@X.example"))
    with pytest.raises(ValidationError, match="listed twice"):
        make_application(contacts=twice)


def test_settings_that_make_no_sense_are_refused() -> None:
    with pytest.raises(ValidationError, match="end must be after start"):
        SendWindow(start="17:00", end="09:00")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="between 7 and 730"):
        PlaybookSettings(check_in_after_days=(3,))
    with pytest.raises(ValidationError, match="distinct"):
        PlaybookSettings(check_in_after_days=(90, 90))


def test_a_link_resource_needs_a_url() -> None:
    with pytest.raises(ValidationError, match="needs a url"):
        Contact.model_validate({"name": "A", "resource": {"kind": "link", "title": "x"}})


def test_defaults_follow_the_product_brief() -> None:
    c = Candidate(candidate_id="c1", name="C", email="c@example.org")
    assert c.mode.value == "review"
    assert c.playbook.thank_you_after_days == 1
    assert c.playbook.resource_after_business_days == 3
    assert c.playbook.check_in_after_days == (90,)
    assert c.playbook.send_window.start.hour == 9 and c.playbook.send_window.end.hour == 17


# ---- the member's address: used only once proved ----------------------------------------------
def test_an_address_waiting_for_proof_is_not_usable() -> None:
    pending = make_candidate(email_proved_at=None)
    assert (pending.usable_email, pending.email_status, pending.address_awaiting_proof) == (
        None,
        "pending",
        "ada@example.com",
    )


def test_while_a_new_address_waits_the_proved_one_stays_usable() -> None:
    changing = make_candidate(pending_email="ada.new@example.org")
    assert changing.usable_email == "ada@example.com" and changing.email_status == "proved"
    assert changing.address_awaiting_proof == "ada.new@example.org"


def test_only_a_proved_address_can_have_a_new_one_waiting() -> None:
    with pytest.raises(ValidationError, match="pending_email"):
        make_candidate(email_proved_at=None, pending_email="ada.new@example.org")
    with pytest.raises(ValidationError, match="pending_email"):
        make_candidate(pending_email="ADA@example.com")


def test_a_profile_save_keeps_the_proved_address_until_the_new_one_is_proved() -> None:
    from nearmiss.service.addresses import needs_proof_mail, saved_profile

    proved = make_candidate()
    requested = make_candidate(email="ada.new@example.org", email_proved_at=None)
    saved = saved_profile(proved, requested)
    assert (saved.email, saved.pending_email, saved.email_proved_at) == (
        "ada@example.com",
        "ada.new@example.org",
        proved.email_proved_at,
    )
    assert needs_proof_mail(proved, saved) and not needs_proof_mail(saved, saved_profile(saved, requested))
    # Asking for the proved address again withdraws the one waiting
    back = saved_profile(saved, make_candidate(email_proved_at=None))
    assert back.pending_email is None and back.usable_email == "ada@example.com"


def test_a_proof_link_names_its_address_and_another_purpose_cannot_read_it() -> None:
    from datetime import timedelta

    from nearmiss.domain.tokens import TokenError
    from nearmiss.service.links import Links

    from tests.conftest import NOW

    links = Links("https://nearmiss.example", b"s" * 32)
    url = links.prove_address("ada", "Ada@Example.com", now=NOW)
    token = url.split("token=", 1)[1]
    assert links.read_prove_address(token, now=NOW) == ("ada", "ada@example.com")
    with pytest.raises(TokenError, match="meant for something else"):
        links.read_stop(token, now=NOW)
    with pytest.raises(TokenError, match="expired"):
        links.read_prove_address(token, now=NOW + timedelta(hours=48))


def test_a_profile_serialises_the_same_however_its_sets_were_built() -> None:
    # Given the same profile with its check-in roles and weekdays inserted in every order (a set's
    # iteration order follows insertion when hashes collide, and put_candidate(expected=) compares
    # the stored JSON), in fresh interpreters with different hash seeds
    import subprocess
    import sys

    script = (
        "import itertools, json\n"
        "from nearmiss.domain.models import Candidate, Role\n"
        "texts = set()\n"
        "for roles in itertools.permutations([r.value for r in Role]):\n"
        "    for days in (list(range(7)), list(range(6, -1, -1))):\n"
        "        c = Candidate.model_validate({'candidate_id': 'ada', 'name': 'Ada Quinn',\n"
        "            'email': 'ada@example.com',\n"
        "            'playbook': {'check_in_roles': list(roles), 'send_window': {'weekdays': days}}})\n"
        "        texts.add(c.model_dump_json())\n"
        "print(len(texts))\n"
    )
    for seed in ("0", "1", "2", "3"):
        done = subprocess.run(  # noqa: S603 - this interpreter and the script above
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONPATH": "shared", "PYTHONHASHSEED": seed},
        )
        # Then every spelling is one text
        assert done.stdout.strip() == "1", (seed, done.stdout, done.stderr)
