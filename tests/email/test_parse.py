"""The email parser: MIME decoding, HTML replies, auto-replies, Postmark payloads, files, hostile input."""
import base64
import json
from email.charset import BASE64, QP, Charset
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channels.email.parse import (
    ParsedEmail,
    auto_reply_reason,
    extract_reply,
    html_to_text,
    parse_file,
    parse_mime,
    parse_postmark,
)

CORPORA = Path(__file__).resolve().parents[2].parent / "shared" / "corpora"
TALON = CORPORA / "replies" / "talon" / "fixtures"
ANYMAIL = CORPORA / "postmark" / "anymail"
needs_corpora = pytest.mark.skipif(not CORPORA.is_dir(), reason="../shared/corpora not present")

BOT = "reply+x7kq2m9p4t@in.donebot.example"
PROMPT = "What'd you get done today?"


def _text_part(body, charset="utf-8", encoding=None):
    cs = Charset(charset)
    if encoding is not None:
        cs.body_encoding = encoding
    return MIMEText(body, "plain", cs)


def _html_part(body, charset="utf-8"):
    cs = Charset(charset)
    cs.body_encoding = QP
    return MIMEText(body, "html", cs)


def _message(part, sender="Ann <ann@example.com>", subject="Re: " + PROMPT, **extra):
    part["From"] = sender
    part["To"] = f"donebot <{BOT}>"
    part["Subject"] = subject
    part["Message-ID"] = "<abc.123@mail.example.com>"
    for name, value in extra.items():
        part[name.replace("_", "-")] = value
    return part.as_bytes()


# --------------------------------------------------------------------------- envelope fields


def test_envelope_fields():
    msg = _text_part("Shipped it\n\nOn Mon, Jan 2, 2023 at 10:00 AM donebot <%s> wrote:\n> %s\n" % (BOT, PROMPT))
    msg["From"] = Header("José Núñez", "utf-8").encode() + " <Jose@Example.COM>"
    msg["To"] = f'"donebot" <{BOT.upper()}>, Other <other@example.com>'
    msg["Cc"] = f"other@example.com, {BOT}"
    msg["Delivered-To"] = "inbox@example.com"
    msg["X-Original-To"] = BOT
    msg["Subject"] = Header("Re: Qu’avez-vous fait aujourd’hui ? — ünïcödé subject that is long enough to be folded", "utf-8").encode()
    msg["Message-ID"] = " <CAF+x=y@mail.gmail.com> "
    msg["X-Custom"] = "first"
    msg["X-Custom"] = "second"
    parsed = parse_mime(msg.as_bytes())
    assert isinstance(parsed, ParsedEmail)
    assert parsed.message_id == "CAF+x=y@mail.gmail.com"
    assert parsed.from_address == "jose@example.com"
    assert parsed.from_name == "José Núñez"
    assert parsed.recipients == [BOT, "other@example.com", "inbox@example.com"]
    assert parsed.subject == "Re: Qu’avez-vous fait aujourd’hui ? — ünïcödé subject that is long enough to be folded"
    assert "\n" not in parsed.subject and "\r" not in parsed.subject
    assert parsed.headers["x-custom"] == "first"
    assert parsed.headers["subject"] == parsed.subject
    assert parsed.reply == "Shipped it"
    assert parsed.text.startswith("Shipped it\n\nOn Mon")
    assert parsed.auto_reply is False and parsed.auto_reply_reason == ""


def test_address_inside_an_encoded_word():
    raw = b"From: =?utf-8?b?SsO8cmdlbiBHcm/DnyA8anVlcmdlbkB3ZWIuZXhhbXBsZT4=?=\nTo: x@example.com\n\nDone\n"
    parsed = parse_mime(raw)
    assert (parsed.from_name, parsed.from_address) == ("Jürgen Groß", "juergen@web.example")


