"""Block Kit for everything donebot posts in Slack. User text always goes through escape():
Slack reads &, < and > as markup, so an entry could otherwise ping <!channel> or forge a link."""
import json

OPEN_MODAL = "donebot_open_modal"
COMPLETE_GOAL = "donebot_complete_goal"
OPEN_SETTINGS = "donebot_open_settings"
ENTRIES_VIEW = "donebot_add_entries"
SETTINGS_VIEW = "donebot_settings"
SECTION_LIMIT = 2900  # Slack's section text limit is 3000 characters
MAX_BLOCKS = 48  # Slack allows 50 blocks in a message
KIND_MARK = {"done": "•", "goal": "☐", "blocker": "⛔"}


def escape(text):
    """Escape user text for mrkdwn and plain text fields alike."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clip(text, limit=SECTION_LIMIT):
    return text if len(text) <= limit else text[: limit - 1] + "…"


def section(text):
    return {"type": "section", "text": {"type": "mrkdwn", "text": _clip(text)}}


def context(text):
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": _clip(text, 1900)}]}


def bullets(texts, mark="•"):
    return "\n".join(f"{mark} {escape(t)}" for t in texts)


def prompt(item):
    """(fallback text, blocks) of the daily question."""
    team = escape(item.team_name)
    blocks = [section(f"*What'd you get done today?*  _{team}_")]
    goals = item.context.get("open_goals") or []
    if goals:
        blocks.append(section("*Your open goals*\n" + bullets(goals[:20], "☐")))
    blocks.append({"type": "actions", "elements": [{
        "type": "button", "action_id": OPEN_MODAL, "style": "primary",
        "text": {"type": "plain_text", "text": "Add entries"},
        "value": json.dumps({"membership": item.membership_id, "date": item.local_date.isoformat()}),
    }]})
    blocks.append(context("Or just reply here: one line per thing, `[ ]` for a goal, `[x]` to finish one, "
                          "`!` for a blocker, `#tags` welcome."))
    return f"What'd you get done today? ({item.team_name})", blocks


def entry_lines(entries):
    return "\n".join(f"{KIND_MARK.get(e.kind, '•')} {escape(e.text)}" for e in entries)


def receipt(item):
    entries = item.context.get("entries") or []
    text = f"Recorded for {item.local_date.strftime('%A')}: {item.context.get('summary', '')}"
    return text, [section(f"*{escape(text)}*\n{entry_lines(entries)}")]


def digest(d):
    """(fallback text, blocks) of a team digest."""
    title = f"{d.team_name}: what got done, {d.period_label}"
    blocks = [{"type": "header", "text": {"type": "plain_text", "text": _clip(escape(title), 150)}}]
    for person in d.people:
        lines = [f"*{escape(person.name)}*"]
        lines += [f"• {escape(e.text)}" for e in person.done]
        lines += [f"☐ {escape(e.text)}" for e in person.goals]
        lines += [f"⛔ {escape(e.text)}" for e in person.blockers]
        blocks.append(section("\n".join(lines)))
    if d.open_goals:
        blocks.append(section("*Still open*\n" + "\n".join(
            f"☐ {escape(g.text)} ({escape(g.name)}, since {g.since.strftime('%b %-d')})" for g in d.open_goals[:30])))
    if d.missing:
        blocks.append(context("Didn't post: " + escape(", ".join(d.missing))))
    if len(blocks) > MAX_BLOCKS:
        blocks = blocks[: MAX_BLOCKS - 1] + [context(f"…and {len(blocks) - MAX_BLOCKS + 1} more on the web.")]
    return title, blocks


def entries_modal(metadata=None, initial=""):
    element = {"type": "plain_text_input", "action_id": "text", "multiline": True,
               "placeholder": {"type": "plain_text", "text": "- shipped the importer #backend\n[ ] write the notes"}}
    if initial:
        element["initial_value"] = initial
    return {
        "type": "modal", "callback_id": ENTRIES_VIEW, "private_metadata": json.dumps(metadata or {}),
        "title": {"type": "plain_text", "text": "What got done?"},
        "submit": {"type": "plain_text", "text": "Record"}, "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [{"type": "input", "block_id": "entries", "label": {"type": "plain_text", "text": "One per line"},
                    "element": element}],
    }


def home(user_name, team_name, today_entries, goals, settings_summary):
    blocks = [{"type": "header", "text": {"type": "plain_text", "text": _clip(escape(f"donebot · {team_name}"), 150)}},
              section(f"*Today, {escape(user_name)}*\n" + (entry_lines(today_entries) or "_Nothing yet. "
                                                               "Send me a message or use `/done`._")),
              {"type": "actions", "elements": [{"type": "button", "action_id": OPEN_MODAL, "style": "primary",
                                                "text": {"type": "plain_text", "text": "Add entries"},
                                                "value": "{}"}]},
              {"type": "divider"}, section("*Open goals*" if goals else "*Open goals*\n_None open._")]
    for goal in goals[:30]:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _clip(f"☐ {escape(goal.text)}")},
                       "accessory": {"type": "button", "action_id": COMPLETE_GOAL, "value": str(goal.id),
                                     "text": {"type": "plain_text", "text": "Done"}}})
    blocks += [{"type": "divider"}, section("*Settings*\n" + escape(settings_summary)),
               {"type": "actions", "elements": [{"type": "button", "action_id": OPEN_SETTINGS,
                                                 "text": {"type": "plain_text", "text": "Edit settings"}}]}]
    return {"type": "home", "blocks": blocks[:100]}


WEEKDAYS = [("1", "Mon"), ("2", "Tue"), ("3", "Wed"), ("4", "Thu"), ("5", "Fri"), ("6", "Sat"), ("7", "Sun")]


def _option(value, label):
    return {"text": {"type": "plain_text", "text": label}, "value": value}


def settings_modal(membership, tz, channels):
    """The settings form; `membership` gives the current values, `tz` the zone to show."""
    workdays = [_option(v, label) for v, label in WEEKDAYS if v in membership.workdays]
    channel_options = [_option(name, name.capitalize()) for name in channels]
    preferred = [o for o in channel_options if o["value"] == membership.preferred_channel] or channel_options[:1]
    pause = {"type": "datepicker", "action_id": "value"}
    if membership.paused_until:
        pause["initial_date"] = membership.paused_until.isoformat()

    def block(block_id, label, element, optional=False):
        return {"type": "input", "block_id": block_id, "optional": optional,
                "label": {"type": "plain_text", "text": label}, "element": element}

    return {
        "type": "modal", "callback_id": SETTINGS_VIEW, "private_metadata": json.dumps({"membership": membership.id}),
        "title": {"type": "plain_text", "text": "donebot settings"}, "submit": {"type": "plain_text", "text": "Save"},
        "blocks": [
            block("prompt_at", "Ask me at", {"type": "timepicker", "action_id": "value",
                                             "initial_time": membership.prompt_at}),
            block("digest_at", "Send the digest at", {"type": "timepicker", "action_id": "value",
                                                      "initial_time": membership.digest_at}),
            block("tz", "Time zone (IANA name)", {"type": "plain_text_input", "action_id": "value",
                                                  "initial_value": tz}),
            block("workdays", "Workdays", {"type": "checkboxes", "action_id": "value",
                                           "options": [_option(v, label) for v, label in WEEKDAYS],
                                           **({"initial_options": workdays} if workdays else {})}),
            block("paused_until", "Pause until (inclusive)", pause, optional=True),
            block("channel", "Ask me by", {"type": "radio_buttons", "action_id": "value",
                                            "options": channel_options, "initial_option": preferred[0]}),
        ],
    }
