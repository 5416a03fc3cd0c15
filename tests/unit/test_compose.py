"""Every message renders for every role, with and without the optional fields, and stays safe."""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from nearmiss.domain import compose
from nearmiss.domain.models import Contact, Resource, Role, StepKind, StepState
from nearmiss.domain.playbook import plan
from nearmiss.domain.records import Sender
from nearmiss.service.dispatch import render_step
from nearmiss.service.playbooks import plan_records

from tests.conftest import NOW, make_application, make_candidate, make_contacts, make_rejection

RESOURCES = {
    "none": None,
    "link": Resource(kind="link", title="the write-up", url="https://example.org/a", note="Section 4."),
    "information": Resource(kind="information", title="the conference dates", note="It is 4-6 May."),
    "introduction": Resource(kind="introduction", title="has run Kafka at scale", introduce_name="Lin Wu"),
}


def render_all(contact: Contact, *, signature: str | None) -> dict[StepKind, compose.Rendered]:
    candidate = make_candidate(signature=signature, playbook={"check_in_roles": list(Role)})
    application = make_application(contacts=(contact,))
    rendered = {}
    for step in plan(candidate, application, make_rejection(), now=NOW):
        if step.skip_reason:
            continue
        context = compose.step_context(candidate, application, contact, step)
        rendered[step.kind] = compose.compose_step(context)
    return rendered


@pytest.mark.parametrize(
    ("role", "optional", "resource"),
    list(itertools.product(list(Role), [True, False], list(RESOURCES))),
)
def test_every_template_renders_for_every_role_with_and_without_optional_fields(
    role: Role, optional: bool, resource: str
) -> None:
    contact = Contact(
        name="Grace Park",
        email="grace@example.org",
        role=role,
        title="Director" if optional else None,
        discussed="event sourcing" if optional else None,
        resource=RESOURCES[resource],
    )
    rendered = render_all(contact, signature="ada.example" if optional else None)
    expected = {StepKind.THANK_YOU, StepKind.CHECK_IN} | (
        {StepKind.SHARE_RESOURCE} if resource != "none" else set()
    )
    assert set(rendered) == expected
    for message in rendered.values():
        assert message.text.startswith("Hi Grace,")
        assert message.text.rstrip().endswith("Ada Quinn\nada.example" if optional else "Ada Quinn")
        assert "\n" not in message.subject and message.subject
        assert "<p>Hi Grace,</p>" in message.html
        assert "None" not in message.text
    # What was discussed is mentioned in the thank-you exactly when it is known.
    assert ("event sourcing" in rendered[StepKind.THANK_YOU].text) is optional


def test_a_note_shows_no_stop_line_the_header_and_a_reply_are_the_way_out() -> None:
    # Given every phrasing of every role and step kind (six people of each role on one panel)
    for role in Role:
        for note in panel_notes([role] * 6):
            # Then nothing in the text offers a link to stop, nor mentions one
            text = note.rendered.text
            assert "P.S." not in text and "/stop" not in text and "this link" not in text


def test_the_check_in_says_the_words_that_keep_the_door_open() -> None:
    # A context stored before phrasings existed reads the first phrasing: the product's own words.
    contact = Contact(name="Grace Park", email="g@example.org", role=Role.HIRING_MANAGER)
    candidate, application = make_candidate(), make_application(contacts=(contact,))
    step = next(
        s for s in plan(candidate, application, make_rejection(), now=NOW) if s.kind is StepKind.CHECK_IN
    )
    context = compose.step_context(candidate, application, contact, step)
    del context["voice"]
    text = compose.compose_step(context).text
    assert "if the person you hired doesn't work out, I would still love the chance to join the team" in text
    # Every other phrasing, for every role that gets a check-in, says both halves in its own words.
    for role in Role:
        for note in panel_notes([role] * 6, kinds={StepKind.CHECK_IN}):
            door = note.rendered.text.split("\n\n")[2].casefold()
            assert any(w in door for w in ("another", "a new", "a position", "opening")), door
            assert any(w in door for w in ("hire", "person chosen", "chosen candidate", "person you")), door


def test_html_and_template_syntax_typed_by_someone_arrive_as_text() -> None:
    contact = Contact(
        name="Eve Example",
        email="eve@example.org",
        role=Role.INTERVIEWER,
        discussed="{{ 7*7 }} and <b>bold</b> & <script>alert(1)</script>",
    )
    message = render_all(contact, signature=None)[StepKind.THANK_YOU]
    assert "{{ 7*7 }}" in message.text and "49" not in message.text
    assert "<script>" not in message.html and "&lt;script&gt;" in message.html
    assert "<b>bold</b>" not in message.html and "&lt;b&gt;bold&lt;/b&gt;" in message.html


