"""Importing an iDoneThis CSV export into a team.

Columns: user_email_address, status, body, occurred_on, completed_on, created_at.
People are added to the team as needed. Each row is recorded as a Reply with source
"import" and a source ref hashed from the team and the row, so importing the same file
again skips what is already there (the Reply's unique key decides, across processes too).
"""
import csv
import datetime
import hashlib
import io
from dataclasses import dataclass, field

from peewee import IntegrityError

from core.db import db
from core.entries import parse_entry
from core.models import Entry, EntryTerm, Membership, Reply, User
from core.teams import InvalidInput, add_member, normalize_email

COLUMNS = ("user_email_address", "status", "body", "occurred_on", "completed_on", "created_at")
STATUSES = {"done": "done", "goal": "goal", "blocker": "blocker", "blocked": "blocker"}
SOURCE = "import"
CHUNK = 200  # rows per transaction: fast on SQLite, small enough to hold no lock for long
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


class BadFile(ValueError):
    """The file as a whole cannot be imported (not CSV, missing columns)."""


@dataclass
class ImportReport:
    read: int = 0
    imported: int = 0
    skipped: int = 0  # imported before
    rejected: list = field(default_factory=list)  # (row number, reason); row 1 is the header
    people_added: list = field(default_factory=list)

    def summary(self):
        return (f"rows read {self.read}, imported {self.imported}, skipped {self.skipped} (imported before), "
                f"rejected {len(self.rejected)}")


def read_rows(text):
    """CSV text -> a list of dicts; BadFile when the header lacks a column."""
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = [name.strip().lower() for name in (reader.fieldnames or [])]
        missing = [c for c in COLUMNS if c not in header]
        if missing:
            raise BadFile(f"not an iDoneThis export: the header lacks {', '.join(missing)}")
        reader.fieldnames = header
        return list(reader)
    except csv.Error as error:
        raise BadFile(f"not readable as CSV: {error}") from None


def _date(value, column):
    text = (value or "").strip()
    try:
        return datetime.date.fromisoformat(text[:10])
    except ValueError:
        raise InvalidInput(f"{column} {text!r} is not a date (YYYY-MM-DD)") from None


def _instant(value):
    """created_at as naive UTC, or None when empty."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        instant = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"created_at {text!r} is not a date and time (ISO 8601)") from None
    if instant.tzinfo is not None:
        instant = instant.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return instant


def unformula(text):
    """Undo export's guard against spreadsheet formulas ('=… is written as '=…)."""
    return text[1:] if len(text) > 1 and text[0] == "'" and text[1] in _FORMULA else text


def guard_formula(text):
    """A cell a spreadsheet would run as a formula is written with a leading quote."""
    return "'" + text if text.startswith(_FORMULA) else text


def _parse(row):
    email = normalize_email(row.get("user_email_address"))
    status = (row.get("status") or "").strip().lower()
    if status not in STATUSES:
        raise InvalidInput(f"status {status!r} is not one of {', '.join(STATUSES)}")
    item = parse_entry(unformula((row.get("body") or "").strip()))
    if item is None:
        raise InvalidInput("body is empty")
    occurred = _date(row.get("occurred_on"), "occurred_on")
    completed = _date(row.get("completed_on"), "completed_on") if (row.get("completed_on") or "").strip() else None
    return email, STATUSES[status], item, occurred, completed, _instant(row.get("created_at"))


def _source_ref(team, row):
    key = "\x1f".join([str(team.id)] + [(row.get(c) or "").strip() for c in COLUMNS])
    return hashlib.sha256(key.encode()).hexdigest()[:40]


def _membership(team, email, now, cache, report):
    if email in cache:
        return cache[email]
    membership = (Membership.select().join(User)
                  .where(Membership.team == team, User.email == email).first())
    if membership is None:
        user = User.get_or_none(User.email == email)
        # An existing person keeps their own time zone; a new one gets the team's default.
        membership = add_member(team, email, now, tz=user.tz if user else None)
        report.people_added.append(email)
    cache[email] = membership
    return membership


def import_rows(team, rows, now, progress=None):
    """Import parsed CSV rows into `team`. `progress(done, total)` is called as rows go by."""
    report, cache = ImportReport(), {}
    total = len(rows)
    for start in range(0, total, CHUNK):
        with db.atomic():
            for offset, row in enumerate(rows[start:start + CHUNK]):
                _import_one(team, row, start + offset + 2, now, cache, report)
        if progress:
            progress(min(start + CHUNK, total), total)
    return report


def _import_one(team, row, number, now, cache, report):
    report.read += 1
    try:
        email, kind, item, occurred, completed, created = _parse(row)
    except InvalidInput as error:
        report.rejected.append((number, str(error)))
        return
    ref = _source_ref(team, row)
    if Reply.select().where(Reply.source == SOURCE, Reply.source_ref == ref).exists():
        report.skipped += 1
        return
    known = email in cache
    try:
        with db.atomic():  # a savepoint: one bad row never leaves half of itself behind
            membership = _membership(team, email, now, cache, report)
            created = created or datetime.datetime.combine(occurred, datetime.time(12))
            reply = Reply.create(membership=membership, local_date=occurred, source=SOURCE, source_ref=ref,
                                 text=row.get("body") or "", created_at=created)
            done_goal = kind == "goal" and completed is not None
            entry = Entry.create(
                membership=membership, reply=reply, local_date=occurred, kind=kind, text=item.text,
                tags=" ".join(item.tags), mentions=" ".join(item.mentions), created_at=created,
                completed_at=datetime.datetime.combine(completed, datetime.time(12)) if done_goal else None,
            )
            terms = [{"entry": entry.id, "kind": "tag", "value": t[:255]} for t in item.tags]
            terms += [{"entry": entry.id, "kind": "mention", "value": m[:255]} for m in item.mentions]
            if terms:
                EntryTerm.insert_many(terms).execute()
    except (IntegrityError, InvalidInput) as error:
        if not known:  # the savepoint undid a membership made for this row
            _forget(email, cache, report)
        if isinstance(error, IntegrityError):  # another import of the same file got there first
            report.skipped += 1
        else:
            report.rejected.append((number, str(error)))
        return
    report.imported += 1


def _forget(email, cache, report):
    cache.pop(email, None)
    if email in report.people_added:
        report.people_added.remove(email)
