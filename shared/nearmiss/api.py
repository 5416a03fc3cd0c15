"""The HTTP API (Powertools event handler on API Gateway HTTP API).

Candidate routes need the operator's API key (`x-api-key`, career-services staff acting for
their members), compared in constant time. The review and stop links need no key: they carry
signed, expiring, single-purpose tokens. Decisions are taken by POST only; a GET shows a page with
a button, because mail scanners open every link in a message and must not approve anything.
"""

from __future__ import annotations

import hmac
from datetime import datetime
from functools import lru_cache
from typing import Any, Literal
from urllib.parse import urlencode

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from pydantic import Field, TypeAdapter, ValidationError

from nearmiss import bootstrap
from nearmiss.domain.errors import InvalidInputError, field_errors, invalid
from nearmiss.domain.events import (
    ApplicationRejected,
    ApplicationReopened,
    CandidateHired,
    PlaybookCancelled,
)
from nearmiss.domain.models import (
    MAX_CONTACTS,
    Application,
    Candidate,
    Contact,
    Identifier,
    Instant,
    Mode,
    PlaybookSettings,
    Strict,
)
from nearmiss.domain.playbook import recipient_key
from nearmiss.domain.tokens import TokenError
from nearmiss.entrypoints import now
from nearmiss.observability import logger

app = APIGatewayHttpResolver(enable_validation=True)
PUBLIC_PREFIXES = ("/steps/", "/stop", "/health")
MAX_BODY_BYTES = 64 * 1024


# ---- request bodies ---------------------------------------------------------------------------
class CandidateIn(Strict):
    name: str = Field(min_length=1, max_length=120)
    email: str
    time_zone: str = "UTC"
    country: str | None = None
    mode: Mode = Mode.REVIEW
    sending_identity: Literal["own_address", "platform"] = "platform"
    signature: str | None = None
    playbook: PlaybookSettings = PlaybookSettings()


class ApplicationIn(Strict):
    company: str
    job_title: str
    contacts: list[Contact] = Field(default_factory=list, max_length=MAX_CONTACTS)
    source: str = "manual"
    ats_application_id: str | None = None


class RejectionIn(Strict):
    rejected_at: Instant | None = Field(default=None, description="when you were told; default: now")
    reason: str | None = Field(default=None, max_length=500)


class StopIn(Strict):
    occurred_at: Instant | None = None
    reason: str | None = Field(default=None, max_length=500)


_ID = TypeAdapter(Identifier)


def _id(value: str, field: str) -> str:
    try:
        return _ID.validate_python(value)
    except ValidationError as exc:
        raise InvalidInputError("path", [(field, r) for _, r in field_errors(exc)]) from None


# ---- errors and authentication -------------------------------------------------------------------
def _json_error(status: int, body: dict[str, Any]) -> Response[Any]:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body)


@app.exception_handler(RequestValidationError)
def _validation(exc: RequestValidationError) -> Response[Any]:
    fields = []
    for error in exc.errors():
        if error.get("type") == "json_invalid":
            fields.append({"field": "(body)", "reason": "the body is not valid JSON"})
            continue
        loc = [str(p) for p in error.get("loc", ()) if p != "body"]
        fields.append(
            {
                "field": ".".join(loc) or "(body)",
                "reason": str(error.get("msg", error.get("type", "invalid"))),
            }
        )
    return _json_error(422, {"error": "invalid request", "fields": fields})


@app.exception_handler(InvalidInputError)
def _invalid(exc: InvalidInputError) -> Response[Any]:
    return _json_error(400, exc.as_dict())


@app.exception_handler(NotFoundError)
def _not_found(exc: NotFoundError) -> Response[Any]:
    return _json_error(404, {"error": str(exc) or "not found"})


