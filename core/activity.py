"""Who posted on which days: what the web's calendar and participation chart draw."""
import datetime
from collections import defaultdict

from core.models import Entry, Membership


def posting_days(team, start, end):
    """{membership id: set of local dates with at least one entry} for start..end inclusive."""
    rows = (
        Entry.select(Entry.membership, Entry.local_date)
        .join(Membership)
        .where(Membership.team == team, Entry.local_date >= start, Entry.local_date <= end)
        .distinct()
        .tuples()
    )
    days = defaultdict(set)
    for membership_id, local_date in rows:
        if isinstance(local_date, str):  # SQLite may hand back text for a DISTINCT column
            local_date = datetime.date.fromisoformat(local_date)
        days[membership_id].add(local_date)
    return dict(days)