def test_raw_utf8_headers_and_str_input():
    raw = "From: Zoë <zoe@example.com>\nTo: x@example.com\nSubject: Grüße\n\nDone ✓\n"
    for value in (raw, raw.encode("utf-8")):
        parsed = parse_mime(value)
        assert parsed.subject == "Grüße"
        assert parsed.from_name == "Zoë"
        assert parsed.reply == "Done ✓"


# --------------------------------------------------------------------------- charsets and encodings


@pytest.mark.parametrize(
    "charset,body",
    [
        ("iso-2022-jp", "請求書のバグを修正しました\n新しいテストを追加しました"),
        ("shift_jis", "デプロイ完了\nレビュー済み"),
        ("koi8-r", "Исправил ошибку\nНаписал тесты"),
        ("windows-1252", "Préparé la démo – “ready”\nRéunion d’équipe"),
        ("iso-8859-2", "Naprawiłem błąd"),
        ("gb2312", "修复了错误"),
        ("big5", "修復了錯誤"),
        ("euc-kr", "버그 수정"),
    ],
)
def test_charsets(charset, body):
    raw = _message(_text_part(body + "\n", charset), subject=Header("Re: " + body.split("\n")[0], charset).encode())
    parsed = parse_mime(raw)
    assert parsed.reply == body
    assert parsed.subject == "Re: " + body.split("\n")[0]


def test_quoted_printable_and_base64():
    body = "Kundentermin in München vorbereitet – fertig\n" + "x" * 100 + "\n\n-- \nJürgen"
    for encoding in (QP, BASE64):
        parsed = parse_mime(_message(_text_part(body, "utf-8", encoding)))
        assert parsed.reply == "Kundentermin in München vorbereitet – fertig\n" + "x" * 100
    raw = (
        b"From: a@example.com\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
        b"Caf=C3=A9 =\nop=\nen\nsoft =3D break\n"
    )
    assert parse_mime(raw).reply == "Café open\nsoft = break"


def test_unknown_and_missing_charsets_fall_back():
    raw = b"From: a@example.com\nContent-Type: text/plain; charset=x-no-such-charset\n\nna\xc3\xafve caf\xc3\xa9\n"
    assert parse_mime(raw).reply == "naïve café"
    raw = b"From: a@example.com\nContent-Type: text/plain\n\ncaf\xe9 \x93quoted\x94\n"  # windows-1252 bytes, no charset
    assert parse_mime(raw).reply == "café “quoted”"
    raw = b"From: a@example.com\nContent-Type: text/plain; charset=us-ascii\n\nna\xc3\xafve\n"
    assert parse_mime(raw).reply == "naïve"


def test_format_flowed_with_and_without_delsp():
    flowed = "Migrated the staging database to the new \ncluster.\n> quoted soft \n> break\n-- \nsig\n"
    part = _text_part(flowed, "us-ascii")
    part.set_param("format", "flowed")
    text = parse_mime(_message(part)).text
    assert text.split("\n")[0] == "Migrated the staging database to the new cluster."
    assert "> quoted soft break" in text
    assert parse_mime(_message(part)).reply == "Migrated the staging database to the new cluster."

    delsp = "Reviewed the long-run\u00e9\u00e9ning  \ntask and Bob's \nPR.\n"
    part = _text_part(delsp, "utf-8")
    part.set_param("format", "flowed")
    part.set_param("delsp", "yes")
    assert parse_mime(_message(part)).reply == "Reviewed the long-runééning task and Bob'sPR."


def test_multipart_alternative_prefers_text_then_html():
    alt = MIMEMultipart("alternative")
    alt.attach(_text_part("Plain wins\n"))
    alt.attach(_html_part("<div>HTML loses</div>"))
    assert parse_mime(_message(alt)).reply == "Plain wins"

    alt = MIMEMultipart("alternative")
    alt.attach(_text_part("  \n"))
    alt.attach(_html_part("<ul><li>first</li><li>second &amp; third</li></ul>"))
    parsed = parse_mime(_message(alt))
    assert parsed.reply == "- first\n- second & third"
    assert parsed.text == "- first\n- second & third"


