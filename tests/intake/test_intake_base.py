"""What every source shares: strict JSON, bounded bodies, refusals that name the field, safe text,
and who counts as a contact."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from nearmiss.domain.models import MAX_CONTACTS, Contact, Role
from nearmiss.intake import WebhookError
from nearmiss.intake.ats.fields import AtsId, AtsModel, Email, NameText, OptionalInstant
from nearmiss.intake.base import (
    MAX_BODY_BYTES,
    People,
    check_content_type,
    header,
    load_json,
    load_object,
    text,
    validate,
)

SHARED = Path(__file__).resolve().parents[2] / "shared"


class Stamped(AtsModel):
    at: OptionalInstant = None


class Person(AtsModel):
    name: NameText = None
    email: Email = None


class Application(AtsModel):
    id: AtsId
    candidate: Person
    people: list[Person] | None = None
    prospect: bool | None = None


def nested(depth: int) -> bytes:
    return b'{"a":' * (depth - 1) + b"{}" + b"}" * (depth - 1)


def refusal(body: bytes, headers: dict[str, str] | None = None) -> WebhookError:
    with pytest.raises(WebhookError) as exc:
        load_object(headers or {}, body)
    return exc.value


def test_json_nested_exactly_32_levels_is_accepted() -> None:
    assert isinstance(load_json(nested(32)), dict)


def test_json_nested_33_levels_is_refused() -> None:
    assert refusal(nested(33)).reason == "body: JSON nested deeper than 32 levels"


def test_json_nested_beyond_the_interpreters_recursion_limit_is_a_clean_400() -> None:
    error = refusal(b"[" * 100_000 + b"]" * 100_000)
    assert (error.status, error.reason) == (400, "body: JSON nested deeper than 32 levels")


def test_object_with_the_same_key_twice_is_refused_rather_than_guessed() -> None:
    assert (
        refusal(b'{"action": "reject_candidate", "action": "ping"}').reason
        == "body: an object has the same key twice"
    )


@pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"-Infinity"])
def test_non_standard_json_constants_are_refused(constant: bytes) -> None:
    assert refusal(b'{"x": ' + constant + b"}").status == 400


def test_body_that_is_not_utf8_is_refused() -> None:
    assert refusal(b'{"name": "\xff\xfe"}').reason == "body: not UTF-8 text"


def test_utf8_body_with_a_byte_order_mark_is_accepted() -> None:
    assert load_object({}, b'\xef\xbb\xbf{"a": 1}') == {"a": 1}


def test_integer_longer_than_pythons_digit_limit_is_a_400_not_a_crash() -> None:
    assert refusal(b'{"id": ' + b"9" * 5000 + b"}").reason == "body: malformed JSON"


def test_empty_body_is_malformed_json() -> None:
    assert refusal(b"").reason == "body: malformed JSON"


def test_body_over_one_mebibyte_is_refused_with_413() -> None:
    assert refusal(b" " * (MAX_BODY_BYTES + 1)).status == 413


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", "Application/JSON", "application/vnd.api+json"],
)
def test_json_content_types_are_accepted(content_type: str) -> None:
    check_content_type({"content-type": content_type})


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
def test_other_content_types_are_refused_with_415(content_type: str) -> None:
    with pytest.raises(WebhookError) as exc:
        check_content_type({"content-type": content_type})
    assert exc.value.status == 415


def test_missing_content_type_is_tolerated() -> None:
    check_content_type({})


def test_header_lookup_is_case_insensitive_and_ignores_blank_values() -> None:
    assert header({"signature": " sha256 ab "}, "signature") == "sha256 ab"
    assert header({"Signature": "sha256 ab"}, "signature") == "sha256 ab"
    assert header({"signature": "   "}, "signature") is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-20T16:05:41Z", "2026-11-20T16:05:41+00:00"),
        ("2026-11-20T17:05:41+01:00", "2026-11-20T16:05:41+00:00"),
        ("2026-11-20T16:05:41.312Z", "2026-11-20T16:05:41.312000+00:00"),
        ("2026-11-20T16:05:41", "2026-11-20T16:05:41+00:00"),  # the ATSs document UTC
    ],
)
def test_timestamps_are_read_as_aware_utc(value: str, expected: str) -> None:
    moment = validate(Stamped, {"at": value}).at
    assert moment is not None
    assert moment.isoformat() == expected


@pytest.mark.parametrize(
    "value", ["1999-12-31T23:59:59Z", "2100-01-02T00:00:00Z", "0001-01-01T00:00:00+01:00"]
)
def test_timestamps_outside_2000_to_2100_are_refused(value: str) -> None:
    with pytest.raises(WebhookError) as exc:
        validate(Stamped, {"at": value}, "payload")
    assert exc.value.reason == "payload.at: must be between 2000-01-01 and 2100-01-01"


def refused_by(model: type[AtsModel], value: object, where: str = "") -> str:
    with pytest.raises(WebhookError) as exc:
        validate(model, value, where)
    assert exc.value.status == 400
    return exc.value.reason


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"candidate": {}}, "payload.application.id: required"),
        ({"id": None, "candidate": {}}, "payload.application.id: required"),
        ({"id": "", "candidate": {}}, "payload.application.id: required"),
        ({"id": 7}, "payload.application.candidate: required"),
        ({"id": 7, "candidate": None}, "payload.application.candidate: required"),
        ({"id": 7, "candidate": "Ada Quinn"}, "payload.application.candidate: must be an object"),
        ({"id": 7, "candidate": {"name": 7}}, "payload.application.candidate.name: must be a string"),
        ({"id": 7, "candidate": {}, "people": {}}, "payload.application.people: must be an array"),
        ({"id": 7, "candidate": {}, "people": [None]}, "payload.application.people.0: must be an object"),
        (
            {"id": 7, "candidate": {}, "prospect": "yes"},
            "payload.application.prospect: must be true or false",
        ),
        ({"id": 1.5, "candidate": {}}, "payload.application.id: must be an id (integer or string)"),
        ({"id": "a:b", "candidate": {}}, "payload.application.id: not a valid id"),
    ],
)
def test_a_refusal_names_the_fields_path_and_what_is_wrong(payload: object, reason: str) -> None:
    assert refused_by(Application, payload, "payload.application") == reason


def test_a_refusal_never_repeats_the_value_it_refuses() -> None:
    # Given personal data in every field, each of the wrong type or shape
    payload = {"id": "ada.quinn@example.com:1", "candidate": ["Ada Quinn"], "people": "Ada Quinn"}
    # Then the refusal names each field and repeats none of the values
    reason = refused_by(Application, payload)
    assert reason == "id: not a valid id; candidate: must be an object; people: must be an array"


def test_fields_the_model_does_not_read_are_ignored_so_a_vendors_new_field_breaks_nothing() -> None:
    application = validate(Application, {"id": 7, "candidate": {}, "added_in_2027": {"x": [1]}})
    assert application.id == "7"


def test_an_unusable_address_is_read_as_none_and_free_text_is_cleaned_not_refused() -> None:
    person = validate(Person, {"name": "Sam\r\nRivera " + "x" * 200, "email": "no-at-sign"})
    assert person.email is None
    assert person.name is not None
    assert person.name.startswith("Sam Rivera ")
    assert len(person.name) == 120


def test_a_refusal_lists_at_most_five_fields_in_at_most_500_characters() -> None:
    class Wide(AtsModel):
        a: bool
        b: bool
        c: bool
        d: bool
        e: bool
        f: bool

    wrong = {k: "no" for k in "abcdef"}
    assert refused_by(Wide, wrong) == "; ".join(f"{k}: must be true or false" for k in "abcde")
    assert len(refused_by(Wide, wrong, "x" * 200)) == 500


def test_importing_the_registry_imports_no_source_and_a_source_builds_its_models_on_first_parse() -> None:
    # Cold start: a container serving one ATS must not build the models of six.
    script = """
