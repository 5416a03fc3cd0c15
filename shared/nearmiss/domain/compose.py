"""The words: each message rendered from Jinja2 templates, in the candidate's voice.

Every kind has a subject and a plain-text template under nearmiss/templates/; the HTML part is the
same paragraphs laid into `_layout.html.j2`, rendered with autoescape, so whatever a candidate or
an ATS typed (`<script>`, `{{ x }}`) arrives as text, never as markup or template code. Subjects are
single-line by construction. The environment is built on first use, not at import (cold start),
and renders templates compiled ahead of time (`COMPILED`).

People on one panel compare notes, so no two notes from a member to the people of one application
share a sentence beyond the greeting and the sign-off: every paragraph of a template is written as
several phrasings (`{% oneof "slot" %} ... {% or %} ... {% endoneof %}`), per role and per step kind,
and `pick` chooses one per recipient, deterministically, from the `voice` the step's context carries.
No visible unsubscribe line: the recipient's ways out are a reply ("please stop") and the RFC 8058
List-Unsubscribe header the dispatcher puts on every note to the hiring side.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nearmiss.domain.models import Application, Candidate, Contact, Role, Step, StepKind

if TYPE_CHECKING:
    from jinja2 import BaseLoader, Environment
    from jinja2.ext import Extension

ROLE_LABELS = {
    Role.INTERVIEWER: "interviewer",
    Role.HIRING_MANAGER: "hiring manager",
    Role.RECRUITER: "recruiter",
    Role.HR: "HR",
}
KIND_LABELS = {
    StepKind.THANK_YOU: "thank-you",
    StepKind.SHARE_RESOURCE: "share-a-resource",
    StepKind.CHECK_IN: "keep-the-door-open check-in",
}
_URL = re.compile(r"(https?://[^\s<>\"']+)")


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class MailAttachment:
    filename: str | None
    content_type: str  # "maintype/subtype"
    payload: bytes


@dataclass(frozen=True)
class OutgoingMessage:
    """A message as it leaves us: addresses, words, and the headers that keep it honest."""

    to_name: str
    to_address: str
    from_name: str
    from_address: str
    reply_to: str | None
    subject: str
    text: str
    html: str | None  # None: text only (a forwarded reply keeps the text, never someone's HTML)
    headers: dict[str, str] = field(default_factory=dict)
    # Where the message came from, carried as SES message tags so feedback (a bounce, a complaint)
    # finds its step again without a lookup table.
    tags: dict[str, str] = field(default_factory=dict)
    attachments: tuple[MailAttachment, ...] = ()


def pick(voice: Mapping[str, Any] | None, slot: str, count: int) -> int:
    """Which of a slot's `count` phrasings a recipient reads (0-based).

    (hash(member, application, slot) + rank + round) mod count: the hash makes the choice independent
    per slot (whoever reads the second phrasing of one paragraph need not read the second of the
    next); the recipient's rank in the application's panel makes the choices of one panel distinct,
    as long as it has at most `count` people (a pure hash per recipient would repeat one slot in
    most panels of five); a check-in's round moves the same person to another phrasing each time.
    A context stored before phrasings existed has no voice: it reads the first phrasing, the
    wording it was written with.
    """
    if not voice:
        return 0
    digest = hashlib.sha256(f"{voice['seed']}\x00{slot}".encode()).digest()
    return (int.from_bytes(digest[:8], "big") + int(voice["rank"]) + int(voice["round"])) % count


@lru_cache(maxsize=1)
def _phrasings() -> type[Extension]:
    from jinja2 import nodes
    from jinja2.ext import Extension
    from jinja2.parser import Parser
    from jinja2.runtime import Context

    class Phrasings(Extension):
        """`{% oneof "slot" %}A{% or %}B{% endoneof %}`: one of the phrasings, chosen by `pick`.

        The branches are counted when the template is compiled, so what a recipient typed can
        never add or hide one (no separator is looked for in rendered text)."""

        tags = {"oneof"}  # noqa: RUF012 (jinja2.ext.Extension declares it a plain set)

        def parse(self, parser: Parser) -> nodes.Node:
            lineno = next(parser.stream).lineno
            slot = parser.parse_expression()
            branches = [parser.parse_statements(("name:or", "name:endoneof"))]
            while next(parser.stream).value == "or":
                branches.append(parser.parse_statements(("name:or", "name:endoneof")))
            chosen: list[nodes.Node] = []
            for index in reversed(range(len(branches))):
                test = nodes.Compare(
                    self.call_method(
                        "_pick", [nodes.ContextReference(), slot, nodes.Const(len(branches))], lineno=lineno
                    ),
                    [nodes.Operand("eq", nodes.Const(index))],
                    lineno=lineno,
                )
                chosen = [nodes.If(test, branches[index], [], chosen, lineno=lineno)]
            return chosen[0]

        def _pick(self, context: Context, slot: str, count: int) -> int:
            return pick(context.get("voice"), slot, count)

    return Phrasings


# The templates as Jinja2 compiles them (`Environment.compile_templates`), one Python module each,
# regenerated by tools/compile_templates.py whenever a template changes (a test fails until then).
COMPILED = Path(__file__).resolve().parents[1] / "templates" / "compiled"


def _configured(loader: BaseLoader) -> Environment:
    from jinja2 import Environment, StrictUndefined, select_autoescape

    return Environment(
        extensions=[_phrasings()],
        loader=loader,
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=True),
        undefined=StrictUndefined,  # a missing variable is a bug, not an empty string in someone's inbox
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The environment mail and pages render with: it loads the precompiled templates (Jinja2's
    ModuleLoader), so the first render of a cold start imports a module per template instead of
    lexing, parsing and generating code for it (about 40 ms for a note)."""
    from jinja2 import ModuleLoader

    return _configured(ModuleLoader(str(COMPILED)))


