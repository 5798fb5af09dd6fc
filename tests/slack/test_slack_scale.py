"""1,000 prompt DMs in one minute through a fake Slack that rate-limits (429 + Retry-After):
the sender backs off as asked and every one arrives, once. (Its pace, SLACK_RATE_PER_SECOND, is set
above the fake's limit here, so that the fake does push back; tests/slack/test_ratelimit.py has the
pace below it.)"""
import datetime

from bot.runtime import build_runtime
from channels.slack.models import SlackUser
from core.models import Delivery, Membership, User
from core.teams import create_team
from tests.conftest import coming, wall, with_settings

COUNT = 1000


def test_a_thousand_prompt_dms_through_a_rate_limit(runtime, fake_slack):
    # Paced far above the fake's limit, so that it pushes back however fast this machine sends.
    runtime = build_runtime(with_settings(runtime.settings, slack_rate_per_second=1000))
    friday = coming(5)
    due = wall(friday, "17:00", "Europe/London")
    team = create_team("Big", slug="big")
    User.insert_many([{"email": f"p{i}@example.com", "name": f"P{i}", "tz": "Europe/London"}
                      for i in range(COUNT)]).execute()
    users = list(User.select().order_by(User.id))
    Membership.insert_many([{"user": u.id, "team": team.id, "preferred_channel": "slack", "next_prompt_at": due,
                             "next_digest_at": due + datetime.timedelta(days=3)} for u in users]).execute()
    for i, user in enumerate(users):
        fake_slack.add_user(f"U{i:05d}", user.email, user.name)
    # Half are linked already (DM channel known); half are found by users.lookupByEmail on the way.
    SlackUser.insert_many([{"team_id": "T0DONE", "slack_user_id": f"U{i:05d}", "user": users[i].id,
                            "dm_channel": f"DU{i:05d}"} for i in range(0, COUNT, 2)]).execute()
    fake_slack.rate_limit(50, per_seconds=1.0)  # per method, like Slack's tiers: ~20 windows of 429s

    queued = runtime.tasks.run_tick(due)  # plans, then deliver tasks of at most 500 ids (immediate mode)

    assert len(queued["slack"]) == COUNT
    sent = Delivery.select().where(Delivery.state == "sent").count()
    assert sent == COUNT, list(Delivery.select(Delivery.state, Delivery.last_error).distinct().tuples())
    channels = [m["channel"] for m in fake_slack.messages]
    assert len(channels) == COUNT and len(set(channels)) == COUNT  # every one arrived, none twice
    assert fake_slack.rate_limited > 0  # and the fake did push back

