"""The daily loop: plan what is due (tick), deliver it (deliver), and clean up after crashes (reap).

The scheduler's tasks are thin wrappers around these functions; they carry ids only.
"""
import datetime
import logging
from concurrent.futures import ThreadPoolExecutor
from collections import defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

from peewee import chunked

from core import channels, ledger, tokens
from core.channels import DeliveryError, Outgoing
from core.db import db, fetch_tuples, id_set, is_sqlite
from core.digest import build_digests, morning_period
from core.email_status import set_email_status
from core.models import Delivery, Entry, InboundMessage, Membership, Reply, Team, User
from core.replies import open_goals, summarize
from core.schedule import DEFAULT_GRACE, Rule, local_date_of, next_occurrence

log = logging.getLogger(__name__)

PLAN_BATCH = 5000  # memberships per transaction; small enough that workers start early
PLAN_CONNECTIONS = 2  # batches planned at once on PostgreSQL
MAX_PER_TICK = 250_000  # a larger backlog (long downtime) continues at the next tick
STALE_SENDING = datetime.timedelta(minutes=10)
LOST_AFTER = datetime.timedelta(minutes=2)
SETTLE = datetime.timedelta(minutes=1)

_KINDS = (("prompt", "next_prompt_at", "prompt_at"), ("digest", "next_digest_at", "digest_at"))


def rule_for(membership, user, kind):
    at = membership.prompt_at if kind == "prompt" else membership.digest_at
    return Rule(user.tz, at, membership.workdays, membership.paused_until)


def refresh_schedule(membership, now):
    """Recompute next_prompt_at and next_digest_at (after creation or any settings change)."""
    user = membership.user
    for kind, column, _ in _KINDS:
        instant, _day = next_occurrence(rule_for(membership, user, kind), now)
        setattr(membership, column, instant)
    membership.save()
    return membership


def channel_for(membership, user):
    """Where this member is asked: their preferred channel if it is configured, else email."""
    preferred = membership.preferred_channel
    return preferred if preferred in channels.available() else "email"


def _skip_reason_at_plan(row, channel, local_date, now, grace):
    if now - row.due_at > grace:
        return f"missed by {now - row.due_at} (more than the {grace} grace period)"
    if row.paused_until is not None and local_date <= row.paused_until:
        return f"paused until {row.paused_until.isoformat()}"
    if channel == "email" and row.email_status != "active":
        return f"email {row.email_status}"
    return None


class _Due(NamedTuple):
    """The columns planning needs, read as plain tuples: model instances cost more than the work."""

    id: int
    at: str  # prompt_at or digest_at
    workdays: str
    paused_until: datetime.date | None
    preferred_channel: str
    due_at: datetime.datetime
    tz: str
    email_status: str


def plan_due(now, grace=DEFAULT_GRACE, on_batch=None):
    """Insert deliveries for every membership whose prompt or digest is due, and advance
    its next_*_at, in one transaction per batch. Returns {channel: [queued delivery ids]}.

    `on_batch(queued)` is called after each batch commits, so workers can start sending
    while the rest is still being planned."""
    queued = defaultdict(list)
    for kind, column_name, at_name in _KINDS:
        column = getattr(Membership, column_name)
        fields = [Membership.id, getattr(Membership, at_name), Membership.workdays, Membership.paused_until,
                  Membership.preferred_channel, column, User.tz, User.email_status]
        # One index scan for everything due, then batches: scanning again after each batch would
        # wade through the index entries the previous batches just updated (quadratic on PostgreSQL).
        # Ordered by team so a team's members land in the same batch and share its digest.
        query = (Membership.select(*fields).join(User).where(column <= now)
                 .order_by(column, Membership.team, Membership.id).limit(MAX_PER_TICK))
        batches = list(chunked(fetch_tuples(query, fields, _Due), PLAN_BATCH))
        for planned in _plan_batches(batches, kind, column, now, grace):
            for channel, ids in planned.items():
                queued[channel] += ids
            if on_batch and planned:
                on_batch(planned)
    return dict(queued)


def _plan_batches(batches, kind, column, now, grace):
    """Plan each batch in its own transaction; yields what each planned, in order, as it commits."""
    if len(batches) < 2 or is_sqlite():  # SQLite has one writer at a time
        for due in batches:
            with db.atomic():
                planned = _plan_batch(due, kind, column, now, grace)
            yield planned  # after the commit: workers must see the rows they are handed
        return
    # The database's inserts and index updates are the tick's cost: more connections plan
    # batches side by side so the server can use more than one core. Batches are disjoint and
    # the ledger's unique key guards each row, so the order they commit in does not matter.
    def plan_on_own_connection(due):
        try:
            with db.atomic():
                return _plan_batch(due, kind, column, now, grace)
        finally:
            db.close()  # back to the pool; connections are per thread

    with ThreadPoolExecutor(PLAN_CONNECTIONS, thread_name_prefix="plan") as pool:
        yield from pool.map(plan_on_own_connection, batches)


