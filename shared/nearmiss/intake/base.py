"""What every webhook source shares: the error, the parsed result, the signature checks, the
bounds, and the one way a payload model's failure becomes a refusal (`validate`, `refusal`).

Intake is pure: bytes and headers in, a `Parsed` (or a `WebhookError`) out. No AWS, no I/O, so
each ATS's quirks are tested offline, byte for byte, with the vendors' documented payloads. Each
source describes its payload as pydantic models (`intake.ats.fields` holds their field types).

Rules that hold for every source:
- Signatures are checked on the raw bytes exactly as received (never on re-serialised JSON) and
  compared in constant time (`hmac.compare_digest`).
- A `WebhookError` reason is safe to return to the caller and to log: it names the field and what
  is wrong with it, never the value (values are personal data or secrets).
- Bodies are bounded: at most `MAX_BODY_BYTES`, a JSON object, nested at most `MAX_DEPTH` deep,
  with no key twice; only then do the models see them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails, PydanticCustomError

from nearmiss.domain.models import MAX_CONTACTS, Contact, EmailAddress, Role

MAX_BODY_BYTES = 1024 * 1024  # Greenhouse bodies with custom fields are tens of KB; 1 MiB is ample
MAX_DEPTH = 32
MAX_INCOMPLETE_CONTACTS = 30
MAX_REASON_CHARS = 500  # ApplicationRejected.reason
MAX_NAME_CHARS = 120  # models.Name
MAX_SHORT_TEXT_CHARS = 200  # models.ShortText

Kind = Literal["rejected", "reopened", "hired", "ignored"]

# An ATS id we put into keys: no separator that could forge another key (":"), and short enough that
# "recruitee:<candidate>:<offer>" still fits the domain's 128-character Identifier.
ATS_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,55}$")
_WORD = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0080-\u009f\u2028\u2029]+")


class WebhookError(Exception):
    """A request we refuse. `status` is the HTTP status to answer with (400, 401, 413 or 415);
    `reason` says which field and what is wrong, and is safe to return and to log."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason

    def __repr__(self) -> str:
        return f"WebhookError({self.status}, {self.reason!r})"


@dataclass(frozen=True)
class Parsed:
    """One ATS event, normalised. `dedupe_key` is the same for every delivery of the same event,
    so a conditional write on it makes a retried or duplicated webhook start one playbook. Where an
    ATS gives no stable id for a stop (reopened, hired), the key errs towards telling events apart:
    a stop processed twice is harmless, a stop swallowed as a "duplicate" is not."""

    source: str
    kind: Kind
    dedupe_key: str
    ignored_reason: str | None = None
    ats_application_id: str | None = None  # namespaced: "greenhouse:12345"
    candidate_email: str | None = None
    candidate_name: str | None = None
    occurred_at: datetime | None = None  # aware UTC; None = the ATS gave no event time (use receipt)
    rejection_reason: str | None = None
    withdrawn: bool = False  # the candidate withdrew; not the company's rejection
    company: str | None = None
    job_title: str | None = None
    contacts: tuple[Contact, ...] = ()  # people with an email address
    incomplete_contacts: tuple[str, ...] = ()  # names without an address, for the candidate to complete
    can_email: bool = True  # Greenhouse candidate.can_email
    needs_enrichment: bool = False  # the body is a hint: re-read the application from the ATS's API


def ignored(source: str, reason: str, body: bytes, *, key: str | None = None) -> Parsed:
    """An event we acknowledge and drop (ping, test, an action we do not act on). Its key defaults to
    a digest of the body, so a redelivery of the same body maps to the same key."""
    key = key or f"{source}:ignored:{body_digest(body)}"
    return Parsed(source=source, kind="ignored", dedupe_key=key, ignored_reason=reason)


def body_digest(body: bytes) -> str:
    """A short digest of the raw body: the same bytes redelivered give the same value."""
    return hashlib.sha256(body).hexdigest()[:32]


# --- signatures -------------------------------------------------------------------------------


def require_secret(secret: str) -> bytes:
    """An HMAC keyed with an empty secret is one anybody can compute: refuse rather than accept."""
    if not secret:
        raise WebhookError(401, "no signing secret is configured for this source")
    return secret.encode("utf-8")


def hmac_sha256_hex(key: bytes, message: bytes) -> str:
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def same_hex(expected: str, given: str) -> bool:
    """Constant-time comparison of a lowercase hex digest with what the request carried."""
    given_bytes = given.strip().lower().encode("utf-8", "replace")
    return hmac.compare_digest(expected.encode("ascii"), given_bytes)


def check_body_hmac(
    headers: Mapping[str, str], body: bytes, key: bytes, name: str, *, scheme: str | None = None
) -> None:
    """Header `name` must carry the hex HMAC-SHA256 of the raw body: bare, or as `sha256<scheme><hex>`
    when `scheme` is the separator the ATS puts between the algorithm and the digest."""
    value = header(headers, name)
    if value is None:
        raise WebhookError(401, f"{name}: header missing")
    digest = value
    if scheme is not None:
        algorithm, _, digest = value.partition(scheme)
        if algorithm.strip().lower() != "sha256" or not digest.strip():
            raise WebhookError(401, f"{name}: expected 'sha256{scheme}<hex digest>'")
    if not same_hex(hmac_sha256_hex(key, body), digest):
        raise WebhookError(401, f"{name}: does not match the body")


