"""The pages people open from our emails: review a draft, stop the notes, see a timeline, confirm
an address.

Server-rendered HTML (Jinja2 with autoescape), small and accessible, no script. The links carry
signed, expiring, single-purpose tokens, so they need no login. Only POST changes anything: a GET
shows the page and its buttons, because mail scanners open every link in a message.
"""

from __future__ import annotations

from datetime import datetime
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
        ref, (generation, step) = c.links.read_decision_with(
            _token(),
            decision,  # type: ignore[arg-type]
            now=now(),
            read=_decision_reads,
        )
    except TokenError as exc:
        return _refused(exc)
    links = c.links.knowing(ref.candidate_id, generation)  # the page's own links: signed, not read again
    if step is None:
        return page(404, "Not found", "This message no longer exists.")
    draft = render_step(step)
    open_for_decision = step.state in EDITABLE and step.state.value != "approved"
    actions = []
    if open_for_decision:
        wanted = ("approve", "skip") if decision == "review" else (decision,)
        actions = [
            {"label": LABELS[d], "url": links.decision_path(step, d), "primary": d == "approve"}  # type: ignore[arg-type]
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
        edit_url=links.decision_path(step, "review")
        if decision == "review" and step.state in EDITABLE
        else None,
    )


def _decision_reads(ref: Any) -> tuple[Any, tuple[Any, Any]]:
    """The member's link generation and the step, in one request: the link is checked against the
    first; both are the page's (the generation signs the page's own links)."""
    generation, step = bootstrap.container().store.decision_reads(
        ref.candidate_id, ref.application_id, ref.step_id
    )
    return generation, (generation, step)


def _approved(recipient_name: str | None, when: datetime) -> Response[str]:
    # On the one-write path the link names nobody (ids and times only): the draft it came from does.
    to = f" to {recipient_name}" if recipient_name else ""
    return page(200, "Approved", f"Your note{to} goes out {when:%A %d %B %Y, %H:%M} UTC.")


@router.post("/steps/<decision>")
def decide_step(decision: str) -> Response[str]:
    from nearmiss.service.playbooks import DecisionError, approve_on_time, decide_read, edit_read

    c = bootstrap.container()
    if decision not in ("approve", "skip", "review"):
        return page(404, "Not found", "There is no such page.")
    try:
        if decision == "approve":
            # On time, the link's own claims are the answer: one conditional write, no read.
            # Anything else (late, lapsed, decided, a dead link) wrote nothing and is read below.
            at = now()
            approval = c.links.read_approval(_token(), now=at)
            if approval is not None and approve_on_time(c.store, approval, now=at):
                return _approved(None, approval.planned_at)
        _, (_, read) = c.links.read_decision_with(
            _token(),
            decision,  # type: ignore[arg-type]
            now=now(),
            read=_decision_reads,
        )
        if decision == "review":  # the edit form: save the words, then approve if asked to
            form = _form()
            subject, text = form.get("subject", "").strip(), form.get("text", "").strip()
            if not text or len(text) > 10_000 or not _valid_subject(subject):
                return page(
                    400,
                    "Nothing was changed",
                    "A subject (one line, up to 200 characters) and a text (up to 10,000) are both needed.",
                )
            edited = edit_read(c.store, read, subject=subject, text=text, now=now())
            if form.get("action") != "approve":
                return page(200, "Saved", "Your changes are saved. They will be sent as you wrote them.")
            step = decide_read(c.store, edited, "approve", now=now())
        else:
            step = decide_read(c.store, read, decision, now=now())  # type: ignore[arg-type]
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
    return _approved(step.recipient_name, step.due_at or step.planned_at)


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
        intake=c.intake_addresses.for_member(candidate_id, now=now()) if c.intake_addresses else None,
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


# ---- the answer to a member's forward: start the notes, not a rejection, edit, undo -------------------
FORWARD_PAGES = {
    "start": (
        "Start the notes?",
        "Start the notes",
        "The playbook starts from when you received the rejection.",
    ),
    "dismiss": ("Not a rejection?", "This is not a rejection", "Nothing will start from this forward."),
    "undo": ("Take these people out?", "Take them out again", "They were added to the wrong application."),
}


def _forward_ref(action: str) -> tuple[str, str]:
    return bootstrap.container().links.read_forward(_token(), action, now=now())  # type: ignore[arg-type]