def _plan_batch(due, kind, column, now, grace):
    rows = []
    advance = defaultdict(list)  # new next_*_at -> membership ids
    next_by_rule = {}
    local_dates = {}
    available = set(channels.available())
    for row in due:
        if (row.due_at, row.tz) not in local_dates:  # most rows share a due minute and a zone
            local_dates[row.due_at, row.tz] = local_date_of(row.due_at, row.tz)
        local_date = local_dates[row.due_at, row.tz]
        channel = row.preferred_channel if row.preferred_channel in available else "email"
        reason = _skip_reason_at_plan(row, channel, local_date, now, grace)
        rows.append((row.id, kind, channel, local_date, "skipped" if reason else "queued", reason))
        rule = Rule(row.tz, row.at, row.workdays, row.paused_until)
        if rule not in next_by_rule:  # members sharing a schedule share the computation
            next_by_rule[rule] = next_occurrence(rule, now)[0]
        advance[next_by_rule[rule]].append(row.id)
    queued = ledger.plan(rows, now)
    table = Membership._meta.table_name
    for new_value, ids in advance.items():
        for batch in chunked(ids, 5000):
            # ids are integers read from the database, written inline: binding 5,000 parameters
            # through the ORM cost more than the UPDATE itself.
            id_list = ",".join(str(int(i)) for i in batch)
            db.execute_sql(
                f'UPDATE "{table}" SET "{column.column_name}" = {db.param} '
                f'WHERE "id" IN ({id_list}) AND "{column.column_name}" <= {db.param}',
                [column.db_value(new_value), column.db_value(now)],
            )
    return queued


def plan_receipt(membership, local_date, now):
    """After a reply, a short "3 done, 1 goal" back to the person, if their settings ask for it.
    One per member and day (the ledger's key); it lists everything recorded that day when sent."""
    if not membership.receipts:
        return {}
    channel = channel_for(membership, membership.user)
    return ledger.plan([(membership.id, "receipt", channel, local_date, "queued", None)], now)


@dataclass
class DeliverReport:
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    unknown: int = 0
    retry: list = field(default_factory=list)  # [(ids, delay seconds)]


def deliver(channel_name, ids, now, secret_key, worker="", grace=DEFAULT_GRACE, retry_base=ledger.BACKOFF_BASE):
    """Claim these deliveries, render and send what is still owed, and record each outcome."""
    report = DeliverReport()
    token = ledger.new_claim_token(worker)
    won = ledger.claim(ids, now, token)
    if not won:
        return report
    channel = channels.get(channel_name)
    query = (
        Delivery.select(*_ROW_FIELDS)
        .join(Membership).join(User)
        .switch(Membership).join(Team)
        .where(Delivery.id.in_(id_set(won)))
        .order_by(Delivery.id)
    )
    rows = fetch_tuples(query, _ROW_FIELDS, _Row)
    items, skips = _prepare(rows, now, secret_key, grace)
    for reason, skip_ids in skips.items():
        report.skipped += ledger.mark_skipped(skip_ids, token, now, reason)
    if not items:
        return report
    try:
        results = channel.send(items)
    except DeliveryError as error:
        _record_batch_error([i.delivery_id for i in items], error, token, now, report, retry_base)
        return report
    except Exception as error:  # a bug or an unexpected library error: never guess, reconcile
        log.exception("channel %s failed while sending %d messages", channel_name, len(items))
        report.unknown += ledger.mark_unknown([i.delivery_id for i in items], token, now, repr(error))
        return report
    sent = [(r.delivery_id, r.provider_message_id) for r in results if r.ok]
    report.sent += ledger.mark_sent(sent, token, now)
    failed_together = defaultdict(list)  # one error shared by a whole request is recorded in one step
    for result in results:
        if not result.ok:
            failed_together[id(result.error)].append(result)
    for group in failed_together.values():
        _record_batch_error([r.delivery_id for r in group], group[0].error, token, now, report, retry_base)
    return report


def _record_batch_error(ids, error, token, now, report, retry_base=ledger.BACKOFF_BASE):
    if error.ambiguous:
        report.unknown += ledger.mark_unknown(ids, token, now, error)
    elif error.permanent:
        report.failed += ledger.mark_failed(ids, token, now, error)
        if error.address_status:
            users = User.select().join(Membership).join(Delivery).where(Delivery.id.in_(ids)).distinct()
            for user in users:
                set_email_status(user, error.address_status)
    else:
        attempts = max((d.attempts for d in Delivery.select(Delivery.attempts).where(Delivery.id.in_(ids))), default=1)
        delay = ledger.backoff(attempts, error.retry_after, retry_base)
        retried, failed = ledger.mark_retry(ids, token, now, error, delay)
        report.failed += failed
        if retried:
            report.retry.append((ids, delay))


class _Row(NamedTuple):
    """One claimed delivery with what rendering it needs."""

    id: int
    kind: str
    channel: str
    local_date: datetime.date
    created_at: datetime.datetime
    membership_id: int
    paused_until: datetime.date | None
    workdays: str
    user_id: int
    email: str
    name: str
    email_status: str
    team_id: int
    team_name: str
    team_slug: str


