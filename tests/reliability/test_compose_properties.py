"""Property tests for the renderer (nearmiss.domain.compose) and the MIME builder (adapters.ses.build_mime):
arbitrary text in every field a person or an ATS can type.

- the subject is always one line;
- the HTML part holds only the layout's own tags, and its visible text is exactly the plain text (so
  whatever was typed, markup or template syntax, arrived as text and nothing else);
- a message is either built with exactly one From, one To (the intended address), a one-line Subject
  and no smuggled header, or refused with ValueError (which SesMailer records as a permanent failure);
  with names that pass the models' validation it is always built.
"""

from __future__ import annotations

import email
import email.policy
import re
from collections import Counter
from html.parser import HTMLParser
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from nearmiss.adapters.ses import build_mime
from nearmiss.domain import compose
from nearmiss.domain.compose import OutgoingMessage
from nearmiss.domain.models import Role

pytestmark = pytest.mark.reliability

EXAMPLES = 200
PROPERTY = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ALLOWED_TAGS = {"html", "head", "meta", "title", "body", "p", "br", "a"}
NASTY = [
    "<script>alert(1)</script>",
    "{{ 7*7 }}",
    "{% for x in range(9) %}x{% endfor %}",
    "\r\nBcc: evil@attacker.example",
    "\u2028\u2029\x85",
    '"><img src=x onerror=alert(1)>',
    "https://example.org/?q=<b>&x=\"'",
    "javascript:alert(1)",
    "\u202eevil\u202c",
    "&amp;&lt;",
]


def no_encoded_word(value: str) -> bool:
    """RFC 2047 encoded-words typed into a header ("=?utf-8?q?=0D=0A?=") are decoded by mail clients into
    anything, line breaks included: a known bug, kept failing in test_hostile_input's
    test_an_encoded_word_typed_into_a_name_or_title_is_not_decoded_into_a_header_break. Left out here,
    so these properties keep guarding everything else."""
    return "=?" not in value


text = st.one_of(
    st.text(max_size=60), st.sampled_from(NASTY), st.lists(st.sampled_from(NASTY), max_size=3).map(" ".join)
).filter(no_encoded_word)
optional = st.one_of(st.none(), text)


@st.composite
def contexts(draw: Any) -> dict[str, Any]:
    kind = draw(st.sampled_from(["thank_you", "share_resource", "check_in"]))
    resource = None
    if kind == "share_resource" or draw(st.booleans()):
        resource = {
            "kind": draw(st.sampled_from(["link", "information", "introduction"])),
            "title": draw(text),
            "url": draw(st.one_of(st.none(), st.just("https://example.org/a?b=c"), text)),
            "note": draw(optional),
            "introduce_name": draw(optional),
            "introduce_email": None,
        }
    candidate, contact = draw(text), draw(text)
    # Any phrasing of each paragraph; none at all for a context stored before phrasings existed.
    voice = draw(
        st.one_of(
            st.none(),
            st.fixed_dictionaries(
                {
                    "seed": st.text(alphabet="0123456789abcdef", min_size=1, max_size=32),
                    "rank": st.integers(min_value=0, max_value=14),
                    "round": st.integers(min_value=0, max_value=2),
                }
            ),
        )
    )
    return {
        **({"voice": voice} if voice is not None else {}),
        "kind": kind,
        "offset_days": 90 if kind == "check_in" else None,
        "candidate": {
            "name": candidate,
            "first_name": compose.first_name(candidate),
            "signature": draw(optional),
        },
        "contact": {
            "name": contact,
            "first_name": compose.first_name(contact),
            "role": draw(st.sampled_from([r.value for r in Role])),
            "title": draw(optional),
            "discussed": draw(optional),
            "resource": resource,
        },
        "company": draw(text),
        "job_title": draw(text),
    }