def test_mixed_with_attachment_and_related():
    mixed = MIMEMultipart("mixed")
    related = MIMEMultipart("related")
    alt = MIMEMultipart("alternative")
    alt.attach(_text_part("The text\n"))
    alt.attach(_html_part("<p>The html</p>"))
    related.attach(alt)
    mixed.attach(related)
    attachment = MIMEText("not the reply", "plain")
    attachment.add_header("Content-Disposition", "attachment", filename="notes.txt")
    mixed.attach(attachment)
    assert parse_mime(_message(mixed)).reply == "The text"


# --------------------------------------------------------------------------- HTML


def test_html_to_text():
    html = (
        "<html><head><title>t</title><style>p {color: red}</style><script>alert(1)</script></head><body>"
        "<p>First&nbsp;para &amp; more</p><p>Second<br>line</p><div>a div</div>"
        "<ul><li>one</li><li>two<ul><li>nested</li></ul></li></ul><ol><li>numbered</li></ol>"
        "<blockquote>quoted<br>twice</blockquote><table><tr><td>c1</td><td>c2</td></tr></table>"
        "<pre>  keep\n    indent</pre>&#x1F600; &eacute;<!-- comment --></body></html>"
    )
    assert html_to_text(html) == (
        "First para & more\n\nSecond\nline\n\na div\n- one\n- two\n  - nested\n- numbered\n"
        "> quoted\n> twice\nc1 c2\n  keep\n    indent\n😀 é"
    )


def test_html_to_text_hostile():
    for html in ("<" * 100_000, "<a " * 50_000, "<!--" * 10_000, "<div>" * 50_000 + "x", "<ul>" * 5000 + "<li>x" * 5000):
        assert isinstance(html_to_text(html), str)
    assert html_to_text("") == ""


HTML_REPLIES = {
    "gmail": (
        '<div dir="ltr">Shipped the API<div>Fixed CI</div></div><br><div class="gmail_quote">'
        '<div dir="ltr" class="gmail_attr">On Mon, Jan 2, 2023 at 10:00 AM donebot &lt;x@y.z&gt; wrote:<br></div>'
        '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex">' + PROMPT + "</blockquote></div>"
    ),
    "outlook_desktop": (
        '<html><head><style><!-- p.MsoNormal {margin:0in;} --></style></head><body><div class="WordSection1">'
        '<p class="MsoNormal">Shipped the API<o:p></o:p></p><p class="MsoNormal">Fixed CI<o:p></o:p></p>'
        '<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0in 0in 0in"><p class="MsoNormal">'
        "<b>Von:</b> donebot<br><b>Gesendet:</b> Montag<br><b>An:</b> Ann<br><b>Betreff:</b> heute</p></div>"
        '<p class="MsoNormal">' + PROMPT + "</p></div></body></html>"
    ),
    "outlook_web": (
        '<div>Shipped the API</div><div>Fixed CI</div><div id="appendonsend"></div><hr>'
        '<div id="divRplyFwdMsg"><b>De :</b> donebot<br><b>Envoyé :</b> lundi</div><div>' + PROMPT + "</div>"
    ),
    "outlook_web_no_appendonsend": (
        '<div>Shipped the API</div><div>Fixed CI</div><hr><div id="divRplyFwdMsg"><b>差出人:</b> donebot</div>'
        "<div>" + PROMPT + "</div>"
    ),
    "apple": (
        "<html><body><div>Shipped the API</div><div>Fixed CI</div><div><br><blockquote type=\"cite\">"
        "<div>On 2 Jan 2023, at 10:00, donebot &lt;x@y.z&gt; wrote:</div><div>" + PROMPT + "</div>"
        "</blockquote></div></body></html>"
    ),
    "yahoo": (
        '<div class="ydp1yahoo-style-wrap"><div>Shipped the API</div><div>Fixed CI</div></div>'
        '<div id="yahoo_quoted_123" class="yahoo_quoted"><div>On Monday, January 2, 2023, 10:00 AM, donebot wrote:'
        "</div><div>" + PROMPT + "</div></div>"
    ),
    "thunderbird": (
        "<html><body><p>Shipped the API<br>Fixed CI<br></p><div class=\"moz-cite-prefix\">Am 02.01.23 um 10:00 "
        'schrieb donebot:<br></div><blockquote type="cite">' + PROMPT + "</blockquote></body></html>"
    ),
    "unknown_client_blockquote": (
        "<p>Shipped the API<br>Fixed CI</p><p>2 янв. 2023 г., в 10:00, donebot &lt;x@y.z&gt; написал(а):</p>"
        "<blockquote>" + PROMPT + "</blockquote>"
    ),
    "iphone": (
        '<html><body dir="auto">Shipped the API<div>Fixed CI<br><br><div dir="ltr">Sent from my iPhone</div>'
        '<div dir="ltr"><br><blockquote type="cite">On Jan 2, 2023, at 10:00, donebot wrote:<br><br></blockquote>'
        '</div><blockquote type="cite"><div dir="ltr">' + PROMPT + "</div></blockquote></div></body></html>"
    ),
}


