"""The HTTP API (Powertools event handler on API Gateway HTTP API), its auth and its JSON routes.

Who may call what:
- the **operator** (career-services staff) sends `x-api-key: <operator key>` and may act for any
  candidate; creating a candidate returns that candidate's own key, once;
- a **candidate** sends `Authorization: Bearer <candidate key>` and may only touch their own
  `/candidates/<id>/...` routes (any other id answers 403);
- the **links in emails** (review, timeline, stop; see nearmiss.pages) need no key: they carry
  signed, expiring, single-purpose tokens.
Keys are compared in constant time; candidate keys are stored only as SHA-256 hashes.
Request bodies are pydantic models that refuse unknown fields; errors name the field and the reason.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import asdict
from typing import Any, Literal

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
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
    ShortText,
    Strict,
)
from nearmiss.domain.playbook import STEP_ID, recipient_key
from nearmiss.entrypoints import http_json, now
from nearmiss.observability import logger
from nearmiss.service.ports import LookupTaken

app = APIGatewayHttpResolver(enable_validation=True)
# Exact paths, not prefixes: a future route that merely starts like one of these is not public.
PUBLIC_PATHS = frozenset(
    {
        "/steps/approve",
        "/steps/skip",
        "/steps/review",
        "/stop",
        "/timeline",
        "/address/confirm",
        "/health",
        "/openapi.json",
    }
    | {f"/forwards/{action}" for action in ("start", "dismiss", "edit", "undo")}
)
# The pages take forms (the review edit, the RFC 8058 one-click POST, the address confirmation, the
# answers to forwards); every other route takes JSON.
FORM_PATHS = frozenset(
    {"/steps/approve", "/steps/skip", "/steps/review", "/stop", "/address/confirm"}
    | {f"/forwards/{action}" for action in ("start", "dismiss", "edit", "undo")}
)
# A candidate key names its id: far below DynamoDB's 2,048-byte partition key, checked before any call.
MAX_KEY_LENGTH = 256
# Every answer: never cached (keys, personal data), never framed, never leaks its URL onwards.
ANSWER_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
MAX_BODY_BYTES = 64 * 1024
_CANDIDATE_PATH = re.compile(r"^/candidates/([^/]+)")
KEY_PREFIX = "nmk"


# ---- request bodies ---------------------------------------------------------------------------
class CandidateIn(Strict):
    name: str = Field(min_length=1, max_length=120)
    email: str
    time_zone: str = "UTC"
    country: str | None = None
    mode: Mode = Mode.REVIEW
    sending_identity: Literal["own_address", "platform"] = Field(
        default="platform",
        description='"platform": From the platform\'s domain with your name, Reply-To your address. '
        '"own_address": From your address; only when it or its domain is a verified SES identity of '
        "this account (never a free-mail address, whose DMARC policy would refuse the note)",
    )
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


class DraftIn(Strict):
    subject: ShortText | None = None  # one line: no line breaks, no encoded-words
    text: str | None = Field(default=None, min_length=1, max_length=10_000)


_ID = TypeAdapter(Identifier)


def _id(value: str, field: str) -> str:
    try:
        return _ID.validate_python(value)
    except ValidationError as exc:
        raise InvalidInputError("path", [(field, r) for _, r in field_errors(exc)]) from None


def _known(c: Any, candidate_id: str) -> None:
    """404 unless the candidate exists: what every candidate route checks first."""
    if c.store.get_candidate(candidate_id) is None:
        raise NotFoundError("no such candidate")


def rejection_counts(
    candidate_id: str,
    *,
    queued: int = 0,
    held: list[Any] | None = None,
    candidate: Candidate | None = None,
) -> dict[str, Any]:
    """The honest counts every answer that starts, holds or replays rejections carries:
    `playbooks_started`, how many of the member's applications have a playbook (any generation);
    `rejections_queued`, how many this request put on the bus (each starts its playbook, or
    waits, within seconds: queued is not started, and the timeline says which); `held`, what
    still waits and why: rejections of registered applications (`needs_contacts`,
    `waiting_for_reopen`) and webhooks kept for the member (`unmatched`, `unregistered_application`,
    `awaiting_decision`, `out_of_range`).

    One Query reads the applications with their states (store.application_states); the held
    webhooks are read once (`held`, when the caller has them), with the member (`candidate`) the
    caller read. An application stored before states were kept has its own items read instead."""
    from collections import Counter

    from nearmiss.service.notices import waiting

    c = bootstrap.container()
    states = c.store.application_states(candidate_id)
    if held is None:
        held = c.intake.held_for(candidate_id, candidate=candidate, applications=[a for a, _ in states])
    reasons: Counter[str] = Counter(e.reason_code for e in held)
    started = 0
    for application, state in states:
        if state is None:  # stored before states were kept beside applications: its items say
            aid = application.application_id
            started += c.store.get_playbook(candidate_id, aid) is not None
            waits = waiting(c.store, candidate_id, aid)
            if waits is not None:
                reasons[waits["state"]] += 1
            continue
        started += state.started
        if state.waiting is not None:
            reasons[state.waiting.value] += 1
    return {
        "playbooks_started": started,
        "rejections_queued": queued,
        "held": {"total": sum(reasons.values()), "by_reason": dict(sorted(reasons.items()))},
    }


def links() -> Any:
    """Links for this request: to the configured public URL, else to the host we were called on."""
    c = bootstrap.container()
    if c.settings.public_base_url is not None:
        return c.links
    headers = app.current_event.headers
    host = headers.get("host") or app.current_event.request_context.domain_name
    return c.links_for(f"{headers.get('x-forwarded-proto', 'https')}://{host}")


def _json(status: int, body: dict[str, Any]) -> Response[Any]:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body)


# ---- errors ------------------------------------------------------------------------------------
@app.exception_handler(RequestValidationError)
def _validation(exc: RequestValidationError) -> Response[Any]:
    fields = []
    for error in exc.errors():
        if error.get("type") == "json_invalid":
            fields.append({"field": "(body)", "reason": "the body is not valid JSON"})
            continue
        loc = [str(p) for p in error.get("loc", ()) if p != "body"]
        reason = str(error.get("msg", error.get("type", "invalid"))).removeprefix("Value error, ")
        fields.append({"field": ".".join(loc) or "(body)", "reason": reason})
    return _json(422, {"error": "invalid request", "fields": fields})


@app.exception_handler(InvalidInputError)
def _invalid(exc: InvalidInputError) -> Response[Any]:
    return _json(400, exc.as_dict())


@app.exception_handler(LookupTaken)
def _taken(exc: LookupTaken) -> Response[Any]:
    # Never who holds it: that would tell one member about another's applications or address.
    reason = "registered to another member; nothing was saved (the operator can transfer it)"
    return _json(409, {"error": "conflict", "fields": [{"field": exc.field, "reason": reason}]})


@app.exception_handler(NotFoundError)
def _not_found(exc: NotFoundError) -> Response[Any]:
    return _json(404, {"error": str(exc) or "not found"})


# ---- authentication --------------------------------------------------------------------------------
def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_candidate_key(candidate_id: str) -> str:
    return f"{KEY_PREFIX}.{candidate_id}.{secrets.token_urlsafe(32)}"


def _candidate_key_holder(authorization: str) -> str | None:
    """The candidate whose key this is, if it is one of ours and matches the stored hash."""
    scheme, _, key = authorization.partition(" ")
    if scheme.lower() != "bearer" or key.count(".") < 2 or not key.startswith(f"{KEY_PREFIX}."):
        return None
    if len(key) > MAX_KEY_LENGTH:  # before DynamoDB, whose key limit would answer with a 500
        return None
    candidate_id = key.removeprefix(f"{KEY_PREFIX}.").rsplit(".", 1)[0]  # ids may contain dots
    try:
        _ID.validate_python(candidate_id)
    except ValidationError:
        return None
    stored = bootstrap.container().store.candidate_key_hash(candidate_id)
    if stored is None or not hmac.compare_digest(stored, _hash(key)):
        return None
    return candidate_id


MAX_JSON_DEPTH = 32


def _json_depth(text: str) -> int:
    """How deeply brackets nest, strings skipped: checked before any JSON parser recurses into it."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f'the key "{key[:40]}" appears twice in one object')
        seen[key] = value
    return seen


