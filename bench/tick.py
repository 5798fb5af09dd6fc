"""Tick planning benchmark: 1,000,000 memberships of which 40,000 are due; the tick's own time
(select by index, insert deliveries, advance next_prompt_at), with the query plan.

    .venv/bin/python bench/tick.py --members 1000000 --due 40000 --runs 3
"""
import argparse
import datetime
import time

from harness import median, reset_database, table, write_results


def seed(total, due_count, due_at):
    """`total` people in teams of 10; `due_count` due at `due_at`, the rest spread over the next day.
    Generated inside PostgreSQL: a million rows through the driver would dominate the run."""
    from core.db import db

    stamp = due_at.strftime("%Y-%m-%d %H:%M:%S")
    teams = (total + 9) // 10
    db.execute_sql(f"INSERT INTO team (name, slug, default_prompt_at, default_digest_at, default_tz, created_at) "
                   f"SELECT 'Team ' || g, 'team-' || g, '17:00', '09:00', 'UTC', now() FROM generate_series(1, {teams}) g")
    db.execute_sql(f"INSERT INTO \"user\" (email, name, tz, email_status, created_at) "
                   f"SELECT 'person' || g || '@example.com', 'Person ' || g, 'UTC', 'active', now() "
                   f"FROM generate_series(1, {total}) g")
    # Those not due get instants spread over the following 24 hours, minute by minute.
    db.execute_sql(
        "INSERT INTO membership (user_id, team_id, role, prompt_at, digest_at, workdays, preferred_channel, receipts, "
        "next_prompt_at, next_digest_at, created_at) "
        f"SELECT (SELECT min(id) FROM \"user\") + g - 1, (SELECT min(id) FROM team) + (g - 1) / 10, 'member', '{due_at:%H:%M}', '09:00', '1234567', "
        f"'email', false, "
        f"CASE WHEN g <= {due_count} THEN TIMESTAMP '{stamp}' "
        f"ELSE TIMESTAMP '{stamp}' + (mod(g, 1440) + 1) * INTERVAL '1 minute' END, "
        f"TIMESTAMP '{stamp}' + INTERVAL '1 day', now() "
        f"FROM generate_series(1, {total}) g"
    )
    # A database in service is vacuumed and checkpointed in the background; right after a bulk
    # load it is not: the first reader would set a million rows' hint bits, and the checkpoint the
    # load triggers would land inside the timed tick.
    db.execute_sql("VACUUM ANALYZE")
    db.execute_sql("CHECKPOINT")


def explain(due_at):
    from core import dispatch
    from core.db import db
    from core.models import Membership, User

    fields = [Membership.id, Membership.prompt_at, Membership.workdays, Membership.paused_until,
              Membership.preferred_channel, Membership.next_prompt_at, User.tz, User.email_status]
    query = (Membership.select(*fields).join(User).where(Membership.next_prompt_at <= due_at)
             .order_by(Membership.next_prompt_at, Membership.team, Membership.id).limit(dispatch.MAX_PER_TICK))
    sql, params = query.sql()
    plan = db.execute_sql("EXPLAIN " + sql, params).fetchall()
    return [row[0] for row in plan]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=40_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    from core import channels, dispatch
    from core.models import Delivery, Membership

    runs = []
    plan_lines = []
    for run in range(args.runs):
        reset_database()
        channels.clear()  # planning only: no channel is needed to insert deliveries
        due_at = datetime.datetime(2026, 12, 1, 17, 0)
        seed(args.members, args.due, due_at)
        plan_lines = explain(due_at)
        started = time.perf_counter()
        queued = dispatch.plan_due(due_at, datetime.timedelta(hours=2))
        seconds = time.perf_counter() - started
        planned = sum(len(ids) for ids in queued.values())
        advanced = Membership.select().where(Membership.next_prompt_at <= due_at).count()
        runs.append({"seconds": round(seconds, 2), "planned": planned, "deliveries": Delivery.select().count(),
                     "still_due": advanced})
        print(f"  run {run + 1}: {seconds:.2f} s, planned {planned}, still due {advanced}", flush=True)

    seconds = median([r["seconds"] for r in runs])
    print(f"\ntick planning: {args.members} memberships, {args.due} due\n")
    print(table([[args.due, seconds, round(args.due / seconds), "<= 3 s"]],
                ["due", "median s", "memberships/s", "target"]))
    print("\nquery plan:\n  " + "\n  ".join(plan_lines))
    path = write_results("tick", {"members": args.members, "due": args.due, "median_seconds": seconds,
                                  "runs": runs, "plan": plan_lines})
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