@pytest.mark.parametrize("client", sorted(HTML_REPLIES))
def test_html_only_replies(client):
    parsed = parse_mime(_message(_html_part(HTML_REPLIES[client])))
    assert parsed.reply == "Shipped the API\nFixed CI"
    assert "Shipped the API" in parsed.text


@needs_corpora
@pytest.mark.parametrize("name", sorted(p.name for p in (TALON / "html_replies").glob("*.html")))
def test_talon_html_fixtures(name):
    parsed = parse_file(str(TALON / "html_replies" / name))
    lines = [line for line in parsed.reply.split("\n") if line.strip()]
    assert lines == ["Hi. I am fine.", "Thanks,", "Alex"]
    assert "How are you" in parsed.text


@needs_corpora
@pytest.mark.parametrize("name", sorted(p.name for p in (TALON / "standard_replies").glob("*.eml")))
def test_talon_client_emails(name):
    parsed = parse_file(str(TALON / "standard_replies" / name))
    assert parsed.reply == "Hello"
    assert parsed.from_address and "@" in parsed.from_address
    assert parsed.subject


@needs_corpora
def test_talon_fixture_quotation_share_block():
    parsed = parse_file(str(TALON / "reply-quotations-share-block.eml"))
    assert parsed.reply.startswith("Hi Katharine.  Sounds great.")
    assert parsed.reply.endswith("Joe XXX")
    assert "wrote:" not in parsed.reply and "\xa0" not in parsed.reply


# --------------------------------------------------------------------------- malformed MIME


MALFORMED = {
    "wrong_boundary": (
        b"From: a@example.com\nContent-Type: multipart/alternative; boundary=nope\n\n"
        b"--real\nContent-Type: text/plain\n\nRescued text\n--real\nContent-Type: text/html\n\n<p>x</p>\n--real--\n"
    ),
    "missing_boundary": (
        b"From: a@example.com\nContent-Type: multipart/mixed\n\n"
        b"--abc\nContent-Type: text/plain; charset=utf-8\n\nRescued text\n--abc--\n"
    ),
    "never_closed": (
        b"From: a@example.com\nContent-Type: multipart/mixed; boundary=abc\n\n--abc\nContent-Type: text/plain\n\n"
        b"Rescued text\n"
    ),
    "bad_base64": (
        b"From: a@example.com\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
        + base64.b64encode("Rescued text\n".encode())[:-2]
        + b"!!\n"
    ),
    "no_blank_line_after_headers": b"From: a@example.com\nSubject: x\nRescued text\n",
    "missing_charset_garbage": b"From: a@example.com\nContent-Type: text/plain; charset=\n\nRescued text\n\xff\xfe\x00\n",
    "garbage_content_type": b"From: a@example.com\nContent-Type: ;;;==\"\n\nRescued text\n",
    "crlf": b"From: a@example.com\r\nSubject: x\r\n\r\nRescued text\r\n",
    "bare_cr_junk_headers": b"From a@example.com Mon Jan  2 10:00:00 2023\nFrom: a@example.com\n::::\n\nRescued text\n",
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_mime_degrades(name):
    parsed = parse_mime(MALFORMED[name])
    assert parsed.reply.split("\n")[0].strip() == "Rescued text"


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\xff" * 1000,
        b"Content-Type: multipart/mixed; boundary=" + b"x" * 5000 + b"\n\n",
        b"Content-Type: multipart/mixed; boundary=a\n\n" + b"--a\nContent-Type: multipart/mixed; boundary=a\n\n" * 200,
        b"Subject: =?utf-8?b?###?= =?x-unknown?q?=ZZ?= =?utf-8?q?caf=C3?=\n\nbody",
        b"From: \"unterminated <a@b\nTo: ,,,<>,@,\nCc: (((\n\nbody",
        b"Content-Type: text/plain; charset*=utf-8''%E2%82%AC; format*0=flo; format*1=wed\n\nbody \nx\n",
        "Subject: ünïcode str input\n\nbody",
        None,
        12345,
    ],
)
def test_garbage_never_raises(raw):
    parsed = parse_mime(raw)
    assert isinstance(parsed, ParsedEmail)
    assert isinstance(parsed.reply, str) and isinstance(parsed.text, str)


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000))
def test_arbitrary_bytes_never_raise(raw):
    parsed = parse_mime(raw)
    assert isinstance(parsed.reply, str)
    assert isinstance(parsed.recipients, list)