def test_links_in_the_text_become_escaped_anchors_in_the_html() -> None:
    rendered = compose.from_text("Hello", 'See https://example.org/a?x=1&y="2" now')
    assert '<a href="https://example.org/a?x=1&amp;y=">https://example.org/a?x=1&amp;y=</a>' in rendered.html


def test_a_subject_is_always_one_line() -> None:
    assert compose.from_text("two\r\nlines\n", "body").subject == "two lines"


def test_the_draft_carries_the_message_and_the_three_decisions() -> None:
    contact = Contact(name="Grace Park", email="g@example.org", role=Role.HIRING_MANAGER)
    candidate = make_candidate()
    application = make_application(contacts=(contact,))
    step = plan(candidate, application, make_rejection(), now=NOW)[0]
    context = compose.step_context(candidate, application, contact, step)
    draft = compose.compose_step(context)
    message = compose.compose_draft(
        context,
        draft,
        send_local="Wednesday 10:10 EST",
        expires_local="Friday 10:10 EST",
        review_url="https://x/r",
        approve_url="https://x/a",
        skip_url="https://x/s",
        timeline_url="https://x/t",
    )
    assert message.subject == "Draft for your review: thank-you to Grace Park (Northwind Data)"
    for piece in (
        "Approve and send: https://x/a",
        "Skip this one: https://x/s",
        "https://x/r",
        draft.subject,
        "Hi Grace,",
    ):
        assert piece in message.text


# ---- one member, one panel: no two notes share a sentence -------------------------------------------
FIRST_NAMES = ("Grace", "Mei", "Sam", "Lin", "Ravi", "Noor")
TOPIC = "the scheduling service"  # the same for everyone: only the phrasing can tell the notes apart
RESOURCE_TITLES = {
    "link": "the load-test write-up",
    "information": "the conference dates",
    "introduction": "has run Kafka at scale",
}


@dataclass(frozen=True)
class Note:
    person: str
    kind: StepKind
    offset_days: int | None
    rendered: compose.Rendered
    data: tuple[str, ...]  # what the member typed into it (masked before comparing)


def panel_notes(
    roles: list[Role],
    *,
    resource_kinds: list[str] | None = None,
    kinds: set[StepKind] | None = None,
    check_in_after_days: tuple[int, ...] = (90,),
) -> list[Note]:
    """Every note of one application whose panel has one person per role given, planned and rendered
    the way they go out (plan_records stores the context, dispatch.render_step renders it)."""
    resource_kinds = resource_kinds or ["link", "information", "introduction"]
    contacts = tuple(
        Contact(
            name=f"{first} Example",
            email=f"{first.lower()}@northwind.example",
            role=role,
            discussed=TOPIC,
            resource=Resource(
                kind=resource_kinds[i % len(resource_kinds)],  # type: ignore[arg-type]
                title=RESOURCE_TITLES[resource_kinds[i % len(resource_kinds)]],
                url=f"https://example.org/{first.lower()}",
                note=f"Notes for {first}.",
                introduce_name="Lin Wu"
                if resource_kinds[i % len(resource_kinds)] == "introduction"
                else None,
            ),
        )
        for i, (first, role) in enumerate(zip(FIRST_NAMES, roles, strict=False))
    )
    candidate = make_candidate(
        playbook={"check_in_roles": list(Role), "check_in_after_days": list(check_in_after_days)}
    )
    application = make_application(contacts=contacts)
    sender = Sender(name="Ada Quinn", address="notes@mail.nearmiss.example", reply_to="ada@example.com")
    records = plan_records(candidate, application, make_rejection(), sender, now=NOW)
    data = ("Northwind Data", "Staff Engineer", "Ada", TOPIC, *RESOURCE_TITLES.values(), "Lin Wu")
    return [
        Note(
            person=r.recipient_name,
            kind=r.kind,
            offset_days=r.offset_days,
            rendered=render_step(r),
            data=(
                *data,
                r.recipient_name.split()[0],
                f"https://example.org/{r.recipient_name.split()[0].lower()}",
                f"Notes for {r.recipient_name.split()[0]}.",
            ),
        )
        for r in records
        if r.state is StepState.SCHEDULED and (kinds is None or r.kind in kinds)
    ]


# A sentence ends at . ! ? ; or : followed by a space, or at a line break; the comparison is stricter
# than sentences (clauses after ; and : count alone). What the member typed is masked first, so a
# note differs from another only where its phrasing does, and nothing typed (an abbreviation in a job
# title) can move a boundary.
_BOUNDARY = re.compile(r"(?<=[.!?;:])\s+|\n+")


