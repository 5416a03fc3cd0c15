"""An interview invitation, read from the calendar part of a forwarded mail.

Google Calendar, Outlook/Teams, Zoom and the scheduling tools (GoodTime, Calendly, Greenhouse
scheduling...) all send RFC 5545 iCalendar: a `text/calendar` part and often the same data again as
an `invite.ics` attachment. `METHOD:REQUEST` is an invitation or, with a higher `SEQUENCE` for the
same `UID`, an update of one; `METHOD:CANCEL` withdraws it. The people in it become the
application's contacts: the organiser as the recruiter (or coordinator), every other attendee as an
interviewer, each role correctable by the member. The member's own addresses, meeting rooms and the
scheduling tools' robot addresses are never contacts.

Parsing is the `icalendar` library's (time zones included: VTIMEZONE blocks, Windows zone names
from Exchange, UTC). Pure: attachments in, an `Invitation` or a `Refusal` out, never an exception.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from nearmiss.domain.models import Role
from nearmiss.intake.mail.forwards import Refusal
from nearmiss.intake.mail.message import Attachment

_CALENDAR_TYPES = ("text/calendar", "application/ics", "application/x-ics", "text/x-vcalendar")
MAX_CALENDAR_BYTES = 1024 * 1024
# Senders that are a scheduling tool rather than a person: never a contact.
_ROBOT_LOCAL_PARTS = ("noreply", "no-reply", "no_reply", "donotreply", "do-not-reply", "notifications")
_ROBOT_DOMAINS = (
    "calendar.google.com",
    "resource.calendar.google.com",
    "goodtime.io",
    "calendly.com",
    "greenhouse.io",
    "zoom.us",
)


@dataclass(frozen=True)
class Person:
    name: str  # the CN the calendar gave, may be ""
    address: str  # lower-cased
    role: Role


@dataclass(frozen=True)
class Invitation:
    method: str  # "REQUEST", "CANCEL" (or "PUBLISH" from tools that send no method)
    uid: str
    sequence: int  # a higher one for the same uid is an update
    stamp: datetime | None  # DTSTAMP, aware UTC: orders two updates with the same sequence
    summary: str
    starts_at: datetime | None  # aware UTC; None for an all-day or undated event
    ends_at: datetime | None
    organizer: Person | None  # None when absent, the member, or a scheduling robot
    attendees: tuple[Person, ...]  # the others, minus the member, rooms and the organiser

    @property
    def cancelled(self) -> bool:
        return self.method == "CANCEL"

    @property
    def people(self) -> tuple[Person, ...]:
        """Everyone who becomes a contact: the organiser first, then the interviewers. Empty when
        the invitation names nobody but the member."""
        return ((self.organizer,) if self.organizer else ()) + self.attendees

    def supersedes(self, other: Invitation) -> bool:
        """True when this is a later version of `other` (same event, higher sequence or stamp)."""
        if self.uid != other.uid:
            return False
        if self.sequence != other.sequence:
            return self.sequence > other.sequence
        return bool(self.stamp and other.stamp and self.stamp > other.stamp)


def calendar_parts(attachments: Sequence[Attachment]) -> list[bytes]:
    """The payloads of the calendar parts among `attachments` (by type or by a .ics name)."""
    return [
        attachment.payload
        for attachment in attachments
        if attachment.content_type in _CALENDAR_TYPES
        or (attachment.filename or "").lower().endswith((".ics", ".ical", ".vcs"))
    ]


def read_invitation(
    attachments: Sequence[Attachment],
    *,
    own_addresses: Collection[str],
    default_zone: tzinfo = UTC,
) -> Invitation | Refusal:
    """The invitation the calendar parts carry: the latest version of the first event (a mail that
    carries both a text/calendar part and an invite.ics has the same event twice). `own_addresses`
    are the member's, left out of the people; `default_zone` reads a floating time (no zone)."""
    parts = calendar_parts(attachments)
    if not parts:
        return Refusal("invitation: no calendar part")
    own = {address.strip().lower() for address in own_addresses}
    found: list[Invitation] = []
    unreadable = 0
    for payload in parts:
        try:
            found.extend(_invitations(payload, own, default_zone))
        except Exception:  # icalendar raises ValueError, KeyError, TypeError... on bad input
            unreadable += 1
    if not found:
        return Refusal("invitation: calendar part not readable" if unreadable else "invitation: no event")
    first = found[0]
    latest = first
    for invitation in found[1:]:
        if invitation.supersedes(latest) or (
            invitation.uid == latest.uid and invitation.sequence == latest.sequence and invitation.cancelled
        ):
            latest = invitation
    return latest


def _invitations(payload: bytes, own: set[str], default_zone: tzinfo) -> list[Invitation]:
    import icalendar  # loaded only for mail with a calendar part

    if len(payload) > MAX_CALENDAR_BYTES:
        raise ValueError("calendar part too large")
    calendar = icalendar.Calendar.from_ical(payload)
    method = str(calendar.get("METHOD", "PUBLISH")).strip().upper() or "PUBLISH"
    invitations: list[Invitation] = []
    for event in calendar.walk("VEVENT"):
        organizer = _person(event.get("ORGANIZER"), Role.RECRUITER, own)
        if organizer is not None and _robot(organizer.address):
            organizer = None
        attendees: list[Person] = []
        seen = {organizer.address} if organizer else set()
        raw_attendees = event.get("ATTENDEE", [])
        for raw in raw_attendees if isinstance(raw_attendees, list) else [raw_attendees]:
            person = _person(raw, Role.INTERVIEWER, own)
            if person is None or person.address in seen or _robot(person.address):
                continue
            seen.add(person.address)
            attendees.append(person)
        invitations.append(
            Invitation(
                method=method,
                uid=str(event.get("UID", "")),
                sequence=_integer(event.get("SEQUENCE")),
                stamp=_instant(event, "DTSTAMP", default_zone),
                summary=" ".join(str(event.get("SUMMARY", "")).split()),
                starts_at=_instant(event, "DTSTART", default_zone),
                ends_at=_instant(event, "DTEND", default_zone),
                organizer=organizer,
                attendees=tuple(attendees),
            )
        )
    return invitations


def _person(value: Any, role: Role, own: set[str]) -> Person | None:
    if value is None:
        return None
    text = str(value).strip()
    if text.lower().startswith("mailto:"):
        text = text[len("mailto:") :]
    address = text.strip().lower()
    if "@" not in address or address in own:
        return None
    params = getattr(value, "params", {})
    if str(params.get("CUTYPE", "INDIVIDUAL")).upper() in ("ROOM", "RESOURCE"):
        return None
    name = " ".join(str(params.get("CN", "")).strip().strip('"').split())
    if name.lower() == address:
        name = ""
    return Person(name, address, role)


def _robot(address: str) -> bool:
    local, _, domain = address.partition("@")
    return local in _ROBOT_LOCAL_PARTS or any(
        domain == robot or domain.endswith("." + robot) for robot in _ROBOT_DOMAINS
    )


def _integer(value: Any) -> int:
    try:
        return int(value) if value is not None else 0
    except (TypeError, ValueError):
        return 0


def _instant(event: Any, name: str, default_zone: tzinfo) -> datetime | None:
    if name not in event:
        return None
    value = event.decoded(name)
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:  # a floating time
            value = value.replace(tzinfo=default_zone)
        return value.astimezone(UTC)
    if isinstance(value, date):
        return None  # an all-day event has no time of the interview
    return None
