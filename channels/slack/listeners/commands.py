"""/done and /digest (and a friendly answer to any other command pointed at donebot)."""
import dataclasses
import logging
import re

from slack_sdk.errors import SlackApiError

from channels.slack import blocks
from channels.slack.digest_args import USAGE, Unparseable, parse
from channels.slack.listeners import NotLinked, person
from channels.slack.people import find, local_today, membership_for, plain_text
from core.digest import build_digest
from core.models import Membership, Team, User
from core.replies import EmptyReply, record_reply
from core.teams import slugify

log = logging.getLogger(__name__)
DONE_USAGE = ("Usage: `/done shipped the importer #backend` (one thing per line; `[ ]` a goal, `[x]` to finish "
              "one, `!` a blocker), or just `/done` to open a form.")


def ephemeral(ack, text, body=None):
    ack(response_type="ephemeral", text=text, **({"blocks": body} if body else {}))


def register(app):
    @app.command("/done")
    def done(ack, command, context, client):
        deps = context["donebot"]
        try:
            account = person(context, client)
        except NotLinked as error:
            return ephemeral(ack, str(error))
        text = (command.get("text") or "").strip()
        trigger = command.get("trigger_id") or ""
        if not text:
            ack()
            try:
                client.views_open(trigger_id=trigger, view=blocks.entries_modal())
            except SlackApiError as error:
                log.warning("views.open failed: %s", error)
            return
        membership = membership_for(account.user, context.team_id)
        if membership is None:
            return ephemeral(ack, "You're not in any donebot team yet. Ask an admin to add you.")
        now = deps.clock()
        try:
            recorded = record_reply(membership, local_today(account.user, now), plain_text(text), "slack",
                                    f"{context.team_id}:cmd:{trigger or now.isoformat()}", now)
        except EmptyReply:
            return ephemeral(ack, DONE_USAGE)
        lines = blocks.entry_lines(recorded.entries)
        ephemeral(ack, f"Recorded for {membership.team.name}: {recorded.summary()}",
                  [blocks.section(f"*Recorded for {blocks.escape(membership.team.name)}:* "
                                  f"{recorded.summary()}\n{lines}")])

    @app.command("/digest")
    def digest(ack, command, context, client):
        deps = context["donebot"]
        try:
            account = person(context, client)
        except NotLinked as error:
            return ephemeral(ack, str(error))
        user = account.user
        try:
            query = parse(command.get("text"), local_today(user, deps.clock()))
        except Unparseable:
            return ephemeral(ack, USAGE)
        teams = list(Team.select().join(Membership).where(Membership.user == user).order_by(Team.name))
        if query.team:
            wanted = [t for t in teams if t.slug == slugify(query.team) or t.name.lower() == query.team.lower()]
            if not wanted:  # never say whether a team the caller is not in exists
                return ephemeral(ack, f"You're not in a team called {blocks.escape(query.team)}.\n{USAGE}")
            team = wanted[0]
        else:
            membership = membership_for(user, context.team_id)
            if membership is None:
                return ephemeral(ack, "You're not in any donebot team yet.")
            team = membership.team
        result = build_digest(team, query.end, query.start, query.end)
        result = _filtered(result, query, context.team_id, client)
        if result.is_empty:
            return ephemeral(ack, f"Nothing posted in {team.name} for {result.period_label}.")
        text, body = blocks.digest(result)
        ephemeral(ack, text, body)

    @app.command(re.compile(r".*"))
    def unknown(ack, command):
        ephemeral(ack, f"donebot doesn't know {blocks.escape(command.get('command') or 'that command')}. "
                       "Try `/done` or `/digest help`.")


def _mentioned_user(client, team_id, slack_user_id):
    """The donebot user id of a mentioned Slack user (linked, or by their profile's email), or None."""
    account = find(team_id, slack_user_id)
    if account is not None:
        return account.user_id
    try:
        email = ((client.users_info(user=slack_user_id).get("user") or {}).get("profile") or {}).get("email")
    except SlackApiError:
        return None
    user = User.get_or_none(User.email == (email or "").lower()) if email else None
    return user.id if user else None


def _filtered(result, query, team_id, client):
    """Only one person's entries and/or one tag's; the 'didn't post' list only for the whole team."""
    if not (query.slack_user or query.person or query.tag):
        return result
    member_ids = None
    if query.slack_user:
        user_id = _mentioned_user(client, team_id, query.slack_user)
        member_ids = {m.id for m in Membership.select().where(Membership.user == user_id)}
    people = []
    for p in result.people:
        if member_ids is not None and p.membership_id not in member_ids:
            continue
        if query.person and query.person not in (p.name.lower(), p.email.split("@")[0].lower()):
            continue
        keep = (lambda e: query.tag in e.tags.split()) if query.tag else (lambda e: True)
        p = dataclasses.replace(p, done=[e for e in p.done if keep(e)], goals=[e for e in p.goals if keep(e)],
                                blockers=[e for e in p.blockers if keep(e)])
        if p.done or p.goals or p.blockers:
            people.append(p)
    return dataclasses.replace(result, people=people, missing=[], open_goals=[], blockers=[])
