"""Dispatch benchmark: N memberships due in the same minute; time from `tick` until the
Postmark fake (50 ms added to every request) has accepted every prompt.

Also, in the same run: the naive baseline (one API call per email, in sequence, like the
original hourly script) on a sample, and the ratio; and, with --workers 1,2,4, the
scale-out table (throughput per worker-process count, and proof nothing was sent twice).

    .venv/bin/python bench/dispatch.py --members 100000 --workers 2 --runs 3
    .venv/bin/python bench/dispatch.py --members 100000 --workers 1,2,4 --runs 3   # scale-out
"""
import argparse
import datetime
import os
import time

from harness import (
    CpuMeter, FakePostmarkProcess, Workers, postgres_pids, bench_settings, median, reset_database, seed_memberships, table, wait_until,
    worker_env, write_results,
)


def now_minute():
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    return now.replace(second=0, microsecond=0)


def baseline(fake, sample):
    """One POST /email per message, in sequence, rendering each (the original hourly script)."""
    from postmarker.core import PostmarkClient

    from channels.email.message import build_message
    from core import tokens
    from core.channels import Outgoing
    from core.models import Membership, User

    settings = bench_settings(fake.url, "baseline")
    client = PostmarkClient(server_token=settings.postmark_server_token, root_api_url=fake.url, timeout=30)
    members = list(Membership.select(Membership, User).join(User).limit(sample))
    day = datetime.date.today()
    started = time.perf_counter()
    for member in members:
        item = Outgoing(delivery_id=member.id, kind="prompt", local_date=day, user_id=member.user.id,
                        membership_id=member.id, email=member.user.email, name=member.user.name,
                        team_name="Team", team_slug="team", reply_token=tokens.encode(settings.secret_key, member.id, day),
                        context={"open_goals": []})
        client.call("POST", "/email", data=build_message(item, settings))
    elapsed = time.perf_counter() - started
    return len(members) / elapsed


def run_once(fake, members, worker_count, threads, queue_name):
    from bot.runtime import build_runtime
    from core.models import Delivery

    reset_database()
    due = now_minute()
    seed_memberships(members, due)
    fake.reset()
    settings = bench_settings(fake.url, queue_name)
    runtime = build_runtime(settings)
    runtime.huey.flush()
    workers = Workers(worker_count, threads, worker_env(fake.url, queue_name))
    try:
        meter = CpuMeter(workers=lambda: [p.pid for p in workers.processes], postgres=postgres_pids,
                         fake=lambda: [fake.process.pid], tick=lambda: [os.getpid()]).start()
        started = time.perf_counter()
        queued = runtime.tasks.run_tick(due)
        tick_seconds = time.perf_counter() - started
        done = wait_until(lambda: fake.stats()["count"] >= members, timeout=600)
        elapsed = time.perf_counter() - started
        cpu = meter.stop()
        if not done:
            raise RuntimeError(f"only {fake.stats()['count']} of {members} accepted after {elapsed:.0f}s")
        time.sleep(0.5)  # let the last ledger updates land before counting
        stats = fake.stats()
        sent_rows = Delivery.select().where(Delivery.state == "sent").count()
        peaks = workers.peak_rss_mb()
    finally:
        workers.stop()
    return {
        "members": members, "workers": worker_count, "threads": threads,
        "seconds": round(elapsed, 2), "tick_seconds": round(tick_seconds, 2),
        "emails_per_second": round(members / elapsed), "queued": sum(len(v) for v in queued.values()),
        "accepted": stats["count"], "distinct_deliveries": stats["distinct_delivery_ids"],
        "duplicates": stats["duplicates"], "ledger_sent": sent_rows,
        "worker_peak_rss_mb": [round(p) for p in peaks], "cpu_seconds": cpu,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--workers", default="2", help="worker process counts, e.g. 1,2,4")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker process")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--sample", type=int, default=200, help="messages sent by the naive baseline")
    parser.add_argument("--name", default="dispatch")
    args = parser.parse_args()

    fake = FakePostmarkProcess(latency=args.latency)
    try:
        runs = []
        for worker_count in [int(w) for w in args.workers.split(",")]:
            for run in range(args.runs):
                result = run_once(fake, args.members, worker_count, args.threads, f"bench-{args.name}")
                runs.append(result)
                print(f"  run {run + 1}: {worker_count} workers, {result['seconds']} s, "
                      f"{result['emails_per_second']} emails/s, duplicates {result['duplicates']}, "
                      f"cpu s {result['cpu_seconds']}", flush=True)
        fake.reset()
        baseline_rate = baseline(fake, args.sample)
    finally:
        fake.stop()

    rows, summary = [], []
    for worker_count in sorted({r["workers"] for r in runs}):
        mine = [r for r in runs if r["workers"] == worker_count]
        rate = median([r["emails_per_second"] for r in mine])
        entry = {
            "workers": worker_count, "runs": len(mine), "median_seconds": median([r["seconds"] for r in mine]),
            "median_emails_per_second": rate, "median_tick_seconds": median([r["tick_seconds"] for r in mine]),
            "ratio_to_baseline": round(rate / baseline_rate), "duplicates": sum(r["duplicates"] for r in mine),
            "missing": sum(r["members"] - r["distinct_deliveries"] for r in mine),
            "peak_rss_mb": max(max(r["worker_peak_rss_mb"] or [0]) for r in mine),
        }
        summary.append(entry)
        rows.append([worker_count, entry["median_seconds"], rate, entry["median_tick_seconds"],
                     f"{entry['ratio_to_baseline']}x", entry["duplicates"], entry["missing"], entry["peak_rss_mb"]])
    print(f"\ndispatch: {args.members} prompts due in one minute, fake latency {args.latency * 1000:.0f} ms/request")
    print(f"naive baseline (one call per email, sequential, {args.sample} emails): {baseline_rate:.1f} emails/s\n")
    print(table(rows, ["workers", "median s", "emails/s", "tick s", "vs baseline", "dupes", "missing", "peak MB"]))
    path = write_results(args.name, {"members": args.members, "latency": args.latency, "threads": args.threads,
                                     "baseline_emails_per_second": round(baseline_rate, 2), "summary": summary,
                                     "runs": runs})
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