import sys
from pydantic import BaseModel
from nearmiss.intake.registry import SOURCES
assert not any(name.startswith("nearmiss.intake.ats.") for name in sys.modules), "a source was imported"
module = SOURCES["greenhouse"]
models = [v for v in vars(module).values() if isinstance(v, type) and issubclass(v, BaseModel)]
assert models and not any(m.__pydantic_complete__ for m in models), "a model was built at import"
"""
    done = subprocess.run(  # noqa: S603  (this interpreter, a fixed script)
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, cwd=SHARED
    )
    assert done.returncode == 0, done.stderr


def test_free_text_loses_line_breaks_and_control_characters() -> None:
    assert text("Too\r\nJunior\x00 \u2028 for\tus ", 100) == "Too Junior for us"
    assert text("x" * 300, 200) == "x" * 200
    assert text("   ", 10) is None
    assert text(42, 10) is None


def test_people_keep_one_contact_per_address_with_the_first_role() -> None:
    people = People()
    people.add("Sam Rivera", "sam@northwind.example", Role.RECRUITER)
    people.add("Sam R.", "SAM@northwind.example", Role.HR)
    assert [(c.name, c.role) for c in people.contacts] == [("Sam Rivera", Role.RECRUITER)]


def test_people_without_a_usable_address_are_kept_by_name_once() -> None:
    people = People()
    people.add("Mei Tanaka", None, Role.INTERVIEWER)
    people.add("Mei Tanaka", "no-at-sign", Role.INTERVIEWER)
    people.add("Jonas Weber", "jonas@localhost", Role.INTERVIEWER)  # not a deliverable domain
    people.add(None, "anonymous@northwind.example", Role.INTERVIEWER)  # no name: nobody to thank
    assert people.contacts == ()
    assert people.incomplete == ("Mei Tanaka", "Jonas Weber")


def test_people_beyond_one_playbooks_limit_are_kept_by_name() -> None:
    people = People()
    for i in range(MAX_CONTACTS + 3):
        people.add(f"Person {i}", f"p{i}@northwind.example", Role.INTERVIEWER)
    assert len(people.contacts) == MAX_CONTACTS
    assert people.incomplete == tuple(f"Person {i}" for i in range(MAX_CONTACTS, MAX_CONTACTS + 3))


def test_people_given_validated_contacts_split_them_by_address() -> None:
    people = People()
    people.add_contacts(
        [Contact(name="Grace Park", email="grace@northwind.example"), Contact(name="Mei Tanaka")]
    )
    assert [c.name for c in people.contacts] == ["Grace Park"]
    assert people.incomplete == ("Mei Tanaka",)


def test_every_registered_source_is_the_module_of_that_name() -> None:
    from nearmiss.intake.registry import SOURCES

    assert sorted(SOURCES) == ["ashby", "generic", "greenhouse", "lever", "recruitee", "workable"]
    for name, module in SOURCES.items():
        assert name == module.NAME
    assert SOURCES.get("smartrecruiters") is None