_HEADERISH = st.sampled_from(
    [
        b"From: a@b.c\n",
        b"Content-Type: multipart/alternative; boundary=q\n",
        b"Content-Type: text/html; charset=koi8-r\n",
        b"Content-Transfer-Encoding: base64\n",
        b"Content-Transfer-Encoding: quoted-printable\n",
        b"\n",
        b"--q\n",
        b"--q--\n",
        b"> On Mon, Jan 2, 2023 wrote:\n",
        b"<blockquote type=cite>",
        b"=?utf-8?q?=E2=82?=",
    ]
)


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(_HEADERISH, st.binary(max_size=40)), max_size=40))
def test_mime_shaped_garbage_never_raises(chunks):
    assert isinstance(parse_mime(b"".join(chunks)).reply, str)


@settings(max_examples=150, deadline=None, database=None)
@given(st.text(max_size=2000))
def test_arbitrary_text_never_raises(text):
    assert isinstance(extract_reply(text), str)
    assert isinstance(html_to_text(text), str)


# --------------------------------------------------------------------------- auto replies


@pytest.mark.parametrize(
    "headers,from_address,expected",
    [
        ({"Auto-Submitted": "auto-replied"}, "ann@example.com", "Auto-Submitted: auto-replied"),
        ({"auto-submitted": "auto-generated; owner-email=x@y.z"}, "ann@example.com", "Auto-Submitted: auto-generated"),
        ({"X-Autoreply": "yes"}, "ann@example.com", "X-Autoreply"),
        ({"X-Autorespond": "Out of office"}, "ann@example.com", "X-Autorespond"),
        ({"Precedence": "bulk"}, "ann@example.com", "Precedence: bulk"),
        ({"Precedence": "auto_reply"}, "ann@example.com", "Precedence: auto_reply"),
        ({"Precedence": "list"}, "ann@example.com", "Precedence: list"),
        ({"Precedence": "junk"}, "ann@example.com", "Precedence: junk"),
        ({"X-Failed-Recipients": "ann@example.com"}, "ann@example.com", "X-Failed-Recipients"),
        ({"Content-Type": "multipart/report; report-type=delivery-status"}, "x@example.com", "multipart/report"),
        ({}, "MAILER-DAEMON@mx.example.com", "mailer-daemon"),
        ({}, "postmaster@example.com", "postmaster"),
        (
            {"X-Auto-Response-Suppress": "All", "Subject": "Automatic reply: What'd you get done today?"},
            "ann@example.com",
            "X-Auto-Response-Suppress",
        ),
        ({"Subject": "Abwesenheitsnotiz: Was hast du geschafft?"}, "ann@example.com", "Subject"),
    ],
)
def test_auto_reply_reasons(headers, from_address, expected):
    reason = auto_reply_reason(headers, from_address)
    assert expected.lower() in reason.lower()


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "no"},
        {"Auto-Submitted": " No "},
        {"X-Auto-Response-Suppress": "All", "Subject": "RE: What'd you get done today?"},  # Outlook, a person
        {"X-Auto-Response-Suppress": "OOF, DR, RN, NRN, AutoReply"},
        {"Precedence": "first-class"},
        {"Subject": "Re: out of the office work I finished"},
        {},
    ],
)
def test_not_auto_replies(headers):
    assert auto_reply_reason(headers, "ann@example.com") == ""


