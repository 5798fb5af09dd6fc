"""HTML mail bodies to plain text, standard library only.

``html_to_text(html)`` renders the whole document: block elements and ``<br>``
become line breaks, list items become ``- item`` lines, ``<blockquote>`` content
is prefixed with ``> ``, entities are decoded and ``<script>``/``<style>`` are
dropped.

``html_to_reply_text(html)`` does the same after removing what mail clients mark
as quoted history or signature in their HTML (``gmail_quote``, ``blockquote
type=cite``, ``yahoo_quoted``, ``moz-cite-prefix``, ``divRplyFwdMsg``,
``appendonsend``, ``OutlookMessageHeader``, Outlook's reply separator, ...), so
the language-independent markers are used before the text rules run.

The tokenizer is a single forward scan (``str.find`` plus anchored regexes that
stop at the next ``<``), so hostile input (unclosed comments, millions of
``<``, 10 MB bodies) stays linear.
"""
from __future__ import annotations

import html as _html
import re

__all__ = ["html_to_text", "html_to_reply_text"]

# A tag: name, then attributes up to the next '>' (never past a '<', which keeps
# every match attempt bounded by the distance to the next '<').
_TOKEN = re.compile(r"<(?:(/?)([A-Za-z][A-Za-z0-9:_.-]{0,40})([^<>]*)>|(!--)|(!\[CDATA\[)|[!?])")
_ATTR = re.compile(r"""([A-Za-z_:][-A-Za-z0-9_:.]*)\s*(?:=\s*("[^"]*"|'[^']*'|[^\s"'=<>`]+))?""")
_WS = re.compile(r"[ \t\n\r\f\v]+")
_BLANKS = re.compile(r"\n{3,}")
_WORD_BULLET = re.compile(r"(?m)^((?:> )*[ \t]*)(?:[·•▪◦§]\s+|o\s{3,})(?=\S)")

_VOID = frozenset(
    "area base br col embed hr img input keygen link meta param source track wbr basefont frame isindex".split()
)
# Elements whose content is never text for the reader.
_RAW_DROP = {
    name: re.compile(r"</%s\s*>" % name, re.I)
    for name in ("script", "style", "title", "textarea", "xml", "template", "noscript", "svg", "math", "object", "iframe")
}
_HEAD_END = re.compile(r"</head\s*>|<body[\s>]", re.I)
_BLOCK = frozenset(
    """address article aside blockquote center dd details dialog dir div dl dt fieldset figcaption figure
    footer form h1 h2 h3 h4 h5 h6 header hgroup hr li main menu nav ol p pre section summary table tbody
    thead tfoot tr ul caption body html option""".split()
)

# Reply mode: subtrees that are quoted history or a signature.
_DROP_CLASS = re.compile(
    r"gmail_quote|gmail_attr|gmail_signature|yahoo_quoted|moz-cite-prefix|moz-signature|protonmail_quote|"
    r"protonmail_signature|zmail_extra|ms-outlook-mobile-signature|x_gmail_quote|ecxgmail_quote|"
    r"AppleOriginalContents|mailbox_signature|tutanota_quote|blockquote_quote",
    re.I,
)
_DROP_ID = re.compile(
    r"^(?:x_)?(?:Signature|ms-outlook-mobile-signature|AppleMailSignature|signature|divtagdefaultwrapper_signature|"
    r"ymail_android_signature|protonmail_signature_block)$",
    re.I,
)
# Reply mode: everything from this element on is history.
_CUT_ID = re.compile(
    r"^(?:x_)?(?:appendonsend|divRplyFwdMsg|RplyFwdMsg|OLK_SRC_BODY_SECTION|stopSpelling|zwchr|"
    r"mail-editor-reference-message-container|reference-message-container|isForwardContent|isReplyContent|"
    r"replySplit|original-content|_originalContent|ydp[0-9a-f]*yahoo_quoted_[0-9]+)$",
    re.I,
)
_CUT_CLASS = re.compile(r"OutlookMessageHeader|gmail_extra_quote|moz-forward-container|replyHeader|reply-quote-header", re.I)
# Outlook desktop puts the From/Sent block in a div with this top border.
_OUTLOOK_SEPARATOR = re.compile(r"border-top\s*:\s*solid\s+#(?:E1E1E1|B5C4DF|E5E5E5)", re.I)


