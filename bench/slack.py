"""Slack benchmark: N prompt DMs through the Slack fake, which answers 429 with Retry-After above
a rate (per method, as Slack's tiers do): all delivered, none failed; the time it takes.
donebot paces its calls below the limit (SLACK_RATE_PER_SECOND, here --pace, by default 90% of
the fake's limit); a --pace above --rate shows what happens when the limit is hit anyway.

    .venv/bin/python bench/slack.py --prompts 10000 --rate 150 --runs 3
"""
import argparse
import dataclasses
import datetime
import time
from concurrent.futures import ThreadPoolExecutor

from harness import SECRET, bench_settings, median, reset_database, table, write_results


def run_once(count, rate, threads, pace):
    from peewee import chunked

    from bot.runtime import build_runtime
    from channels.slack.models import SlackUser
    from core import dispatch
    from core.db import db
    from core.models import Delivery, Membership, User
    from core.teams import create_team
    from tests.fakes.slack import BOT_TOKEN, TEAM_ID, FakeSlack

    fake = FakeSlack().start()
    try:
        reset_database()
        due = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None, second=0, microsecond=0)
        team = create_team("Slack bench", slug="slack-bench")
        with db.atomic():
            for batch in chunked(range(count), 2000):
                User.insert_many([{"email": f"s{i}@example.com", "name": f"S {i}", "tz": "UTC"} for i in batch]).execute()
            users = [u.id for u in User.select(User.id).order_by(User.id)]
            for batch in chunked(users, 2000):
                Membership.insert_many([{"user": u, "team": team.id, "preferred_channel": "slack", "next_prompt_at": due,
                                         "next_digest_at": due + datetime.timedelta(days=1)} for u in batch]).execute()
            for batch in chunked(list(enumerate(users)), 2000):
                SlackUser.insert_many([{"team_id": TEAM_ID, "slack_user_id": f"U{i:06d}", "user": u,
                                        "dm_channel": fake.dm_channel(f"U{i:06d}")} for i, u in batch]).execute()
        for i, user in enumerate(User.select().order_by(User.id)):
            fake.add_user(f"U{i:06d}", user.email, user.name)
        fake.rate_limit(rate, per_seconds=1.0)
        settings = dataclasses.replace(bench_settings("http://127.0.0.1:9/", "bench-slack"), postmark_server_token="",
                                       slack_bot_token=BOT_TOKEN, slack_signing_secret="bench-signing-secret",
                                       slack_api_url=fake.url, slack_rate_per_second=pace, redis_url="",
                                       queue_immediate=True)
        build_runtime(settings)
        started = time.perf_counter()
        queued = dispatch.plan_due(due, datetime.timedelta(hours=2))["slack"]
        chunks = [queued[i:i + 500] for i in range(0, len(queued), 500)]
        with ThreadPoolExecutor(threads) as pool:  # like worker threads, each with its own chunk
            list(pool.map(lambda ids: dispatch.deliver("slack", ids, due, SECRET), chunks))
        seconds = time.perf_counter() - started
        states = {s: Delivery.select().where(Delivery.state == s).count() for s in ("sent", "failed", "queued", "unknown")}
        channels = [m["channel"] for m in fake.messages]
        return {"prompts": count, "rate_limit_per_s": rate, "paced_per_s": pace, "seconds": round(seconds, 2),
                "dms_per_second": round(count / seconds), "states": states, "rate_limited": fake.rate_limited,
                "arrived": len(channels), "distinct": len(set(channels))}
    finally:
        fake.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prompts", type=int, default=10_000)
    parser.add_argument("--rate", type=int, default=150, help="calls per second per method before 429")
    parser.add_argument("--pace", type=float, default=None,
                        help="SLACK_RATE_PER_SECOND donebot paces itself to (default: 90%% of --rate)")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    runs = []
    for run in range(args.runs):
        result = run_once(args.prompts, args.rate, args.threads, args.pace or 0.9 * args.rate)
        runs.append(result)
        print(f"  run {run + 1}: {result['seconds']} s, {result['states']}, 429s {result['rate_limited']}, "
              f"arrived {result['arrived']} ({result['distinct']} distinct)", flush=True)
    print(f"\nslack: {args.prompts} prompt DMs, fake limited to {args.rate} calls/s per method, "
          f"paced at {args.pace or 0.9 * args.rate:g}/s\n")
    print(table([[args.prompts, median([r["seconds"] for r in runs]), median([r["dms_per_second"] for r in runs]),
                  sum(r["states"]["failed"] for r in runs), sum(r["rate_limited"] for r in runs)]],
                ["prompts", "median s", "DMs/s", "failed", "429s answered"]))
    path = write_results("slack", {"prompts": args.prompts, "rate": args.rate, "pace": args.pace or 0.9 * args.rate,
                                   "runs": runs})
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
