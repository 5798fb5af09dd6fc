"""Buttons and forms: "Add entries" (the modal), checking off a goal, and the settings form."""
import datetime
import json
import logging

from slack_sdk.errors import SlackApiError

from channels.slack import blocks
from channels.slack.listeners import NotLinked, person, tell
from channels.slack.listeners.home import publish
from channels.slack.people import local_today, membership_for, plain_text
from core import channels
from core.db import db
from core.dispatch import refresh_schedule
from core.models import Entry, Membership, User
from core.replies import EmptyReply, complete_goal, record_reply
from core.schedule import ScheduleError, format_workdays, parse_hhmm, parse_workdays, zone

log = logging.getLogger(__name__)


def _json(text):
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _own_membership(user, membership_id, team_id):
    """The membership named in a button or form, if it is this person's; else their usual one."""
    try:
        found = Membership.get_or_none(Membership.id == int(membership_id), Membership.user == user.id)
    except (TypeError, ValueError):
        found = None
    return found or membership_for(user, team_id)


def _state_values(view):
    """The submitted input values of a view; {} for a payload of the wrong shape."""
    state = view.get("state") if isinstance(view, dict) else None
    values = state.get("values") if isinstance(state, dict) else None
    return values if isinstance(values, dict) else {}


def _value(state, block_id):
    """The submitted value of one input block (plain text, time, date, one choice or several)."""
    block = state.get(block_id)
    block = block if isinstance(block, dict) else {}
    element = block.get("value") or block.get("text") or {}
    if not isinstance(element, dict):
        return None
    for key in ("value", "selected_time", "selected_date"):
        if key in element:
            return element[key]
    if "selected_option" in element:
        option = element["selected_option"]
        return option.get("value") if isinstance(option, dict) else None
    if "selected_options" in element:
        options = element["selected_options"]
        return [o.get("value") for o in options if isinstance(o, dict)] if isinstance(options, list) else []
    return None


def _refresh_home(client, context):
    try:
        publish(client, context)
    except SlackApiError as error:
        log.warning("views.publish failed: %s", error)