# <p> used as a line, not a paragraph (Outlook's MsoNormal, editors' margin:0)
_LINE_P_CLASS = re.compile(r"Mso(?:Normal|PlainText|ListParagraph)", re.I)
_NO_MARGIN = re.compile(r"margin(?:-bottom)?\s*:\s*0(?:[a-z%]*)?\s*(?:;|$)", re.I)


def _attrs(raw: str) -> dict:
    if not raw or "=" not in raw:
        return {}
    out = {}
    for m in _ATTR.finditer(raw):
        name = m.group(1).lower()
        if name in out:
            continue
        val = m.group(2)
        if val is None:
            val = ""
        elif val[:1] in "\"'":
            val = val[1:-1]
        out[name] = val
    return out


class _Writer:
    """Accumulates rendered lines, with list prefixes and blockquote depth."""

    __slots__ = ("lines", "cur", "cur_depth", "prefix", "depth", "pre", "started", "para")

    def __init__(self):
        self.lines: list[str] = []
        self.cur: list[str] = []
        self.cur_depth = 0
        self.prefix = ""  # pending list-item prefix, written with the first text
        self.depth = 0  # blockquote depth
        self.pre = 0
        self.started = False  # current line has content
        self.para = False  # inside a <p> that is a paragraph (blank line after it)

    def text(self, s: str) -> None:
        if self.pre:
            parts = s.split("\n")
            for k, part in enumerate(parts):
                if k:
                    self.newline()
                if part:
                    self._put(part.replace("\r", ""))
            return
        s = _WS.sub(" ", s)
        if not self.started:
            s = s.lstrip(" ")
            if not s:
                return
        elif self.cur and self.cur[-1].endswith(" ") and s.startswith(" "):
            s = s[1:]
            if not s:
                return
        self._put(s)

    def _put(self, s: str) -> None:
        if not self.started:
            self.started = True
            self.cur_depth = self.depth
            if self.prefix:
                self.cur.append(self.prefix)
                self.prefix = ""
        self.cur.append(s)

    def newline(self) -> None:
        """End the current line, even if empty (<br>)."""
        depth = self.cur_depth if self.started else self.depth
        line = "".join(self.cur).rstrip()
        if depth:
            line = ("> " * min(depth, 20) + line).rstrip()
        self.lines.append(line)
        self.cur = []
        self.started = False

    def block(self) -> None:
        """Make sure the next text starts on a new line."""
        if self.started:
            self.newline()

    def blank(self) -> None:
        """End the current line and leave one blank line after it."""
        self.block()
        if self.lines and self.lines[-1].strip("> "):
            self.lines.append(("> " * min(self.depth, 20)).rstrip())

    def result(self) -> str:
        self.block()
        text = "\n".join(self.lines)
        text = text.replace("\xa0", " ").replace("\u202f", " ")
        text = "\n".join(line.rstrip() for line in text.split("\n"))
        if "·" in text or "•" in text or "§" in text or "▪" in text or "o  " in text:
            text = _WORD_BULLET.sub(r"\1- ", text)  # Outlook/Word list bullets drawn with a symbol font
        text = _BLANKS.sub("\n\n", text)
        return text.strip("\n")


