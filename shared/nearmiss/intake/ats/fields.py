"""What the ATS payload models are made of: a strict base model and the field types with the
bounds of `intake.base`.

The rules, for every ATS:
- A field of the wrong type is refused (a string where an object belongs, "yes" for a boolean,
  a float for an id), with the field's path: a payload we misread must not start a playbook.
- Fields Near Miss does not read are ignored: vendors add fields freely, and a new one must not
  break the webhook (Near Miss's own generic format is the exception: it refuses them).
- A field sent as null is a field not sent.
- Free text is cleaned and cut to its bound, not refused: a rejection whose reason runs to 600
  characters is still a rejection. An address that is not a usable email address is read as no
  address (the person is kept by name), not refused: it is the vendor's data, not its format.

Every model defers building its validator to its first use (`defer_build`): a cold start pays
only for the payloads of the ATS it serves, when its first webhook arrives.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, PlainValidator

from nearmiss.domain.models import EARLIEST_INSTANT, LATEST_INSTANT
from nearmiss.intake.base import (
    ATS_ID,
    MAX_NAME_CHARS,
    MAX_REASON_CHARS,
    MAX_SHORT_TEXT_CHARS,
    email_address,
    refused,
    text,
)

_LONGEST_TIMESTAMP = 64
_OUT_OF_RANGE = "must be between 2000-01-01 and 2100-01-01"


class AtsModel(BaseModel):
    """A part of an ATS payload: wrong types refused, unknown fields ignored, built on first use."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True, defer_build=True)


# --- ids: they go into keys, so their alphabet is restricted ----------------------------------


def _ats_id(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise refused("must be an id (integer or string)")
    if (isinstance(value, int) and value < 0) or not ATS_ID.fullmatch(str(value)):
        raise refused("not a valid id")
    return str(value)


def _required_ats_id(value: Any) -> str:
    if (found := _ats_id(value)) is None:
        raise refused("required")
    return found


AtsId = Annotated[str, PlainValidator(_required_ats_id)]
"""An ATS identifier, integer or string, as text; no ':' (it could forge another key), at most 56."""
OptionalAtsId = Annotated[str | None, PlainValidator(_ats_id)]


# --- strings -------------------------------------------------------------------------------------


def _not_blank(value: str) -> str:
    if not value.strip():
        raise refused("required")
    return value


RequiredString = Annotated[str, AfterValidator(_not_blank)]
"""A string that must be there and not blank (an action, a status); kept as sent."""


def _cut(limit: int) -> AfterValidator:
    return AfterValidator(lambda value: text(value, limit))


NameText = Annotated[str | None, _cut(MAX_NAME_CHARS)]
"""A person's name: line breaks and control characters become spaces, cut to 120 characters."""
ShortText = Annotated[str | None, _cut(MAX_SHORT_TEXT_CHARS)]
"""A job title, a company: cleaned like a name, cut to 200 characters."""
ReasonText = Annotated[str | None, _cut(MAX_REASON_CHARS)]
"""A rejection reason: cleaned like a name, cut to 500 characters."""

Email = Annotated[str | None, AfterValidator(email_address)]
"""An address, normalised by the domain's EmailAddress; one that is not usable reads as None."""


def _named(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict):
        name = value.get("name")
        if name is None or isinstance(name, str):
            return name
    raise refused("must be a string or an object with a name")


NamedText = Annotated[str | None, PlainValidator(_named)]
"""A value some ATSs send as a string and others as `{"name": ...}` (a stage, a reason), as sent."""


# --- instants ------------------------------------------------------------------------------------


def _instant(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > _LONGEST_TIMESTAMP:
        raise refused("must be an ISO-8601 timestamp")
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise refused("must be an ISO-8601 timestamp") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # the ATSs document UTC
    if not EARLIEST_INSTANT <= moment <= LATEST_INSTANT:
        raise refused(_OUT_OF_RANGE)
    return moment.astimezone(UTC)


def _required_instant(value: Any) -> datetime:
    if (moment := _instant(value)) is None:
        raise refused("required")
    return moment


Instant = Annotated[datetime, PlainValidator(_required_instant)]
"""An ISO-8601 timestamp, as aware UTC; one without an offset is taken as UTC."""
OptionalInstant = Annotated[datetime | None, PlainValidator(_instant)]


def _epoch_millis(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise refused("must be milliseconds since the epoch (an integer)")
    if not EARLIEST_INSTANT.timestamp() * 1000 <= value <= LATEST_INSTANT.timestamp() * 1000:
        raise refused(_OUT_OF_RANGE)
    return datetime.fromtimestamp(value / 1000, UTC)


def _required_epoch_millis(value: Any) -> datetime:
    if (moment := _epoch_millis(value)) is None:
        raise refused("required")
    return moment


EpochMillis = Annotated[datetime, PlainValidator(_required_epoch_millis)]
"""Milliseconds since the epoch (Lever), as aware UTC."""
OptionalEpochMillis = Annotated[datetime | None, PlainValidator(_epoch_millis)]