def header(headers: Mapping[str, str], name: str) -> str | None:
    """The header's value, or None when absent or blank. `name` is lower-case; the caller lower-cases
    the request's names (HTTP API and Function URL events already do), and a mixed-case name is
    still found, so a caller that forgot does not turn every request into a 401."""
    value = headers.get(name)
    if value is None:
        value = next((v for k, v in headers.items() if isinstance(k, str) and k.lower() == name), None)
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip()


def check_window(moment: datetime, now: datetime, window_seconds: int, what: str) -> None:
    """Replay guard: a signed timestamp further than the window from our clock (either way) is refused.
    `now` should be aware; a naive one is taken as UTC rather than failing on the subtraction."""
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    if abs((now - moment).total_seconds()) > window_seconds:
        raise WebhookError(401, f"{what}: outside the {window_seconds // 60}-minute window")


# --- the body ----------------------------------------------------------------------------------


def check_size(body: bytes) -> None:
    if len(body) > MAX_BODY_BYTES:
        raise WebhookError(413, f"body: larger than {MAX_BODY_BYTES} bytes")


def check_content_type(headers: Mapping[str, str]) -> None:
    """Every supported ATS posts JSON. A missing Content-Type is tolerated; a different one is not."""
    value = header(headers, "content-type")
    if value is None:
        return
    media_type = value.split(";", 1)[0].strip().lower()
    if media_type != "application/json" and not (
        media_type.startswith("application/") and media_type.endswith("+json")
    ):
        raise WebhookError(415, "content-type: must be application/json")


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Two values for one key make "which one did the sender mean" ambiguous: refuse, don't guess.
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise WebhookError(400, "body: an object has the same key twice")
        obj[key] = value
    return obj


def _refuse_constant(name: str) -> Any:
    raise WebhookError(400, f"body: {name} is not valid JSON")


def _depth(value: Any) -> int:
    """Nesting depth, iteratively (a recursive walk is what the limit protects against)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in item.values())
        elif isinstance(item, list):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in item)
    return deepest


def load_json(body: bytes) -> Any:
    """Decode JSON strictly: UTF-8 (with or without BOM), no NaN/Infinity, no duplicate keys,
    nested at most MAX_DEPTH. Raises WebhookError(400) naming what is wrong."""
    check_size(body)
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise WebhookError(400, "body: not UTF-8 text") from None
    try:
        value = json.loads(text, object_pairs_hook=_refuse_duplicates, parse_constant=_refuse_constant)
    except RecursionError:
        raise WebhookError(400, f"body: JSON nested deeper than {MAX_DEPTH} levels") from None
    except ValueError:  # JSONDecodeError, and ints longer than Python's digit limit
        raise WebhookError(400, "body: malformed JSON") from None
    if _depth(value) > MAX_DEPTH:
        raise WebhookError(400, f"body: JSON nested deeper than {MAX_DEPTH} levels")
    return value


def load_object(headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
    """The body as a JSON object, after the size, content-type and JSON checks."""
    check_size(body)
    check_content_type(headers)
    value = load_json(body)
    if not isinstance(value, dict):
        raise WebhookError(400, "body: must be a JSON object")
    return value


# --- payload models: one way to refuse what does not validate --------------------------------

MAX_REFUSED_FIELDS = 5  # a reason lists at most this many fields...
MAX_REFUSAL_CHARS = 500  # ...and is at most this long: it is returned to the sender and logged

# pydantic's error types, in the words every refusal uses (what is wrong, never the value).
_REASONS = {
    "missing": "required",
    "string_type": "must be a string",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "dict_type": "must be an object",
    "list_type": "must be an array",
    "tuple_type": "must be an array",
    "bool_type": "must be true or false",
    "extra_forbidden": "not a field of this payload",
    "string_too_short": "must not be empty",
}
_REFUSED = "intake_refused"  # the error type of `refused`: its message is the reason as written


def refused(reason: str) -> PydanticCustomError:
    """Raise this in a field validator: the refusal reads "<field path>: <reason>"."""
    return PydanticCustomError(_REFUSED, reason)


def validate[M: BaseModel](model: type[M], value: object, where: str = "") -> M:
    """`value` as `model`, or a `WebhookError(400)` naming each failing field by its path. `where`
    is the path of `value` inside the body, for a part validated on its own."""
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        raise refusal(exc, where) from None


def refusal(exc: ValidationError, where: str = "") -> WebhookError:
    """The one translation of a pydantic `ValidationError` into a refusal: each field's path and
    what is wrong with it ("payload.application.id: not a valid id"), never the value, which is
    personal data (the input is read only to tell a null from a wrong type)."""
    reasons = []
    for error in exc.errors(include_url=False)[:MAX_REFUSED_FIELDS]:
        loc = error["loc"]
        field = ".".join([where, *map(str, loc)] if where else map(str, loc)) or "body"
        reasons.append(f"{field}: {_what_is_wrong(error, loc)}")
    return WebhookError(400, "; ".join(reasons)[:MAX_REFUSAL_CHARS])


def _what_is_wrong(error: ErrorDetails, loc: tuple[int | str, ...]) -> str:
    kind, given = error["type"], error.get("input")
    if kind == _REFUSED:
        return error["msg"]
    if given is None and kind.endswith("_type") and loc and isinstance(loc[-1], str):
        return "required"  # a field sent as null is a field not sent
    if kind in _REASONS:
        return _REASONS[kind]
    context = error.get("ctx") or {}
    if kind == "literal_error":
        return f"must be one of {context.get('expected')}"
    if kind in ("too_long", "string_too_long"):
        unit = "characters" if kind == "string_too_long" else "items"
        return f"at most {context.get('max_length')} {unit}"
    if kind == "value_error" and str(loc[-1] if loc else "").endswith("email"):
        return "not a valid email address"  # email-validator's messages quote parts of the address
    message = error["msg"].removeprefix("Value error, ")
    if isinstance(given, str) and len(given) > 1 and given in message:
        return "not a valid value"  # a validator that quotes its input (a time zone's name)
    return message


def key_time(moment: datetime) -> str:
    """A timestamp as it appears in dedupe keys: UTC, to the millisecond, whatever the input format."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def token(value: str | None) -> str | None:
    """A header value (an event id) if it is safe to put into a key, else None."""
    return value if value is not None and ATS_ID.fullmatch(value) else None


