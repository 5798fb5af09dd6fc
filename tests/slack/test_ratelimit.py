"""The process-wide pace for Slack Web API calls (channels/slack/ratelimit.py): the bucket with an
injected clock (no real sleeping), call() with it against the fake, and worker threads sending DMs
through a fake Slack that answers 429 above a rate."""
import datetime
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.config import ConfigError, load_settings
from bot.runtime import build_runtime
from channels.slack.api import call, web_client
from channels.slack.models import SlackUser
from channels.slack.ratelimit import RateLimiter, WaitTooLong
from core import dispatch
from core.channels import DeliveryError
from core.db import db
from core.models import Delivery, Membership, User, utcnow
from core.teams import create_team
from tests.conftest import TEST_SECRET, with_settings
from tests.fakes.slack import BOT_TOKEN, TEAM_ID

KEY = ("xoxb-a", "chat.postMessage")


class FakeTime:
    """A clock that only moves when someone sleeps on it."""

    def __init__(self, now=1000.0, during_sleep=None):
        self.now = now
        self.slept = []
        self.during_sleep = during_sleep  # called at the start of each sleep: another thread acting meanwhile

    def clock(self):
        return self.now

    def sleep(self, seconds):
        if self.during_sleep:
            self.during_sleep(len(self.slept))
        self.slept.append(round(seconds, 9))
        self.now += seconds


def limiter(rate, burst=None, time=None):
    time = time or FakeTime()
    return RateLimiter(rate, burst, clock=time.clock, sleep=time.sleep), time


# -- the bucket ------------------------------------------------------------------------------------------
def test_a_burst_goes_at_once_then_calls_go_at_the_steady_pace():
    bucket, time = limiter(10, burst=3)
    waits = [bucket.acquire(KEY) for _ in range(5)]
    assert waits == pytest.approx([0, 0, 0, 0.1, 0.1])
    assert time.slept == pytest.approx([0.1, 0.1])


def test_an_idle_bucket_refills_up_to_its_burst_only():
    bucket, time = limiter(10, burst=3)
    for _ in range(5):
        bucket.acquire(KEY)
    time.now += 60
    assert [bucket.acquire(KEY) for _ in range(4)] == pytest.approx([0, 0, 0, 0.1])


def test_the_default_burst_is_a_tenth_of_a_second():
    bucket, time = limiter(50)
    assert [bucket.acquire(KEY) for _ in range(7)] == pytest.approx([0, 0, 0, 0, 0, 0.02, 0.02])


def test_each_token_and_method_has_its_own_bucket():
    bucket, time = limiter(10, burst=1)
    bucket.acquire(KEY)
    assert bucket.acquire(("xoxb-a", "conversations.open")) == 0  # another method
    assert bucket.acquire(("xoxb-b", "chat.postMessage")) == 0  # another workspace's bot token
    assert bucket.acquire(KEY) == pytest.approx(0.1)


def test_a_pause_holds_every_call_until_retry_after_then_resumes_at_the_pace_without_a_burst():
    bucket, time = limiter(10, burst=3)
    bucket.pause(KEY, 5)
    assert [bucket.acquire(KEY) for _ in range(3)] == pytest.approx([5, 0.1, 0.1])
    assert bucket.acquire(("xoxb-a", "users.info")) == 0  # only that method of that workspace is paused


def test_a_pause_that_comes_while_a_thread_waits_for_its_slot_holds_it_too():
    def another_thread_gets_a_429(n):
        if n == 0:
            bucket.pause(KEY, 2)

    time = FakeTime(during_sleep=another_thread_gets_a_429)
    bucket, _ = limiter(10, burst=1, time=time)
    assert bucket.acquire(KEY) == 0
    # its slot was 0.1 s away; while it slept the key was paused for 2 s: it waits for the end of the pause
    assert bucket.acquire(KEY) == pytest.approx(2.0)
    assert time.slept == pytest.approx([0.1, 1.9])
    assert bucket.acquire(KEY) == pytest.approx(0.1)


def test_a_wait_past_max_wait_raises_at_once_and_takes_no_slot():
    bucket, time = limiter(10, burst=1)
    bucket.pause(KEY, 90)
    with pytest.raises(WaitTooLong) as error:
        bucket.acquire(KEY, max_wait=60)
    assert error.value.wait == pytest.approx(90)
    assert time.slept == []
    time.now += 90
    assert bucket.acquire(KEY) == 0  # the refused call reserved nothing


def test_threads_never_share_a_slot():
    # a clock that stands still (sleeping does not move it): each wait is that call's slot, from now
    bucket = RateLimiter(10, burst=3, clock=lambda: 1000.0, sleep=lambda seconds: None)
    slots, lock = [], threading.Lock()

    def take(_):
        for _ in range(50):
            wait = bucket.acquire(KEY)
            with lock:
                slots.append(wait)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(take, range(8)))
    assert sorted(slots) == pytest.approx([0, 0, 0] + [0.1 * n for n in range(1, 398)])


def test_the_rate_must_be_positive():
    for rate in (0, -1):
        with pytest.raises(ValueError):
            RateLimiter(rate)
    assert load_settings({}, dotenv_path="/nonexistent").slack_rate_per_second == 50
    assert load_settings({"SLACK_RATE_PER_SECOND": "120"}, dotenv_path="/nonexistent").slack_rate_per_second == 120
    with pytest.raises(ConfigError, match="SLACK_RATE_PER_SECOND"):
        load_settings({"SLACK_RATE_PER_SECOND": "0"}, dotenv_path="/nonexistent")


