"""Local-time rules: when is a member's next prompt or digest, as a naive UTC instant.

A wall-clock time that does not exist on a day (spring forward) fires at the first
valid instant after it; one that happens twice (fall back) fires once, at the first.
"""
import datetime
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

UTC = datetime.timezone.utc

# A prompt this late is recorded as skipped rather than sent (after downtime,
# nobody wants "What'd you get done today?" at 3 a.m.).
DEFAULT_GRACE = datetime.timedelta(hours=2)

# How far ahead to look for the next workday; covers a pause of any length
# because we start looking the day after the pause ends.
_SEARCH_DAYS = 14


class ScheduleError(ValueError):
    """A time zone, time of day or workday set that cannot be used."""


@lru_cache(maxsize=None)
def zone(name):
    """The ZoneInfo for an IANA name, or ScheduleError with a clear message."""
    if not isinstance(name, str) or not name or name.startswith(("/", ".")) or ".." in name:
        raise ScheduleError(f"unknown time zone: {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, IsADirectoryError, OSError):
        raise ScheduleError(f"unknown time zone: {name!r}") from None


def all_zones():
    return sorted(available_timezones())


def parse_hhmm(value):
    """'17:00' -> time(17, 0). Accepts H:MM and HH:MM, 00:00 to 23:59."""
    text = (value or "").strip()
    hours, sep, minutes = text.partition(":")
    if not sep or not hours.isdigit() or not minutes.isdigit() or len(minutes) != 2 or len(hours) > 2:
        raise ScheduleError(f"malformed time {value!r}: expected HH:MM, e.g. 17:30")
    h, m = int(hours), int(minutes)
    if h > 23 or m > 59:
        raise ScheduleError(f"malformed time {value!r}: hours 0-23, minutes 0-59")
    return datetime.time(h, m)


def parse_workdays(value):
    """'12345' (ISO weekdays, Monday = 1) -> frozenset({1,..,5}); also accepts 'mon,tue'."""
    names = {"mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7}
    text = (value or "").strip().lower()
    days = set()
    if text.isdigit():
        days = {int(c) for c in text}
    else:
        for part in text.replace(" ", "").split(","):
            if part[:3] not in names:
                raise ScheduleError(f"malformed workdays {value!r}: use digits 1-7 (Monday = 1) or mon,tue,...")
            days.add(names[part[:3]])
    if not days or not days <= set(range(1, 8)):
        raise ScheduleError(f"malformed workdays {value!r}: use digits 1-7 (Monday = 1)")
    return frozenset(days)


def format_workdays(days):
    return "".join(str(d) for d in sorted(days))


@dataclass(frozen=True)
class Rule:
    """What decides when one member is asked: hashable, so equal rules are computed once."""

    tz: str
    at: str  # HH:MM local
    workdays: str = "12345"
    paused_until: datetime.date | None = None


def to_utc_naive(aware):
    return aware.astimezone(UTC).replace(tzinfo=None)


def local_instant(day, at, tz):
    """The UTC instant (naive) when the wall clock in `tz` first shows `at` on `day`."""
    tzinfo = zone(tz)
    wall = datetime.datetime.combine(day, at)
    first = wall.replace(tzinfo=tzinfo, fold=0)
    if first.astimezone(UTC).astimezone(tzinfo).replace(tzinfo=None) == wall:
        return to_utc_naive(first)  # exists; fold=0 is the first of two in an overlap
    # In a gap: find the first instant whose wall time is at or after `at`.
    # The transition lies between the two fold interpretations.
    lo = first.replace(fold=1).astimezone(UTC)
    hi = first.astimezone(UTC)
    if lo > hi:
        lo, hi = hi, lo
    while hi - lo > datetime.timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        if mid.astimezone(tzinfo).replace(tzinfo=None) >= wall:
            hi = mid
        else:
            lo = mid
    return hi.replace(tzinfo=None, microsecond=0)


def local_date_of(instant, tz):
    """The local calendar date in `tz` at naive-UTC `instant`."""
    return instant.replace(tzinfo=UTC).astimezone(zone(tz)).date()


def next_occurrence(rule, after):
    """The first instant strictly after naive-UTC `after` when `rule` fires, with its local date.

    Returns (instant, local_date), or (None, None) when no workday is set.
    """
    at = parse_hhmm(rule.at)
    workdays = parse_workdays(rule.workdays)
    day = local_date_of(after, rule.tz) - datetime.timedelta(days=1)
    if rule.paused_until and rule.paused_until >= day:
        day = rule.paused_until
    for _ in range(_SEARCH_DAYS):
        day += datetime.timedelta(days=1)
        if day.isoweekday() not in workdays:
            continue
        instant = local_instant(day, at, rule.tz)
        if instant > after:
            return instant, day
    return None, None


def upcoming(rule, after, count):
    """The next `count` firing instants after `after` (for previews)."""
    out = []
    for _ in range(count):
        instant, _day = next_occurrence(rule, after)
        if instant is None:
            break
        out.append(instant)
        after = instant
    return out


def previous_workday(day, workdays, cap_days=7):
    """The workday before `day` (at most `cap_days` back): the start of a digest's period."""
    days = parse_workdays(workdays)
    for back in range(1, cap_days + 1):
        candidate = day - datetime.timedelta(days=back)
        if candidate.isoweekday() in days:
            return candidate
    return day - datetime.timedelta(days=cap_days)
