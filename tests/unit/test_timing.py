"""The send window lives on the recipient's clock, skips weekends and their public holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from nearmiss.domain.models import SendWindow
from nearmiss.domain.timing import NoSendWindowError, add_business_days, next_send_instant, recipient_zone

from tests.conftest import make_candidate, make_contacts

WINDOW = SendWindow()


def local(instant: datetime, zone: str) -> datetime:
    return instant.astimezone(ZoneInfo(zone))


def test_an_instant_inside_the_window_is_kept() -> None:
    # Given Tuesday 10:30 in New York
    earliest = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)
    # When / Then
    assert next_send_instant(earliest, zone="America/New_York", country="US", window=WINDOW) == earliest


def test_an_evening_instant_moves_to_the_next_morning_in_the_recipients_zone() -> None:
    # Given 18:00 in Berlin (17:00 UTC) on a Tuesday
    earliest = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)
    # When
    instant = next_send_instant(earliest, zone="Europe/Berlin", country="DE", window=WINDOW, key="k")
    # Then: Wednesday between 09:00 and 09:40 Berlin time
    berlin = local(instant, "Europe/Berlin")
    assert berlin.date().isoformat() == "2026-11-25"
    assert (9, 0) <= (berlin.hour, berlin.minute) < (9, 40)


def test_the_same_utc_instant_lands_differently_for_recipients_in_two_zones() -> None:
    earliest = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)  # 15:00 New York, 21:00 Berlin
    ny = next_send_instant(earliest, zone="America/New_York", country="US", window=WINDOW)
    berlin = next_send_instant(earliest, zone="Europe/Berlin", country="DE", window=WINDOW)
    assert ny == earliest
    assert local(berlin, "Europe/Berlin").date().isoformat() == "2026-11-25"


def test_a_public_holiday_of_the_recipients_country_is_skipped() -> None:
    # Given Thanksgiving morning 2026 (Thursday 26 November) in New York
    earliest = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
    # When
    us = next_send_instant(earliest, zone="America/New_York", country="US", window=WINDOW)
    german = next_send_instant(earliest, zone="Europe/Berlin", country="DE", window=WINDOW)
    # Then the US recipient waits for Friday; the German one does not
    assert local(us, "America/New_York").date().isoformat() == "2026-11-27"
    assert german == earliest


def test_weekends_are_skipped() -> None:
    saturday = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    instant = next_send_instant(saturday, zone="Europe/London", country="GB", window=WINDOW)
    assert local(instant, "Europe/London").strftime("%A") == "Monday"


def test_the_window_follows_daylight_saving_time() -> None:
    # 13:30 UTC is 09:30 in New York in summer (EDT) and 08:30 in winter (EST).
    summer = next_send_instant(
        datetime(2026, 7, 7, 13, 30, tzinfo=UTC), zone="America/New_York", country=None, window=WINDOW
    )
    winter = next_send_instant(
        datetime(2026, 12, 8, 13, 30, tzinfo=UTC), zone="America/New_York", country=None, window=WINDOW
    )
    assert summer == datetime(2026, 7, 7, 13, 30, tzinfo=UTC)
    assert local(winter, "America/New_York").hour == 9


def test_business_days_are_counted_on_the_recipients_calendar() -> None:
    tuesday = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
    us = add_business_days(tuesday, 3, zone="America/New_York", country="US", window=WINDOW)
    de = add_business_days(tuesday, 3, zone="Europe/Berlin", country="DE", window=WINDOW)
    assert local(us, "America/New_York").date().isoformat() == "2026-11-30"  # Thanksgiving skipped
    assert local(de, "Europe/Berlin").date().isoformat() == "2026-11-27"


def test_a_window_that_never_opens_is_an_error_not_a_hang() -> None:
    # Validation refuses such a window; model_copy skips validation to build the impossible case.
    never = WINDOW.model_copy(update={"weekdays": frozenset({7})})
    with pytest.raises(NoSendWindowError):
        next_send_instant(datetime(2026, 11, 23, tzinfo=UTC), zone="UTC", country=None, window=never)


def test_the_zone_falls_back_from_the_recipient_to_the_candidate_to_utc() -> None:
    grace, _, sam = make_contacts()
    candidate = make_candidate()
    assert recipient_zone(grace, candidate) == ("America/New_York", "US")
    assert recipient_zone(sam, candidate) == ("Europe/London", "GB")
    assert recipient_zone(sam, make_candidate(time_zone="UTC", country=None)) == ("UTC", None)


@pytest.mark.parametrize("country", ["US", "GB", "DE", "IN", "IM", "JP", "BR"])
def test_one_countrys_calendar_is_the_librarys_own_for_that_country(country: str) -> None:
    # The planner loads only the country's module (not all 250); the days must be the library's.
    import holidays
    from nearmiss.domain import timing

    for year in (2026, 2027):
        ours = timing._holidays(country, year)
        theirs = holidays.country_holidays(country, years=year)
        assert sorted(ours) == sorted(theirs)  # type: ignore[call-overload]


def test_a_country_the_library_does_not_know_has_no_public_holidays() -> None:
    from nearmiss.domain import timing

    assert not timing.is_holiday(date(2026, 1, 1), "XX")


def test_a_country_calendar_loads_once_whole_when_threads_race_for_it() -> None:
    # Given a fresh interpreter (no calendar loaded yet) and 32 threads planning in the US at once,
    # as the dispatcher's worker threads do on its first run
    import subprocess
    import sys

    script = (
        "import threading\n"
        "from datetime import date\n"
        "from nearmiss.domain import timing\n"
        "errors = []\n"
        "def plan():\n"
        "    try:\n"
        "        timing.is_holiday(date(2026, 12, 25), 'US')\n"
        "    except Exception as exc:\n"
        "        errors.append(repr(exc))\n"
        "threads = [threading.Thread(target=plan) for _ in range(32)]\n"
        "[t.start() for t in threads]\n"
        "[t.join() for t in threads]\n"
        "print(len(errors))\n"
    )
    # When they all ask for the calendar; Then none of them sees a half-loaded module
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": "shared"},
    )
    assert result.stdout.strip() == "0", result.stderr
