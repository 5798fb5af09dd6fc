"""Search entries: words (full-text), #tags, @people and a date range, within some teams.

Words use the index made by migration 0003: SQLite FTS5 on the embedded default,
PostgreSQL full-text search in production. Both stem English words ("shipped" finds "ship")
and match word prefixes ("migra" finds "migration").
"""
import datetime
import re
from dataclasses import dataclass, field

from peewee import SQL, fn

from core.db import is_sqlite
from core.models import Entry, EntryTerm, Membership, Team, User

MAX_RESULTS = 200
_WORD = re.compile(r"\w+")


@dataclass
class Query:
    words: list = field(default_factory=list)
    tags: list = field(default_factory=list)
    people: list = field(default_factory=list)
    start: datetime.date | None = None
    end: datetime.date | None = None

    @property
    def is_empty(self):
        return not (self.words or self.tags or self.people or self.start or self.end)


def parse_query(text, start=None, end=None):
    """'deploy #infra @dana' -> Query(words=['deploy'], tags=['infra'], people=['dana'])."""
    query = Query(start=start, end=end)
    for token in (text or "").split()[:20]:  # a bound on work per request
        if token.startswith("#") and len(token) > 1:
            query.tags.append(token[1:].lower())
        elif token.startswith("@") and len(token) > 1:
            query.people.append(token[1:].lower())
        else:
            query.words += [w.lower() for w in _WORD.findall(token)]
    return query


def _matching_ids(words):
    """A subquery of entry ids whose text holds every word (as a prefix)."""
    if is_sqlite():
        # Each word quoted (no FTS syntax gets through) and prefix-matched.
        match = " ".join(f'"{w}"*' for w in words)
        return SQL("(SELECT rowid FROM entry_fts WHERE entry_fts MATCH ?)", [match])
    # \w+ tokens are safe inside to_tsquery; ':*' makes each a prefix.
    tsquery = " & ".join(f"{w}:*" for w in words)
    return SQL("(SELECT id FROM entry WHERE to_tsvector('english', text) @@ to_tsquery('english', %s))", [tsquery])


def _person_condition(name):
    """@name: written by someone of that name (first name, full name, or email's local part),
    or mentioning @name."""
    local = fn.SUBSTR(User.email, 1, fn.INSTR(User.email, "@") - 1) if is_sqlite() else \
        fn.SPLIT_PART(User.email, "@", 1)
    squashed = fn.REPLACE(fn.LOWER(User.name), " ", "")
    first = fn.LOWER(User.name).startswith(name + " ")
    mentioned = Entry.id.in_(EntryTerm.select(EntryTerm.entry).where(EntryTerm.kind == "mention",
                                                                     EntryTerm.value == name))
    return (local == name) | (squashed == name) | first | (fn.LOWER(User.name) == name) | mentioned


def search(team_ids, query, limit=MAX_RESULTS):
    """Entries in these teams matching `query`, newest first, with membership, user and team loaded."""
    if not team_ids or query.is_empty:
        return []
    select = (
        Entry.select(Entry, Membership, User, Team)
        .join(Membership).join(User).switch(Membership).join(Team)
        .where(Membership.team.in_(list(team_ids)))
    )
    if query.words:
        select = select.where(Entry.id.in_(_matching_ids(query.words)))
    for tag in query.tags:
        select = select.where(Entry.id.in_(
            EntryTerm.select(EntryTerm.entry).where(EntryTerm.kind == "tag", EntryTerm.value == tag)))
    if query.people:
        condition = _person_condition(query.people[0])
        for name in query.people[1:]:
            condition |= _person_condition(name)
        select = select.where(condition)
    if query.start:
        select = select.where(Entry.local_date >= query.start)
    if query.end:
        select = select.where(Entry.local_date <= query.end)
    return list(select.order_by(Entry.local_date.desc(), Entry.id.desc()).limit(limit))
