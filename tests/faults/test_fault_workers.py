"""Workers killed, the queue lost, connections cut: every prompt still arrives exactly once."""
import datetime
import random
import time

import pytest

from core import dispatch
from core.db import db
from core.models import Delivery
from core.teams import create_team
from tests.faults.conftest import WorkerProcess, needs_services, seed_members, utcnow

pytestmark = [needs_services, pytest.mark.slow]

COUNT = 10_000


def due_now():
    return utcnow().replace(second=0, microsecond=0)


def reap_while_stopped(runtime):
    """What the periodic reap does once its thresholds have passed (they are zero here: the
    test does not wait minutes). Run only while no worker is alive, as in production, where a
    send never outlives the 10-minute staleness threshold."""
    zero = datetime.timedelta(0)
    report = dispatch.reap(utcnow(), stale_after=zero, lost_after=zero, settle=zero)
    runtime.tasks.enqueue_deliveries(report.requeued)
    return report


def finish(runtime, fake, settings, expected, timeout=180):
    """Run a worker until the fake has every delivery; reap between rounds while it is stopped."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        worker = WorkerProcess(settings).start()
        try:
            round_end = time.monotonic() + 20
            while time.monotonic() < round_end and fake.stats()["distinct_delivery_ids"] < expected:
                time.sleep(0.5)
        finally:
            worker.stop()
        if fake.stats()["distinct_delivery_ids"] >= expected:
            # Settle what the last round left unknown, as the periodic reap would: a reconciliation
            # search can itself fail under the fake's faults, so it may take a few rounds.
            for _ in range(20):
                reap_while_stopped(runtime)
                if not Delivery.select().where(Delivery.state.in_(["unknown", "sending"])).exists():
                    break
            return
        reap_while_stopped(runtime)
    from peewee import fn

    states = dict(Delivery.select(Delivery.state, fn.COUNT(Delivery.id)).group_by(Delivery.state).tuples())
    errors = list(Delivery.select(Delivery.last_error, fn.COUNT(Delivery.id)).where(Delivery.state != "sent")
                  .group_by(Delivery.last_error).tuples().limit(5))
    raise AssertionError(f"only {fake.stats()} after {timeout}s; ledger {states}; errors {errors}")


def assert_each_exactly_once(fake, expected):
    stats = fake.stats()
    assert stats["distinct_delivery_ids"] == expected, stats
    assert stats["duplicates"] == 0, stats
    assert stats["count"] == expected, stats


def test_killing_workers_mid_dispatch_loses_nothing_and_doubles_nothing(fault_runtime, fault_settings, fake):
    fake.latency = 0.05
    seed_members(create_team("Kill team", slug="kill"), COUNT, due_now())
    fault_runtime.tasks.run_tick(due_now())
    rng = random.Random(7)
    for _ in range(5):
        worker = WorkerProcess(fault_settings).start()
        time.sleep(rng.uniform(1.5, 4.0))
        worker.kill()
        reap_while_stopped(fault_runtime)  # time passes while it is down; reap does its job
    finish(fault_runtime, fake, fault_settings, COUNT)
    assert_each_exactly_once(fake, COUNT)
    assert Delivery.select().where(Delivery.state == "sent").count() == COUNT


def test_queue_flushed_mid_dispatch_everything_arrives_once_after_reap(fault_runtime, fault_settings, fake):
    fake.latency = 0.3  # slow enough that most tasks are still queued when Redis loses them
    seed_members(create_team("Flush team", slug="flush"), 3000, due_now())
    fault_runtime.tasks.run_tick(due_now())
    worker = WorkerProcess(fault_settings, threads=1).start()
    try:
        time.sleep(1.5)
        fault_runtime.huey.flush()  # Redis restarted empty: every queued task is gone
    finally:
        worker.stop()
    assert fake.stats()["distinct_delivery_ids"] < 3000  # the flush really lost work
    fake.latency = 0.05
    finish(fault_runtime, fake, fault_settings, 3000)
    assert_each_exactly_once(fake, 3000)


def test_database_connections_killed_mid_dispatch_workers_recover(fault_runtime, fault_settings, fake):
    fake.latency = 0.5  # slow sends, so the blips land mid-dispatch
    seed_members(create_team("Blip team", slug="blip"), 4000, due_now())
    fault_runtime.tasks.run_tick(due_now())
    worker = WorkerProcess(fault_settings, threads=1).start()
    try:
        killed = 0
        for _ in range(3):
            time.sleep(0.8)
            killed += db.execute_sql(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchone()[0]
        assert killed >= 2, "the worker's connections were not there to kill"
        assert fake.stats()["distinct_delivery_ids"] < 4000, "the blips came too late to matter"
        after_blips = fake.stats()["distinct_delivery_ids"]
        # the same worker process, never restarted, goes on sending
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and fake.stats()["distinct_delivery_ids"] < 4000:
            time.sleep(0.5)
        assert worker.process.poll() is None, "the worker died instead of reconnecting"
        assert fake.stats()["distinct_delivery_ids"] > after_blips
    finally:
        worker.stop()
    fake.latency = 0.05
    finish(fault_runtime, fake, fault_settings, 4000)
    assert_each_exactly_once(fake, 4000)
