"""Benchmark: the team digest page (/teams/<slug>/digest/<day>) with 30 members and 300
entries, on the embedded default (SQLite file, outbox sender). Target: under 100 ms.

Seeds a fresh SQLite database in a temporary directory: 30 members, 300 entries on the
day shown (10 each, with #tags, goals and blockers), and a month of earlier posts so the
calendar and the 30-day chart have something to draw. Requests the page through the real
Flask app as a signed-in member, prints a table and writes bench/results/web_digest.json.

    python bench/web_digest.py [--requests 50]
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

MEMBERS, ENTRIES, HISTORY_DAYS = 30, 300, 30
DAY = datetime.date(2026, 3, 12)  # a Thursday
NOW = datetime.datetime(2026, 3, 13, 9, 0)


def seed():
    from core.db import db
    from core.models import Entry
    from core.teams import add_member, create_team
    from core.replies import record_reply

    team = create_team("Bench team", slug="bench")
    members = [add_member(team, f"person{n:02}@example.com", NOW - datetime.timedelta(days=60),
                          name=f"Person {n:02} Example", tz="Europe/London") for n in range(MEMBERS)]
    per_member = ENTRIES // MEMBERS
    with db.atomic():
        for n, member in enumerate(members):
            lines = []
            for k in range(per_member):
                kind = "[ ] " if k == per_member - 1 else ("! " if k == per_member - 2 and n % 3 == 0 else "- ")
                lines.append(f"{kind}task {k} for project {n % 7}: <b>escaped</b> text #tag{k % 5} @person{(n + 1) % MEMBERS:02}")
            record_reply(member, DAY, "\n".join(lines), "bench", f"day-{n}", NOW)
            for back in range(1, HISTORY_DAYS):
                if (n + back) % 4:  # about three in four days
                    record_reply(member, DAY - datetime.timedelta(days=back), f"- earlier work {back}", "bench",
                                 f"hist-{n}-{back}", NOW)
    on_day = Entry.select().where(Entry.local_date == DAY).count()
    return team, members[0], on_day, Entry.select().count()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args(argv)

    from bot.app import create_app
    from bot.config import Settings
    from bot.runtime import build_runtime
    from core.db import migrate

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(env="test", database_url=f"sqlite:///{tmp}/bench.db", queue_path=f"{tmp}/queue.db",
                            queue_immediate=True, secret_key="bench-secret-key-0123456789abcdef")
        runtime = build_runtime(settings)
        migrate(runtime.database)
        team, member, on_day, total = seed()
        app = create_app(settings, runtime)
        app.config["DONEBOT_CLOCK"] = lambda: NOW
        client = app.test_client()
        with client.session_transaction() as session:
            session["user_id"] = member.user_id
        url = f"/teams/{team.slug}/digest/{DAY.isoformat()}"
        first = client.get(url)
        assert first.status_code == 200 and "&lt;b&gt;escaped&lt;/b&gt;" in first.get_data(as_text=True)
        times = []
        for _ in range(args.requests):
            start = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200
        size = len(response.get_data())
    times.sort()
    result = {
        "benchmark": "web_digest", "members": MEMBERS, "entries_on_day": on_day, "entries_total": total,
        "requests": args.requests, "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[int(len(times) * 0.95) - 1], 1), "max_ms": round(times[-1], 1),
        "page_bytes": size, "target_ms": 100, "python": platform.python_version(), "machine": platform.machine(),
    }
    print(f"digest page, {MEMBERS} members, {on_day} entries that day ({total} in all), {args.requests} requests")
    print(f"  median {result['median_ms']} ms   p95 {result['p95_ms']} ms   max {result['max_ms']} ms   "
          f"page {size // 1024} KiB   target < 100 ms: {'ok' if result['p95_ms'] < 100 else 'MISSED'}")
    os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
    with open(os.path.join(ROOT, "bench", "results", "web_digest.json"), "w", encoding="utf-8") as handle:
        json.dump(result, handle, indent=2)
        handle.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
