"""When a message may go out: in the recipient's world, not the server's.

Send windows are read on the recipient's clock (default 09:00-17:00, Monday-Friday), public
holidays of the recipient's country are skipped (the `holidays` library), and the zone falls back
from the recipient to the candidate to UTC.
"""

from __future__ import annotations

import hashlib
import threading
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from nearmiss.domain.models import Candidate, Contact, SendWindow

if TYPE_CHECKING:
    from collections.abc import Callable, Container

MAX_DAYS_AHEAD = 60  # a window always opens within two months, even across long holiday seasons
MAX_OPENING_JITTER_MINUTES = 40


class NoSendWindowError(ValueError):
    """The send window never opens (for example, every weekday is a holiday)."""


def recipient_zone(contact: Contact | None, candidate: Candidate) -> tuple[str, str | None]:
    """The recipient's (time zone, country): theirs, else the candidate's, else UTC."""
    zone = (contact.time_zone if contact else None) or candidate.time_zone or "UTC"
    country = (contact.country if contact else None) or candidate.country
    return zone, country


@lru_cache(maxsize=256)
def _holidays(country: str, year: int) -> Container[date]:
    calendar = _calendar(country.upper())
    if calendar is None:  # a country the library does not cover: no public holidays known
        return frozenset()
    holidays: Container[date] = calendar(years=year)  # as holidays.country_holidays(country, years=year)
    return holidays


_LOADING = threading.Lock()  # the dispatcher plans from several threads; a module loads once, whole


@lru_cache(maxsize=64)
def _calendar(country: str) -> Callable[..., Container[date]] | None:
    """The `holidays` class of one country, importing only that country's module.

    `holidays.country_holidays` imports the package `holidays.countries`, whose __init__ imports all
    of its 250 countries: about 150 ms of the first invocation that plans a step, for one calendar.
    Loading the country's own file under its usual module name needs only the library's shared
    helpers (a country built on another, such as the Isle of Man on the United Kingdom, still imports
    the package: correct, only slower). Only the planner and the dispatcher's retries need this.
    The load holds a lock: the module is in `sys.modules` before its code has run, so a second
    thread would otherwise find it there without its class.
    """
    with _LOADING:
        return _load_calendar(country)


def _load_calendar(country: str) -> Callable[..., Container[date]] | None:
    import importlib.util
    import sys
    from pathlib import Path

    from holidays.registry import COUNTRIES  # the library's own code -> (module, class) table

    found = next(((m, names[0]) for m, names in COUNTRIES.items() if country in names[1:]), None)
    if found is None:
        return None
    module_name, class_name = found
    qualified = f"holidays.countries.{module_name}"
    module = sys.modules.get(qualified)
    if module is None:
        import holidays

        path = Path(holidays.__file__).parent / "countries" / f"{module_name}.py"
        spec = importlib.util.spec_from_file_location(qualified, path)
        if spec is None or spec.loader is None:
            return None
        module = importlib.util.module_from_spec(spec)
        sys.modules[qualified] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[qualified]
            raise
    calendar: Callable[..., Container[date]] = getattr(module, class_name)
    return calendar


def is_holiday(day: date, country: str | None) -> bool:
    return country is not None and day in _holidays(country, day.year)


def is_business_day(day: date, country: str | None, weekdays: Container[int]) -> bool:
    return day.weekday() in weekdays and not is_holiday(day, country)


def _opening_jitter(key: str, window: SendWindow) -> timedelta:
    """A stable few minutes after opening, so a batch does not all land at 09:00:00 sharp."""
    length = (datetime.combine(date.min, window.end) - datetime.combine(date.min, window.start)).seconds // 60
    span = max(1, min(MAX_OPENING_JITTER_MINUTES, length // 4))
    digest = hashlib.sha256(key.encode()).digest()
    return timedelta(minutes=int.from_bytes(digest[:4], "big") % span)


def next_send_instant(
    earliest: datetime, *, zone: str, country: str | None, window: SendWindow, key: str = ""
) -> datetime:
    """The first instant at or after `earliest` inside the recipient's send window, in UTC.

    When the window is already open the instant is `earliest` itself; otherwise it is the next
    opening plus a stable jitter derived from `key`.
    """
    tz = ZoneInfo(zone)
    local = earliest.astimezone(tz).replace(second=0, microsecond=0)
    if local < earliest.astimezone(tz):
        local += timedelta(minutes=1)
    for _ in range(MAX_DAYS_AHEAD):
        day = local.date()
        if is_business_day(day, country, window.weekdays):
            opens = datetime.combine(day, window.start, tzinfo=tz)
            closes = datetime.combine(day, window.end, tzinfo=tz)
            instant = local if local >= opens else opens + _opening_jitter(key, window)
            if instant < closes:
                return instant.astimezone(UTC)
        local = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    raise NoSendWindowError(f"no send window opens within {MAX_DAYS_AHEAD} days in {zone}")


def add_business_days(
    start: datetime, days: int, *, zone: str, country: str | None, window: SendWindow
) -> datetime:
    """`days` business days after `start`, counted on the recipient's calendar, same local time."""
    tz = ZoneInfo(zone)
    local = start.astimezone(tz)
    day = local.date()
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_business_day(day, country, window.weekdays):
            counted += 1
    return datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=tz).astimezone(UTC)
