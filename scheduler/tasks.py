"""Huey tasks. Each carries ids only; the ledger in the database is the truth.

`register(huey, settings)` defines the tasks on a Huey instance and returns them,
so the consumer (through bot.main) and the web process share one definition.
"""
import datetime
import logging
import os
import socket
from dataclasses import dataclass

from huey import crontab
from peewee import chunked

from core import channels, dispatch
from core.models import utcnow
from core.schedule import DEFAULT_GRACE

log = logging.getLogger(__name__)

DELIVER_CHUNK = 500  # ids per deliver task; also Postmark's batch limit


@dataclass
class Tasks:
    tick: object
    deliver: object
    process_inbound: object
    reap: object
    run_tick: object  # plan and enqueue, at a chosen instant (used by the CLI and tests)
    enqueue_deliveries: object


def worker_name():
    return f"{socket.gethostname()}:{os.getpid()}"


def register(huey, settings):
    grace = datetime.timedelta(minutes=settings.prompt_grace_minutes) if settings else DEFAULT_GRACE

    def enqueue_deliveries(queued, not_before=None):
        """Hand planned deliveries to workers, at most DELIVER_CHUNK ids per task."""
        count = 0
        for channel_name, ids in queued.items():
            for chunk in chunked(ids, DELIVER_CHUNK):
                deliver(channel_name, list(chunk), not_before.isoformat() if not_before else None)
                count += 1
        return count

    def run_tick(now):
        return dispatch.plan_due(now, grace, on_batch=lambda queued: enqueue_deliveries(queued, not_before=now))

    @huey.periodic_task(crontab(minute="*"), retries=0)
    def tick():
        queued = run_tick(utcnow())
        if queued:
            log.info("tick planned %s", {c: len(ids) for c, ids in queued.items()})

    @huey.task(retries=2, retry_delay=5)
    def deliver(channel_name, ids, not_before=None):
        # A tick run for a chosen instant (the CLI's --now) plans rows due then;
        # never deliver them "before" the instant they were planned at.
        now = utcnow()
        if not_before:
            now = max(now, datetime.datetime.fromisoformat(not_before))
        report = dispatch.deliver(channel_name, ids, now, settings.secret_key, worker=worker_name(), grace=grace,
                                  retry_base=settings.retry_base_seconds)
        for retry_ids, delay in report.retry:
            deliver.schedule((channel_name, retry_ids), delay=delay)
        return {"sent": report.sent, "failed": report.failed, "skipped": report.skipped,
                "unknown": report.unknown}

    @huey.task(retries=3, retry_delay=10)
    def process_inbound(message_id, provider="postmark"):
        result = channels.inbound_processor(provider)(message_id, utcnow())
        enqueue_deliveries(getattr(result, "queued", None) or {})  # e.g. a receipt
        return getattr(result, "state", None)

    @huey.periodic_task(crontab(minute="*/5"), retries=0)
    def reap():
        report = dispatch.reap(utcnow())
        enqueue_deliveries(report.requeued)
        for message_id, provider in report.inbound:
            process_inbound(message_id, provider)
        if report.made_unknown or report.requeued or report.inbound:
            log.warning("reap: %d stale, %d reconciled as sent, requeued %s, %d inbound",
                        report.made_unknown, report.reconciled_sent,
                        {c: len(i) for c, i in report.requeued.items()}, len(report.inbound))
        return report

    return Tasks(tick, deliver, process_inbound, reap, run_tick, enqueue_deliveries)