def test_auto_reply_flag_on_parsed_mail():
    raw = _message(_text_part("I am out until Monday.\n"), Auto_Submitted="auto-replied")
    parsed = parse_mime(raw)
    assert parsed.auto_reply is True
    assert parsed.auto_reply_reason == "Auto-Submitted: auto-replied"
    bounce = MIMEMultipart("report", report_type="delivery-status")
    bounce.attach(_text_part("Delivery failed.\n"))
    parsed = parse_mime(_message(bounce, sender="Mail Delivery System <MAILER-DAEMON@mx.example.com>"))
    assert parsed.auto_reply and parsed.reply == "Delivery failed."
    outlook = parse_mime(_message(_text_part("Done\n"), X_Auto_Response_Suppress="All"))
    assert outlook.auto_reply is False


# --------------------------------------------------------------------------- Postmark


def _load(name):
    return json.loads((ANYMAIL / name).read_text(encoding="utf-8"))


@needs_corpora
def test_postmark_payload_without_raw():
    parsed = parse_postmark(_load("postmark-inbound-test-payload.json"))
    assert parsed.from_address == "support@postmarkapp.com"
    assert parsed.from_name == "Postmarkapp Support"
    assert parsed.subject == "Test subject"
    assert parsed.message_id == "00000000-0000-0000-0000-000000000000"
    assert parsed.recipients == [
        "mailbox+samplehash@inbound.postmarkapp.com",
        "firstcc@postmarkapp.com",
        "secondcc@postmarkapp.com",
    ]
    assert parsed.text == "This is a test text body."
    # StrippedTextReply ("This is the reply text") is not in the body: not trusted
    assert parsed.reply == "This is a test text body."
    assert parsed.headers["x-header-test"] == ""
    assert not parsed.auto_reply


@needs_corpora
def test_postmark_payload_with_raw():
    parsed = parse_postmark(_load("postmark-inbound-test-payload-with-raw.json"))
    assert parsed.from_address == "support@postmarkapp.com"
    assert parsed.reply == "This is a test text body."
    assert "mailbox+samplehash@inbound.postmarkapp.com" in parsed.recipients
    assert "firstcc@postmarkapp.com" in parsed.recipients  # CcFull added to the raw message's To
    assert parsed.message_id == "00000000-0000-0000-0000-000000000000"  # raw has none: Postmark's id


@needs_corpora
def test_postmark_inbound_basics():
    payload = _load("inbound_events/test_inbound_basics.json")
    parsed = parse_postmark(payload)
    assert parsed.message_id == "CAEPk3R+4Zr@mail.example.org"
    assert parsed.from_address == "from+test@example.org"
    assert parsed.recipients[:3] == ["test@inbound.example.com", "other@example.com", "cc@example.com"]
    assert parsed.reply == "Test body plain"
    assert parsed.headers["return-path"] == "<envelope-from@example.org>"
    assert parsed.headers["x-spam-status"] == "No"


@needs_corpora
def test_postmark_webhook_events_do_not_raise():
    for path in sorted((ANYMAIL / "webhook_events").glob("*.json")):
        assert isinstance(parse_postmark(json.loads(path.read_text())), ParsedEmail)