def _authenticate(resolver: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response[Any]:
    path = resolver.current_event.path
    body = resolver.current_event.body or ""
    if len(body.encode()) > MAX_BODY_BYTES:
        return _json_error(413, {"error": f"body larger than {MAX_BODY_BYTES} bytes"})
    if path.startswith(PUBLIC_PREFIXES):
        return next_middleware(resolver)
    given = resolver.current_event.headers.get("x-api-key") or ""
    expected = bootstrap.container().api_key
    if not hmac.compare_digest(given.encode(), expected.encode()):
        logger.info(
            "request refused", extra={"reason": "missing or wrong api key", "path_template": path[:40]}
        )
        return _json_error(401, {"error": "missing or wrong x-api-key header"})
    return next_middleware(resolver)


app.use(middlewares=[_authenticate])


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


# ---- candidates and applications -------------------------------------------------------------------
@app.put("/candidates/<candidate_id>")
def put_candidate(candidate_id: str, body: CandidateIn) -> dict[str, Any]:
    try:
        candidate = Candidate(candidate_id=_id(candidate_id, "candidate_id"), **body.model_dump())
    except ValidationError as exc:
        raise invalid("candidate", exc) from None
    c = bootstrap.container()
    c.store.put_candidate(candidate)
    # Webhooks that arrived before the candidate registered were kept: route them now.
    replayed = c.intake.replay(f"EMAIL#{recipient_key(str(candidate.email))}", now=now())
    return {**candidate.model_dump(mode="json"), "replayed_events": replayed}


@app.get("/candidates/<candidate_id>")
def get_candidate(candidate_id: str) -> dict[str, Any]:
    candidate = bootstrap.container().store.get_candidate(_id(candidate_id, "candidate_id"))
    if candidate is None:
        raise NotFoundError("no such candidate")
    return candidate.model_dump(mode="json")


@app.put("/candidates/<candidate_id>/applications/<application_id>")
def put_application(candidate_id: str, application_id: str, body: ApplicationIn) -> dict[str, Any]:
    c = bootstrap.container()
    cid = _id(candidate_id, "candidate_id")
    if c.store.get_candidate(cid) is None:
        raise NotFoundError("no such candidate: register the candidate first")
    try:
        application = Application(
            candidate_id=cid, application_id=_id(application_id, "application_id"), **body.model_dump()
        )
    except ValidationError as exc:
        raise invalid("application", exc) from None
    c.store.put_application(application)
    replayed = 0
    if application.ats_application_id:  # webhooks kept for this ATS application are routed now
        replayed = c.intake.replay(f"ATS#{application.ats_application_id}", now=now())
    return {**application.model_dump(mode="json"), "replayed_events": replayed}


def _existing(candidate_id: str, application_id: str) -> tuple[str, str]:
    cid, aid = _id(candidate_id, "candidate_id"), _id(application_id, "application_id")
    candidate, application = bootstrap.container().store.load(cid, aid)
    if candidate is None or application is None:
        raise NotFoundError("no such application")
    return cid, aid


@app.post("/candidates/<candidate_id>/applications/<application_id>/rejection")
def report_rejection(candidate_id: str, application_id: str, body: RejectionIn) -> Response[Any]:
    cid, aid = _existing(candidate_id, application_id)
    told = body.rejected_at or now()
    event = ApplicationRejected(
        candidate_id=cid, application_id=aid, rejected_at=told, learned_at=told, reason=body.reason
    )
    bootstrap.container().publisher.publish([event], source="api")
    return _json_error(202, {"status": "accepted", "event": event.detail_type})


def _report_stop(
    kind: type[ApplicationReopened | CandidateHired | PlaybookCancelled], cid: str, aid: str, body: StopIn
) -> Response[Any]:
    cid, aid = _existing(cid, aid)
    extra = {"reason": body.reason} if kind is PlaybookCancelled else {}
    event = kind(candidate_id=cid, application_id=aid, occurred_at=body.occurred_at or now(), **extra)
    bootstrap.container().publisher.publish([event], source="api")
    return _json_error(202, {"status": "accepted", "event": event.detail_type})


@app.post("/candidates/<candidate_id>/applications/<application_id>/reopened")
def report_reopened(candidate_id: str, application_id: str, body: StopIn) -> Response[Any]:
    return _report_stop(ApplicationReopened, candidate_id, application_id, body)


@app.post("/candidates/<candidate_id>/applications/<application_id>/hired")
def report_hired(candidate_id: str, application_id: str, body: StopIn) -> Response[Any]:
    return _report_stop(CandidateHired, candidate_id, application_id, body)


@app.post("/candidates/<candidate_id>/applications/<application_id>/cancel")
def cancel_playbook(candidate_id: str, application_id: str, body: StopIn) -> Response[Any]:
    return _report_stop(PlaybookCancelled, candidate_id, application_id, body)


@app.get("/candidates/<candidate_id>/applications/<application_id>/timeline")
def get_timeline(candidate_id: str, application_id: str) -> dict[str, Any]:
    from dataclasses import asdict

    from nearmiss.service.playbooks import timeline

    cid, aid = _id(candidate_id, "candidate_id"), _id(application_id, "application_id")
    entries = timeline(bootstrap.container().store, cid, aid)
    return {"candidate_id": cid, "application_id": aid, "steps": [asdict(e) for e in entries]}


# ---- pages: review decisions and stop links ---------------------------------------------------------
@lru_cache(maxsize=1)
def _pages() -> Any:
    from nearmiss.domain.compose import _environment

    return _environment().get_template("page.html.j2")


def _page(status: int, title: str, message: str, **extra: Any) -> Response[str]:
    html = _pages().render(title=title, message=message, **extra)
    headers = {
        "Cache-Control": "no-store",
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
        "Referrer-Policy": "no-referrer",
    }
    return Response(status_code=status, content_type="text/html; charset=utf-8", body=html, headers=headers)


def _token() -> str:
    return app.current_event.get_query_string_value("token", "") or ""


_DECISIONS = {"approve": "Approve and send", "skip": "Skip this message", "review": "Review"}


@app.get("/steps/<decision>")
def show_decision(decision: str) -> Response[str]:
    c = bootstrap.container()
    if decision not in _DECISIONS:
        return _page(404, "Not found", "There is no such page.")
    try:
        ref = c.links.read_decision(_token(), decision, now=now())  # type: ignore[arg-type]
    except TokenError as exc:
        return _page(400, "This link cannot be used", exc.reason)
    step = c.store.get_step(ref.candidate_id, ref.application_id, ref.step_id)
    if step is None:
        return _page(404, "Not found", "This message no longer exists.")
    from nearmiss.domain import compose

    draft = compose.compose_step(step.context, stop_url=None)
    actions = []
    if step.state.value == "awaiting_approval":
        actions = [
            {"label": _DECISIONS["approve"], "url": c.links.decision_path(step, "approve"), "primary": True},
            {"label": _DECISIONS["skip"], "url": c.links.decision_path(step, "skip"), "primary": False},
        ]
        if decision != "review":
            actions = [a for a in actions if a["label"] == _DECISIONS[decision]]
    state = step.state.value.replace("_", " ")
    return _page(
        200,
        f"Your note to {step.recipient_name}",
        f"Planned for {step.planned_at.strftime('%Y-%m-%d %H:%M UTC')}. Current state: {state}.",
        subject=step.edited_subject or draft.subject,
        text=step.edited_text or draft.text,
        actions=actions,
    )


@app.post("/steps/<decision>")
def take_decision(decision: str) -> Response[str]:
    from nearmiss.service.playbooks import DecisionError, decide

    c = bootstrap.container()
    if decision not in ("approve", "skip"):
        return _page(404, "Not found", "There is no such page.")
    try:
        ref = c.links.read_decision(_token(), decision, now=now())  # type: ignore[arg-type]
        step = decide(c.store, ref, decision, now=now())  # type: ignore[arg-type]
    except TokenError as exc:
        return _page(400, "This link cannot be used", exc.reason)
    except DecisionError as exc:
        return _page(409, "Nothing was changed", exc.reason)
    if step.state.value == "lapsed":
        return _page(
            200,
            "Too late to send",
            "This note was not sent: its moment has passed, and a late note does more harm than none.",
        )
    if step.state.value == "skipped":
        return _page(200, "Skipped", f"Your note to {step.recipient_name} will not be sent.")
    when: datetime = step.due_at or step.planned_at
    return _page(
        200, "Approved", f"Your note to {step.recipient_name} goes out {when.strftime('%Y-%m-%d %H:%M UTC')}."
    )


@app.get("/stop")
def show_stop() -> Response[str]:
    try:
        bootstrap.container().links.read_stop(_token(), now=now())
    except TokenError as exc:
        return _page(400, "This link cannot be used", exc.reason)
    return _page(
        200,
        "Stop these notes?",
        "Press the button and you will not receive any further messages from this person through us.",
        actions=[{"label": "Yes, stop", "url": "/stop?" + urlencode({"token": _token()}), "primary": True}],
    )


@app.post("/stop")
def take_stop() -> Response[str]:
    """Also the RFC 8058 one-click target (body 'List-Unsubscribe=One-Click')."""
    from nearmiss.service.ports import Suppression

    c = bootstrap.container()
    try:
        candidate_id, recipient = c.links.read_stop(_token(), now=now())
    except TokenError as exc:
        return _page(400, "This link cannot be used", exc.reason)
    c.store.suppress(
        Suppression(recipient_key=recipient, reason="asked to stop", candidate_id=candidate_id), now()
    )
    logger.info("recipient stop", extra={"recipient_key": recipient})
    return _page(
        200,
        "Done",
        "You will not receive further messages from this person through us. Sorry to have bothered you.",
    )
