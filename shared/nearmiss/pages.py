"""The pages people open from our emails: review a draft, stop the notes, see a timeline, confirm
an address.

Server-rendered HTML (Jinja2 with autoescape), small and accessible, no script. The links carry
signed, expiring, single-purpose tokens, so they need no login. Only POST changes anything: a GET
shows the page and its buttons, because mail scanners open every link in a message.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs, urlencode

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from nearmiss import bootstrap
from nearmiss.domain.tokens import TokenError
from nearmiss.entrypoints import now
from nearmiss.observability import logger

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]
LABELS = {"approve": "Approve and send", "skip": "Skip this message", "save": "Save changes"}
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'",  # no page of ours can be framed (clickjacking the Approve button)
    "X-Frame-Options": "DENY",  # the same, for browsers without CSP level 2
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


@lru_cache(maxsize=1)
def _template() -> Any:
    from nearmiss.domain.compose import environment

    return environment().get_template("page.html.j2")


def page(status: int, title: str, message: str, **extra: Any) -> Response[str]:
    html = _template().render(title=title, message=message, **extra)
    return Response(
        status_code=status, content_type="text/html; charset=utf-8", body=html, headers=SECURITY_HEADERS
    )


def _token() -> str:
    return router.current_event.get_query_string_value("token", "") or ""


def _form() -> dict[str, str]:
    body = router.current_event.decoded_body or ""
    return {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}


def _valid_subject(subject: str) -> bool:
    from pydantic import TypeAdapter, ValidationError

    from nearmiss.domain.models import ShortText

    try:
        TypeAdapter(ShortText).validate_python(subject)
    except ValidationError:
        return False
    return True


def _refused(exc: TokenError) -> Response[str]:
    return page(400, "This link cannot be used", exc.reason)


# ---- review: read, edit, approve, skip -----------------------------------------------------------
@router.get("/steps/<decision>")
def show_step(decision: str) -> Response[str]:
    from nearmiss.service.dispatch import render_step
    from nearmiss.service.playbooks import EDITABLE

    c = bootstrap.container()
    if decision not in ("approve", "skip", "review"):
        return page(404, "Not found", "There is no such page.")
    try:
        ref = c.links.read_decision(_token(), decision, now=now())  # type: ignore[arg-type]
    except TokenError as exc:
        return _refused(exc)
    step = c.store.get_step(ref.candidate_id, ref.application_id, ref.step_id)
    if step is None:
        return page(404, "Not found", "This message no longer exists.")
    draft = render_step(step)
    open_for_decision = step.state in EDITABLE and step.state.value != "approved"
    actions = []
    if open_for_decision:
        wanted = ("approve", "skip") if decision == "review" else (decision,)
        actions = [
            {"label": LABELS[d], "url": c.links.decision_path(step, d), "primary": d == "approve"}  # type: ignore[arg-type]
            for d in wanted
        ]
    state = step.state.value.replace("_", " ")
    return page(
        200,
        f"Your note to {step.recipient_name}",
        f"Planned for {step.planned_at:%A %d %B %Y, %H:%M} UTC. Current state: {state}.",
        subject=draft.subject,
        text=draft.text,
        actions=actions,
        edit_url=c.links.decision_path(step, "review")
        if decision == "review" and step.state in EDITABLE
        else None,
    )


@router.post("/steps/<decision>")
def decide_step(decision: str) -> Response[str]:
    from nearmiss.service.playbooks import DecisionError, decide, edit_draft

    c = bootstrap.container()
    if decision not in ("approve", "skip", "review"):
        return page(404, "Not found", "There is no such page.")
    try:
        ref = c.links.read_decision(_token(), decision, now=now())  # type: ignore[arg-type]
        if decision == "review":  # the edit form: save the words, then approve if asked to
            form = _form()
            subject, text = form.get("subject", "").strip(), form.get("text", "").strip()
            if not text or len(text) > 10_000 or not _valid_subject(subject):
                return page(
                    400,
                    "Nothing was changed",
                    "A subject (one line, up to 200 characters) and a text (up to 10,000) are both needed.",
                )
            edit_draft(c.store, ref, subject=subject, text=text, now=now())
            if form.get("action") != "approve":
                return page(200, "Saved", "Your changes are saved. They will be sent as you wrote them.")
            step = decide(c.store, ref, "approve", now=now())
        else:
            step = decide(c.store, ref, decision, now=now())  # type: ignore[arg-type]
    except TokenError as exc:
        return _refused(exc)
    except DecisionError as exc:
        return page(409, "Nothing was changed", exc.reason)
    if step.state.value == "lapsed":
        return page(
            200,
            "Too late to send",
            "This note was not sent: its moment has passed, and a late note does more harm than none.",
        )
    if step.state.value == "skipped":
        return page(200, "Skipped", f"Your note to {step.recipient_name} will not be sent.")
    when = step.due_at or step.planned_at
    return page(
        200, "Approved", f"Your note to {step.recipient_name} goes out {when:%A %d %B %Y, %H:%M} UTC."
    )


# ---- the recipient's "please stop" ---------------------------------------------------------------
@router.get("/stop")
def show_stop() -> Response[str]:
    try:
        bootstrap.container().links.read_stop(_token(), now=now())
    except TokenError as exc:
        return _refused(exc)
    return page(
        200,
        "Stop these notes?",
        "Press the button and you will not receive any further messages from this person through us.",
        actions=[{"label": "Yes, stop", "url": "/stop?" + urlencode({"token": _token()}), "primary": True}],
    )


@router.post("/stop")
def take_stop() -> Response[str]:
    """Also the RFC 8058 one-click target (a POST with body 'List-Unsubscribe=One-Click')."""
    from nearmiss.service.playbooks import stop_recipient

    c = bootstrap.container()
    try:
        candidate_id, recipient = c.links.read_stop(_token(), now=now())
    except TokenError as exc:
        return _refused(exc)
    cancelled = stop_recipient(
        c.store, candidate_id, recipient, reason="the recipient asked to stop", now=now()
    )
    logger.info("recipient stop", extra={"recipient_key": recipient, "cancelled": cancelled})
    return page(
        200,
        "Done",
        "You will not receive further messages from this person through us. Sorry to have bothered you.",
    )


# ---- the candidate's timeline page ----------------------------------------------------------------
@router.get("/timeline")
def show_timeline() -> Response[str]:
    from nearmiss.service.notices import contacts_how, waiting
    from nearmiss.service.playbooks import timeline

    c = bootstrap.container()
    try:
        candidate_id, application_id = c.links.read_timeline(_token(), now=now())
    except TokenError as exc:
        return _refused(exc)
    _, application = c.store.load(candidate_id, application_id)
    if application is None:
        return page(404, "Not found", "This application no longer exists.")
    return page(
        200,
        f"{application.job_title} at {application.company}",
        "Every note of this application's playbook: when it goes out (their clock) and where it stands.",
        timeline=timeline(c.store, candidate_id, application_id),
        held=c.intake.held_for(candidate_id),
        waiting=waiting(c.store, candidate_id, application_id),
        how=contacts_how(candidate_id, application_id),
    )


# ---- the member proves their address ---------------------------------------------------------------
CONFIRMED = {
    "proved": (200, "Address confirmed", "Thank you: Near Miss uses this address for you from now on."),
    "already_proved": (200, "Already confirmed", "This address is confirmed already; nothing changed."),
    "not_waiting": (
        409,
        "Nothing was changed",
        "This address is no longer the one waiting for confirmation (it was changed since this link "
        "was sent). Use the link in the newest message.",
    ),
    "taken": (
        409,
        "Nothing was changed",
        "This address is registered to another member. The organisation that runs Near Miss can help.",
    ),
    "changed": (
        409,
        "Nothing was changed",
        "The profile changed while you confirmed; please open the link again.",
    ),
    "no_account": (400, "This link cannot be used", "The account this link belongs to no longer exists."),
}


@router.get("/address/confirm")
def show_address_confirmation() -> Response[str]:
    """Only shows the button: a mail scanner that fetches the link confirms nothing."""
    try:
        _, address = bootstrap.container().links.read_prove_address(_token(), now=now())
    except TokenError as exc:
        return _refused(exc)
    return page(
        200,
        "Confirm your address?",
        f"Press the button to confirm that {address} is yours. Near Miss then sends your drafts "
        "there, and the people you write to can reply to it.",
        actions=[
            {"label": "Confirm", "url": "/address/confirm?" + urlencode({"token": _token()}), "primary": True}
        ],
    )


@router.post("/address/confirm")
def confirm_address() -> Response[str]:
    from nearmiss.service.addresses import confirm_address as confirm

    c = bootstrap.container()
    try:
        candidate_id, address = c.links.read_prove_address(_token(), now=now())
    except TokenError as exc:
        return _refused(exc)
    outcome = confirm(c.store, candidate_id, address, now=now())
    status, title, message = CONFIRMED[outcome]
    return page(status, title, message)
