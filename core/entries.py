"""Reply text -> entries: one per line (or per bullet), each done, goal or blocker.

    - shipped the importer #backend        done, tagged backend
    [ ] write the migration guide          goal
    [x] write the migration guide          done, and closes that open goal
    ! waiting on @dana for the API key     blocker, mentions dana
    blocked: CI is red                     blocker
"""
import re
from dataclasses import dataclass, field

MAX_ENTRY_CHARS = 2000
MAX_ENTRIES = 100

_BULLET = re.compile(r"^(?:[-*•+‣◦▪–](?=\s|\[|$)|\d{1,3}[.)](?=\s|$))\s*")
_CHECKBOX = re.compile(r"^\[(?P<mark>[ xX✓✔]?)\]\s*")
_BLOCKER = re.compile(r"^(?:!+\s*|(?:blocked|blocker|blockers)\s*:\s*)", re.IGNORECASE)
_TAG = re.compile(r"(?<![\w#&/])#([^\W\d_][\w-]*|\d+[^\W\d_][\w-]*)")
_MENTION = re.compile(r"(?<![\w.+@/])@(\w(?:[\w.-]*\w)?)")
_SPACES = re.compile(r"\s+")


@dataclass
class ParsedEntry:
    kind: str  # done, goal, blocker
    text: str
    tags: list = field(default_factory=list)
    mentions: list = field(default_factory=list)
    closes_goal: bool = False  # a [x] line: mark the matching open goal done


def _terms(pattern, text):
    seen = []
    for match in pattern.finditer(text):
        value = match.group(1).rstrip(".-").lower()
        if value and value not in seen:
            seen.append(value)
    return seen


def _is_item_start(line):
    return bool(_BULLET.match(line) or _CHECKBOX.match(line) or _BLOCKER.match(line))


def _group_lines(text):
    """Split into items: lines, except that in a bulleted reply a plain or indented
    line after a bullet continues it."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    uses_bullets = any(_BULLET.match(line.strip()) for line in lines)
    items = []
    continuing = False
    for raw in lines:
        line = raw.strip()
        if line.startswith(">"):  # quoted text left in an interleaved reply is not theirs
            continuing = False
            continue
        if not line:
            continuing = False  # a blank line ends a bullet
            continue
        starts_item = _is_item_start(line)
        if uses_bullets and continuing and not starts_item:
            items[-1] += " " + line
            continue
        items.append(line)
        continuing = uses_bullets and bool(_BULLET.match(line))
    return items


def parse_entry(line):
    """One item (already grouped) -> ParsedEntry, or None when nothing is left."""
    text = _BULLET.sub("", line, count=1)
    kind, closes_goal = "done", False
    box = _CHECKBOX.match(text)
    if box:
        text = text[box.end():]
        if box.group("mark").strip():
            closes_goal = True
        else:
            kind = "goal"
    blocker = _BLOCKER.match(text)
    if blocker and not box:
        kind = "blocker"
        text = text[blocker.end():]
    text = _SPACES.sub(" ", text).strip()[:MAX_ENTRY_CHARS]
    if not text:
        return None
    return ParsedEntry(kind, text, _terms(_TAG, text), _terms(_MENTION, text), closes_goal)


def parse_entries(text):
    """The entries in a reply, in order."""
    entries = []
    for item in _group_lines(text or ""):
        entry = parse_entry(item)
        if entry is not None:
            entries.append(entry)
        if len(entries) >= MAX_ENTRIES:
            break
    return entries


def goal_key(text):
    """Text as compared when a [x] line looks for the goal it closes."""
    return _SPACES.sub(" ", text).strip().casefold().rstrip(".!")
