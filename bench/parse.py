"""Benchmark: replies parsed per second, raw MIME in (parse_mime) -> reply text out.

Builds ~10 kinds of realistic raw replies with the standard email package (Gmail,
Outlook desktop and web, iPhone, Apple Mail, Thunderbird, Yahoo, Android, a
quoted-printable windows-1252 one, base64 utf-8, ISO-2022-JP), parses them in a
single process, prints a table and writes bench/results/parse.json.

    python bench/parse.py [--seconds 1.0]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from email.charset import BASE64, QP, Charset
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, parseaddr

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from channels.email.parse import parse_mime  # noqa: E402

PROMPT = "What'd you get done today?"
BOT = "donebot <reply+x7kq2m9p4t@in.donebot.example>"
DATE = "Mon, Jan 2, 2023 at 6:00 PM"


def _headers(msg, sender, subject="Re: " + PROMPT, extra=None):
    name, addr = parseaddr(sender)
    msg["From"] = formataddr((name, addr))  # encodes a non-ASCII name as an encoded-word
    msg["To"] = BOT
    msg["Subject"] = subject
    msg["Date"] = formatdate(1672682400, localtime=False)
    msg["Message-ID"] = "<%s.%d@mail.example.com>" % (sender.split("@")[0].split("<")[-1], len(subject))
    msg["In-Reply-To"] = "<prompt-123@in.donebot.example>"
    for k, v in (extra or {}).items():
        msg[k] = v
    return msg


def _text(body, charset="utf-8", encoding=None, flowed=False, delsp=False):
    cs = Charset(charset)
    if encoding is not None:
        cs.body_encoding = encoding
    part = MIMEText(body, "plain", cs)
    if flowed:
        part.set_param("format", "flowed")
        if delsp:
            part.set_param("delsp", "yes")
    return part


def _html(body, charset="utf-8", encoding=QP):
    cs = Charset(charset)
    cs.body_encoding = encoding
    return MIMEText(body, "html", cs)


def _alt(text_part, html_part):
    msg = MIMEMultipart("alternative")
    msg.attach(text_part)
    msg.attach(html_part)
    return msg


def gmail():
    text = (
        "- Shipped the billing page redesign\n- Reviewed 3 PRs for the API team\n- Fixed the flaky login test\n\n"
        f"On {DATE} donebot <reply+x7kq2m9p4t@in.donebot.example> wrote:\n\n> {PROMPT}\n>\n"
        "> Reply to this email with what you did. One item per line.\n"
    )
    html = (
        '<div dir="ltr"><div>- Shipped the billing page redesign</div><div>- Reviewed 3 PRs for the API team</div>'
        "<div>- Fixed the flaky login test</div></div><br>"
        '<div class="gmail_quote"><div dir="ltr" class="gmail_attr">On ' + DATE + " donebot &lt;"
        '<a href="mailto:reply+x7kq2m9p4t@in.donebot.example">reply+x7kq2m9p4t@in.donebot.example</a>&gt; wrote:<br></div>'
        '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);'
        'padding-left:1ex"><div>' + PROMPT + "</div><div>Reply to this email with what you did. One item per line.</div>"
        "</blockquote></div>"
    )
    return _headers(_alt(_text(text, encoding=QP), _html(html)), "Ann Smith <ann@gmail.com>")


_OUTLOOK_STYLE = (
    "<style><!--\n@font-face {font-family:\"Cambria Math\"; panose-1:2 4 5 3 5 4 6 3 2 4;}\n"
    "@font-face {font-family:Calibri; panose-1:2 15 5 2 2 2 4 3 2 4;}\n"
    "p.MsoNormal, li.MsoNormal, div.MsoNormal {margin:0in; font-size:11.0pt; font-family:\"Calibri\",sans-serif;}\n"
    "a:link, span.MsoHyperlink {mso-style-priority:99; color:#0563C1; text-decoration:underline;}\n"
    "span.EmailStyle17 {mso-style-type:personal-reply; font-family:\"Calibri\",sans-serif; color:windowtext;}\n"
    ".MsoChpDefault {mso-style-type:export-only; font-family:\"Calibri\",sans-serif;}\n"
    "@page WordSection1 {size:8.5in 11.0in; margin:1.0in 1.0in 1.0in 1.0in;}\n"
    "div.WordSection1 {page:WordSection1;}\n--></style>"
)


def outlook_desktop():
    text = (
        "Finished the Q3 budget draft\r\nCall with the Berlin office about the rollout\r\n\r\n"
        "Bob Jones\r\nSenior Analyst | Example Corp\r\n\r\n"
        "From: donebot <reply+x7kq2m9p4t@in.donebot.example>\r\nSent: Monday, January 2, 2023 6:00 PM\r\n"
        f"To: Bob Jones <bob@corp.example>\r\nSubject: {PROMPT}\r\n\r\n{PROMPT}\r\n"
    )
    html = (
        '<html xmlns:o="urn:schemas-microsoft-com:office:office"><head><meta name="Generator" '
        'content="Microsoft Word 15 (filtered medium)">' + _OUTLOOK_STYLE + "</head>"
        '<body lang="EN-US" link="#0563C1" vlink="#954F72"><div class="WordSection1">'
        '<p class="MsoNormal">Finished the Q3 budget draft<o:p></o:p></p>'
        '<p class="MsoNormal">Call with the Berlin office about the rollout<o:p></o:p></p>'
        '<p class="MsoNormal"><o:p>&nbsp;</o:p></p><p class="MsoNormal">Bob Jones<o:p></o:p></p>'
        '<p class="MsoNormal">Senior Analyst | Example Corp<o:p></o:p></p><p class="MsoNormal"><o:p>&nbsp;</o:p></p>'
        '<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0in 0in 0in">'
        '<p class="MsoNormal"><b>From:</b> donebot &lt;reply+x7kq2m9p4t@in.donebot.example&gt; <br>'
        "<b>Sent:</b> Monday, January 2, 2023 6:00 PM<br><b>To:</b> Bob Jones &lt;bob@corp.example&gt;<br>"
        "<b>Subject:</b> " + PROMPT + "<o:p></o:p></p></div>"
        '<p class="MsoNormal"><o:p>&nbsp;</o:p></p><p class="MsoNormal">' + PROMPT + "<o:p></o:p></p>"
        "</div></body></html>"
    )
    return _headers(
        _alt(_text(text, encoding=QP), _html(html)),
        "Bob Jones <bob@corp.example>",
        "RE: " + PROMPT,
        {"Thread-Topic": PROMPT, "X-MS-Has-Attach": "", "X-Auto-Response-Suppress": "All"},
    )


def iphone():
    text = (
        "Wrote the onboarding doc and recorded  \nthe walkthrough video\n\nSent from my iPhone\n\n"
        f"> On Jan 2, 2023, at 6:00 PM, {BOT} wrote:\n> \n> {PROMPT}\n"
    )
    html = (
        '<html><head><meta http-equiv="content-type" content="text/html; charset=utf-8"></head>'
        '<body dir="auto">Wrote the onboarding doc<br><br><div dir="ltr">Sent from my iPhone</div>'
        '<div dir="ltr"><br><blockquote type="cite">On Jan 2, 2023, at 6:00 PM, donebot &lt;'
        "reply+x7kq2m9p4t@in.donebot.example&gt; wrote:<br><br></blockquote></div>"
        '<blockquote type="cite"><div dir="ltr">' + PROMPT + "</div></blockquote></body></html>"
    )
    return _headers(_alt(_text(text, encoding=QP, flowed=True, delsp=True), _html(html)), "Cleo <cleo@icloud.com>")


def apple_mail_html_only():
    html = (
        '<html><head><meta http-equiv="content-type" content="text/html; charset=utf-8"></head>'
        '<body style="word-wrap: break-word;"><div>Paired with Dan on the search indexer</div>'
        "<div>Closed 12 support tickets</div><div><br></div><div><br><blockquote type=\"cite\"><div>"
        "On Jan 2, 2023, at 18:00, donebot &lt;reply+x7kq2m9p4t@in.donebot.example&gt; wrote:</div><br>"
        '<div><div>' + PROMPT + "</div></div></blockquote></div><br></body></html>"
    )
    return _headers(_html(html), "Dee <dee@me.example>")


def base64_utf8_german():
    text = (
        "Kundentermin in München vorbereitet\nÜbersetzung der Hilfeseiten geprüft\n\n"
        "Am Mo., 2. Jan. 2023 um 18:00 Uhr schrieb donebot <reply+x7kq2m9p4t@in.donebot.example>:\n\n"
        "> Was hast du heute geschafft?\n"
    )
    return _headers(_text(text, encoding=BASE64), "Jürgen Groß <juergen@web.example>", "Re: Was hast du heute geschafft?")


def thunderbird_flowed():
    text = (
        "Migrated the staging database to the new cluster and verified the backups \n"
        "restore cleanly.\n"
        "Updated the runbook.\n\n"
        "On 1/2/23 18:00, donebot wrote:\n> What'd you get done today?\n\n-- \nEve\n"
    )
    return _headers(_text(text, charset="us-ascii", flowed=True), "Eve <eve@example.org>")


def outlook_web_html_only():
    html = (
        '<html><head><style type="text/css" style="display:none;"> P {margin-top:0;margin-bottom:0;} </style></head>'
        '<body dir="ltr"><div style="font-family: Calibri, Arial, Helvetica, sans-serif; font-size: 12pt;">'
        "<ul><li>Interviewed two backend candidates</li><li>Wrote the hiring scorecard</li></ul></div>"
        '<div id="appendonsend"></div><hr style="display:inline-block;width:98%" tabindex="-1">'
        '<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif" style="font-size:11pt" color="#000000">'
        "<b>From:</b> donebot &lt;reply+x7kq2m9p4t@in.donebot.example&gt;<br><b>Sent:</b> Monday, January 2, 2023 "
        "6:00 PM<br><b>To:</b> Fay &lt;fay@outlook.example&gt;<br><b>Subject:</b> " + PROMPT + "</font>"
        "<div>&nbsp;</div></div><div>" + PROMPT + "</div></body></html>"
    )
    return _headers(_html(html), "Fay <fay@outlook.example>")


def yahoo():
    text = (
        "Finished the conference talk slides\n\nSent from Yahoo Mail on Android\n\n"
        "  On Mon, Jan 2, 2023 at 18:00, donebot<reply+x7kq2m9p4t@in.donebot.example> wrote:   " + PROMPT + "\n"
    )
    html = (
        '<div id="yMail_cursorElementTracker">Finished the conference talk slides</div><br>'
        '<div id="ymail_android_signature"><a href="https://go.onelink.me/107872968?">Sent from Yahoo Mail on Android</a></div>'
        '<div class="yahoo_quoted"><div>On Mon, Jan 2, 2023 at 18:00, donebot</div><div>' + PROMPT + "</div></div>"
    )
    return _headers(_alt(_text(text, encoding=QP), _html(html)), "Gus <gus@yahoo.example>")


def windows1252_french_qp():
    text = (
        "Préparé la démo pour le client\r\nRéunion d’équipe : décisions notées\r\n\r\n"
        "Envoyé de mon iPhone\r\n\r\n"
        "De : donebot <reply+x7kq2m9p4t@in.donebot.example>\r\nEnvoyé : lundi 2 janvier 2023 18:00\r\n"
        "À : Hélène <helene@exemple.fr>\r\nObjet : Qu’avez-vous fait aujourd’hui ?\r\n"
    )
    return _headers(_text(text, charset="windows-1252", encoding=QP), "Hélène <helene@exemple.fr>", "RE: Qu’avez-vous fait ?")


def iso2022jp():
    text = (
        "請求書のバグを修正しました\n新しいテストを追加しました\n\n"
        "2023年1月2日(月) 18:00 donebot <reply+x7kq2m9p4t@in.donebot.example>:\n\n> 今日は何をしましたか？\n"
    )
    cs = Charset("iso-2022-jp")
    part = MIMEText(text, "plain", cs)
    return _headers(part, "山田 太郎 <taro@example.jp>", "Re: 今日は何をしましたか？")


def android_gmail_bullets():
    text = (
        "* Deployed v2.3 to production\n* Rolled back the feature flag for EU\n* Wrote postmortem\n\n"
        f"On Mon, Jan 2, 2023, 18:00 donebot <\nreply+x7kq2m9p4t@in.donebot.example> wrote:\n\n> {PROMPT}\n>\n"
    )
    html = (
        '<div dir="auto"><div dir="auto">* Deployed v2.3 to production</div><div dir="auto">* Rolled back the '
        'feature flag for EU</div><div dir="auto">* Wrote postmortem</div></div><br><div class="gmail_quote">'
        '<div dir="ltr" class="gmail_attr">On Mon, Jan 2, 2023, 18:00 donebot wrote:<br></div>'
        '<blockquote class="gmail_quote">' + PROMPT + "</blockquote></div>"
    )
    return _headers(_alt(_text(text, encoding=QP), _html(html)), "Hal <hal@gmail.com>")


VARIETIES = {
    "gmail alternative + quote": gmail,
    "outlook desktop alternative": outlook_desktop,
    "iphone short reply": iphone,
    "apple mail html only": apple_mail_html_only,
    "base64 utf-8 (german)": base64_utf8_german,
    "thunderbird format=flowed": thunderbird_flowed,
    "outlook web html only": outlook_web_html_only,
    "yahoo alternative": yahoo,
    "windows-1252 qp (french)": windows1252_french_qp,
    "iso-2022-jp (japanese)": iso2022jp,
    "android gmail bullets": android_gmail_bullets,
}


def build() -> dict[str, bytes]:
    return {name: make().as_bytes() for name, make in VARIETIES.items()}


def measure(raw: bytes, seconds: float) -> tuple[int, float]:
    n = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(50):
            parse_mime(raw).reply
        n += 50
        now = time.perf_counter()
        if now >= deadline:
            return n, now - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=1.0, help="time per variety")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results", "parse.json"))
    args = ap.parse_args()

    messages = build()
    rows = []
    for name, raw in messages.items():
        reply = parse_mime(raw).reply
        n, elapsed = measure(raw, args.seconds)
        rows.append({"variety": name, "bytes": len(raw), "per_second": n / elapsed, "reply": reply})

    # the mix: every variety in turn, as a stream of typical replies would arrive
    mix = list(messages.values())
    n = 0
    start = time.perf_counter()
    deadline = start + args.seconds * 3
    while time.perf_counter() < deadline:
        for raw in mix:
            parse_mime(raw).reply
        n += len(mix)
    elapsed = time.perf_counter() - start
    overall = n / elapsed

    width = max(len(r["variety"]) for r in rows)
    print(f"{'variety':{width}s}  {'bytes':>6s}  {'replies/s':>10s}  reply")
    for r in rows:
        first = r["reply"].split("\n")[0][:40]
        print(f"{r['variety']:{width}s}  {r['bytes']:6d}  {r['per_second']:10.0f}  {first}")
    print(f"{'mix (all varieties in turn)':{width}s}  {'':6s}  {overall:10.0f}")

    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    result = {
        "benchmark": "parse_mime(raw).reply, single process",
        "python": platform.python_version(),
        "machine": platform.machine(),
        "replies_per_second": round(overall, 1),
        "target_per_second": 2000,
        "varieties": [
            {"variety": r["variety"], "bytes": r["bytes"], "per_second": round(r["per_second"], 1), "reply": r["reply"]}
            for r in rows
        ],
    }
    with open(args.out, "w", encoding="utf-8") as fh:
        json.dump(result, fh, indent=2, ensure_ascii=False)
        fh.write("\n")
    print(f"wrote {os.path.relpath(args.out, ROOT)}")


if __name__ == "__main__":
    main()