# -- call() with a paced client, against the fake -------------------------------------------------------
def test_a_429_pauses_the_bucket_and_the_call_goes_through_after_it(settings, fake_slack):
    fake_slack.add_user("UANN", "ann@example.com")
    bucket, time = limiter(50)
    client = web_client(settings, BOT_TOKEN, bucket)
    fake_slack.fail_next("chat.postMessage", "ratelimited", n=2)  # 429, Retry-After: 1
    answer = call(client.chat_postMessage, channel="DUANN", text="hi")
    assert answer["ok"]
    assert time.slept == pytest.approx([1.0, 1.0])  # both waits were the shared bucket's, on the injected clock
    assert len(fake_slack.calls_of("chat.postMessage")) == 3 and len(fake_slack.messages_to("UANN")) == 1
    # another client for the same workspace (as OAuth mode makes per call) waits in the same bucket
    other = web_client(settings, BOT_TOKEN, bucket)
    bucket.pause((BOT_TOKEN, "chat.postMessage"), 3)
    call(other.chat_postMessage, channel="DUANN", text="again")
    assert time.slept[-1] == pytest.approx(3.0)


def test_a_pause_past_max_wait_is_handed_to_the_ledger_without_calling_slack(settings, fake_slack):
    bucket, time = limiter(50)
    client = web_client(settings, BOT_TOKEN, bucket)
    bucket.pause((BOT_TOKEN, "chat.postMessage"), 120)
    with pytest.raises(DeliveryError) as error:
        call(client.chat_postMessage, channel="DUANN", text="hi")
    assert not error.value.permanent and not error.value.ambiguous
    assert error.value.retry_after == pytest.approx(120)
    assert fake_slack.calls_of("chat.postMessage") == [] and time.slept == []


# -- worker threads through the fake's rate limit --------------------------------------------------------
FAKE_LIMIT = 80  # chat.postMessage calls a second before the fake answers 429
COUNT = 160
THREADS = 8  # like a worker's threads, each with its own deliver task


def _deliver_with_threads(settings, fake_slack, prefix):
    """COUNT prompt DMs due now, to people linked in Slack, sent by THREADS threads at once.
    -> (deliveries, 429s the fake answered meanwhile)."""
    build_runtime(settings)  # the channel registry, with a new Clients (and its limiter) from these settings
    due = utcnow().replace(second=0, microsecond=0)
    team = create_team(f"Team {prefix}", slug=prefix)
    User.insert_many([{"email": f"{prefix}{i}@example.com", "name": f"{prefix} {i}", "tz": "UTC"}
                      for i in range(COUNT)]).execute()
    users = list(User.select().where(User.email.startswith(prefix)).order_by(User.id))
    Membership.insert_many([{"user": u.id, "team": team.id, "preferred_channel": "slack", "next_prompt_at": due,
                             "next_digest_at": due + datetime.timedelta(days=1)} for u in users]).execute()
    for i, user in enumerate(users):
        fake_slack.add_user(f"U{prefix}{i}", user.email, user.name)
    SlackUser.insert_many([{"team_id": TEAM_ID, "slack_user_id": f"U{prefix}{i}", "user": u.id,
                            "dm_channel": fake_slack.dm_channel(f"U{prefix}{i}")}
                           for i, u in enumerate(users)]).execute()
    queued = dispatch.plan_due(due)["slack"]
    assert len(queued) == COUNT

    def deliver(ids):
        try:
            return dispatch.deliver("slack", ids, due, TEST_SECRET)
        finally:
            db.close()

    fake_slack.rate_limit(FAKE_LIMIT, per_seconds=1.0)
    before = fake_slack.rate_limited
    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(deliver, [queued[n::THREADS] for n in range(THREADS)]))
    return list(Delivery.select().where(Delivery.id.in_(queued))), fake_slack.rate_limited - before


def _all_sent_once(deliveries, fake_slack, prefix):
    assert {d.state for d in deliveries} == {"sent"}, {(d.state, d.last_error) for d in deliveries}
    channels = [m["channel"] for m in fake_slack.messages if m["channel"].startswith(f"DU{prefix}")]
    assert len(channels) == COUNT and len(set(channels)) == COUNT  # every one arrived, none twice


def test_worker_threads_pace_below_the_limit_instead_of_bouncing_off_it(runtime, settings, fake_slack):
    # Paced far above the fake's limit (as good as unpaced): the threads run into it, window after window.
    deliveries, unpaced_429s = _deliver_with_threads(with_settings(settings, slack_rate_per_second=10_000),
                                                     fake_slack, "fast")
    _all_sent_once(deliveries, fake_slack, "fast")
    # The default pace (50/s, bursts of 5) stays under the fake's 80/s, whatever the threads do.
    assert settings.slack_rate_per_second == 50
    deliveries, paced_429s = _deliver_with_threads(settings, fake_slack, "paced")
    _all_sent_once(deliveries, fake_slack, "paced")
    assert unpaced_429s >= COUNT // FAKE_LIMIT  # each full window ended in a 429 at least once
    assert paced_429s * 5 <= unpaced_429s, (paced_429s, unpaced_429s)
