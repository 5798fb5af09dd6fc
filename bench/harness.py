"""What the benchmarks share: services, a bench database, the Postmark fake as a process,
huey_consumer worker processes, bulk seeding, and result files.

Benchmarks run against PostgreSQL and Redis (BENCH_DATABASE_URL, BENCH_REDIS_URL), never the
test database: the bench database is dropped and created at the start of each run.
"""
import datetime
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/donebot_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")
SECRET = "bench-secret-key-0123456789abcdef"
RESULTS = ROOT / "bench" / "results"
FAKE_TOKEN = "fake-server-token"


def reset_database():
    """Drop and create the bench database, then migrate it."""
    import psycopg2

    name = DATABASE_URL.rsplit("/", 1)[1]
    admin = psycopg2.connect(PG_ADMIN_URL)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    from core.db import connect, migrate

    database = connect(DATABASE_URL)
    migrate(database)
    return database


def cpu_seconds(pids):
    """User + system CPU seconds used so far by these processes (from /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def postgres_pids():
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in ("postgres", "postmaster"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


class CpuMeter:
    """CPU seconds used by each group of processes between start() and stop()."""

    def __init__(self, **groups):
        self.groups = groups  # name -> callable returning pids

    def start(self):
        self.before = {name: cpu_seconds(pids()) for name, pids in self.groups.items()}
        return self

    def stop(self):
        return {name: round(cpu_seconds(pids()) - self.before[name], 1) for name, pids in self.groups.items()}


def bench_settings(fake_url, queue_name):
    from bot.config import Settings

    return Settings(database_url=DATABASE_URL, redis_url=REDIS_URL, queue_name=queue_name, secret_key=SECRET,
                    postmark_server_token=FAKE_TOKEN, postmark_api_url=fake_url, postmark_timeout=30.0)


class FakePostmarkProcess:
    """tests/fakes/postmark.py in its own process, as a real API would be."""

    def __init__(self, latency=0.05):
        self.latency = latency
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.fakes.postmark", "--port", "0", "--latency", str(latency),
             "--token", FAKE_TOKEN],
            cwd=ROOT, stdout=subprocess.PIPE, text=True,
        )
        self.url = self.process.stdout.readline().strip()
        if not self.url.startswith("http"):
            raise RuntimeError(f"the fake did not start: {self.url!r}")

    def stats(self):
        return requests.get(self.url + "_fake/accepted", params={"count_only": 1}, timeout=10).json()

    def configure(self, **switches):
        requests.post(self.url + "_fake/config", json=switches, timeout=10).raise_for_status()

    def reset(self):
        """Forget what was accepted (the fake's reset also clears switches: set the latency again)."""
        requests.post(self.url + "_fake/reset", timeout=10).raise_for_status()
        self.configure(latency=self.latency)

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(10)


def worker_env(fake_url, queue_name, extra=None):
    env = {
        **os.environ,
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "HUEY_NAME": queue_name,
        "SECRET_KEY": SECRET,
        "POSTMARK_SERVER_TOKEN": FAKE_TOKEN,
        "POSTMARK_API_URL": fake_url,
        "PYTHONPATH": str(ROOT),
    }
    env.update(extra or {})
    return env


class Workers:
    """`count` huey_consumer processes (no periodic tasks: the bench ticks), each with `threads` threads."""

    def __init__(self, count, threads, env):
        consumer = str(Path(sys.executable).parent / "huey_consumer")
        self.processes = [
            subprocess.Popen([consumer, "bot.main.huey", "-n", "-w", str(threads), "-k", "thread", "-q"],
                             cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            for _ in range(count)
        ]
        time.sleep(1.5)  # imports and connections
        for process in self.processes:
            if process.poll() is not None:
                raise RuntimeError("a worker exited: " + process.stderr.read().decode()[-2000:])

    def peak_rss_mb(self):
        """Peak resident memory of each worker process (VmHWM), in MB."""
        peaks = []
        for process in self.processes:
            try:
                status = Path(f"/proc/{process.pid}/status").read_text()
            except FileNotFoundError:
                continue
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
        return peaks

    def stop(self):
        for process in self.processes:
            process.send_signal(signal.SIGINT)
        for process in self.processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()


def seed_memberships(count, prompt_at_utc, team_size=10, tz="UTC", digest_at="23:59"):
    """`count` memberships due for a prompt at `prompt_at_utc`, in teams of `team_size`, in bulk."""
    from peewee import chunked

    from core.db import db
    from core.models import Membership, Team, User

    at = prompt_at_utc.strftime("%H:%M")
    teams = (count + team_size - 1) // team_size
    with db.atomic():
        for batch in chunked(range(teams), 5000):
            Team.insert_many([{"name": f"Team {i}", "slug": f"team-{i}"} for i in batch]).execute()
        first_team = Team.select(Team.id).order_by(Team.id).first().id
        for batch in chunked(range(count), 5000):
            User.insert_many([{"email": f"person{i}@example.com", "name": f"Person {i}", "tz": tz}
                              for i in batch]).execute()
        first_user = User.select(User.id).order_by(User.id).first().id
        for batch in chunked(range(count), 5000):
            Membership.insert_many([{
                "user": first_user + i, "team": first_team + i // team_size, "prompt_at": at,
                "digest_at": digest_at, "next_prompt_at": prompt_at_utc,
                "next_digest_at": prompt_at_utc + datetime.timedelta(days=1),
            } for i in batch]).execute()
    db.execute_sql("ANALYZE")


def wait_until(predicate, timeout, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return None


def median(values):
    return statistics.median(values) if values else None


def write_results(name, results):
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(results, indent=2, default=str))
    return path


def table(rows, headers):
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(headers)]
    line = "  ".join(str(h).ljust(w) for h, w in zip(headers, widths))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)) for row in rows]
    return "\n".join(out)