def _understood(candidate_id: str, forward_id: str) -> str:
    from zoneinfo import ZoneInfo

    c = bootstrap.container()
    record = c.store.get_forward(candidate_id, forward_id)  # type: ignore[attr-defined]
    candidate = c.store.get_candidate(candidate_id)
    if record is None or candidate is None:
        return ""
    when = record.received_at.astimezone(ZoneInfo(candidate.time_zone)) if record.received_at else None
    what = {"invitation": "An interview invitation"}.get(record.kind, "A rejection")
    return (
        f"{what} from {record.company or 'an unknown company'}"
        + (f" for {record.job_title}" if record.job_title else "")
        + (f", received {when:%a %d %b at %H:%M} your time." if when else ".")
    )


@router.get("/forwards/<action>")
def show_forward(action: str) -> Response[str]:
    """A page with the button: GET never acts (mail scanners open every link of a message)."""
    c = bootstrap.container()
    if action not in ("start", "dismiss", "edit", "undo"):
        return page(404, "Not found", "There is no such page.")
    try:
        candidate_id, forward_id = _forward_ref(action)
    except TokenError as exc:
        return _refused(exc)
    understood = _understood(candidate_id, forward_id)
    if not understood:
        return page(404, "Not found", "This forward no longer exists.")
    url = f"/forwards/{action}?" + urlencode({"token": _token()})
    if action == "edit":
        intake = c.forward_intake
        record = c.store.get_forward(candidate_id, forward_id)  # type: ignore[attr-defined]
        candidate = c.store.get_candidate(candidate_id)
        if intake is None or record is None or candidate is None:
            return page(404, "Not found", "This forward no longer exists.")
        application = intake.application_of(candidate, record)  # GET reads; only the POST saves
        title = (
            f"The people of {application.job_title} at {application.company}"
            if application
            else f"The people you met at {record.company or 'this company'}"
        )
        return page(
            200,
            title,
            f"{understood} A line per person: their address, their role, what you discussed.",
            people_form=_people_form(url, application),
        )
    title, label, why = FORWARD_PAGES[action]
    return page(200, title, f"{understood} {why}", actions=[{"label": label, "url": url, "primary": True}])


def _people_form(url: str, application: Any) -> dict[str, Any]:
    from nearmiss.domain.compose import ROLE_LABELS

    return {
        "url": url,
        "roles": [(role.value, label) for role, label in ROLE_LABELS.items()],
        "people": [
            {
                "key": c.key,
                "name": c.name,
                "email": c.email or "",
                "role": c.role.value,
                "discussed": c.discussed or "",
            }
            for c in (application.contacts if application else ())
        ],
    }


@router.post("/forwards/<action>")
def decide_forward(action: str) -> Response[str]:
    from nearmiss.domain.errors import InvalidInputError
    from nearmiss.service.forwards import ForwardDecisionError

    c = bootstrap.container()
    if action not in ("start", "dismiss", "edit", "undo"):
        return page(404, "Not found", "There is no such page.")
    intake = c.forward_intake
    if intake is None:
        return page(404, "Not found", "Forwarded mail is not set up here.")
    try:
        candidate_id, forward_id = _forward_ref(action)
        if action == "start":
            done = intake.start(candidate_id, forward_id, c.publisher, now=now())
        elif action == "dismiss":
            done = intake.dismiss(candidate_id, forward_id)
        elif action == "undo":
            done = intake.undo(candidate_id, forward_id)
        else:
            lines: dict[str, dict[str, str]] = {}
            for name, value in _form().items():
                field, _, key = name.partition(":")
                if field in ("name", "email", "role", "discussed") and key:
                    lines.setdefault(key, {})[field] = value.strip()
            saved = intake.edit(candidate_id, forward_id, lines)
            done = f"saved: {len(saved.contacts)} people"
    except TokenError as exc:
        return _refused(exc)
    except ForwardDecisionError as exc:
        return page(409, "Nothing was changed", exc.reason)
    except InvalidInputError as exc:
        problems = "; ".join(f"{field}: {reason}" for field, reason in exc.errors)
        return page(400, "Nothing was changed", f"Not saved: {problems}")
    logger.info("forward decided", extra={"action": action})
    return page(200, "Done", done[:1].upper() + done[1:] + ".")