def _checked_int(text: str) -> int:
    if len(text.lstrip("-")) > 20:  # no field takes more; int() of 5,000 digits raises (a 500)
        raise ValueError("a number with more than 20 digits")
    return int(text)


def _body_refusal(body: str, path: str, headers: dict[str, str]) -> dict[str, Any] | None:
    """A body every route can read, or the 4xx naming what is wrong with it: JSON only (forms on
    the pages), each key once, numbers of a sane size. Powertools would answer these with a 500."""
    import json

    media = headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if path in FORM_PATHS and media in ("application/x-www-form-urlencoded", ""):
        return None
    if media not in ("application/json", ""):
        return http_json(415, {"error": f"content-type {media[:60]!r}: send application/json"})
    try:
        json.loads(body, object_pairs_hook=_no_duplicate_keys, parse_int=_checked_int)
    except RecursionError:
        return http_json(400, {"error": "the body nests too deeply"})
    except json.JSONDecodeError:  # as the route's own validation answers it
        not_json = {"field": "(body)", "reason": "the body is not valid JSON"}
        return http_json(422, {"error": "invalid request", "fields": [not_json]})
    except ValueError as exc:
        return http_json(400, {"error": "invalid body", "fields": [{"field": "(body)", "reason": str(exc)}]})
    return None


