"""record_reply: the one door through which every channel records an answer."""
from dataclasses import dataclass, field

from peewee import IntegrityError

from core.db import db
from core.entries import goal_key, parse_entries
from core.models import Entry, EntryTerm, Membership, Reply


class EmptyReply(ValueError):
    """The text held nothing to record."""


@dataclass
class RecordedReply:
    reply: Reply
    entries: list = field(default_factory=list)
    created: bool = True  # False when this source message was recorded before
    closed_goals: list = field(default_factory=list)

    def summary(self):
        return summarize(self.entries)


def summarize(entries):
    """'3 done, 1 goal, 1 blocker' for receipts and confirmations."""
    counts = {}
    for entry in entries:
        counts[entry.kind] = counts.get(entry.kind, 0) + 1
    names = {"done": ("done", "done"), "goal": ("goal", "goals"), "blocker": ("blocker", "blockers")}
    parts = [f"{counts[k]} {names[k][counts[k] != 1]}" for k in ("done", "goal", "blocker") if k in counts]
    return ", ".join(parts) or "nothing"


def _existing(source, source_ref):
    reply = Reply.get_or_none(Reply.source == source, Reply.source_ref == source_ref)
    if reply is None:
        return None
    entries = list(Entry.select().where(Entry.reply == reply).order_by(Entry.position))
    return RecordedReply(reply, entries, created=False)


def open_goals(membership_ids):
    """Open goals of these memberships, oldest first."""
    if not membership_ids:
        return []
    return list(
        Entry.select()
        .where(Entry.membership.in_(list(membership_ids)), Entry.kind == "goal", Entry.completed_at.is_null())
        .order_by(Entry.local_date, Entry.id)
    )


def record_reply(membership, local_date, text, source, source_ref, now):
    """Turn `text` into entries for `membership` on `local_date`, once per (source, source_ref).

    A `[x]` line also closes the member's matching open goal. Everything is
    written in one transaction: a failure leaves no half-written reply.
    """
    if isinstance(membership, int):
        membership = Membership.get_by_id(membership)
    source_ref = str(source_ref)
    earlier = _existing(source, source_ref)
    if earlier is not None:
        return earlier
    parsed = parse_entries(text)
    if not parsed:
        raise EmptyReply("the reply has no entries")
    try:
        with db.atomic():
            return _write(membership, local_date, text, source, source_ref, parsed, now)
    except IntegrityError:
        # Another worker recorded the same message a moment ago.
        earlier = _existing(source, source_ref)
        if earlier is None:
            raise
        return earlier


def _write(membership, local_date, text, source, source_ref, parsed, now):
    reply = Reply.create(
        membership=membership, local_date=local_date, source=source, source_ref=source_ref,
        text=text, created_at=now,
    )
    goals = {}
    if any(p.closes_goal for p in parsed):
        for goal in open_goals([membership.id]):
            goals.setdefault(goal_key(goal.text), goal)
    entries, closed, terms = [], [], []
    for position, item in enumerate(parsed):
        entry = Entry.create(
            membership=membership, reply=reply, local_date=local_date, kind=item.kind, text=item.text,
            tags=" ".join(item.tags), mentions=" ".join(item.mentions), position=position, created_at=now,
        )
        entries.append(entry)
        terms += [{"entry": entry.id, "kind": "tag", "value": t[:255]} for t in item.tags]
        terms += [{"entry": entry.id, "kind": "mention", "value": m[:255]} for m in item.mentions]
        if item.closes_goal:
            goal = _matching_goal(goals, item.text)
            if goal is not None:
                Entry.update(completed_at=now).where(Entry.id == goal.id, Entry.completed_at.is_null()).execute()
                closed.append(goal)
    if terms:
        EntryTerm.insert_many(terms).execute()
    return RecordedReply(reply, entries, created=True, closed_goals=closed)


def _matching_goal(goals, text):
    key = goal_key(text)
    goal = goals.pop(key, None)
    if goal is not None:
        return goal
    # "[x] migration guide" closes "[ ] write the migration guide" and vice versa.
    for other_key in list(goals):
        if len(key) >= 8 and (key in other_key or other_key in key):
            return goals.pop(other_key)
    return None

