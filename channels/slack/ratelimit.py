"""One pace for a process's Slack Web API calls: a token bucket per (bot token, API method).

Why: Slack limits each Web API method per workspace and answers HTTP 429 + Retry-After above the
limit. Worker threads that each called as fast as they could, and slept through their own
Retry-After, bounced off the limit: a thread that got a 429 sat idle for the whole wait while the
others kept hitting the limit. Here every thread of the process takes its turn from one shared
bucket, so together they stay below SLACK_RATE_PER_SECOND; and a 429 that still arrives (another
process, Slack's own workspace-wide limits) pauses that bucket for every thread until Retry-After
has passed, after which calls resume at the steady pace, with no burst.

The bucket is kept as the time of the next call at the steady pace (GCRA, which is a token bucket
of `burst` tokens refilled at `rate` a second): a call reserves its slot under the lock and sleeps
outside it, so waiting threads go in turn without polling. Times come from `clock`
(time.monotonic); tests inject a clock and a sleep.
"""
import math
import threading
import time


class WaitTooLong(Exception):
    """The next slot is further away than the caller would wait. `wait`: how far, in seconds."""

    def __init__(self, wait):
        super().__init__(f"the next slot is {wait:.1f}s away")
        self.wait = wait


class RateLimiter:
    """`rate` calls a second per key, bursts of up to `burst` calls (default: a tenth of a second's worth)."""

    def __init__(self, rate, burst=None, clock=time.monotonic, sleep=time.sleep):
        if not rate > 0:
            raise ValueError("rate must be a positive number of calls per second")
        burst = max(1.0, rate / 10) if burst is None else float(burst)
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self.interval = 1.0 / rate
        self.ahead = (burst - 1) * self.interval  # how far ahead of the steady pace a burst may run
        self.clock = clock
        self.sleep = sleep
        self._lock = threading.Lock()
        self._next = {}  # key -> when the next call is due at the steady pace
        self._paused = {}  # key -> no call starts before this (a 429's Retry-After)

    def acquire(self, key, max_wait=math.inf):
        """Wait for this key's next slot; -> the seconds waited. Raises WaitTooLong, taking no slot,
        instead of waiting longer than `max_wait` in all."""
        waited = 0.0
        while True:
            with self._lock:
                now = self.clock()
                due = max(self._next.get(key, now), now)
                slot = max(now, due - self.ahead)
                if slot - now > max_wait - waited:
                    raise WaitTooLong(slot - now)
                self._next[key] = due + self.interval
            if slot > now:
                self.sleep(slot - now)
                waited += slot - now
            with self._lock:
                if self._paused.get(key, -math.inf) <= slot:
                    return waited
            # a 429 paused this key while we slept, past our slot: take a slot after the pause

    def pause(self, key, seconds):
        """Slack answered 429 with Retry-After `seconds`: no call for this key starts before then,
        in any thread; afterwards calls go at the steady pace."""
        with self._lock:
            until = self.clock() + seconds
            self._paused[key] = max(self._paused.get(key, -math.inf), until)
            self._next[key] = max(self._next.get(key, -math.inf), until + self.ahead)