_ROW_FIELDS = [Delivery.id, Delivery.kind, Delivery.channel, Delivery.local_date, Delivery.created_at,
               Delivery.membership, Membership.paused_until, Membership.workdays, User.id, User.email, User.name,
               User.email_status, Team.id, Team.name, Team.slug]


def _prepare(rows, now, secret_key, grace):
    """Build one Outgoing per delivery still worth sending; the rest get a skip reason."""
    skips = defaultdict(list)
    prompts = [d for d in rows if d.kind == "prompt"]
    answered = _answered({(d.membership_id, d.local_date) for d in prompts})
    goals_by_member = defaultdict(list)
    for goal in open_goals({d.membership_id for d in prompts}):
        goals_by_member[goal.membership_id].append(goal)
    digests = _digests_for([d for d in rows if d.kind == "digest"])
    items = []
    for d in rows:
        reason = None
        if d.channel == "email" and d.email_status != "active":
            reason = f"email {d.email_status}"
        elif d.paused_until is not None and d.local_date <= d.paused_until:
            reason = f"paused until {d.paused_until.isoformat()}"
        elif d.kind == "prompt" and now - d.created_at > grace:
            reason = "too late: queued for longer than the grace period"
        elif d.kind == "prompt" and (d.membership_id, d.local_date) in answered:
            reason = "already answered today"
        if reason:
            skips[reason].append(d.id)
            continue
        context = {}
        if d.kind == "prompt":
            context["open_goals"] = [g.text for g in goals_by_member[d.membership_id]]
        elif d.kind == "receipt":
            entries = list(Entry.select().where(Entry.membership == d.membership_id, Entry.local_date == d.local_date)
                           .order_by(Entry.id))
            if not entries:
                skips["nothing recorded that day"].append(d.id)
                continue
            context["entries"] = entries
            context["summary"] = summarize(entries)
        elif d.kind == "digest":
            key = (d.team_id, d.local_date, *morning_period(d.local_date, d.workdays))
            if digests[key].is_empty:
                skips["nobody posted in the period"].append(d.id)
                continue
            context["digest"] = digests[key]
        items.append(Outgoing(
            delivery_id=d.id, kind=d.kind, local_date=d.local_date, user_id=d.user_id, membership_id=d.membership_id,
            email=d.email, name=d.name or d.email.split("@", 1)[0], team_name=d.team_name, team_slug=d.team_slug,
            reply_token=tokens.encode(secret_key, d.membership_id, d.local_date), context=context,
        ))
    return items, skips


def _digests_for(rows):
    """Each team's digest, assembled once per batch (not per recipient), all teams of a period at once."""
    periods = defaultdict(set)
    for d in rows:
        periods[(d.local_date, *morning_period(d.local_date, d.workdays))].add(d.team_id)
    digests = {}
    for (day, start, end), team_ids in periods.items():
        for team_id, digest in build_digests(team_ids, day, start, end).items():
            digests[(team_id, day, start, end)] = digest
    return digests


def _answered(pairs):
    """Of these (membership id, local date) pairs, which already have a reply?"""
    if not pairs:
        return set()
    member_ids = {m for m, _ in pairs}
    dates = {d for _, d in pairs}
    found = set()
    for batch in chunked(list(member_ids), ledger.CHUNK):
        fields = [Reply.membership, Reply.local_date]
        query = Reply.select(*fields).where(Reply.membership.in_(id_set(batch)), Reply.local_date.in_(list(dates)))
        found.update(fetch_tuples(query, fields))
    return found & pairs


@dataclass
class ReapReport:
    made_unknown: int = 0
    reconciled_sent: int = 0
    requeued: dict = field(default_factory=dict)  # {channel: [ids]} to enqueue again
    inbound: list = field(default_factory=list)  # inbound message ids to process again


def reap(now, stale_after=STALE_SENDING, lost_after=LOST_AFTER, settle=SETTLE):
    """Find what crashed workers and lost queue tasks left behind."""
    report = ReapReport()
    report.made_unknown = ledger.stale_to_unknown(now, stale_after)
    requeue = ledger.lost_queued(now, lost_after)
    # Only rows unknown for a while: a provider's search may lag a message it just accepted.
    for channel_name, ids in ledger.unknown_by_channel(now - settle).items():
        try:
            answers = channels.get(channel_name).reconcile(ids)
        except Exception:  # provider unreachable: leave them unknown until the next reap
            log.warning("could not reconcile %d %s deliveries; will try again", len(ids), channel_name)
            continue
        accepted = {i: p for i, p in answers.items() if p}
        not_accepted = [i for i in ids if i in answers and not answers[i]]
        if len(answers) < len(ids):
            log.warning("could not check %d %s deliveries; will try again", len(ids) - len(answers), channel_name)
        ledger.resolve_unknown(accepted, not_accepted, now)
        report.reconciled_sent += len(accepted)
        requeue.setdefault(channel_name, []).extend(not_accepted)
    report.requeued = requeue
    report.inbound = [
        (m.id, m.provider) for m in InboundMessage.select(InboundMessage.id, InboundMessage.provider)
        .where(InboundMessage.state == "received", InboundMessage.received_at < now - lost_after)
        .order_by(InboundMessage.id).limit(10000)
    ]
    return report
