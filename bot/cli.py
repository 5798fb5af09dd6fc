"""The `donebot` command: set up the database, manage teams and people, run the loop by hand."""
import argparse
import datetime
import json
import sys

from bot.config import ConfigError, load_settings

EXIT_BAD_INPUT = 2


class CommandError(Exception):
    """Bad input from the person at the terminal: printed, exit status 2."""


def _runtime():
    from bot.runtime import build_runtime

    return build_runtime(load_settings())


def _now(value):
    """--now: an ISO 8601 instant; without an offset it is taken as UTC."""
    from core.models import utcnow

    if not value:
        return utcnow()
    try:
        instant = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--now {value!r} is not ISO 8601 (e.g. 2026-12-01T17:00:00-05:00)") from None
    if instant.tzinfo is not None:
        instant = instant.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return instant


def _date(value):
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date (YYYY-MM-DD)") from None


def cmd_migrate(args):
    from core.db import migrate

    runtime = _runtime()
    applied = migrate(runtime.database)
    print(f"applied {', '.join(applied)}" if applied else "database is up to date")


def cmd_demo(args):
    from bot.demo import seed_demo
    from core.db import migrate
    from core.models import Team, utcnow

    runtime = _runtime()
    migrate(runtime.database)
    if args.if_empty and Team.select().exists():
        print("demo: teams exist already; nothing to do")
        return
    team = seed_demo(utcnow())
    print(f"demo team {team.name!r} ({team.slug}) with a week of entries. Next prompts:")
    _print_schedule(team)


def _print_schedule(team):
    from core.models import Membership, User
    from core.schedule import zone

    def both(instant, tz):
        if instant is None:
            return "-"
        local = instant.replace(tzinfo=datetime.timezone.utc).astimezone(zone(tz))
        return f"{instant.isoformat()}Z (local {local.strftime('%a %H:%M')})"

    members = Membership.select(Membership, User).join(User).where(Membership.team == team).order_by(User.email)
    for member in members:
        tz = member.user.tz
        print(f"  {member.user.email:28} {tz:22} prompt {both(member.next_prompt_at, tz)}, "
              f"digest {both(member.next_digest_at, tz)}")


def cmd_teams_add(args):
    from core.teams import create_team

    _runtime()
    team = create_team(args.name, slug=args.slug, prompt_at=args.prompt_at, digest_at=args.digest_at, tz=args.tz)
    print(f"team {team.name!r} created (slug {team.slug})")


def cmd_teams_list(args):
    from core.models import Membership, Team

    _runtime()
    for team in Team.select().order_by(Team.slug):
        count = Membership.select().where(Membership.team == team).count()
        print(f"{team.slug:20} {team.name:30} {count} members")


def cmd_users_add(args):
    from core.models import utcnow
    from core.teams import add_member, find_team

    _runtime()
    team = find_team(args.team)
    membership = add_member(
        team, args.email, utcnow(), name=args.name, tz=args.tz, prompt_at=args.prompt_at, digest_at=args.digest_at,
        workdays=args.workdays, role=args.role,
    )
    print(f"{membership.user.email} is in {team.slug}: prompt {membership.prompt_at}, digest "
          f"{membership.digest_at} {membership.user.tz}; next prompt {membership.next_prompt_at}Z")


def cmd_users_list(args):
    from core.teams import find_team

    _runtime()
    _print_schedule(find_team(args.team))


def cmd_tick(args):
    from core import dispatch

    runtime = _runtime()
    now = _now(args.now)
    if args.enqueue:
        queued = runtime.tasks.run_tick(now)
        print(f"tick at {now.isoformat()}Z: queued {_counts(queued)} for the workers")
        return
    queued = dispatch.plan_due(now, datetime.timedelta(minutes=runtime.settings.prompt_grace_minutes))
    print(f"tick at {now.isoformat()}Z: planned {_counts(queued)}")
    for channel_name, ids in queued.items():
        report = dispatch.deliver(channel_name, ids, now, runtime.settings.secret_key, worker="cli")
        print(f"  {channel_name}: sent {report.sent}, skipped {report.skipped}, failed {report.failed}, "
              f"retry later {sum(len(i) for i, _ in report.retry)}, unknown {report.unknown}")
    if not queued:
        _print_next_due()


