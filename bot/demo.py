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

WORK = [
    "- shipped the CSV importer #backend\n- reviewed @bilal's migration PR\n[ ] write the upgrade notes",
    "- fixed the flaky login test #ci\n- paired with @chiara on the digest layout\n! waiting on the staging DB credentials",
    "- drafted the Q3 roadmap #planning\n[x] write the upgrade notes\n- answered 12 support tickets #support",
    "- profiled the tick query, 4x faster with the new index #backend\n[ ] benchmark on PostgreSQL",
    "- onboarding call with Acme #sales\n- updated the pricing page copy\nblocked: legal review of the new terms",
]


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
            text = WORK[(index + offset) % len(WORK)]
            record_reply(membership, day, text, "demo", f"demo-{membership.id}-{day}", now)
    return team
