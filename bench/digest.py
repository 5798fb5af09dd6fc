"""Digest fan-out benchmark: 10,000 teams of 10 members with 3 entries each; time from the
morning tick until the Postmark fake (50 ms per request) has accepted all 100,000 digests.
Each team's digest is assembled once per batch, not per recipient.

    .venv/bin/python bench/digest.py --teams 10000 --workers 2 --runs 3
"""
import argparse
import datetime
import os
import time

from harness import (
    CpuMeter, FakePostmarkProcess, Workers, bench_settings, median, postgres_pids, reset_database, table,
    wait_until, worker_env, write_results,
)


def seed(teams, due_at, day):
    """Teams of 10, each member with 3 entries the day before `day`, digest due at `due_at`."""
    from core.db import db

    members = teams * 10
    stamp = due_at.strftime("%Y-%m-%d %H:%M:%S")
    yesterday = (day - datetime.timedelta(days=1)).isoformat()
    db.execute_sql(f"INSERT INTO team (name, slug, default_prompt_at, default_digest_at, default_tz, created_at) "
                   f"SELECT 'Team ' || g, 'team-' || g, '17:00', '09:00', 'UTC', now() FROM generate_series(1, {teams}) g")
    db.execute_sql(f"INSERT INTO \"user\" (email, name, tz, email_status, created_at) "
                   f"SELECT 'person' || g || '@example.com', 'Person ' || g, 'UTC', 'active', now() "
                   f"FROM generate_series(1, {members}) g")
    db.execute_sql(
        "INSERT INTO membership (user_id, team_id, role, prompt_at, digest_at, workdays, preferred_channel, receipts, "
        "next_prompt_at, next_digest_at, created_at) "
        f"SELECT (SELECT min(id) FROM \"user\") + g - 1, (SELECT min(id) FROM team) + (g - 1) / 10, 'member', "
        f"'17:00', '{due_at:%H:%M}', '1234567', 'email', false, TIMESTAMP '{stamp}' + INTERVAL '8 hours', "
        f"TIMESTAMP '{stamp}', now() FROM generate_series(1, {members}) g"
    )
    db.execute_sql(
        "INSERT INTO entry (membership_id, local_date, kind, text, tags, mentions, position, created_at) "
        f"SELECT m.id, DATE '{yesterday}', 'done', 'shipped piece ' || k || ' of the importer #backend', 'backend', "
        f"'', k, now() FROM membership m CROSS JOIN generate_series(1, 3) k"
    )
    db.execute_sql("ANALYZE")


def run_once(fake, teams, worker_count, threads, queue_name):
    from bot.runtime import build_runtime

    reset_database()
    day = datetime.datetime.now(datetime.timezone.utc).date()
    due = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None, second=0, microsecond=0)
    seed(teams, due, day)
    fake.reset()
    settings = bench_settings(fake.url, queue_name)
    runtime = build_runtime(settings)
    runtime.huey.flush()
    members = teams * 10
    workers = Workers(worker_count, threads, worker_env(fake.url, queue_name))
    try:
        meter = CpuMeter(workers=lambda: [p.pid for p in workers.processes], postgres=postgres_pids,
                         fake=lambda: [fake.process.pid], tick=lambda: [os.getpid()]).start()
        started = time.perf_counter()
        runtime.tasks.run_tick(due)
        done = wait_until(lambda: fake.stats()["count"] >= members, timeout=600)
        elapsed = time.perf_counter() - started
        cpu = meter.stop()
        stats = fake.stats()
        if not done:
            raise RuntimeError(f"only {stats['count']} of {members} digests accepted after {elapsed:.0f}s")
    finally:
        workers.stop()
    return {"teams": teams, "digests": members, "seconds": round(elapsed, 2),
            "digests_per_second": round(members / elapsed), "duplicates": stats["duplicates"],
            "distinct": stats["distinct_delivery_ids"], "cpu_seconds": cpu}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--teams", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--latency", type=float, default=0.05)
    args = parser.parse_args()
    fake = FakePostmarkProcess(latency=args.latency)
    try:
        runs = []
        for run in range(args.runs):
            result = run_once(fake, args.teams, args.workers, args.threads, "bench-digest")
            runs.append(result)
            print(f"  run {run + 1}: {result['seconds']} s, {result['digests_per_second']} digests/s, "
                  f"duplicates {result['duplicates']}, cpu s {result['cpu_seconds']}", flush=True)
    finally:
        fake.stop()
    seconds = median([r["seconds"] for r in runs])
    print(f"\ndigest fan-out: {args.teams} teams x 10 members, 3 entries each, {args.workers} workers\n")
    print(table([[args.teams * 10, seconds, round(args.teams * 10 / seconds), sum(r["duplicates"] for r in runs),
                  "<= 30 s"]], ["digests", "median s", "digests/s", "dupes", "target"]))
    path = write_results("digest", {"teams": args.teams, "workers": args.workers, "median_seconds": seconds,
                                    "runs": runs})
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