def _refusal(event: dict[str, Any]) -> dict[str, Any] | None:
    """The checks that come before anything reads the body: size, credential, nesting. Powertools
    validates a body before its middlewares run, so these run on the raw event instead."""
    body = event.get("body") or ""
    if len(body) > MAX_BODY_BYTES * 2 or len(body.encode("utf-8", "surrogatepass")) > MAX_BODY_BYTES:
        return http_json(413, {"error": f"body larger than {MAX_BODY_BYTES} bytes"})
    if event.get("isBase64Encoded") and body:
        import base64
        import binascii

        try:  # checked here; Powertools decodes it again for the route
            body = base64.b64decode(body, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return http_json(400, {"error": "the body is not UTF-8 text"})
    path = str(event.get("rawPath") or "")
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    if path not in PUBLIC_PATHS:
        operator_key = headers.get("x-api-key", "")
        if operator_key:
            if not hmac.compare_digest(operator_key.encode(), bootstrap.container().api_key.encode()):
                return http_json(401, {"error": "wrong x-api-key"})
        else:
            holder = _candidate_key_holder(headers.get("authorization", ""))
            if holder is None:
                logger.info("request refused", extra={"reason": "no valid credential"})
                return http_json(
                    401, {"error": "send x-api-key (operator) or Authorization: Bearer <candidate key>"}
                )
            target = _CANDIDATE_PATH.match(path)
            if target is None or target.group(1) != holder:
                return http_json(403, {"error": "this key belongs to another candidate"})
    if body and _json_depth(body) > MAX_JSON_DEPTH:
        return http_json(400, {"error": f"the body nests deeper than {MAX_JSON_DEPTH} levels"})
    if body:
        return _body_refusal(body, path, headers)
    return None


def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The API function's one call: refuse early what must be refused, then route."""
    answer = _refusal(event) or app.resolve(event, context)
    headers = answer.setdefault("headers", {})
    present = {k.lower() for k in headers}
    for name, value in ANSWER_HEADERS.items():
        if name.lower() not in present:  # the pages set a fuller CSP of their own
            headers[name] = value
    return answer


@app.exception_handler(RecursionError)
def _too_deep(exc: RecursionError) -> Response[Any]:
    return _json(400, {"error": "the body nests too deeply"})


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/openapi.json")
def openapi() -> Response[Any]:
    return _json(200, openapi_document())


# How each source signs its webhooks (README, "Rejections from applicant tracking systems").
WEBHOOK_SIGNATURES: dict[str, str] = {
    "greenhouse": "`Signature: sha256 <hex>`: HMAC-SHA256 of the raw body, keyed with your secret",
    "lever": "no header: the body's `signature` is HMAC-SHA256(`token` + `triggeredAt`) with a 10-minute "
    "window; Lever does not sign the body, so a rejection waits for confirmation",
    "ashby": "`Ashby-Signature: sha256=<hex>`: HMAC-SHA256 of the raw body (unsigned only if the operator "
    "lists ashby in NEARMISS_WEBHOOK_UNSIGNED)",
    "workable": "`X-Workable-Signature: <hex>`: HMAC-SHA256 of the raw body, keyed with the account's "
    "API token",
    "recruitee": "`X-Recruitee-Signature: <hex>`: HMAC-SHA256 of the raw body",
    "generic": '`X-NearMiss-Signature: sha256=<hex of HMAC(timestamp + "." + body)>` with '
    "`X-NearMiss-Timestamp` (Unix seconds), 5-minute window",
}
WEBHOOK_HEADERS: dict[str, str] = {  # header -> who sends it, and what it holds
    "Signature": "greenhouse: `sha256 <hex>`",
    "Ashby-Signature": "ashby: `sha256=<hex>`",
    "X-Workable-Signature": "workable: `<hex>`",
    "X-Recruitee-Signature": "recruitee: `<hex>`",
    "X-NearMiss-Signature": "generic: `sha256=<hex>`",
    "X-NearMiss-Timestamp": "generic: Unix seconds, within 5 minutes of our clock",
}


def _webhook_path() -> dict[str, Any]:
    """POST /webhooks/{source}: served by the webhook function (entrypoints.on_webhook), beside this
    API on the same HTTP API, so the one document describes both."""
    from nearmiss.intake.registry import SOURCES
    from nearmiss.service.intake import MAX_WEBHOOK_BYTES

    sources = sorted(SOURCES)
    refusal = {"$ref": "#/components/schemas/WebhookRefusal"}

    def answer(description: str, schema: dict[str, Any]) -> dict[str, Any]:
        return {"description": description, "content": {"application/json": {"schema": schema}}}

    signatures = "\n".join(f"- `{source}`: {WEBHOOK_SIGNATURES[source]}" for source in sources)
    return {
        "post": {
            "summary": "POST /webhooks/{source}",
            "operationId": "receive_webhook",
            "description": "An ATS's webhook, exactly as it sends it: the signature is checked on the raw "
            "bytes (no x-api-key), the event becomes the canonical one on the bus, once.\n\n"
            f"Signatures:\n{signatures}",
            "parameters": [
                {
                    "name": "source",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "enum": sources},
                },
                *(
                    {
                        "name": name,
                        "in": "header",
                        "required": False,
                        "description": description,
                        "schema": {"type": "string"},
                    }
                    for name, description in WEBHOOK_HEADERS.items()
                ),
            ],
            "requestBody": {
                "required": True,
                "description": f"The ATS's own JSON, byte for byte (at most {MAX_WEBHOOK_BYTES} bytes)",
                "content": {"application/json": {"schema": {"type": "object", "additionalProperties": True}}},
            },
            "responses": {
                "200": answer(
                    "Recorded (accepted, or kept until the candidate registers), a redelivery, or an event "
                    "we do not act on (ignored, with the reason)",
                    {"$ref": "#/components/schemas/WebhookAnswer"},
                ),
                "400": answer("A malformed body, naming the field", refusal),
                "401": answer(
                    "A missing or bad signature, a stale timestamp, or no secret configured", refusal
                ),
                "404": answer(
                    "An unknown source",
                    {
                        "type": "object",
                        "required": ["error", "sources"],
                        "properties": {
                            "error": {"type": "string"},
                            "sources": {"type": "array", "items": {"type": "string", "enum": sources}},
                        },
                    },
                ),
                "413": answer(f"A body larger than {MAX_WEBHOOK_BYTES} bytes", refusal),
                "415": answer("A content type other than JSON", refusal),
                "503": answer("The event could not be recorded; nothing was kept, retry", refusal),
            },
        }
    }