def word(value: str) -> str | None:
    """A vendor's action or event name, if it is a plain word (safe to put into a reason or a key)."""
    return value if _WORD.fullmatch(value) else None


# --- free text and people ---------------------------------------------------------------------


def text(value: object, limit: int) -> str | None:
    """Free text from the ATS made safe for a mail header or a log: control characters and line
    breaks become spaces, runs of spaces collapse, and it is cut to `limit` characters."""
    if not isinstance(value, str):
        return None
    cleaned = " ".join(_CONTROL.sub(" ", value).split())
    cleaned = cleaned.replace("=?", "= ?")  # an encoded-word would be decoded by mail clients
    return cleaned[:limit].rstrip() or None


def full_name(*parts: object) -> str | None:
    return text(" ".join(p for p in parts if isinstance(p, str)), MAX_NAME_CHARS)


def email_address(value: object) -> str | None:
    """A syntactically valid address (normalised as pydantic's EmailStr does), or None."""
    if not isinstance(value, str) or len(value) > 320:
        return None
    try:
        return _email().validate_python(value.strip())
    except ValidationError:
        return None


@cache
def _email() -> TypeAdapter[str]:
    return TypeAdapter(EmailAddress)  # built on the first address, not at import (cold start)


class People:
    """Collects the hiring-side people an ATS names. Whoever has a valid address becomes a Contact;
    the others are kept by name for the candidate to complete. The same address twice counts once,
    and the first role added wins, so callers add the role they trust most first."""

    def __init__(self) -> None:
        self._contacts: list[Contact] = []
        self._emails: set[str] = set()
        self._names: list[str] = []

    def add(self, name: object, email: object, role: Role, title: object = None) -> None:
        clean_name = text(name, MAX_NAME_CHARS)
        if clean_name is None:
            return  # nobody to thank by name; an address alone makes no personal note
        address = email_address(email)
        if address is None:
            self.add_name(clean_name)
            return
        if address.lower() in self._emails:
            return
        if len(self._contacts) >= MAX_CONTACTS:
            self.add_name(clean_name)  # one playbook holds at most MAX_CONTACTS; keep the rest by name
            return
        try:
            contact = Contact(
                name=clean_name, email=address, role=role, title=text(title, MAX_SHORT_TEXT_CHARS)
            )
        except ValidationError:
            self.add_name(clean_name)
            return
        self._contacts.append(contact)
        self._emails.add(address.lower())

    def add_name(self, name: object) -> None:
        clean_name = text(name, MAX_NAME_CHARS)
        if clean_name and clean_name not in self._names and len(self._names) < MAX_INCOMPLETE_CONTACTS:
            self._names.append(clean_name)

    def add_contacts(self, contacts: Iterable[Contact]) -> None:
        """Already validated contacts (the generic source); those without an address are kept by name."""
        for contact in contacts:
            if contact.email is None:
                self.add_name(contact.name)
            elif contact.email.lower() not in self._emails and len(self._contacts) < MAX_CONTACTS:
                self._contacts.append(contact)
                self._emails.add(contact.email.lower())
            else:
                self.add_name(contact.name)

    @property
    def contacts(self) -> tuple[Contact, ...]:
        return tuple(self._contacts)

    @property
    def incomplete(self) -> tuple[str, ...]:
        named = {c.name for c in self._contacts}
        return tuple(n for n in self._names if n not in named)