def sentences(note: Note) -> set[str]:
    paragraphs = note.rendered.text.strip().split("\n\n")
    first = note.person.split()[0]
    assert paragraphs[0] == f"Hi {first},"  # the greeting ...
    assert paragraphs[-1].split("\n")[1] == "Ada Quinn"  # ... and the sign-off are left out, nothing else
    found = set()
    for piece in _BOUNDARY.split("\n".join([note.rendered.subject, *paragraphs[1:-1]])):
        for value in sorted(note.data, key=len, reverse=True):
            piece = piece.replace(value, "\x00")
        words = " ".join(piece.replace("\x00", " <data> ").split()).casefold().strip(" .!?;:,")
        if words.replace("<data>", "").strip(" .!?;:,"):  # a line of pure data (a URL, a note) is not ours
            found.add(words)
    return found


def shared_sentences(notes: list[Note]) -> tuple[int, list[tuple[str, str, set[str]]]]:
    split = [(f"{n.kind.value}/{n.offset_days}/{n.person}", sentences(n)) for n in notes]
    pairs = list(itertools.combinations(split, 2))
    return len(pairs), [(a, b, sa & sb) for (a, sa), (b, sb) in pairs if sa & sb]


MIXED_PANEL = [Role.INTERVIEWER, Role.INTERVIEWER, Role.INTERVIEWER, Role.RECRUITER, Role.HIRING_MANAGER]
ROLE_MIXES = list(itertools.combinations_with_replacement(list(Role), 5))  # 56 panels of five
RESOURCE_LAYOUTS = {
    "everyone a link": ["link"],
    "everyone information": ["information"],
    "everyone an introduction": ["introduction"],
    "mixed": ["link", "information", "introduction"],
}


@pytest.mark.parametrize("layout", list(RESOURCE_LAYOUTS))
def test_no_two_notes_to_a_panel_of_five_share_a_sentence_in_any_role_mix(layout: str) -> None:
    compared = 0
    for mix in ROLE_MIXES:
        # Given a panel of five at one company, each getting a thank-you, a resource and a check-in
        notes = panel_notes(list(mix), resource_kinds=RESOURCE_LAYOUTS[layout])
        assert len(notes) == 15
        # When every pair of notes is compared sentence by sentence
        pairs, shared = shared_sentences(notes)
        compared += pairs
        # Then none shares one
        assert not shared, (mix, shared[:3])
    assert compared == len(ROLE_MIXES) * 105  # 15 notes: 105 pairs per panel


@pytest.mark.parametrize("role", list(Role))
def test_six_people_of_one_role_read_six_different_phrasings_of_every_paragraph(role: Role) -> None:
    pairs, shared = shared_sentences(panel_notes([role] * 6, resource_kinds=["introduction"]))
    assert pairs == 18 * 17 // 2 and not shared, shared[:3]


def test_each_check_in_to_the_same_person_is_worded_anew_and_each_round_differs_across_the_panel() -> None:
    notes = panel_notes(
        [Role.HIRING_MANAGER, Role.RECRUITER, Role.RECRUITER, Role.INTERVIEWER, Role.HR],
        kinds={StepKind.CHECK_IN},
        check_in_after_days=(45, 90, 120),
    )
    assert len(notes) == 15
    for person in {n.person for n in notes}:
        assert not shared_sentences([n for n in notes if n.person == person])[1]
    for offset in (45, 90, 120):
        assert not shared_sentences([n for n in notes if n.offset_days == offset])[1]


