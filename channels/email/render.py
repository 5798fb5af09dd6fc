"""Prompt and digest emails from templates/email/, as text and HTML.

The Jinja environment is built once per process; each template compiles once.
"""
import dataclasses
import os
from functools import lru_cache

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import escape

TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "templates", "email")


@lru_cache(maxsize=1)
def environment():
    return Environment(
        loader=FileSystemLoader(os.path.normpath(TEMPLATES)),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        auto_reload=False,  # templates do not change while running; skip a stat() per render
    )


def one_line(text):
    """Header-safe: no CR/LF can reach a header and inject another."""
    return " ".join((text or "").split())


def subject_for(item):
    if item.kind == "prompt":
        return f"What'd you get done today? ({item.local_date.strftime('%a, %b %-d')})"
    if item.kind == "digest":
        return one_line(f"{item.team_name} digest: {item.context['digest'].period_label}")
    if item.kind == "receipt":
        return f"Recorded for {item.local_date.strftime('%a, %b %-d')}: {item.context['summary']}"
    return one_line(f"donebot: {item.kind}")


def render(item, settings_url, unsubscribe_url=""):
    """-> (subject, text body, html body) for one Outgoing item."""
    env = environment()
    context = {"name": item.name, "team_name": item.team_name, "settings_url": settings_url,
               "unsubscribe_url": unsubscribe_url, **item.context}
    context.setdefault("open_goals", [])
    text = env.get_template(f"{item.kind}.txt").render(context)
    html = env.get_template(f"{item.kind}.html").render(context)
    return subject_for(item), text, html


def render_digest_text(digest, settings_url, unsubscribe_url=""):
    """The digest as the plain-text part of the email (also what `donebot digest` prints)."""
    return environment().get_template("digest.txt").render(digest=digest, settings_url=settings_url,
                                                            unsubscribe_url=unsubscribe_url)


# Stand-ins rendered in place of what differs between recipients of the same email.
_NAME_SLOT = "\x00donebot-name\x00"
_UNSUBSCRIBE_SLOT = "\x00donebot-unsubscribe\x00"


def _shape(item):
    """What makes two recipients' emails differ beyond their name and unsubscribe link, or None
    when every email is its own (receipts list the person's own entries)."""
    if item.kind == "prompt":
        return ("prompt", item.team_name, item.local_date, tuple(item.context.get("open_goals", ())))
    if item.kind == "digest":  # the batch holds each digest object alive, so its id is stable here
        return ("digest", item.team_name, item.local_date, id(item.context["digest"]))
    return None


class BatchRenderer:
    """Renders one batch. Emails of the same shape (a team's digest, a day's prompt without goals)
    are rendered once with stand-ins, then filled in per recipient: escaped in HTML, as is in text.
    Use one per batch: shapes are only valid while the batch's digests are alive."""

    def __init__(self, settings_url):
        self.settings_url = settings_url
        self.shapes = {}

    def render(self, item, unsubscribe_url):
        key = _shape(item)
        if key is None:
            return render(item, self.settings_url, unsubscribe_url)
        if key not in self.shapes:
            stand_in = dataclasses.replace(item, name=_NAME_SLOT)
            self.shapes[key] = render(stand_in, self.settings_url, _UNSUBSCRIBE_SLOT)
        subject, text, html = self.shapes[key]
        text = text.replace(_NAME_SLOT, item.name).replace(_UNSUBSCRIBE_SLOT, unsubscribe_url)
        html = html.replace(_NAME_SLOT, str(escape(item.name))).replace(_UNSUBSCRIBE_SLOT, str(escape(unsubscribe_url)))
        return subject, text, html