def _counts(queued):
    return ", ".join(f"{len(ids)} {name}" for name, ids in queued.items()) or "nothing due"


def _print_next_due():
    from peewee import fn

    from core.models import Membership

    prompt, digest = Membership.select(fn.MIN(Membership.next_prompt_at), fn.MIN(Membership.next_digest_at)).scalar(
        as_tuple=True
    )
    if prompt or digest:
        print(f"  next prompt due {prompt}Z, next digest due {digest}Z")


def cmd_digest(args):
    from channels.email.render import render_digest_text
    from core.digest import morning_digest
    from core.models import utcnow
    from core.teams import find_team

    runtime = _runtime()
    team = find_team(args.team)
    day = _date(args.date) if args.date else utcnow().date()
    settings_url = f"{runtime.settings.base_url.rstrip('/')}/settings"
    print(render_digest_text(morning_digest(team, day), settings_url), end="")


def cmd_parse_email(args):
    from channels.email.parse import parse_file
    from core.entries import parse_entries

    status = 0
    for path in args.files:
        try:
            with open(path, "rb"):  # unreadable files are the caller's mistake, not "an empty email"
                pass
            parsed = parse_file(path)
        except OSError as error:
            print(f"donebot: cannot read {path}: {error.strerror or error}", file=sys.stderr)
            status = EXIT_BAD_INPUT
            continue
        entries = [] if parsed.auto_reply else [{"kind": e.kind, "text": e.text} for e in parse_entries(parsed.reply)]
        print(json.dumps({"file": path, "reply": parsed.reply, "entries": entries, "auto_reply": parsed.auto_reply},
                         ensure_ascii=False))
    return status


def cmd_email_status(args):
    from core.email_status import not_receiving
    from core.teams import find_team

    _runtime()
    team = find_team(args.team) if args.team else None
    people = not_receiving(team)
    if not people:
        print("everyone is receiving email")
    for user, slugs in people:
        print(f"{user.email:32} {user.email_status:13} {', '.join(slugs)}")


