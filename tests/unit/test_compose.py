"""Every message renders for every role, with and without the optional fields, and stays safe."""

from __future__ import annotations

import itertools

import pytest
from nearmiss.domain import compose
from nearmiss.domain.models import Contact, Resource, Role, StepKind
from nearmiss.domain.playbook import plan

from tests.conftest import NOW, make_application, make_candidate, make_rejection

RESOURCES = {
    "none": None,
    "link": Resource(kind="link", title="the write-up", url="https://example.org/a", note="Section 4."),
    "information": Resource(kind="information", title="the conference dates", note="It is 4-6 May."),
    "introduction": Resource(kind="introduction", title="has run Kafka at scale", introduce_name="Lin Wu"),
}


def render_all(
    contact: Contact, *, signature: str | None, stop_url: str | None
) -> dict[StepKind, compose.Rendered]:
    candidate = make_candidate(signature=signature, playbook={"check_in_roles": list(Role)})
    application = make_application(contacts=(contact,))
    rendered = {}
    for step in plan(candidate, application, make_rejection(), now=NOW):
        if step.skip_reason:
            continue
        context = compose.step_context(candidate, application, contact, step)
        rendered[step.kind] = compose.compose_step(context, stop_url=stop_url)
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
    rendered = render_all(
        contact,
        signature="ada.example" if optional else None,
        stop_url="https://x.example/stop?token=t" if optional else None,
    )
    expected = {StepKind.THANK_YOU, StepKind.CHECK_IN} | (
        {StepKind.SHARE_RESOURCE} if resource != "none" else set()
    )
    assert set(rendered) == expected
    for message in rendered.values():
        assert message.text.startswith("Hi Grace,")
        assert "Ada Quinn" in message.text
        assert "\n" not in message.subject and message.subject
        assert "<p>Hi Grace,</p>" in message.html
        assert ("https://x.example/stop?token=t" in message.text) is optional
        assert "None" not in message.text
    # What was discussed is mentioned in the thank-you exactly when it is known.
    assert ("event sourcing" in rendered[StepKind.THANK_YOU].text) is optional


def test_the_check_in_says_the_words_that_keep_the_door_open() -> None:
    contact = Contact(name="Grace Park", email="g@example.org", role=Role.HIRING_MANAGER)
    text = render_all(contact, signature=None, stop_url=None)[StepKind.CHECK_IN].text
    assert "if the person you hired doesn't work out, I would still love the chance to join the team" in text


def test_html_and_template_syntax_typed_by_someone_arrive_as_text() -> None:
    contact = Contact(
        name="Eve Example",
        email="eve@example.org",
        role=Role.INTERVIEWER,
        discussed="{{ 7*7 }} and <b>bold</b> & <script>alert(1)</script>",
    )
    message = render_all(contact, signature=None, stop_url=None)[StepKind.THANK_YOU]
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
    draft = compose.compose_step(context, stop_url=None)
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
