"""The words: each message rendered from Jinja2 templates, in the candidate's voice.

Every kind has a subject and a plain-text template under nearmiss/templates/; the HTML part is the
same paragraphs laid into `_layout.html.j2`, rendered with autoescape, so whatever a candidate or
an ATS typed (`<script>`, `{{ x }}`) arrives as text, never as markup or template code. Subjects are
single-line by construction. The environment is built on first use, not at import (cold start).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from nearmiss.domain.models import Application, Candidate, Contact, Role, Step, StepKind

if TYPE_CHECKING:
    from jinja2 import Environment

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


@lru_cache(maxsize=1)
def environment() -> Environment:
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    return Environment(
        loader=PackageLoader("nearmiss", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=True),
        undefined=StrictUndefined,  # a missing variable is a bug, not an empty string in someone's inbox
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


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


def step_context(
    candidate: Candidate, application: Application, contact: Contact, step: Step
) -> dict[str, Any]:
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
    }


# The sign-off's stop line (templates/_signoff.txt.j2), for texts the candidate wrote themselves.
STOP_LINE = (
    "P.S. If you would rather not hear from me again, this link lets me know and I will not write again: "
    "{stop_url}"
)


def compose_step(context: dict[str, Any], *, stop_url: str | None) -> Rendered:
    """The message itself, as the recipient will read it."""
    return render(context["kind"], {**context, "stop_url": stop_url})


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
