"""Inbound benchmark: N Postmark inbound payloads posted by 32 concurrent keep-alive clients to
gunicorn; requests/s, latency to the 200 (p50/p99), and the time until every reply is recorded
as entries by the workers.

    .venv/bin/python bench/inbound.py --requests 10000 --clients 32 --runs 3
"""
import argparse
import asyncio
import datetime
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from harness import (
    ROOT, SECRET, CpuMeter, Workers, postgres_pids, bench_settings, median, reset_database, table, wait_until, worker_env, write_results,
)

WEB_WORKERS = 2
WEB_THREADS = 8


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def seed_payloads(count):
    """One member per 100 replies (a team of people answering), each payload a real reply with quoted history."""
    from core import tokens
    from core.teams import add_member, create_team

    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    team = create_team("Inbound team", slug="inbound")
    members = [add_member(team, f"in{i}@example.com", now, name=f"In {i}", tz="UTC") for i in range(max(1, count // 100))]
    day = now.date()
    bodies = []
    for n in range(count):
        member = members[n % len(members)]
        token = tokens.encode(SECRET, member.id, day)
        text = (f"- shipped change {n} #backend\n[ ] review PR {n}\n\nOn {day:%a, %b %d, %Y} at 5:00 PM donebot "
                f"<reply+{token}@inbound.donebot.localhost> wrote:\n> What'd you get done today?\n")
        bodies.append(json.dumps({
            "FromName": f"In {n}", "From": member.user.email, "To": f"reply+{token}@inbound.donebot.localhost",
            "ToFull": [{"Email": f"reply+{token}@inbound.donebot.localhost", "Name": "", "MailboxHash": token}],
            "MailboxHash": token, "MessageID": f"bench-{n}-{time.time_ns()}", "Subject": "Re: What'd you get done today?",
            "TextBody": text, "HtmlBody": "", "Headers": [{"Name": "Message-ID", "Value": f"<bench-{n}-{time.time_ns()}@x>"}],
        }).encode())
    return bodies


async def client(port, queue, latencies):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while True:
            try:
                body = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            started = time.perf_counter()
            writer.write(b"POST /webhooks/postmark/inbound HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
                         b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            latencies.append((time.perf_counter() - started, status))
    finally:
        writer.close()


async def load(port, bodies, clients):
    queue = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    latencies = []
    started = time.perf_counter()
    await asyncio.gather(*(client(port, queue, latencies) for _ in range(clients)))
    return time.perf_counter() - started, latencies


def run_once(count, clients, worker_count, web_workers=WEB_WORKERS, web_threads=WEB_THREADS):
    from core.models import Entry, InboundMessage

    reset_database()
    bodies = seed_payloads(count)
    queue_name = "bench-inbound"
    settings = bench_settings("http://127.0.0.1:9/", queue_name)
    from bot.runtime import build_runtime

    build_runtime(settings).huey.flush()
    port = free_port()
    env = worker_env("http://127.0.0.1:9/", queue_name)
    env.pop("POSTMARK_SERVER_TOKEN")  # replies only: no email goes out in this benchmark
    gunicorn = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", str(web_workers),
         "--threads", str(web_threads), "--worker-class", "gthread", "--keep-alive", "30", "--log-level", "warning",
         "bot.main:flask_app"], cwd=ROOT, env=env)
    workers = None
    try:
        wait_until(lambda: _answers(port), timeout=30, interval=0.2)
        workers = Workers(worker_count, 4, env)
        meter = CpuMeter(web=lambda: _family(gunicorn.pid), workers=lambda: [p.pid for p in workers.processes],
                         postgres=postgres_pids, clients=lambda: [os.getpid()]).start()
        seconds, latencies = asyncio.run(load(port, bodies, clients))
        load_cpu = meter.stop()
        last_request = time.perf_counter()
        recorded = wait_until(lambda: InboundMessage.select().where(InboundMessage.state == "received").count() == 0
                              and InboundMessage.select().count() >= count, timeout=300, interval=0.25)
        settle = time.perf_counter() - last_request
        total_cpu = meter.stop()
        entries = Entry.select().count()
        states = {s: InboundMessage.select().where(InboundMessage.state == s).count()
                  for s in ("processed", "rejected", "failed", "received")}
    finally:
        if workers:
            workers.stop()
        gunicorn.send_signal(signal.SIGTERM)
        gunicorn.wait(20)
    times = sorted(t for t, _ in latencies)
    return {
        "requests": count, "clients": clients, "seconds": round(seconds, 2),
        "requests_per_second": round(count / seconds), "p50_ms": round(times[len(times) // 2] * 1000, 1),
        "p99_ms": round(times[int(len(times) * 0.99) - 1] * 1000, 1),
        "non_200": sum(1 for _, status in latencies if status != 200),
        "recorded_within_s": round(settle, 2) if recorded else None, "entries": entries, "states": states,
        "cpu_seconds_during_load": load_cpu, "cpu_seconds_until_recorded": total_cpu,
    }


def _family(pid):
    """gunicorn's master and its worker processes."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return [pid] + ([int(c) for c in children.read_text().split()] if children.exists() else [])


def _answers(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1, help="huey_consumer processes parsing replies")
    parser.add_argument("--web-workers", type=int, default=WEB_WORKERS, help="gunicorn worker processes")
    parser.add_argument("--web-threads", type=int, default=WEB_THREADS, help="threads per gunicorn worker")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    runs = []
    for run in range(args.runs):
        result = run_once(args.requests, args.clients, args.workers, args.web_workers, args.web_threads)
        runs.append(result)
        print(f"  run {run + 1}: {result['requests_per_second']} req/s, p99 {result['p99_ms']} ms, "
              f"recorded {result['recorded_within_s']} s after the last request, {result['states']}; CPU-s during "
              f"load {result['cpu_seconds_during_load']}, until recorded {result['cpu_seconds_until_recorded']}",
              flush=True)
    row = [args.requests, median([r["requests_per_second"] for r in runs]), median([r["p50_ms"] for r in runs]),
           median([r["p99_ms"] for r in runs]), median([r["recorded_within_s"] or 999 for r in runs]),
           sum(r["non_200"] for r in runs)]
    print(f"\ninbound: {args.requests} Postmark payloads, {args.clients} clients, gunicorn {args.web_workers}x{args.web_threads}\n")
    print(table([row], ["requests", "req/s", "p50 ms", "p99 ms", "recorded after s", "non-200"]))
    print("targets: >= 1500 req/s, p99 <= 50 ms, recorded within 30 s")
    path = write_results("inbound", {"requests": args.requests, "clients": args.clients, "runs": runs})
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