def register(app):
    @app.action(blocks.OPEN_MODAL)
    def open_entries(ack, body, action, context, client):
        ack()
        try:
            account = person(context, client)
        except NotLinked as error:
            return tell(client, context.user_id, str(error), (body.get("channel") or {}).get("id"))
        value = _json(action.get("value"))
        membership = _own_membership(account.user, value.get("membership"), context.team_id)
        metadata = {"membership": membership.id if membership else None, "date": value.get("date")}
        try:
            client.views_open(trigger_id=body.get("trigger_id") or "", view=blocks.entries_modal(metadata))
        except SlackApiError as error:
            log.warning("views.open failed: %s", error)

    @app.view(blocks.ENTRIES_VIEW)
    def submit_entries(ack, body, view, context, client):
        deps = context["donebot"]
        try:
            account = person(context, client)
        except NotLinked as error:
            return ack(response_action="errors", errors={"entries": str(error)[:150]})
        submitted = _value(_state_values(view), "entries")
        text = plain_text(submitted if isinstance(submitted, str) else "")
        metadata = _json(view.get("private_metadata"))
        membership = _own_membership(account.user, metadata.get("membership"), context.team_id)
        if membership is None:
            return ack(response_action="errors", errors={"entries": "You're not in any donebot team yet."})
        now = deps.clock()
        local_date = local_today(account.user, now)
        try:  # a prompt's button records for that prompt's day, if it was at most a week ago
            asked = datetime.date.fromisoformat(metadata.get("date") or "")
            if datetime.timedelta(0) <= local_date - asked <= datetime.timedelta(days=7):
                local_date = asked
        except (TypeError, ValueError):
            pass
        try:
            recorded = record_reply(membership, local_date, text, "slack",
                                    f"{context.team_id}:view:{view.get('id') or now.isoformat()}", now)
        except EmptyReply:
            return ack(response_action="errors", errors={"entries": "Write at least one thing, one per line."})
        ack()
        tell(client, context.user_id, f"Recorded for {membership.team.name}: {recorded.summary()}")
        _refresh_home(client, context)

    @app.action(blocks.COMPLETE_GOAL)
    def check_off(ack, action, context, client):
        ack()
        deps = context["donebot"]
        try:
            account = person(context, client)
        except NotLinked as error:
            return tell(client, context.user_id, str(error))
        try:
            goal = (Entry.select().join(Membership)
                    .where(Entry.id == int(action.get("value")), Entry.kind == "goal",
                           Membership.user == account.user_id).first())
        except (TypeError, ValueError):
            goal = None
        if goal is not None:  # someone else's goal, or a made-up id: nothing happens
            now = deps.clock()
            complete_goal(goal, local_today(account.user, now), "slack", now)
        _refresh_home(client, context)

    @app.action(blocks.OPEN_SETTINGS)
    def open_settings(ack, body, context, client):
        ack()
        try:
            account = person(context, client)
        except NotLinked as error:
            return tell(client, context.user_id, str(error))
        membership = membership_for(account.user, context.team_id)
        if membership is None:
            return tell(client, context.user_id, "You're not in any donebot team yet.")
        tz = account.user.tz
        if tz == "UTC" and account.tz:  # never chosen: default to the Slack profile's zone
            tz = account.tz
        try:
            client.views_open(trigger_id=body.get("trigger_id") or "",
                              view=blocks.settings_modal(membership, tz, channels.available()))
        except SlackApiError as error:
            log.warning("views.open failed: %s", error)

    @app.view(blocks.SETTINGS_VIEW)
    def save_settings(ack, view, context, client):
        deps = context["donebot"]
        try:
            account = person(context, client)
        except NotLinked as error:
            return ack(response_action="errors", errors={"tz": str(error)[:150]})
        membership = _own_membership(account.user, _json(view.get("private_metadata")).get("membership"),
                                     context.team_id)
        if membership is None:
            return ack(response_action="errors", errors={"tz": "You're not in any donebot team yet."})
        values = _state_values(view)
        changes, errors = _settings_from(values, channels.available())
        if errors:
            return ack(response_action="errors", errors=errors)
        now = deps.clock()
        with db.atomic():
            user = User.get_by_id(account.user_id)
            moved = user.tz != changes["tz"]
            User.update(tz=changes["tz"]).where(User.id == user.id).execute()
            for field in ("prompt_at", "digest_at", "workdays", "paused_until", "preferred_channel"):
                setattr(membership, field, changes[field])
            membership.save()
            others = Membership.select().where(Membership.user == user.id) if moved else [membership]
            for each in others:  # every schedule that depends on the changed settings
                each = Membership.get_by_id(each.id)
                refresh_schedule(each, now)
        ack()
        _refresh_home(client, context)


def _settings_from(values, available):
    """Validated settings from the form -> (changes, {block_id: error})."""
    changes, errors = {}, {}
    for block_id in ("prompt_at", "digest_at"):
        try:
            changes[block_id] = parse_hhmm(_value(values, block_id) or "").strftime("%H:%M")
        except ScheduleError as error:
            errors[block_id] = str(error)
    tz = (_value(values, "tz") or "").strip()
    try:
        zone(tz)
        changes["tz"] = tz
    except ScheduleError as error:
        errors["tz"] = str(error)
    days = _value(values, "workdays") or []
    try:
        changes["workdays"] = format_workdays(parse_workdays("".join(sorted(days))))
    except ScheduleError:
        errors["workdays"] = "Pick at least one day."
    paused = _value(values, "paused_until")
    try:
        changes["paused_until"] = datetime.date.fromisoformat(paused) if paused else None
    except ValueError:
        errors["paused_until"] = "Not a date."
    channel = _value(values, "channel")
    if channel not in available:
        errors["channel"] = f"Choose one of {', '.join(available)}."
    changes["preferred_channel"] = channel
    return changes, errors