def source_environment() -> Environment:
    """The same environment on the template sources (nearmiss/templates/*.j2)."""
    from jinja2 import PackageLoader

    return _configured(PackageLoader("nearmiss", "templates"))


def compile_templates(target: Path) -> list[str]:
    """Compile every template into `target` (one module per template); returns the template names."""
    env = source_environment()
    names = env.list_templates(extensions=["j2"])
    env.compile_templates(
        str(target), zip=None, ignore_errors=False, log_function=lambda _: None, extensions=["j2"]
    )
    return names


def first_name(full_name: str) -> str:
    return full_name.split()[0] if full_name.split() else full_name


def _one_line(value: str) -> str:
    return " ".join(value.split())


def _paragraphs(text: str) -> list[list[list[tuple[str, bool]]]]:
    """Text as paragraphs of lines of (piece, is_link), so the HTML layout can link URLs safely."""
    return [
        [
            [(piece, i % 2 == 1) for i, piece in enumerate(_URL.split(line)) if piece]
            for line in block.split("\n")
        ]
        for block in re.split(r"\n\s*\n", text.strip())
    ]


def from_text(subject: str, text: str) -> Rendered:
    """A message from a subject and plain text: the HTML part is the same words, escaped."""
    subject = _one_line(subject)
    text = text.strip() + "\n"
    html = environment().get_template("_layout.html.j2").render(paragraphs=_paragraphs(text), subject=subject)
    return Rendered(subject=subject, text=text, html=html)


def render(name: str, context: dict[str, Any]) -> Rendered:
    env = environment()
    subject = env.get_template(f"{name}.subject.j2").render(context)
    return from_text(subject, env.get_template(f"{name}.txt.j2").render(context))


def voice(
    candidate: Candidate,
    application: Application,
    contact: Contact,
    step: Step,
    panel: Sequence[Contact] | None = None,
) -> dict[str, Any]:
    """What `pick` needs, fixed when the step is planned (and stored with it, so a re-render reads
    the same words). The rank is the recipient's place in the panel as listed (the application's
    people, then those the ATS named): people added later are appended, so they take the next free
    rank and every note already planned keeps its phrasing; someone not listed ranks last."""
    keys = [c.key for c in (application.contacts if panel is None else panel)]
    rank = keys.index(contact.key) if contact.key in keys else len(keys)
    offsets = sorted(set(candidate.playbook.check_in_after_days))
    round_ = offsets.index(step.offset_days) if step.offset_days in offsets else 0
    seed = hashlib.sha256(f"{candidate.candidate_id}\x00{application.application_id}".encode()).hexdigest()
    return {"seed": seed[:32], "rank": rank, "round": round_}


def step_context(
    candidate: Candidate,
    application: Application,
    contact: Contact,
    step: Step,
    *,
    panel: Sequence[Contact] | None = None,
) -> dict[str, Any]:
    """What a step's message is rendered from, stored with the step. `panel`: everyone the
    playbook writes to in this application (default: the application's contacts)."""
    return {
        "kind": step.kind.value,
        "offset_days": step.offset_days,
        "candidate": {
            "name": candidate.name,
            "first_name": first_name(candidate.name),
            "signature": candidate.signature,
        },
        "contact": {
            "name": contact.name,
            "first_name": first_name(contact.name),
            "role": contact.role.value,
            "title": contact.title,
            "discussed": contact.discussed,
            "resource": contact.resource.model_dump(mode="json") if contact.resource else None,
        },
        "company": application.company,
        "job_title": application.job_title,
        "voice": voice(candidate, application, contact, step, panel),
    }


def compose_step(context: dict[str, Any]) -> Rendered:
    """The message itself, as the recipient will read it."""
    return render(context["kind"], context)


def compose_draft(
    context: dict[str, Any],
    draft: Rendered,
    *,
    send_local: str,
    expires_local: str,
    review_url: str,
    approve_url: str,
    skip_url: str,
    timeline_url: str,
) -> Rendered:
    """The email to the candidate that carries a draft and its one-click decisions."""
    return render(
        "draft",
        {
            **context,
            "kind_label": KIND_LABELS[StepKind(context["kind"])],
            "role_label": ROLE_LABELS[Role(context["contact"]["role"])],
            "draft": draft,
            "send_local": send_local,
            "expires_local": expires_local,
            "review_url": review_url,
            "approve_url": approve_url,
            "skip_url": skip_url,
            "timeline_url": timeline_url,
        },
    )
