"""Local-time rules across DST changes, workdays, pauses."""
import datetime

import pytest

from core.schedule import (
    Rule,
    ScheduleError,
    local_instant,
    next_occurrence,
    parse_hhmm,
    parse_workdays,
    previous_workday,
    upcoming,
    zone,
)

D = datetime.date
DT = datetime.datetime
UTC = datetime.timezone.utc


def as_local(instant, tz):
    return instant.replace(tzinfo=UTC).astimezone(zone(tz))


def fire_days(rule, start, days):
    """Every (local date, local time) the rule fires on in `days` days from `start` (UTC)."""
    out = []
    after = start
    end = start + datetime.timedelta(days=days)
    while True:
        instant, day = next_occurrence(rule, after)
        if instant is None or instant > end:
            return out
        local = as_local(instant, rule.tz)
        out.append((day, local.strftime("%H:%M"), local.utcoffset()))
        after = instant


@pytest.mark.parametrize("tz,before,after", [
    # (zone, a Tuesday before the change, a Tuesday after), 17:00 local stays 17:00 local
    ("America/New_York", D(2026, 3, 3), D(2026, 3, 10)),
    ("America/New_York", D(2026, 10, 27), D(2026, 11, 3)),
    ("Europe/London", D(2026, 3, 24), D(2026, 3, 31)),
    ("Europe/London", D(2026, 10, 20), D(2026, 10, 27)),
    ("Australia/Lord_Howe", D(2026, 3, 31), D(2026, 4, 7)),
    ("Australia/Lord_Howe", D(2026, 9, 29), D(2026, 10, 6)),
    ("Asia/Kathmandu", D(2026, 3, 3), D(2026, 3, 10)),
])
def test_prompt_keeps_its_local_hour_across_dst(tz, before, after):
    rule = Rule(tz, "17:00", "12345")
    for day in (before, after):
        instant = local_instant(day, parse_hhmm("17:00"), tz)
        assert as_local(instant, tz).strftime("%Y-%m-%d %H:%M") == f"{day} 17:00"
    fired = fire_days(rule, DT.combine(before, datetime.time(0)), (after - before).days + 1)
    assert all(hhmm == "17:00" for _, hhmm, _ in fired)
    assert [d for d, _, _ in fired] == [d for d in (before + datetime.timedelta(n) for n in range((after - before).days + 1))
                                         if d.isoweekday() <= 5]


def test_offsets_really_change_so_the_utc_instant_moves():
    ny_before = local_instant(D(2026, 3, 6), parse_hhmm("17:00"), "America/New_York")
    ny_after = local_instant(D(2026, 3, 9), parse_hhmm("17:00"), "America/New_York")
    assert ny_before.hour == 22 and ny_after.hour == 21
    lh_before = local_instant(D(2026, 4, 3), parse_hhmm("17:00"), "Australia/Lord_Howe")  # +11
    lh_after = local_instant(D(2026, 4, 6), parse_hhmm("17:00"), "Australia/Lord_Howe")  # +10:30
    assert (lh_before.hour, lh_before.minute) == (6, 0)
    assert (lh_after.hour, lh_after.minute) == (6, 30)
    ktm = local_instant(D(2026, 7, 1), parse_hhmm("17:00"), "Asia/Kathmandu")  # +05:45
    assert (ktm.hour, ktm.minute) == (11, 15)


@pytest.mark.parametrize("tz,day,at,expect_local,expect_utc", [
    # New York springs forward 02:00 -> 03:00 on 2026-03-08: 02:30 does not exist
    ("America/New_York", D(2026, 3, 8), "02:30", "03:00", DT(2026, 3, 8, 7, 0)),
    # London springs forward 01:00 -> 02:00 on 2026-03-29
    ("Europe/London", D(2026, 3, 29), "01:15", "02:00", DT(2026, 3, 29, 1, 0)),
    # Lord Howe springs forward 02:00 -> 02:30 on 2026-10-04 (a 30-minute gap)
    ("Australia/Lord_Howe", D(2026, 10, 4), "02:10", "02:30", DT(2026, 10, 3, 15, 30)),
])
def test_time_in_a_spring_gap_fires_at_the_next_valid_instant(tz, day, at, expect_local, expect_utc):
    rule = Rule(tz, at, "1234567")
    instant, fired_day = next_occurrence(rule, expect_utc - datetime.timedelta(hours=3))
    assert fired_day == day
    assert instant == expect_utc
    assert as_local(instant, tz).strftime("%H:%M") == expect_local


