"""Prompt and digest emails from templates/email/, as text and HTML.

The Jinja environment is built once per process; each template compiles once.
"""
import os
from functools import lru_cache

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

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