def cmd_import(args):
    """An iDoneThis CSV export into a team: progress on stderr, a summary on stdout."""
    from core.imports import BadFile, import_rows, read_rows
    from core.models import utcnow
    from core.teams import find_team

    _runtime()
    team = find_team(args.team)
    try:
        with open(args.file, encoding="utf-8-sig", newline="") as handle:
            rows = read_rows(handle.read())
    except OSError as error:
        raise CommandError(f"cannot read {args.file}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise CommandError(f"{args.file} is not UTF-8 text") from None
    except BadFile as error:
        raise CommandError(f"{args.file}: {error}") from None

    def progress(done, total):
        width = 30
        filled = width * done // max(total, 1)
        print(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} rows", end="", file=sys.stderr, flush=True)

    report = import_rows(team, rows, utcnow(), progress=progress)
    if rows:
        print(file=sys.stderr)
    print(f"{args.file} into {team.slug}: {report.summary()}")
    if report.people_added:
        print(f"added {len(report.people_added)} people: {', '.join(report.people_added)}")
    for number, reason in report.rejected[:50]:
        print(f"  row {number}: {reason}")
    if len(report.rejected) > 50:
        print(f"  ... and {len(report.rejected) - 50} more rejected rows")


def cmd_reap(args):
    runtime = _runtime()
    report = runtime.tasks.reap.call_local()
    print(f"reap: {report.made_unknown} stale, {report.reconciled_sent} reconciled as sent, requeued "
          f"{_counts(report.requeued)}, {len(report.inbound)} inbound")


def cmd_slack_socket(args):
    from channels.slack.socket import make_handler

    runtime = _runtime()
    try:
        handler = make_handler(runtime.settings, enqueue=runtime.tasks.process_inbound)
    except ValueError as error:
        raise CommandError(str(error)) from None
    print("donebot: connected to Slack over Socket Mode; Ctrl-C to stop", flush=True)
    handler.start()


def build_parser():
    parser = argparse.ArgumentParser(prog="donebot", description="donebot: a daily 'What'd you get done today?'")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    for name in ("migrate", "init-db"):
        p = sub.add_parser(name, help="create or upgrade the database tables (safe to run again)")
        p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("demo", help="seed a demo team of 5 in different time zones with a week of entries")
    p.add_argument("--if-empty", action="store_true", help="do nothing when any team exists already")
    p.set_defaults(func=cmd_demo)

    teams = sub.add_parser("teams", help="add or list teams").add_subparsers(dest="teams", required=True,
                                                                             metavar="ACTION")
    p = teams.add_parser("add", help="create a team")
    p.add_argument("name", help="the team's name")
    p.add_argument("--slug", help="short name used in commands (default: from the name)")
    p.add_argument("--prompt-at", default="17:00", help="default local prompt time for new members, HH:MM")
    p.add_argument("--digest-at", default="09:00", help="default local digest time for new members, HH:MM")
    p.add_argument("--tz", default="UTC", help="default IANA time zone for new members, e.g. Europe/Berlin")
    p.set_defaults(func=cmd_teams_add)
    p = teams.add_parser("list", help="list teams")
    p.set_defaults(func=cmd_teams_list)

    users = sub.add_parser("users", help="add people to teams, list them").add_subparsers(
        dest="users", required=True, metavar="ACTION")
    p = users.add_parser("add", help="add a person to a team (or change their schedule)")
    p.add_argument("email", help="their email address")
    p.add_argument("--team", required=True, help="team slug or name")
    p.add_argument("--name", default="", help="display name")
    p.add_argument("--tz", help="IANA time zone, e.g. America/New_York (default: the team's)")
    p.add_argument("--prompt-at", help="local time to ask, HH:MM (default: the team's)")
    p.add_argument("--digest-at", help="local time for the digest, HH:MM (default: the team's)")
    p.add_argument("--workdays", default="12345", help="ISO weekdays to ask on, Monday = 1 (default 12345)")
    p.add_argument("--role", default="member", choices=["member", "admin"], help="member or admin")
    p.set_defaults(func=cmd_users_add)
    p = users.add_parser("list", help="list a team's members and their next prompt")
    p.add_argument("--team", required=True, help="team slug or name")
    p.set_defaults(func=cmd_users_list)

    p = sub.add_parser("tick", help="run one scheduler tick: plan what is due and send it")
    p.add_argument("--now", help="the instant to tick at, ISO 8601 (no offset means UTC); default: now")
    p.add_argument("--enqueue", action="store_true", help="hand deliveries to the workers instead of sending here")
    p.set_defaults(func=cmd_tick)

    p = sub.add_parser("digest", help="print a team's digest in the terminal")
    p.add_argument("team", help="team slug or name")
    p.add_argument("--date", help="the morning the digest is for, YYYY-MM-DD (default today); "
                                  "it covers the workdays since the previous digest")
    p.set_defaults(func=cmd_digest)

    p = sub.add_parser("parse-email", help="show what donebot reads from email files (.eml, Postmark .json, text)")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.set_defaults(func=cmd_parse_email)

    p = sub.add_parser("email-status", help="who is not receiving email (bounced, complained, unsubscribed)")
    p.add_argument("--team", help="only this team (slug or name)")
    p.set_defaults(func=cmd_email_status)

    p = sub.add_parser("import", help="import an iDoneThis CSV export into a team (rows imported before are skipped)")
    p.add_argument("file", metavar="FILE", help="the CSV (user_email_address, status, body, occurred_on, ...)")
    p.add_argument("--team", required=True, help="team slug or name")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("reap", help="re-queue what lost tasks and crashed workers left behind")
    p.set_defaults(func=cmd_reap)

    p = sub.add_parser("slack-socket", help="receive Slack events over Socket Mode (SLACK_APP_TOKEN; no public URL)")
    p.set_defaults(func=cmd_slack_socket)
    return parser


def main(argv=None):
    from core.schedule import ScheduleError
    from core.teams import InvalidInput

    args = build_parser().parse_args(argv)
    try:
        return args.func(args) or 0
    except (CommandError, InvalidInput, ScheduleError, ConfigError) as error:
        print(f"donebot: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
