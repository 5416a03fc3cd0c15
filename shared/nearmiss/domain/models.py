"""Who is involved and what happened: candidates, applications, contacts, steps.

Every model forbids unknown fields and validates at the edge, so a bad request or event fails
with the field's name and the reason instead of reaching the playbook.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    StringConstraints,
    ValidationInfo,
    field_serializer,
    field_validator,
    model_validator,
)

# Oldest and newest instants the playbook accepts: an ATS date in 1970 or 2999 is a bug upstream.
EARLIEST_INSTANT = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_INSTANT = datetime(2100, 1, 1, tzinfo=UTC)
MAX_CONTACTS = 15  # one playbook is written in one DynamoDB transaction (at most 100 items)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True, defer_build=True)


_LINE_BREAKS = frozenset("\x7f\x85\u2028\u2029")


def _no_control_characters(value: str) -> str:
    # Names and subjects end up in mail headers: a CR or LF there is a header injection, and an
    # RFC 2047 encoded-word ("=?utf-8?q?...?=") typed as text is decoded by mail clients into one.
    if any(ord(ch) < 32 and ch != "\t" for ch in value) or any(ch in _LINE_BREAKS for ch in value):
        raise ValueError("must not contain line breaks or control characters")
    if "=?" in value:
        raise ValueError("must not contain '=?' (it reads as an encoded mail header)")
    return value


def sendable_address(value: str) -> str:
    """An address we can put in a message: ASCII local part (no SMTPUTF8, which SES refuses), a
    valid domain (international domains are fine), returned normalised."""
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(value, allow_smtputf8=False, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(f"not a usable email address: {exc}") from None


# The validation context of a document read back from our own table (`Model.model_validate_json(doc,
# context=FROM_STORE)`): every address in it passed `sendable_address` when it was written, and is
# stored in its normalised form, so reading it back needs no second pass through email_validator
# (about 40 ms of imports and compiled patterns on the first read of a cold start, then a parse per
# address). Input (requests, events, webhooks, mail) is validated without a context: in full.
FROM_STORE: Mapping[str, bool] = MappingProxyType({"from_store": True})
# What a stored, normalised address still has to look like: a dot-atom local part of at most 64
# characters (email_validator refuses quoted ones), one "@", a domain of two or more labels
# (international names stay Unicode once normalised) without spaces, controls or the characters that
# delimit addresses. Anything else is validated in full, and refused as on input.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[^@\s._\x00-\x1f\x7f<>()\[\],;:\"\\]+"
_STORED_ADDRESS = re.compile(rf"(?=[^@]{{1,64}}@){_ATEXT}(?:\.{_ATEXT})*@{_LABEL}(?:\.{_LABEL})+")


def _sendable(value: str, info: ValidationInfo) -> str:
    stored = isinstance(info.context, Mapping) and info.context.get("from_store") is True
    if stored and _STORED_ADDRESS.fullmatch(value):
        return value
    return sendable_address(value)


def _known_time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r}; use an IANA name such as 'Europe/Berlin'") from exc
    return value


def _plausible_instant(value: datetime) -> datetime:
    if not EARLIEST_INSTANT <= value <= LATEST_INSTANT:
        raise ValueError("must be between 2000-01-01 and 2100-01-01")
    return value.astimezone(UTC)


Name = Annotated[str, StringConstraints(min_length=1, max_length=120), AfterValidator(_no_control_characters)]
ShortText = Annotated[
    str, StringConstraints(min_length=1, max_length=200), AfterValidator(_no_control_characters)
]
LongText = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
TimeZoneName = Annotated[str, StringConstraints(max_length=64), AfterValidator(_known_time_zone)]
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$", to_upper=True)]
Instant = Annotated[AwareDatetime, AfterValidator(_plausible_instant)]
EmailAddress = Annotated[str, StringConstraints(max_length=254), AfterValidator(_sendable)]
SourceName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{1,31}$")]
DelayHours = Annotated[float, Field(ge=0, le=720, allow_inf_nan=False)]
GraceHours = Annotated[int, Field(ge=1, le=24 * 30)]
LatenessDays = Annotated[int, Field(ge=1, le=120)]
Identifier = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$")]


class Role(StrEnum):
    INTERVIEWER = "interviewer"
    HIRING_MANAGER = "hiring_manager"
    RECRUITER = "recruiter"
    HR = "hr"


class Mode(StrEnum):
    REVIEW = "review"  # drafts go to the candidate first, with approve / skip links
    AUTO = "auto"  # sends without asking


class StepKind(StrEnum):
    THANK_YOU = "thank_you"
    SHARE_RESOURCE = "share_resource"
    CHECK_IN = "check_in"


class StepState(StrEnum):
    SCHEDULED = "scheduled"  # waiting for its instant (in review mode: for the draft to go out)
    AWAITING_APPROVAL = "awaiting_approval"  # draft sent; lapses at expires_at
    APPROVED = "approved"  # waiting for its send instant
    SENDING = "sending"  # claimed; the lease says how long the claim holds
    SENT = "sent"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"
    LAPSED = "lapsed"  # approval came too late, or never
    TOO_LATE = "too_late"  # past the step's latest useful moment: never sent (a late note is worse than none)
    FAILED = "failed"  # permanent error, with the reason
    NEEDS_REVIEW = "needs_review"  # a send whose outcome is unknown; never retried blindly
    REPLIED = "replied"  # sent, and the recipient answered it (read at its reply address)

    @property
    def is_pending(self) -> bool:
        return self in _PENDING

    @property
    def is_final(self) -> bool:
        return not self.is_pending and self is not StepState.SENDING


_PENDING = frozenset({StepState.SCHEDULED, StepState.AWAITING_APPROVAL, StepState.APPROVED})


class SendWindow(Strict):
    """Hours on the recipient's clock when a personal note looks written by a person."""

    start: time = time(9, 0)
    end: time = time(17, 0)
    weekdays: frozenset[int] = Field(default=frozenset({0, 1, 2, 3, 4}), description="0 = Monday")

    @field_serializer("weekdays")
    def _sorted_weekdays(self, value: frozenset[int]) -> list[int]:
        return sorted(value)  # one spelling per value: stored profiles are compared as written

    @field_validator("start", "end")
    @classmethod
    def _wall_clock(cls, value: time) -> time:
        if value.tzinfo is not None:
            raise ValueError(
                "a send-window time is a wall-clock time on the recipient's clock: no UTC offset"
            )
        return value

    @model_validator(mode="after")
    def _check(self) -> SendWindow:
        if self.end <= self.start:
            raise ValueError("send window: end must be after start")
        if not self.weekdays or not self.weekdays <= set(range(7)):
            raise ValueError("send window: weekdays must be a non-empty subset of 0..6 (0 = Monday)")
        return self