@pytest.mark.parametrize("tz,day,at", [
    ("America/New_York", D(2026, 11, 1), "01:30"),  # 01:00-02:00 happens twice
    ("Europe/London", D(2026, 10, 25), "01:30"),
    ("Australia/Lord_Howe", D(2026, 4, 5), "01:45"),  # 01:30-02:00 happens twice
])
def test_time_in_a_fall_back_overlap_fires_once(tz, day, at):
    rule = Rule(tz, at, "1234567")
    start = DT.combine(day - datetime.timedelta(days=1), datetime.time(0))
    fired = fire_days(rule, start, 3)
    days = [d for d, _, _ in fired]
    assert days.count(day) == 1
    assert all(hhmm == at for _, hhmm, _ in fired)
    # and it is the first of the two, the earlier instant
    instant, _ = next_occurrence(rule, DT.combine(day, datetime.time(0)) - datetime.timedelta(hours=14))
    first = DT.combine(day, parse_hhmm(at)).replace(tzinfo=zone(tz), fold=0).astimezone(UTC).replace(tzinfo=None)
    assert instant == first


def test_weekends_are_skipped():
    rule = Rule("Europe/London", "17:00", "12345")
    friday_evening = DT(2026, 12, 4, 18, 0)  # after Friday's prompt
    instant, day = next_occurrence(rule, friday_evening)
    assert day == D(2026, 12, 7) and day.isoweekday() == 1


def test_custom_workdays():
    rule = Rule("UTC", "09:00", "7")  # Sundays only
    instant, day = next_occurrence(rule, DT(2026, 12, 1, 0, 0))
    assert day == D(2026, 12, 6)


def test_pause_skips_to_the_first_workday_after_it():
    rule = Rule("America/New_York", "17:00", "12345", paused_until=D(2026, 12, 18))
    instant, day = next_occurrence(rule, DT(2026, 12, 1, 0, 0))
    assert day == D(2026, 12, 21)
    # a pause in the past changes nothing
    rule = Rule("America/New_York", "17:00", "12345", paused_until=D(2026, 11, 1))
    assert next_occurrence(rule, DT(2026, 12, 1, 0, 0))[1] == D(2026, 12, 1)


def test_upcoming_previews_in_order():
    rule = Rule("Asia/Kathmandu", "17:00", "12345")
    times = upcoming(rule, DT(2026, 12, 4, 0, 0), 5)
    assert len(times) == 5 and times == sorted(times)
    assert [as_local(t, "Asia/Kathmandu").date().isoweekday() for t in times] == [5, 1, 2, 3, 4]


def test_previous_workday_makes_monday_cover_friday():
    assert previous_workday(D(2026, 12, 7), "12345") == D(2026, 12, 4)
    assert previous_workday(D(2026, 12, 8), "12345") == D(2026, 12, 7)


@pytest.mark.parametrize("bad", ["Mars/Olympus", "", "../etc/passwd", "/etc/localtime", "America/"])
def test_unknown_zone_is_a_clear_error(bad):
    with pytest.raises(ScheduleError, match="unknown time zone"):
        zone(bad)


@pytest.mark.parametrize("bad", ["25:00", "17", "5pm", "17:0", "-1:00", "17:60", "", "ab:cd"])
def test_malformed_time_is_a_clear_error(bad):
    with pytest.raises(ScheduleError, match="malformed time"):
        parse_hhmm(bad)


def test_workdays_parse_digits_and_names():
    assert parse_workdays("12345") == {1, 2, 3, 4, 5}
    assert parse_workdays("mon,wed,fri") == {1, 3, 5}
    for bad in ("", "08", "funday"):
        with pytest.raises(ScheduleError):
            parse_workdays(bad)