def test_rendering_is_deterministic_across_renders_and_processes() -> None:
    # Given the same panel planned and rendered twice
    first = [n.rendered for n in panel_notes(MIXED_PANEL)]
    assert [n.rendered for n in panel_notes(MIXED_PANEL)] == first
    # And in other processes, whatever their hash seed (the choice is sha256, not hash())
    script = (
        "from tests.unit.test_compose import panel_notes, MIXED_PANEL as P; "
        "print(repr([n.rendered for n in panel_notes(P)]))"
    )
    outputs = {
        subprocess.run(  # noqa: S603 (a fixed command: this interpreter and the script above)
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": os.pathsep.join(sys.path)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert outputs == {repr(first) + "\n"}


def test_a_stored_context_renders_the_same_after_a_round_trip_through_json() -> None:
    contact = Contact(name="Grace Park", email="g@example.org", role=Role.RECRUITER, discussed=TOPIC)
    candidate, application = make_candidate(), make_application(contacts=(contact,))
    for step in plan(candidate, application, make_rejection(), now=NOW):
        if step.skip_reason:
            continue
        context = compose.step_context(candidate, application, contact, step)
        assert compose.compose_step(json.loads(json.dumps(context))) == compose.compose_step(context)


def test_the_choice_is_independent_per_paragraph() -> None:
    # Over many members, the first person of a panel does not read the same-numbered phrasing everywhere.
    voices = [{"seed": f"{n:032x}", "rank": 0, "round": 0} for n in range(200)]
    differences = {
        (compose.pick(v, "thank_you.thanks", 6) - compose.pick(v, "thank_you.after", 6)) % 6 for v in voices
    }
    assert differences == set(range(6))


def test_someone_added_to_the_panel_later_takes_the_next_rank_and_nobody_else_moves() -> None:
    contacts = make_contacts()
    candidate, application = make_candidate(), make_application(contacts=contacts)
    step = plan(candidate, application, make_rejection(), now=NOW)[0]
    ranks = [compose.voice(candidate, application, c, step)["rank"] for c in contacts]
    newcomer = Contact(name="Lin Wu", email="lin@northwind.example")
    grown = make_application(contacts=(*contacts, newcomer))
    assert [compose.voice(candidate, grown, c, step)["rank"] for c in contacts] == ranks == [0, 1, 2]
    assert compose.voice(candidate, grown, newcomer, step)["rank"] == 3
    # someone not on the list at all (an ATS-only name before the panel is passed) ranks last
    assert compose.voice(candidate, application, newcomer, step)["rank"] == 3


@pytest.mark.parametrize("rank", range(6))
def test_every_phrasing_escapes_what_was_typed_in_the_html(rank: int) -> None:
    hostile = "{{ 7*7 }} and <b>bold</b> & <script>alert(1)</script>"
    for role in Role:
        contact = Contact(
            name="Eve Example",
            email="eve@example.org",
            role=role,
            discussed=hostile,
            resource=Resource(
                kind="introduction", title=hostile, introduce_name="Lin <i>Wu</i>", note=hostile
            ),
        )
        candidate = make_candidate(playbook={"check_in_roles": list(Role)})
        application = make_application(company="<Acme & Co>", contacts=(contact,))
        for step in plan(candidate, application, make_rejection(), now=NOW):
            if step.skip_reason:
                continue
            context = {**compose.step_context(candidate, application, contact, step)}
            context["voice"] = {**context["voice"], "rank": rank}
            message = compose.compose_step(context)
            assert "49" not in message.text  # typed template syntax is never evaluated
            for raw, escaped in (
                ("<script>", "&lt;script&gt;"),
                ("<b>bold</b>", "&lt;b&gt;bold&lt;/b&gt;"),
                ("<i>Wu</i>", "&lt;i&gt;Wu&lt;/i&gt;"),
                ("<Acme & Co>", "&lt;Acme &amp; Co&gt;"),
            ):
                assert raw not in message.html, (role, step.kind, raw)
                shown = raw in message.text or raw in message.subject  # the subject is the HTML title
                assert (escaped in message.html) is shown, (role, step.kind, raw)
            # what was discussed is in the thank-you and the resource, whatever the phrasing
            assert (hostile in message.text) is (step.kind is not StepKind.CHECK_IN)


def test_the_compiled_templates_are_what_the_sources_compile_to(tmp_path: Path) -> None:
    # Given the templates' sources, compiled afresh by Jinja2
    names = compose.compile_templates(tmp_path)
    fresh = {p.name: p.read_text() for p in tmp_path.glob("*.py")}
    # Then the modules the functions render are the same, one per template (else: tools/compile_templates.py)
    shipped = {p.name: p.read_text() for p in compose.COMPILED.glob("*.py")}
    assert len(fresh) == len(names) == len(list(Path(compose.__file__).parents[1].glob("templates/*.j2")))
    assert shipped.keys() == fresh.keys(), "templates added or removed: run tools/compile_templates.py"
    stale = sorted(n for n in fresh if shipped[n] != fresh[n])
    assert not stale, f"templates changed since they were compiled: run tools/compile_templates.py ({stale})"


def test_a_note_reads_the_same_from_the_compiled_templates_as_from_the_sources() -> None:
    candidate = make_candidate(signature="Ada\nada.example", playbook={"check_in_roles": list(Role)})
    application = make_application(contacts=make_contacts())
    source = compose.source_environment()
    steps = [s for s in plan(candidate, application, make_rejection(), now=NOW) if not s.skip_reason]
    assert {s.kind for s in steps} == set(StepKind)
    for step in steps:
        context = compose.step_context(candidate, application, step.recipient, step)
        for name in (f"{step.kind.value}.subject.j2", f"{step.kind.value}.txt.j2"):
            compiled = compose.environment().get_template(name).render(context)
            assert compiled == source.get_template(name).render(context)