_WEBHOOK_SCHEMAS: dict[str, Any] = {
    "WebhookAnswer": {
        "type": "object",
        "required": ["status"],
        "properties": {
            "status": {"type": "string", "enum": ["accepted", "kept_unmatched", "duplicate", "ignored"]},
            "reason": {"type": "string", "description": "why an event is ignored"},
            "rejections_queued": {
                "type": "integer",
                "description": "an accepted rejection: 1 (put on the bus; 0 for a withdrawn one)",
            },
            "playbooks_started": {
                "type": "integer",
                "description": "always 0 here: the playbook starts (or waits) asynchronously, within "
                "seconds; the member's timeline says which",
            },
            "held_reason": {
                "type": "string",
                "enum": [
                    "unmatched",
                    "unregistered_application",
                    "awaiting_decision",
                    "another_member",
                    "other",
                ],
                "description": "why a kept event waits (kept_unmatched only)",
            },
        },
    },
    "WebhookRefusal": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {"type": "string", "description": "which field or header, and what is wrong"}
        },
    },
}


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document of every route on the HTTP API: this function's, from the code, and the
    webhook route the webhook function serves."""
    import json

    document: dict[str, Any] = json.loads(app.get_openapi_json_schema(title="Near Miss", version="1.0.0"))
    document["paths"]["/webhooks/{source}"] = _webhook_path()
    document.setdefault("components", {}).setdefault("schemas", {}).update(_WEBHOOK_SCHEMAS)
    return document


# ---- candidates ----------------------------------------------------------------------------------
@app.put("/candidates/<candidate_id>")
def put_candidate(candidate_id: str, body: CandidateIn) -> Response[Any]:
    """Create or update a candidate. The first time, the answer carries the candidate's own API key.
    The answer also says `held_events` (webhooks kept for you) and `rejections`: `playbooks_started`
    (your applications with a playbook), `rejections_queued` (0: a save starts nothing) and `held`
    (`total`, `by_reason`: needs_contacts, waiting_for_reopen, unmatched, unregistered_application,
    awaiting_decision, out_of_range).

    The address is used only once proved: a new one (on registration, or a change) is mailed a
    link to confirm (`proof_email` says whether it went), `email_status` is `pending` until then,
    and a change leaves the proved address in use (`email`) until the new one (`pending_email`)
    is proved. `sending_identity: own_address` needs a proved address SES has verified."""
    from nearmiss.service.addresses import needs_proof_mail, saved_profile

    c = bootstrap.container()
    try:
        requested = Candidate(candidate_id=_id(candidate_id, "candidate_id"), **body.model_dump())
    except ValidationError as exc:
        raise invalid("candidate", exc) from None
    existing = c.store.get_candidate(requested.candidate_id)
    candidate = saved_profile(existing, requested)
    if candidate.sending_identity == "own_address":  # on every save: the address may have changed
        unavailable = _check_own_address(candidate)
        if unavailable is not None:
            return unavailable
    created = existing is None
    c.store.put_candidate(candidate, previous_email=str(existing.email) if existing else None)
    answer = _profile(candidate)
    if created:
        key = new_candidate_key(candidate.candidate_id)
        c.store.set_candidate_key(candidate.candidate_id, _hash(key))
        answer["api_key"] = key  # shown once; only its hash is kept
    if needs_proof_mail(existing, candidate):
        answer["proof_email"] = _send_proof(candidate).as_dict()
    # Webhooks kept for this member wait for their decision (GET .../held-events): a profile
    # save releases nothing, so a save can never pull in events that are not the member's.
    answer["intake_address"] = intake_address(candidate.candidate_id)
    held = c.intake.held_for(candidate.candidate_id, candidate=candidate)
    answer["held_events"] = len(held)
    answer["rejections"] = rejection_counts(candidate.candidate_id, held=held)
    return _json(201 if created else 200, answer)


def _profile(candidate: Candidate) -> dict[str, Any]:
    """The profile as the API shows it: `email` is the address in use (proved or not),
    `email_status` whether it is proved, `pending_email` a new one waiting for proof."""
    return {**candidate.model_dump(mode="json"), "email_status": candidate.email_status}


def _send_proof(candidate: Candidate) -> Any:
    from nearmiss.service.addresses import send_proof

    c = bootstrap.container()
    s = c.settings
    platform = f"{s.sender_local_part}@{s.sender_domain}"
    return send_proof(c.store, c.mailer, links(), platform, candidate, now=now())


@app.post("/candidates/<candidate_id>/email/proof")
def resend_proof(candidate_id: str) -> Response[Any]:
    """Mail the link that proves your address again (the new one, while a change waits): at most
    one to an address every 10 minutes, 5 a day. 202 when sent; 429 with `retry_at` when the
    allowance is used up; 409 naming `email` when there is nothing to prove."""
    from nearmiss.service.addresses import NothingToProve

    c = bootstrap.container()
    cid = _id(candidate_id, "candidate_id")
    candidate = c.store.get_candidate(cid)
    if candidate is None:
        raise NotFoundError("no such candidate")
    try:
        mail = _send_proof(candidate)
    except NothingToProve:
        reason = "your address is proved and no new one waits for proof"
        return _json(409, {"error": "conflict", "fields": [{"field": "email", "reason": reason}]})
    if mail.retry_at is not None:
        headers = {"Retry-After": str(max(1, int((mail.retry_at - now()).total_seconds())))}
        return Response(
            status_code=429,
            content_type=content_types.APPLICATION_JSON,
            body={"error": "too many proof mails", "proof_email": mail.as_dict()},
            headers=headers,
        )
    return _json(202 if mail.status == "sent" else 503, {"proof_email": mail.as_dict()})


def _check_own_address(candidate: Candidate) -> Response[Any] | None:
    """Refuse (400, naming `sending_identity`) an own address the notes may not go From: one the
    member has not proved, or one SES would not send From (the proved one, and the new one that
    would take over); None when they may; the 503 to answer when SES cannot be asked now (nothing
    written either way)."""
    from nearmiss.service.ports import IdentityLookupError

    c = bootstrap.container()
    proved = candidate.usable_email
    if proved is None:
        reason = (
            "own_address needs a proved address: confirm the link we mailed to your address, then "
            'choose own_address (until then, use "platform")'
        )
        raise InvalidInputError("candidate", [("sending_identity", reason)])
    try:
        for address in filter(None, (proved, candidate.pending_email)):
            refusal = c.senders.own_address_refusal(str(address), c.identities)
            if refusal is not None:
                raise InvalidInputError("candidate", [("sending_identity", refusal)])
    except IdentityLookupError:
        logger.exception("sending identity not checked")
        return _json(
            503,
            {
                "error": "could not check the sending identity with SES just now; nothing was saved, "
                'please retry (or use "platform")'
            },
        )
    return None


def intake_address(candidate_id: str) -> str | None:
    """The member's private address for forwarding rejections and invitations (`in+<token>@<receiving
    domain>`), made on first use and renewed with each new key; None without a receiving domain."""
    addresses = bootstrap.container().intake_addresses
    return addresses.for_member(candidate_id, now=now()) if addresses is not None else None


@app.get("/candidates/<candidate_id>")
def get_candidate(candidate_id: str) -> dict[str, Any]:
    """The profile, your applications' ids, and `intake_address`: forward a rejection or an interview
    invitation there and Near Miss answers with what it understood (nothing starts until you say so)."""
    store = bootstrap.container().store
    candidate = store.get_candidate(_id(candidate_id, "candidate_id"))
    if candidate is None:
        raise NotFoundError("no such candidate")
    applications = store.list_applications(candidate.candidate_id)
    return {
        **_profile(candidate),
        "applications": [a.application_id for a in applications],
        "intake_address": intake_address(candidate.candidate_id),
    }


@app.post("/candidates/<candidate_id>/api-key")
def rotate_key(candidate_id: str) -> dict[str, str]:
    """A new key for the candidate; the old one stops working at once."""
    c = bootstrap.container()
    cid = _id(candidate_id, "candidate_id")
    _known(c, cid)
    key = new_candidate_key(cid)
    c.store.set_candidate_key(cid, _hash(key))
    answer = {"api_key": key}
    address = intake_address(cid)  # a new key, a new intake address: the old one leads nowhere now
    if address is not None:
        answer["intake_address"] = address
    return answer


@app.delete("/candidates/<candidate_id>")
def delete_candidate(candidate_id: str) -> dict[str, Any]:
    """Delete the candidate and everything that is theirs, now (not at the retention horizon)."""
    c = bootstrap.container()
    cid = _id(candidate_id, "candidate_id")
    _known(c, cid)
    removed = c.store.delete_candidate(cid)
    logger.info("candidate deleted", extra={"items": removed})
    return {"deleted": True, "items": removed}


# ---- applications --------------------------------------------------------------------------------
@app.put("/candidates/<candidate_id>/applications/<application_id>")
def put_application(candidate_id: str, application_id: str, body: ApplicationIn) -> dict[str, Any]:
    """Register or update an application with its contacts. A rejection that waited for contacts
    is put on the bus again (`rejections.rejections_queued`: 1); people added after the playbook
    began get their notes (`steps_added`). `rejections` also says `playbooks_started` and what is
    still `held`, by reason (see PUT /candidates/{id})."""
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
    _, existing = c.store.load(cid, application.application_id)
    previous = existing.ats_application_id if existing else None
    c.store.put_application(application, previous_ats_id=previous)
    # Nothing kept is released by a save; the answer says how many events wait for a decision.
    held_events = c.intake.held_for(cid)
    answer = {**application.model_dump(mode="json"), "held_events": len(held_events)}
    held = c.store.held_rejection(application.candidate_id, application.application_id)
    queued = 0
    if held is not None and any(contact.email for contact in application.contacts):
        # A rejection that waited for contacts (this member's own, already matched): put on the
        # bus now; start_playbook releases it once the playbook is written.
        c.publisher.publish([held.rejection], source="api")
        queued = 1
    elif held is None:
        from nearmiss.service.playbooks import add_completed_contacts

        candidate = c.store.get_candidate(cid)
        if candidate is not None:
            # People added, or names completed with an address, after the playbook began.
            answer["steps_added"] = add_completed_contacts(
                c.store, c.senders, candidate, application, now=now()
            )
    answer["rejections"] = rejection_counts(cid, queued=queued, held=held_events)
    return answer


# ---- the operator's transfer of a lookup -----------------------------------------------------------
class TransferIn(Strict):
    field: Literal["ats_application_id", "email"]
    value: str = Field(min_length=1, max_length=320)
    to_candidate_id: Identifier
    to_application_id: Identifier | None = Field(default=None, description="for ats_application_id")
    reason: str = Field(min_length=1, max_length=500, description="why, for the record")


@app.post("/lookups/transfer")
def transfer_lookup(body: TransferIn) -> Response[Any]:
    """Operator only (a candidate key answers 403: this is no /candidates/<own id> route): give an
    ATS application id or an address to another member, e.g. after a 409 the member disputed. The
    new owner's application (or profile) takes the value in the same transaction, and the transfer
    is recorded under the new owner (who, from whom, why, when)."""
    from nearmiss.domain.models import EmailAddress

    c = bootstrap.container()
    store: Any = c.store
    target = store.get_candidate(body.to_candidate_id)
    if target is None:
        raise NotFoundError("no such candidate")
    at = now()
    record = {"field": body.field, "reason": body.reason, "at": at.isoformat(), "by": "operator"}
    if body.field == "email":
        try:
            address = TypeAdapter(EmailAddress).validate_python(body.value)
        except ValidationError as exc:
            raise InvalidInputError("transfer", [("value", r) for _, r in field_errors(exc)]) from None
        # The operator vouches for the address (the record says so): it is proved from now.
        moved = Candidate.model_validate(
            {**target.model_dump(), "email": address, "email_proved_at": at, "pending_email": None}
        )
        record["proved_by"] = "operator"
        done = store.transfer_lookup(
            lookup_pk=f"LOOKUP#EMAIL#{recipient_key(str(address))}",
            lookup_sk="CANDIDATE",
            owner={"candidate_id": target.candidate_id},
            document=(f"CAND#{target.candidate_id}", "PROFILE", "candidate", moved.model_dump_json()),
            record=record,
            at=at,
        )
    else:
        if body.to_application_id is None:
            raise InvalidInputError("transfer", [("to_application_id", "required for an ATS application id")])
        _, application = store.load(target.candidate_id, body.to_application_id)
        if application is None:
            raise NotFoundError("no such application")
        try:
            moved_app = Application.model_validate(
                {**application.model_dump(), "ats_application_id": body.value}
            )
        except ValidationError as exc:
            raise InvalidInputError("transfer", [("value", r) for _, r in field_errors(exc)]) from None
        done = store.transfer_lookup(
            lookup_pk=f"LOOKUP#ATS#{moved_app.ats_application_id}",
            lookup_sk="APPLICATION",
            owner={"candidate_id": target.candidate_id, "application_id": application.application_id},
            document=(
                f"CAND#{target.candidate_id}",
                f"APP#{application.application_id}",
                "application",
                moved_app.model_dump_json(),
            ),
            record=record,
            at=at,
        )
    if not done:
        return _json(409, {"error": "the lookup changed while it was being transferred; nothing was saved"})
    logger.info("lookup transferred", extra={"field": body.field, "to": target.candidate_id})
    return _json(200, {"transferred": body.field, "to_candidate_id": target.candidate_id})


# ---- received mail the operator should look at --------------------------------------------------------
@app.get("/inbound/kept")
def list_kept_mail() -> dict[str, Any]:
    """Operator only (a candidate key answers 403): messages SES received at a reply or intake address
    that were kept and not acted on (over the size limit, unreadable, failed verdicts, a reply or
    intake address that did not verify, a forward not from the member or not vouched for, a forward
    that could not be read), newest first, with the reason and where the raw message is (the bucket
    keeps it for its retention period). Facts only: no content, no addresses."""
    from nearmiss.service.ports import InboundRecord

    store: Any = bootstrap.container().store
    kept: list[InboundRecord] = store.kept_inbound(100)
    return {
        "kept": [
            {
                "message_id": k.message_id,
                "received_at": k.received_at.isoformat(),
                "reason": k.reason,
                "s3_key": k.s3_key,
                "verdicts": k.verdicts,
                "candidate_id": k.candidate_id,
                "classified": k.kind,
            }
            for k in kept
        ]
    }


# ---- held events: started or discarded only by the member's decision ------------------------------
@app.get("/candidates/<candidate_id>/held-events")
def list_held_events(candidate_id: str) -> dict[str, Any]:
    """Webhooks kept for you (unmatched, or held until you confirm): source, company, role, date."""
    c = bootstrap.container()
    cid = _id(candidate_id, "candidate_id")
    _known(c, cid)
    return {"held_events": [asdict(e) for e in c.intake.held_for(cid)]}


@app.post("/candidates/<candidate_id>/held-events/<held_id>/<decision>")
def decide_held_event(candidate_id: str, held_id: str, decision: str) -> Response[Any]:
    """`start`: act on the event as if it had matched (your confirmation); `discard`: drop it.
    `status` is accepted (put on the bus), kept_unmatched (still cannot be routed; kept, with the
    reason) or discarded; `rejections` says how many were queued (a started rejection: 1),
    `playbooks_started` and what is still `held`, by reason (see PUT /candidates/{id})."""
    if decision not in ("start", "discard"):
        raise NotFoundError("no such decision: use start or discard")
    if not re.fullmatch(r"[0-9a-f]{24}", held_id):
        raise InvalidInputError("path", [("held_id", "not a held event id (see GET .../held-events)")])
    c = bootstrap.container()
    cid = _id(candidate_id, "candidate_id")
    before = {e.held_id: e.kind for e in c.intake.held_for(cid)}
    outcome = c.intake.decide_held(cid, held_id, decision, now=now())
    if outcome is None:
        raise NotFoundError("no such held event (or it was decided already)")
    queued = int(outcome == "accepted" and before.get(held_id) == "rejected")
    return _json(
        200, {"held_id": held_id, "status": outcome, "rejections": rejection_counts(cid, queued=queued)}
    )


def _existing(candidate_id: str, application_id: str) -> tuple[Candidate, Application]:
    cid, aid = _id(candidate_id, "candidate_id"), _id(application_id, "application_id")
    candidate, application = bootstrap.container().store.load(cid, aid)
    if candidate is None or application is None:
        raise NotFoundError("no such application")
    return candidate, application


@app.get("/candidates/<candidate_id>/applications/<application_id>")
def get_application(candidate_id: str, application_id: str) -> dict[str, Any]:
    return _existing(candidate_id, application_id)[1].model_dump(mode="json")


@app.post("/candidates/<candidate_id>/applications/<application_id>/rejection")
def report_rejection(candidate_id: str, application_id: str, body: RejectionIn) -> Response[Any]:
    """Report a rejection by hand: the playbook counts from when you were told (default: now).
    202: put on the bus (`rejections.rejections_queued`: 1); the playbook starts, or waits (needs
    contacts, waiting for a re-open), within seconds: `playbooks_started` counts what had started
    when this answer was given, `held` what waits, by reason; the timeline says what became of it."""
    candidate, application = _existing(candidate_id, application_id)
    told = body.rejected_at or now()
    event = ApplicationRejected(
        candidate_id=candidate.candidate_id,
        application_id=application.application_id,
        rejected_at=told,
        learned_at=told,
        reason=body.reason,
    )
    bootstrap.container().publisher.publish([event], source="api")
    counts = rejection_counts(candidate.candidate_id, queued=1, candidate=candidate)
    return _json(202, {"status": "accepted", "event": event.detail_type, "rejections": counts})


def _report_stop(
    kind: type[ApplicationReopened | CandidateHired | PlaybookCancelled], cid: str, aid: str, body: StopIn
) -> Response[Any]:
    candidate, application = _existing(cid, aid)
    extra = {"reason": body.reason} if kind is PlaybookCancelled else {}
    event = kind(
        candidate_id=candidate.candidate_id,
        application_id=application.application_id,
        occurred_at=body.occurred_at or now(),
        **extra,
    )
    bootstrap.container().publisher.publish([event], source="api")
    return _json(202, {"status": "accepted", "event": event.detail_type})


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
    from nearmiss.service.playbooks import timeline

    c = bootstrap.container()
    cid, aid = _id(candidate_id, "candidate_id"), _id(application_id, "application_id")
    entries = timeline(c.store, cid, aid)
    from nearmiss.service.notices import describe, waiting

    return {
        "candidate_id": cid,
        "application_id": aid,
        "page_url": links().timeline(cid, aid, now=now()),
        # A rejection that waits (needs_contacts, waiting_for_reopen) with when it happened, else null.
        "waiting": waiting(c.store, cid, aid),
        "steps": [asdict(e) for e in entries],
        # What the member was told about this application (needs contacts, people to complete, the
        # day's summary of what lapsed or was too late), and whether it went.
        "notices": [describe(n) for n in c.store.list_notices(cid, aid)],
    }


@app.get("/candidates/<candidate_id>/applications/<application_id>/preview")
def get_preview(candidate_id: str, application_id: str) -> dict[str, Any]:
    """Every message as it will go out, with its real send instant; before a rejection, simulated
    from `?rejected_at=` (ISO 8601, default now)."""
    from nearmiss.service.playbooks import preview

    c = bootstrap.container()
    candidate, application = _existing(candidate_id, application_id)
    raw = app.current_event.get_query_string_value("rejected_at", "") or ""
    rejected_at = None
    if raw:
        try:
            rejected_at = TypeAdapter(Instant).validate_python(raw)
        except ValidationError as exc:
            raise InvalidInputError("query", [("rejected_at", r) for _, r in field_errors(exc)]) from None
    simulated, entries = preview(
        c.store, c.senders, candidate, application, rejected_at=rejected_at, now=now()
    )
    return {"simulated": simulated, "steps": [asdict(e) for e in entries]}


class ReplyIn(Strict):
    email: str = Field(max_length=320)


@app.post("/candidates/<candidate_id>/replies")
def record_reply(candidate_id: str, body: ReplyIn) -> dict[str, Any]:
    """Someone on the hiring side replied: no new thread to them from this candidate, ever;
    every pending message to them is cancelled now. (The candidate carries on the conversation.)"""
    from nearmiss.domain.models import EmailAddress
    from nearmiss.service.playbooks import stop_recipient

    c = bootstrap.container()
    cid = _id(candidate_id, "candidate_id")
    _known(c, cid)
    try:
        address = TypeAdapter(EmailAddress).validate_python(body.email)
    except ValidationError as exc:
        raise InvalidInputError("reply", [("email", r) for _, r in field_errors(exc)]) from None
    cancelled = stop_recipient(
        c.store, cid, recipient_key(address), reason="the recipient replied", now=now()
    )
    return {"recorded": True, "cancelled": cancelled}


# ---- the candidate's decisions on a step -----------------------------------------------------------
def _step_ref(candidate_id: str, application_id: str, step_id: str) -> Any:
    from nearmiss.service.links import StepRef

    if not STEP_ID.fullmatch(step_id):
        raise InvalidInputError("path", [("step_id", "not a step id (see the timeline)")])
    return StepRef(_id(candidate_id, "candidate_id"), _id(application_id, "application_id"), step_id)


def _decision_error(reason: str) -> Response[Any]:
    return _json(409, {"error": reason})


@app.put("/candidates/<candidate_id>/applications/<application_id>/steps/<step_id>/draft")
def put_draft(candidate_id: str, application_id: str, step_id: str, body: DraftIn) -> Response[Any]:
    """Rewrite a message before it goes (subject, text, or both)."""
    from nearmiss.service.playbooks import DecisionError, edit_draft

    ref = _step_ref(candidate_id, application_id, step_id)
    try:
        step = edit_draft(bootstrap.container().store, ref, subject=body.subject, text=body.text, now=now())
    except DecisionError as exc:
        return _decision_error(exc.reason)
    return _json(
        200,
        {
            "step_id": step.step_id,
            "state": step.state.value,
            "subject": step.edited_subject,
            "text": step.edited_text,
        },
    )


@app.post("/candidates/<candidate_id>/applications/<application_id>/steps/<step_id>/<decision>")
def post_decision(candidate_id: str, application_id: str, step_id: str, decision: str) -> Response[Any]:
    """Approve or skip a step in review mode (also before its draft was emailed)."""
    from nearmiss.service.playbooks import DecisionError, decide

    if decision not in ("approve", "skip"):
        raise NotFoundError("no such decision: use approve or skip")
    ref = _step_ref(candidate_id, application_id, step_id)
    try:
        step = decide(bootstrap.container().store, ref, decision, now=now())  # type: ignore[arg-type]
    except DecisionError as exc:
        return _decision_error(exc.reason)
    due = step.due_at.isoformat() if step.due_at else None
    return _json(
        200, {"step_id": step.step_id, "state": step.state.value, "send_at": due, "reason": step.reason}
    )


from nearmiss import pages  # noqa: E402  (the HTML routes register on `app`)

app.include_router(pages.router)
