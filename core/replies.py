"""record_reply: the one door through which every channel records an answer."""
from dataclasses import dataclass, field

from peewee import IntegrityError

from core.db import db, id_set, insert_rows
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


def _no_nul(text):
    """NUL characters carry nothing a person typed, and PostgreSQL cannot store them in text."""
    return text.replace("\x00", "") if isinstance(text, str) else text


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
        .where(Entry.membership.in_(id_set(membership_ids)), Entry.kind == "goal", Entry.completed_at.is_null())
        .order_by(Entry.local_date, Entry.id)
    )


def record_reply(membership, local_date, text, source, source_ref, now):
    """Turn `text` into entries for `membership` on `local_date`, once per (source, source_ref).

    A `[x]` line also closes the member's matching open goal. Everything is
    written in one transaction: a failure leaves no half-written reply.
    """
    if isinstance(membership, int):
        membership = Membership.get_by_id(membership)
    source_ref, text = _no_nul(str(source_ref)), _no_nul(text)
    parsed = parse_entries(text)
    if parsed:
        with db.atomic():
            recorded = _write(membership, local_date, text, source, source_ref, parsed, now)
        if recorded is not None:
            return recorded
    # Recorded before (a retried webhook, another worker a moment ago), or nothing to record.
    earlier = _existing(source, source_ref)
    if earlier is not None:
        return earlier
    if parsed:  # it conflicted, then vanished (deleted meanwhile): let the task try again
        raise IntegrityError(f"reply {source}:{source_ref} changed while it was being recorded")
    raise EmptyReply("the reply has no entries")


_REPLY_COLUMNS = ("membership_id", "local_date", "source", "source_ref", "text", "created_at")
_ENTRY_COLUMNS = ("membership_id", "reply_id", "local_date", "kind", "text", "tags", "mentions", "position",
                  "created_at")


def _write(membership, local_date, text, source, source_ref, parsed, now):
    """Insert the reply, its entries and their terms (inside the caller's transaction).
    -> RecordedReply, or None when (source, source_ref) is already recorded.

    A handful of statements whatever the length of the reply: the reply insert doubles as the
    idempotency check (ON CONFLICT DO NOTHING), and all entries go in one multi-row insert.
    """
    day, stamp = Entry.local_date.db_value(local_date), Entry.created_at.db_value(now)
    inserted = insert_rows(Reply, _REPLY_COLUMNS,
                           [(membership.id, day, source, source_ref, text, stamp)],
                           returning=("id",), ignore_conflicts=True)
    if not inserted:
        return None
    goals = {}  # the member's open goals before this reply, for its [x] lines to close
    if any(item.closes_goal for item in parsed):
        for goal in open_goals([membership.id]):
            goals.setdefault(goal_key(goal.text), goal)
    reply = Reply(id=inserted[0][0], membership=membership, local_date=local_date, source=source,
                  source_ref=source_ref, text=text, created_at=now)
    entries = [Entry(membership=membership, reply=reply, local_date=local_date, kind=item.kind, text=item.text,
                     tags=" ".join(item.tags), mentions=" ".join(item.mentions), position=position, created_at=now)
               for position, item in enumerate(parsed)]
    rows = [(membership.id, reply.id, day, e.kind, e.text, e.tags, e.mentions, e.position, stamp) for e in entries]
    ids = dict(insert_rows(Entry, _ENTRY_COLUMNS, rows, returning=("position", "id")))
    terms = []
    for entry, item in zip(entries, parsed):
        entry.id = ids[entry.position]  # RETURNING's row order is not promised: match by position
        terms += _term_rows(entry.id, item.tags, item.mentions)
    if terms:
        EntryTerm.insert_many(terms).execute()
    closed = []
    for item in parsed:
        goal = _matching_goal(goals, item.text) if item.closes_goal else None
        if goal is not None:
            Entry.update(completed_at=now).where(Entry.id == goal.id, Entry.completed_at.is_null()).execute()
            closed.append(goal)
    return RecordedReply(reply, entries, created=True, closed_goals=closed)


def _term_rows(entry_id, tags, mentions):
    rows = [{"entry": entry_id, "kind": "tag", "value": t[:255]} for t in tags]
    return rows + [{"entry": entry_id, "kind": "mention", "value": m[:255]} for m in mentions]


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



def _delete_entries(reply_id):
    entry_ids = Entry.select(Entry.id).where(Entry.reply == reply_id)
    EntryTerm.delete().where(EntryTerm.entry.in_(entry_ids)).execute()
    Entry.delete().where(Entry.reply == reply_id).execute()


def replace_reply(source, source_ref, text, now):
    """An edited message (a Slack edit): its entries become those of the new text.

    Returns the RecordedReply, or None when that message was never recorded. Goals the old
    text closed stay closed. Raises EmptyReply when the new text holds nothing (delete instead)."""
    reply = Reply.get_or_none(Reply.source == source, Reply.source_ref == _no_nul(str(source_ref)))
    if reply is None:
        return None
    text = _no_nul(text)
    parsed = parse_entries(text)
    if not parsed:
        raise EmptyReply("the edited message has no entries")
    with db.atomic():
        _delete_entries(reply.id)
        reply.delete_instance()
        recorded = _write(reply.membership, reply.local_date, text, source, _no_nul(str(source_ref)), parsed, now)
        if recorded is None:  # another edit of the same message got in first: roll back, the task retries
            raise IntegrityError(f"reply {source}:{source_ref} was edited twice at once")
        return recorded


def delete_reply(source, source_ref):
    """A deleted message: its reply and entries go. Returns True if there was one."""
    reply = Reply.get_or_none(Reply.source == source, Reply.source_ref == str(source_ref))
    if reply is None:
        return False
    with db.atomic():
        _delete_entries(reply.id)
        reply.delete_instance()
    return True


def complete_goal(goal, local_date, source, now):
    """Check off an open goal (web, Slack): close it and record it as done on `local_date`.
    Returns the new done entry, or None when the goal was already closed."""
    with db.atomic():
        closed = Entry.update(completed_at=now).where(
            Entry.id == goal.id, Entry.kind == "goal", Entry.completed_at.is_null()
        ).execute()
        if not closed:
            return None
        done = Entry.create(membership=goal.membership_id, local_date=local_date, kind="done", text=goal.text,
                            tags=goal.tags, mentions=goal.mentions, created_at=now)
        terms = _term_rows(done.id, goal.tags.split(), goal.mentions.split())
        if terms:
            EntryTerm.insert_many(terms).execute()
        return done


def edit_entry(entry, text, now):
    """Change one entry's text (the web's edit); kind, tags and mentions follow the new text."""
    text = _no_nul(text)
    parsed = parse_entries(text)
    if not parsed:
        raise EmptyReply("an entry needs some text")
    if len(parsed) > 1:
        raise ValueError("an entry is one line of text")
    item = parsed[0]
    with db.atomic():
        entry.kind = item.kind if not item.closes_goal else "done"
        entry.text, entry.tags, entry.mentions = item.text, " ".join(item.tags), " ".join(item.mentions)
        entry.save()
        EntryTerm.delete().where(EntryTerm.entry == entry.id).execute()
        terms = _term_rows(entry.id, item.tags, item.mentions)
        if terms:
            EntryTerm.insert_many(terms).execute()
    return entry


def delete_entry(entry):
    with db.atomic():
        EntryTerm.delete().where(EntryTerm.entry == entry.id).execute()
        entry.delete_instance()