class PlaybookSettings(Strict):
    """The playbook's defaults from PRODUCT.md; every number can be overridden per candidate."""

    thank_you_after_days: int = Field(default=1, ge=0, le=14)
    resource_after_business_days: int = Field(default=3, ge=1, le=30)
    check_in_after_days: tuple[int, ...] = Field(default=(90,), min_length=0, max_length=3)
    check_in_roles: frozenset[Role] = frozenset({Role.HIRING_MANAGER, Role.RECRUITER})

    @field_serializer("check_in_roles")
    def _sorted_roles(self, value: frozenset[Role]) -> list[str]:
        # A set's order depends on how it was built: a profile re-read and written back must serialise
        # to the same text, since put_candidate(expected=) compares the stored JSON (`doc = :expected`).
        return sorted(role.value for role in value)

    send_window: SendWindow = SendWindow()
    # Review mode: drafts reach the candidate this long before the planned send ...
    review_lead_hours: int = Field(default=20, ge=1, le=24 * 14)
    # ... and an approval later than this after the planned send lapses (a late thank-you is worse than none).
    approval_grace_hours: dict[StepKind, GraceHours] = Field(
        default_factory=lambda: {StepKind.THANK_YOU: 48, StepKind.SHARE_RESOURCE: 96, StepKind.CHECK_IN: 240}
    )
    # The latest useful moment of each step, in days: after the candidate learned of the rejection
    # (thank-you, resource), or after the check-in's own offset. Past it the step is `too_late`.
    latest_useful_days: dict[StepKind, LatenessDays] = Field(
        default_factory=lambda: {StepKind.THANK_YOU: 7, StepKind.SHARE_RESOURCE: 21, StepKind.CHECK_IN: 30}
    )
    # When the ATS's rejection time is not when the candidate learned of it (hours added per source).
    source_delay_hours: dict[SourceName, DelayHours] = Field(default_factory=lambda: {"greenhouse": 24.0})

    @field_validator("check_in_after_days")
    @classmethod
    def _offsets(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(not 7 <= d <= 730 for d in value):
            raise ValueError("each check-in offset must be between 7 and 730 days")
        if len(set(value)) != len(value):
            raise ValueError("check-in offsets must be distinct")
        return tuple(sorted(value))

    def grace_hours(self, kind: StepKind) -> int:
        return self.approval_grace_hours.get(kind, 48)

    def latest_useful(self, kind: StepKind) -> timedelta:
        default = {StepKind.THANK_YOU: 7, StepKind.SHARE_RESOURCE: 21, StepKind.CHECK_IN: 30}[kind]
        return timedelta(days=self.latest_useful_days.get(kind, default))


class Candidate(Strict):
    candidate_id: Identifier
    name: Name
    email: EmailAddress
    time_zone: TimeZoneName = "UTC"
    country: CountryCode | None = None
    mode: Mode = Mode.REVIEW
    # "platform": From the platform's verified domain, with the candidate's name and Reply-To.
    # "own_address": From the candidate's own address, only where SES may send From it: the address
    # or its domain is a verified identity of this account, not free mail, not the platform's own
    # domain (domain.sending; checked when saved and again before each send).
    sending_identity: Literal["own_address", "platform"] = "platform"
    signature: LongText | None = None
    playbook: PlaybookSettings = PlaybookSettings()
    # The member's proof of their address (a link we mailed to it, confirmed): when `email` was
    # proved, None while it waits for proof. A new address waits in `pending_email` while the
    # proved one stays in use; it replaces `email` only once proved (service.addresses).
    email_proved_at: AwareDatetime | None = None
    pending_email: EmailAddress | None = None

    @model_validator(mode="after")
    def _one_address_waits(self) -> Candidate:
        if self.pending_email is not None and self.email_proved_at is None:
            raise ValueError("pending_email: only a proved address can have a new one waiting for proof")
        if self.pending_email is not None and self.pending_email.lower() == str(self.email).lower():
            raise ValueError("pending_email: the same address as email")
        return self

    @property
    def usable_email(self) -> str | None:
        """The one answer to "which address may Near Miss use for this member": the address they
        proved, or None while none is. Reply-To, the destination of drafts, the own From address,
        and matching held events by address all ask this, and nothing else."""
        return str(self.email) if self.email_proved_at is not None else None

    @property
    def address_awaiting_proof(self) -> str | None:
        """The address a proof link is (or would be) out for: the new one, or the first one."""
        if self.pending_email is not None:
            return str(self.pending_email)
        return None if self.email_proved_at is not None else str(self.email)

    @property
    def email_status(self) -> Literal["proved", "pending"]:
        return "proved" if self.email_proved_at is not None else "pending"

    @field_validator("name")
    @classmethod
    def _not_the_platform_nor_an_address(cls, value: str) -> str:
        """The name is the From line's display name: it must not pass for the platform (review
        drafts come From "Near Miss") nor show an address other than the real one."""
        import unicodedata

        folded = "".join(ch for ch in unicodedata.normalize("NFKC", value).casefold() if ch.isalnum())
        if PLATFORM_NAME in folded:
            raise ValueError("a name may not imitate the platform (Near Miss)")
        if "@" in unicodedata.normalize("NFKC", value) or "\uff20" in value:
            raise ValueError("a name may not contain an email address")
        return value


PLATFORM_NAME = "nearmiss"  # folded: letters and digits only, lower case


class Resource(Strict):
    """Something an interviewer wanted: a link, a piece of information, or an introduction."""

    kind: Literal["link", "information", "introduction"]
    title: ShortText
    url: HttpUrl | None = None
    note: LongText | None = None
    introduce_name: Name | None = Field(default=None, description="for an introduction: who")
    introduce_email: EmailAddress | None = None

    @model_validator(mode="after")
    def _has_value(self) -> Resource:
        if self.kind == "link" and self.url is None:
            raise ValueError("a resource of kind 'link' needs a url")
        if self.kind == "introduction" and self.introduce_name is None:
            raise ValueError("a resource of kind 'introduction' needs introduce_name")
        return self


class Contact(Strict):
    name: Name
    email: EmailAddress | None = None  # kept without one so the candidate can complete it
    role: Role = Role.INTERVIEWER
    title: ShortText | None = Field(default=None, description="their job title, e.g. 'Staff Engineer'")
    time_zone: TimeZoneName | None = None
    country: CountryCode | None = None
    discussed: LongText | None = Field(default=None, description="what was discussed with them")
    resource: Resource | None = None
    may_email: bool = True  # e.g. Greenhouse's can_email: false

    @property
    def key(self) -> str:
        """Stable identity of a recipient: the lowercased address (or the name if there is none)."""
        return (self.email or f"name:{self.name}").strip().lower()


class Application(Strict):
    candidate_id: Identifier
    application_id: Identifier
    company: ShortText
    job_title: ShortText
    contacts: tuple[Contact, ...] = Field(default=(), max_length=MAX_CONTACTS)
    source: SourceName = "manual"
    ats_application_id: Identifier | None = None

    @field_validator("contacts")
    @classmethod
    def _distinct(cls, contacts: tuple[Contact, ...]) -> tuple[Contact, ...]:
        keys = [c.key for c in contacts]
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            raise ValueError(f"the same person is listed twice ({len(dupes)} duplicate address(es))")
        return contacts


class Step(Strict):
    """One message of the playbook to one person, as planned."""

    kind: StepKind
    step_id: str
    offset_days: int | None = None  # the check-in offset this step belongs to
    recipient: Contact
    planned_at: datetime  # the send instant (UTC), inside the recipient's send window
    time_zone: str  # the recipient's zone after the fallback order
    country: str | None
    state: StepState = StepState.SCHEDULED
    skip_reason: str | None = None
    draft_at: datetime | None = None  # review mode: when the draft goes to the candidate
    expires_at: datetime | None = None  # review mode: approvals after this lapse
    latest_at: datetime | None = None  # its latest useful moment: never sent after it

    @property
    def local_planned_at(self) -> datetime:
        return self.planned_at.astimezone(ZoneInfo(self.time_zone))
