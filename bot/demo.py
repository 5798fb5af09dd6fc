"""`donebot demo`: a team of five in different time zones with a week of entries."""
import datetime

from core.models import Team
from core.replies import record_reply
from core.schedule import local_date_of
from core.teams import add_member, create_team

MEMBERS = [
    ("alice@example.com", "Alice Chen", "America/Los_Angeles", "17:00", "admin"),
    ("bilal@example.com", "Bilal Ahmed", "Europe/London", "17:30", "member"),
    ("chiara@example.com", "Chiara Rossi", "Europe/Rome", "18:00", "member"),
    ("dev@example.com", "Dev Sharma", "Asia/Kathmandu", "17:45", "member"),
    ("emma@example.com", "Emma Wilson", "Australia/Sydney", "16:30", "member"),
]

DONE = [
    "shipped the CSV importer #backend", "reviewed @bilal's migration PR", "fixed the flaky login test #ci",
    "paired with @chiara on the digest layout", "drafted the Q3 roadmap #planning", "answered 12 support tickets #support",
    "profiled the tick query: 4x faster with the new index #backend", "onboarding call with Acme #sales",
    "updated the pricing page copy", "wrote the release notes for 1.4", "triaged the bug backlog #support",
    "moved the staging database to PostgreSQL 15 #infra", "interviewed two backend candidates #hiring",
    "demoed the Slack app to the design team", "cleaned up the feature flags #backend", "renewed the TLS certificates #infra",
]
GOALS = ["write the upgrade notes", "benchmark on PostgreSQL", "plan the offsite", "review the SLA draft",
         "ship the dark mode toggle"]
BLOCKERS = ["waiting on the staging DB credentials", "legal review of the new terms", "CI runners are out of disk"]


def _reply(person, day_number):
    """A plausible day's answer: two or three things done, sometimes a goal or a blocker."""
    seed = person * 7 + day_number
    lines = [f"- {DONE[(seed + k * 5) % len(DONE)]}" for k in range(2 + seed % 2)]
    if seed % 3 == 0:
        lines.append(f"[ ] {GOALS[person % len(GOALS)]}")
    if seed % 3 == 1 and day_number > 1:
        lines.append(f"[x] {GOALS[person % len(GOALS)]}")
    if seed % 5 == 2:
        lines.append(f"! {BLOCKERS[seed % len(BLOCKERS)]}")
    return "\n".join(lines)


def seed_demo(now):
    team = Team.get_or_none(Team.slug == "demo") or create_team("Demo team", slug="demo")
    memberships = [
        add_member(team, email, now, name=name, tz=tz, prompt_at=prompt_at, digest_at="09:00", role=role)
        for email, name, tz, prompt_at, role in MEMBERS
    ]
    for offset in range(7, 0, -1):
        for index, membership in enumerate(memberships):
            day = local_date_of(now, membership.user.tz) - datetime.timedelta(days=offset)
            if day.isoweekday() > 5 or (index + offset) % 5 == 0:  # weekends off; someone skips a day
                continue
            record_reply(membership, day, _reply(index, 8 - offset), "demo", f"demo-{membership.id}-{day}", now)
    return team
