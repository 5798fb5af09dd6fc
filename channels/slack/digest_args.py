"""`/digest [team] [today|yesterday|YYYY-MM-DD|week|last week] [@person] [#tag]` -> a DigestQuery."""
import datetime
import re
from dataclasses import dataclass

USAGE = ("Usage: `/digest [team] [today|yesterday|YYYY-MM-DD|week|last week] [@person] [#tag]`\n"
         "For example `/digest yesterday`, `/digest backend last week #release`, `/digest @ann week`.")

_MENTION = re.compile(r"^<@([A-Z0-9]+)(?:\|[^>]*)?>$")
_TAG = re.compile(r"^#([\w-]+)$")
_PERSON = re.compile(r"^@([\w.-]+)$")
_TEAM = re.compile(r"^[\w-]{1,60}$")


class Unparseable(ValueError):
    pass


@dataclass
class DigestQuery:
    team: str | None = None
    start: datetime.date | None = None
    end: datetime.date | None = None
    slack_user: str | None = None  # a <@U..> mention
    person: str | None = None  # a plain @name
    tag: str | None = None


def parse(text, today):
    """Raises Unparseable on `help`, an unknown word, or a part given twice."""
    words = (text or "").split()
    query = DigestQuery()
    i = 0

    def once(attribute, value):
        if getattr(query, attribute) is not None:
            raise Unparseable(f"{attribute} given twice")
        setattr(query, attribute, value)

    while i < len(words):
        word, lower = words[i], words[i].lower()
        if lower in ("help", "-h", "--help", "?"):
            raise Unparseable("help")
        if lower == "last" and i + 1 < len(words) and words[i + 1].lower() == "week":
            monday = today - datetime.timedelta(days=today.weekday() + 7)
            once("start", monday)
            query.end = monday + datetime.timedelta(days=6)
            i += 2
            continue
        if lower in ("today", "yesterday", "week") or re.match(r"^\d{4}-\d{2}-\d{2}$", word):
            if lower == "today":
                start = end = today
            elif lower == "yesterday":
                start = end = today - datetime.timedelta(days=1)
            elif lower == "week":
                start, end = today - datetime.timedelta(days=today.weekday()), today
            else:
                try:
                    start = end = datetime.date.fromisoformat(word)
                except ValueError:
                    raise Unparseable(f"not a date: {word}") from None
            once("start", start)
            query.end = end
        elif _MENTION.match(word):
            once("slack_user", _MENTION.match(word).group(1))
        elif _PERSON.match(word):
            once("person", _PERSON.match(word).group(1).lower())
        elif _TAG.match(word):
            once("tag", _TAG.match(word).group(1).lower())
        elif _TEAM.match(word):
            once("team", word)
        else:
            raise Unparseable(f"don't know {word!r}")
        i += 1
    if query.start is None:
        query.start = query.end = today
    return query