def _convert(html: str, reply: bool) -> str:
    if not html:
        return ""
    if not isinstance(html, str):
        html = str(html)
    w = _Writer()
    n = len(html)
    pos = 0
    skip_tag = ""  # name of the element being dropped (reply mode)
    skip_depth = 0
    list_stack: list[str] = []
    find = html.find
    search = _TOKEN.search
    while pos < n:
        m = search(html, pos)
        if m is None:
            if not skip_depth:
                _emit_text(w, html[pos:])
            break
        lt = m.start()
        if lt > pos and not skip_depth:
            _emit_text(w, html[pos:lt])
        if m.group(2) is None:
            if m.group(4):  # <!-- comment -->
                end = find("-->", lt + 4)
                pos = n if end < 0 else end + 3
            elif m.group(5):  # <![CDATA[ ... ]]>
                end = find("]]>", lt + 9)
                if end < 0:
                    end = n
                if not skip_depth:
                    _emit_text(w, html[lt + 9 : end], raw=True)
                pos = min(n, end + 3)
            else:  # <!DOCTYPE ...>, <?xml ...?>
                end = find(">", lt + 2)
                pos = n if end < 0 else end + 1
            continue
        pos = m.end()
        closing = m.group(1) == "/"
        name = m.group(2).lower()
        rawattrs = m.group(3)
        selfclosing = rawattrs.endswith("/")

        if not closing and name in _RAW_DROP:
            end = _RAW_DROP[name].search(html, pos)
            pos = n if end is None else end.end()
            continue
        if not closing and name == "head":
            end = _HEAD_END.search(html, pos)
            if end is None:
                pos = n
            else:
                pos = end.end() if end.group(0).startswith("</") else end.start()
            continue

        if skip_depth:
            if name == skip_tag and name not in _VOID and not selfclosing:
                skip_depth += -1 if closing else 1
                if skip_depth == 0:
                    skip_tag = ""
                    w.block()
            continue

        if not closing and reply and ("class" in rawattrs or "id" in rawattrs or "type" in rawattrs or "style" in rawattrs):
            a = _attrs(rawattrs)
            cls = a.get("class", "")
            ident = a.get("id", "")
            if (ident and _CUT_ID.match(ident)) or (cls and _CUT_CLASS.search(cls)):
                break
            if name == "div" and _OUTLOOK_SEPARATOR.search(a.get("style", "")):
                break
            if (
                (cls and _DROP_CLASS.search(cls))
                or (ident and _DROP_ID.match(ident))
                or (name == "blockquote" and a.get("type", "").lower() == "cite")
            ):
                if name in _VOID or selfclosing:
                    continue
                skip_tag = name
                skip_depth = 1
                w.block()
                continue

        if name == "br":
            if not closing:
                w.newline()
            continue
        if name in ("ul", "ol", "dir", "menu"):
            w.block()
            if closing:
                if list_stack:
                    list_stack.pop()
            else:
                list_stack.append(name)
            continue
        if name == "li":
            w.block()
            if not closing:
                w.prefix = "  " * min(8, max(0, len(list_stack) - 1)) + "- "
            else:
                w.prefix = ""
            continue
        if name == "blockquote":
            w.block()
            if closing:
                if w.depth:
                    w.depth -= 1
            else:
                w.depth += 1
            continue
        if name == "pre":
            w.block()
            if closing:
                if w.pre:
                    w.pre -= 1
            else:
                w.pre += 1
            continue
        if name in ("td", "th"):
            if not closing and w.started and w.cur and not w.cur[-1].endswith(" "):
                w.cur.append(" ")
            continue
        if name == "p":
            if w.para:
                w.blank()
            else:
                w.block()
            w.para = False
            if not closing:
                a = _attrs(rawattrs)
                w.para = not (_LINE_P_CLASS.search(a.get("class", "")) or _NO_MARGIN.search(a.get("style", "")))
            continue
        if name in _BLOCK:
            if w.para and not closing and name not in ("span",):
                w.blank()
                w.para = False
            w.block()
            continue
        # inline element: nothing to do
    return w.result()


def _emit_text(w: _Writer, s: str, raw: bool = False) -> None:
    if not raw and "&" in s:
        s = _html.unescape(s)
    w.text(s)


def html_to_text(html: str) -> str:
    """Render an HTML body as plain text (the whole body, quotes as ``> `` lines)."""
    try:
        return _convert(html, reply=False)
    except Exception:  # never raise on hostile input
        return _fallback(html)


def html_to_reply_text(html: str) -> str:
    """Render an HTML body as plain text without the parts clients mark as quoted history."""
    try:
        return _convert(html, reply=True)
    except Exception:
        return _fallback(html)


def _fallback(html) -> str:
    try:
        text = re.sub(r"<[^<>]*>", " ", str(html))
        return _html.unescape(text).strip()
    except Exception:
        return ""