def test_postmark_html_only_and_hint():
    payload = {
        "FromFull": {"Email": "Ann@Example.com", "Name": "Ann"},
        "ToFull": [{"Email": BOT, "Name": "", "MailboxHash": "x7kq2m9p4t"}],
        "OriginalRecipient": BOT,
        "Subject": "Re: today",
        "MessageID": "pm-1",
        "TextBody": "",
        "HtmlBody": HTML_REPLIES["gmail"],
        "StrippedTextReply": "Shipped the API",
        "Headers": [{"Name": "Auto-Submitted", "Value": "no"}, {"Name": "Message-ID", "Value": "<m@x>"}],
    }
    parsed = parse_postmark(payload)
    assert parsed.reply == "Shipped the API\nFixed CI"
    assert parsed.from_address == "ann@example.com"
    assert parsed.recipients == [BOT]
    assert parsed.message_id == "m@x"
    assert not parsed.auto_reply

    # the hint is used only when our reply is empty and the hint really is in the body
    quoted_only = dict(payload, HtmlBody="", TextBody="On Mon, Jan 2, 2023 at 10:00 AM x <a@b.co> wrote:\n> hi\n")
    assert parse_postmark(quoted_only).reply == ""
    quoted_only["StrippedTextReply"] = "hi"
    assert parse_postmark(quoted_only).reply == "hi"


def test_postmark_malformed_payloads():
    with pytest.raises(ValueError):
        parse_postmark(["not", "a", "dict"])
    with pytest.raises(ValueError):
        parse_postmark(None)
    for payload in (
        {},
        {"TextBody": None, "HtmlBody": 5, "Headers": "x", "ToFull": "y", "FromFull": [1, 2], "RawEmail": 7},
        {"RawEmail": "\x00\x01garbage", "TextBody": "Fallback body"},
        {"Headers": [None, {"Name": None, "Value": None}, {"Name": "Precedence", "Value": "bulk"}]},
    ):
        assert isinstance(parse_postmark(payload), ParsedEmail)
    assert parse_postmark({"Headers": [{"Name": "Precedence", "Value": "bulk"}]}).auto_reply is True


# --------------------------------------------------------------------------- files


def test_parse_file_kinds(tmp_path):
    eml = tmp_path / "reply.eml"
    eml.write_bytes(_message(_text_part("From the eml\n\n> quoted\n")))
    assert parse_file(str(eml)).reply == "From the eml"

    payload = tmp_path / "inbound.json"
    payload.write_text(json.dumps({"TextBody": "From the json\n\n-- \nsig", "FromFull": {"Email": "a@b.co"}}))
    parsed = parse_file(str(payload))
    assert parsed.reply == "From the json" and parsed.from_address == "a@b.co"

    text = tmp_path / "body.txt"
    text.write_bytes("From the text file: café\n\nOn Mon, Jan 2, 2023 at 10:00 AM x <a@b.co> wrote:\n> q\n".encode())
    assert parse_file(str(text)).reply == "From the text file: café"

    latin = tmp_path / "latin.txt"
    latin.write_bytes("caf\xe9 done\n".encode("latin-1"))
    assert parse_file(str(latin)).reply == "café done"

    html = tmp_path / "body.html"
    html.write_text("<html><body><p>From html</p><blockquote type=cite>old</blockquote></body></html>")
    assert parse_file(str(html)).reply == "From html"

    broken_json = tmp_path / "broken.json"
    broken_json.write_text('{"TextBody": "unterminated')
    assert isinstance(parse_file(str(broken_json)), ParsedEmail)

    assert parse_file(str(tmp_path / "missing.eml")) == ParsedEmail()


@needs_corpora
def test_parse_file_postmark_corpus():
    parsed = parse_file(str(ANYMAIL / "postmark-inbound-test-payload.json"))
    assert parsed.from_address == "support@postmarkapp.com"
    parsed = parse_file(str(ANYMAIL / "sample_email.txt"))
    assert parsed.from_address == "someone@example.com"
    assert parsed.reply == "Hi Bob, This is a message. Thanks!"