class Html(HTMLParser):
    """The tags, the links and the visible text of the body."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: Counter[str] = Counter()
        self.bad: list[str] = []
        self.body: list[str] = []
        self._in_body = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] += 1
        self._in_body = self._in_body or tag == "body"
        for name, value in attrs:
            if name.startswith("on") or (name == "href" and not re.match(r"^https?://", value or "")):
                self.bad.append(f"{tag} {name}={value!r}")

    def handle_data(self, data: str) -> None:
        if self._in_body:
            self.body.append(data)


def words(value: str) -> str:
    return " ".join(value.split())


def check_rendered(rendered: compose.Rendered) -> None:
    assert rendered.subject == words(rendered.subject)  # one line, no stray whitespace
    assert len(rendered.subject.splitlines()) <= 1
    parser = Html()
    parser.feed(rendered.html)
    parser.close()
    assert set(parser.tags) <= ALLOWED_TAGS, parser.tags
    assert not parser.bad, parser.bad
    # everything visible in the HTML is the plain text, character for character (modulo layout whitespace)
    assert words("".join(parser.body)) == words(rendered.text)


@PROPERTY
@given(context=contexts())
@example(
    context={
        "kind": "thank_you",
        "offset_days": None,
        "candidate": {"name": "{{ 7*7 }}", "first_name": "{{", "signature": "<script>x</script>"},
        "contact": {
            "name": "<b>M</b>",
            "first_name": "<b>M</b>",
            "role": "interviewer",
            "title": None,
            "discussed": "{% raw %}<img src=x onerror=alert(1)>",
            "resource": None,
        },
        "company": "\r\nBcc: x@y",
        "job_title": "\u2028",
    },
)
def test_any_text_in_any_field_renders_as_text_with_a_one_line_subject(context: dict[str, Any]) -> None:
    rendered = compose.compose_step(context)
    check_rendered(rendered)
    discussed = context["contact"]["discussed"]
    if context["kind"] == "thank_you" and discussed and discussed.strip():
        assert words(discussed) in words(rendered.text)  # typed template syntax is never evaluated


@PROPERTY
@given(context=contexts(), draft_subject=text, draft_text=text)
def test_any_text_in_a_draft_for_review_renders_as_text(
    context: dict[str, Any], draft_subject: str, draft_text: str
) -> None:
    draft = compose.from_text(draft_subject or "x", draft_text or "x")
    check_rendered(draft)
    rendered = compose.compose_draft(
        context,
        draft,
        send_local="Wednesday 25 November, 16:10 CET",
        expires_local="Friday 27 November, 16:10 CET",
        review_url="https://nearmiss.example/steps/review?token=a.b",
        timeline_url="https://nearmiss.example/timeline?token=a.b",
        approve_url="https://nearmiss.example/steps/approve?token=a.b",
        skip_url="https://nearmiss.example/steps/skip?token=a.b",
    )
    check_rendered(rendered)


def validated_name(value: str) -> bool:
    """What models.Name lets through: 1-120 characters after stripping, no C0 control but tab, no DEL,
    no Unicode line boundary (U+0085, U+2028, U+2029)."""
    stripped = value.strip()
    return (
        0 < len(stripped) <= 120
        and not any(ord(ch) < 32 and ch != "\t" for ch in stripped)
        and not any(ch in "\x7f\x85\u2028\u2029" for ch in stripped)
    )


def parse_back(raw: bytes) -> Any:
    return email.message_from_bytes(raw, policy=email.policy.default)


def check_headers(raw: bytes, to_address: str, from_address: str = "notes@mail.nearmiss.example") -> None:
    parsed = parse_back(raw)
    for header in ("From", "To", "Subject"):
        assert len(parsed.get_all(header) or []) == 1, header
    assert not parsed.get_all("Bcc") and not parsed.get_all("Cc")
    assert [a.addr_spec for a in parsed["To"].addresses] == [to_address]
    assert [a.addr_spec for a in parsed["From"].addresses] == [from_address]
    assert len(str(parsed["Subject"]).splitlines()) <= 1
    head = raw.split(b"\n\n", 1)[0]
    assert not re.search(rb"(?im)^(bcc|cc):", head)


def message(**fields: Any) -> OutgoingMessage:
    base = {
        "to_name": "Mei Tanaka",
        "to_address": "mei@northwind.example",
        "from_name": "Ada Quinn",
        "from_address": "notes@mail.nearmiss.example",
        "reply_to": "ada@example.com",
        "subject": "Thank you",
        "text": "Hi\n",
        "html": "<p>Hi</p>",
        "headers": {"List-Unsubscribe": "<https://nearmiss.example/stop?token=a.b>"},
    }
    return OutgoingMessage(**{**base, **fields})


# A valid models.Name (85 characters): long enough that the default policy would fold the header, and
# the fold would drop the quotes around the display name (the address inside would become the header's).
LOOKALIKE = "Grace Parkinson-Smythe Hiring Manager Northwind Data Corporation <grace@evil.example>"
SPECIALS = set('()<>[]:;@\\,."')
validated = st.text(min_size=1, max_size=120).filter(validated_name).filter(no_encoded_word)


@PROPERTY
@given(to_name=text, from_name=text, subject=text)
@example(to_name=LOOKALIKE, from_name="Ada Quinn", subject="Thank you")
def test_any_name_or_subject_either_builds_a_well_formed_message_or_is_refused_with_value_error(
    to_name: str, from_name: str, subject: str
) -> None:
    try:
        raw = build_mime(message(to_name=to_name, from_name=from_name, subject=subject))
    except ValueError:
        return  # SesMailer turns it into a permanent failure with the reason: nothing is sent
    check_headers(raw, "mei@northwind.example")


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(to_name=validated, from_name=validated, subject=text)
@example(to_name="Mei Tanaka", from_name=LOOKALIKE, subject="Thank you")
def test_names_that_pass_validation_always_build_a_well_formed_message(
    to_name: str, from_name: str, subject: str
) -> None:
    raw = build_mime(
        message(to_name=to_name.strip(), from_name=from_name.strip(), subject=words(subject) or "x")
    )
    check_headers(raw, "mei@northwind.example")


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(
    to_name=st.one_of(
        validated.filter(lambda n: not SPECIALS & set(n)),  # any length, nothing to quote
        st.text(min_size=1, max_size=40).filter(validated_name).filter(no_encoded_word),  # too short to fold
    ),
    from_name=validated.filter(lambda n: not SPECIALS & set(n)),
    subject=text,
)
def test_names_that_pass_validation_and_need_no_folding_of_quotes_build_a_well_formed_message(
    to_name: str, from_name: str, subject: str
) -> None:
    """What holds today, while the folding bug above is open."""
    raw = build_mime(
        message(to_name=to_name.strip(), from_name=from_name.strip(), subject=words(subject) or "x")
    )
    check_headers(raw, "mei@northwind.example")
