"""Find what a person typed in a plain-text email reply.

``extract_reply(text)`` drops quoted history (``>`` blocks, "On <date>, <name>
wrote:" attributions, Outlook header blocks, "Original Message" and forward
separators) and sign-offs (``-- `` signatures, "Sent from my iPhone" lines) in the
languages mail clients write them, and keeps the reply's own line structure.

How a message is read, line by line from the top:

* A line is classified as text, empty, quote (``>`` or Supercite ``Name>``),
  attribution (possibly wrapped over up to five lines), header block
  (From/Sent/To/Subject in many languages; two header kinds at least, one of them
  From or Date), "Original Message" / forward separator, signature delimiter or
  mobile signature.
* Before anything was typed, an attribution followed by a quote is a bottom-posted
  reply: both are dropped and the text after them is the reply. An attribution
  followed by unquoted text only loses its own line.
* After text was typed, a splitter starts the history: everything from it on is
  dropped -- unless the quote after an attribution is answered below (an
  interleaved reply, i.e. the text after it is substantial or is followed by
  another quote), in which case only the attribution line goes. A short sign-off
  ("Regards, Ann") below a dropped quote is kept; other short text after the
  final quote is treated as a signature.
* A bare quote (no attribution) with text after it is part of the reply; at the
  end of the reply it is history. A lone salutation ("Hi Ann,") above an
  attribution does not count as typed text: the answer is below the quote.
* A forward separator cuts like any splitter ("FYI" + forward gives "FYI"); with
  nothing typed above it, the forwarded body (minus its header block) is the content.

All regexes are precompiled, anchored or bounded, and applied to at most
``_KEY_LEN`` characters of a line, so time is linear in the input.
"""
from __future__ import annotations

import re

__all__ = ["extract_reply", "is_mobile_signature"]

_MAX_LINES = 10000  # lines looked at; a reply longer than this is truncated
_KEY_LEN = 600  # characters of a line the rules look at
_JOIN_MAX = 5  # an attribution may be wrapped over this many lines

_JUNK = {ord(c): None for c in "\u200b\u200c\ufeff\u200e\u200f\u2060\u00ad\u1427\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"}
# what the returned reply is cleaned of: no-break spaces become spaces, invisible marks go
_OUT_TABLE = {ord(c): " " for c in "\xa0\u202f\u2007"}
_OUT_TABLE.update({ord(c): None for c in "\u200b\ufeff\u2060"})
_JUNK.update({ord(c): " " for c in "\xa0\u202f\u2007\u2009\u3000"})

# --------------------------------------------------------------------------- evidence

_MONTHS = (
    r"jan|feb|m[aä]r|apr|ma[iy]|jun|jul|aug|sep|o[ck]t|nov|de[cz]|janv|févr|fevr|avr|mai|juin|juil|août|sept|déc|"
    r"ene|abr|ago|dic|gen|mag|giu|lug|set|ott|mei|okt|maj|sty|lut|kwi|cze|lip|sie|wrz|paź|lis|gru|stycz|"
    r"янв|фев|мар|апр|мая|май|июн|июл|авг|сен|окт|ноя|дек|серп|жовт|лист|груд|січ|лют|квіт|трав|черв|лип|вер"
)
_DATE = re.compile(
    r"\d{1,2}\s?[:.h]\s?\d{2}(?!\d)"  # 6:54, 13.16, 20.42
    r"|(?<!\d)(?:19|20)\d{2}(?!\d)"  # a year
    r"|\d{1,4}[./-]\d{1,2}[./-]\d{1,4}"  # numeric dates
    r"|\d{1,4}\s*[年月日]"  # CJK dates
    r"|\d{1,2}\.?\s+(?:" + _MONTHS + r")"
    r"|(?:" + _MONTHS + r")\w*\.?\s+\d{1,2}\b",
    re.I,
)
_DIGIT = re.compile(r"\d")
_QUICK = re.compile(r"[\d@:：-]")
_EMAIL = re.compile(r"[\w.+%'-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+")

# --------------------------------------------------------------------------- attributions

_VERBS_LATIN = (
    r"wrote|writes|a\s+écrit|a\s+ecrit|écrit|escribió|escribio|escreveu|escribiu|ha\s+scritto|scrisse|"
    r"schrieb|hat\s+geschrieben|geschrieben|schreef|het\s+volgende\s+geschreven|skrev|kirjoitti|"
    r"napisał\(a\)|napisała|napisał|napisal|napsal\(a\)|napsala|napsal|napísal\(a\)|napísal|"
    r"написал\(а\)|написала|написал|написав|написа|пише|írta|yazdı|a\s+scris|έγραψε|kirjutas|rašė|"
    r"rakstīja|je\s+napisal|je\s+napisao|je\s+napisala|đã\s+viết|menulis|pisze|napisali|пишет|написали|"
    r"skriver|schreibt|escribe|écrit|scrive|escreve|sent"
)
_VERB_FINAL = re.compile(r"(?:^|[\s,\"'>)\]»:])(" + _VERBS_LATIN + r")\s*[:：]?\s*-*\s*$", re.I)
_VERB_FINAL_CJK = re.compile(
    r"(写道|寫道|のメッセージ|のメール|さんは書きました|は書きました|が書きました|님이\s*작성|작성|님이\s*씀)\s*[:：]?\s*$"
)
_START_EN = re.compile(r"^[\s>*-]*(?:On|At|In\s+message)\b", re.I)
# "Am <date> schrieb X:", "Op <date> schreef X:", "Den <date> skrev X:", "<date> skrev X <a@b>:"
_VERB_MID = re.compile(
    r"\s(?:schrieb|schreef|skrev|napsal(?:\(a\))?|kirjoitti|írta)\s.{1,250}[:：]\s*$", re.I
)
# "X <a@b> schrieb am Fr., 28. Apr. 2017 um 11:53 Uhr:" (Google Inbox style)
_VERB_THEN_DATE = re.compile(
    r"@.{0,80}?\s(?:schrieb|wrote|a\s+écrit|escribió|escreveu|ha\s+scritto|schreef|skrev|napisał\(a\)|"
    r"napisał|написал\(а\)|написал|napsal)\s+(?:am|on|le|el|em|il|op|den|dnia|dne|в|w)\s.{1,120}[:：]\s*$",
    re.I,
)
_EMAIL_COLON_END = re.compile(r"@[\w-]{1,63}(?:\.[\w-]{1,63})+[>\])\s]*(?:&gt;)?\s*[:：]\s*$")
_DATE_START_EMAIL_END = re.compile(
    r"^[\s>]*(?:\d{4}[/.-]\d{1,2}[/.-]\d{1,2}|\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4})\b.{0,250}@[\w-]+(?:\.[\w-]+)+>?\s*$"
)
_POLISH_APPLE = re.compile(r"^wiadomość\s+napisana\s+przez\s.{1,250}[:：]\s*$", re.I)
_ISO_GMT = re.compile(r"^[\s>]*\d{4}-\d{2}-\d{2}\s+\d{1,2}:\d{2}\s+GMT[+-]\d{1,2}:?\d{2}\b")
_DASH_WRAPPED = re.compile(r"^\s*-{2,}\s*\S.{0,250}?(?:" + _VERBS_LATIN + r")\s*-{2,}\s*$", re.I)
# Text followed by an attribution on the same line: "reply--- On Wed, Apr 4, 2012 at 3:59 PM, x wrote:"
_MIDLINE_ON = re.compile(
    r"[\s-](On\s+(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun|Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec|\d)"
    r".{0,300}?\bwrote\s*:)\s*$"
)
# words an attribution wrapped over several lines starts with
_JOIN_START = re.compile(
    r"^[\s>*-]*(?:\d{1,4}(?:[./\-年,]|\s)|(?:On|At|In\s+message|Le|Am|Op|El|Il|Em|No|W\s+dniu|Dnia|Dňa|Dne|Den|På|Vào|Pada|Στις"
    # a weekday, as Gmail starts its attribution in many languages ("mån 2 jan. 2023 kl. 10:00 skrev")
    r"|mon|tue|wed|thu|fri|sat|sun|lun|mar|mer|mié|jeu|jue|ven|vie|sam|sáb|dim|dom|mo|di|mi|do|fr|sa|so|"
    r"seg|ter|qua|qui|sex|ma|wo|vr|za|zo|mån|tis|ons|tor|fre|lör|sön|pon|wt|śr|czw|pt|sob|niedz|"
    r"пн|вт|ср|чт|пт|сб|вс|понедельник|вторник|среда|четверг|пятница|суббота|воскресенье)(?:\s|\b))",
    re.I,
)
# Yahoo writes the attribution and the quoted text on one line: "On <date>, X <x> wrote: Hello"
_ATTR_THEN_TEXT = re.compile(
    r"^(\s*(?:On|Le|Am|El|Il|Em|Op|Den)\s.{5,300}?(?:wrote|a\s+écrit|schrieb|geschrieben|escribió|"
    r"ha\s+scritto|escreveu|schreef|skrev)\s*:)\s+(\S.*)$",
    re.I,
)
_JOIN_STOP = re.compile(r"^\s*(?:[-*•·+]|\d{1,3}[.)])\s+\S")  # a bullet never continues an attribution

# --------------------------------------------------------------------------- header blocks

_FROM, _DATE_H, _TO, _CC, _SUBJ, _REPLYTO = range(6)
_HEADER_NAMES = {
    _FROM: """from|von|de|da|van|från|fra|frá|od|от|差出人|发件人|發件人|寄件者|寄件人|expéditeur|remitente|mittente|
        afzender|avsändare|nadawca|отправитель|kimden|feladó|lähettäjä|odesílatel|από|보낸 사람|보낸사람|từ|dari|pengirim""",
    _DATE_H: """sent|date|datum|gesendet|envoyé|envoyé le|enviado|enviada|enviada em|enviado el|inviato|data|
        verzonden|verstuurd|skickat|sendt|wysłano|wysłane|отправлено|дата|送信日時|日付|发送时间|發送時間|
        寄件日期|日期|时间|時間|fecha|gönderildi|gönderilme|tarih|elküldve|dátum|lähetetty|odesláno|ημερομηνία|
        보낸 날짜|날짜|ngày gửi|gửi|terkirim|tanggal|sent at""",
    _TO: """to|an|à|a|para|aan|till|til|do|кому|宛先|收件人|收件者|destinataire|destinatario|destinatari|kime|
        címzett|vastaanottaja|komu|προς|받는 사람|받는사람|đến|kepada|ke""",
    _CC: """cc|bcc|kopie|kopia|копия|抄送|副本|cc\\.|kopi|kopio|kopie an|dw|ccn|copie|copia|cópia|másolat|
        参照|참조|숨은 참조|bilgi""",
    _SUBJ: """subject|betreff|objet|asunto|assunto|oggetto|onderwerp|ämne|emne|temat|тема|件名|主题|主旨|
        konu|tárgy|aihe|předmět|θέμα|제목|chủ đề|perihal|subjek|sujet""",
    _REPLYTO: """reply-to|reply to|antwort an|répondre à|responder a|rispondi a|risposta|beantwoorden - aan|
        svara till|svar til|odpowiedz do|ответить|返信先|答复""",
}
_HEADER_CAT = {}
for _cat, _names in _HEADER_NAMES.items():
    for _name in _names.split("|"):
        _name = " ".join(_name.split())
        if _name:
            _HEADER_CAT[_name.replace("\\.", ".")] = _cat
_HEADER_LINE = re.compile(
    r"^[*_]{0,2}\s?("
    + "|".join(sorted((re.escape(k).replace("\\ ", r"\s+") for k in _HEADER_CAT), key=len, reverse=True))
    + r")\s?[*_]{0,2}\s*[:：]",
    re.I,
)

_ORIGINAL = re.compile(
    r"^[\s*_]*-{2,}\s*(?:original\s+message|reply\s+message|ursprüngliche\s+nachricht|originalnachricht|"
    r"antwort\s+nachricht|oprindelig\s+meddelelse|message\s+d'origine|message\s+original|mensaje\s+original|"
    r"messaggio\s+originale|oorspronkelijk\s+bericht|origineel\s+bericht|ursprungligt\s+meddelande|"
    r"originalmeddelande|opprinnelig\s+melding|originalmelding|wiadomość\s+oryginalna|oryginalna\s+wiadomość|"
    r"исходное\s+сообщение|оригинальное\s+сообщение|исходное\s+письмо|元のメッセージ|原始邮件|原始郵件|原邮件|"
    r"mensagem\s+original|alkuperäinen\s+viesti|původní\s+zpráva|pôvodná\s+správa|orijinal\s+mesaj|"
    r"eredeti\s+üzenet|αρχικό\s+μήνυμα|tin\s+nhắn\s+gốc|pesan\s+asli|원본\s+메시지)\s*-*[\s*_]*$",
    re.I,
)
_FORWARD = re.compile(
    r"^[\s*_]*(?:-{2,}\s*(?:forwarded\s+message|forwarded-message|weitergeleitete\s+nachricht|"
    r"message\s+transféré|mensaje\s+reenviado|messaggio\s+inoltrato|doorgestuurd\s+bericht|"
    r"vidarebefordrat\s+meddelande|videresendt\s+melding|videresendt\s+besked|wiadomość\s+przekazana\s+dalej|"
    r"przekazana\s+wiadomość|пересылаемое\s+сообщение|пересланное\s+сообщение|転送されたメッセージ|转发的邮件|"
    r"轉寄郵件|已转发邮件|mensagem\s+encaminhada|edelleenlähetetty\s+viesti|přeposlaná\s+zpráva|"
    r"iletilen\s+mesaj|továbbított\s+üzenet|προωθημένο\s+μήνυμα|tin\s+nhắn\s+đã\s+chuyển\s+tiếp|"
    r"pesan\s+terusan|전달된\s+메시지)\s*-*"
    r"|(?:begin\s+forwarded\s+message|début\s+du\s+message\s+réexpédié|début\s+du\s+message\s+transféré|"
    r"anfang\s+der\s+weitergeleiteten\s+nachricht|inicio\s+del\s+mensaje\s+reenviado|"
    r"comienzo\s+del\s+mensaje\s+reenviado|inizio\s+messaggio\s+inoltrato|begin\s+doorgestuurd\s+bericht|"
    r"vidarebefordrat\s+mejl|vidarebefordrat\s+brev|videresendt\s+e-post|początek\s+przekazywanej\s+wiadomości|"
    r"начало\s+переадресованного\s+сообщения|начало\s+пересылаемого\s+сообщения|以下为转发的邮件|"
    r"início\s+da\s+mensagem\s+reencaminhada|início\s+da\s+mensagem\s+encaminhada)\s*[:：])[\s*_]*$",
    re.I,
)

# --------------------------------------------------------------------------- signatures

_SIG_DELIM = frozenset(("--", "—", "–", "‐‐", "−−"))
_UNDERSCORES = re.compile(r"^_{5,}$")
_SEPARATOR_ONLY = re.compile(r"^[\s\-_=*~#+.•·—–]+$")

_APPS = (
    r"outlook|yahoo|mail|gmail|aol|icloud|iphone|ipad|ipod|android|samsung|galaxy|blackberry|windows|mailbox|"
    r"airmail|sparrow|spark|edison|newton|proton\s*mail|protonmail|tutanota|zoho|superhuman|polymail|"
    r"k-9|fairemail|acompli|typeapp|type\s*app|bluemail|blue\s*mail|mymail|canary|thunderbird|huawei|"
    r"xiaomi|nokia|htc|pixel|motorola|oneplus|web\.de|gmx|t-online|mail\.ru|yandex|seznam|libero|hotmail|"
    r"fastmail|aquamail|maildroid|ti-\d+|mobile|phone|cell|smartphone|handheld|tablet"
)
_DEVICES = (
    _APPS + r"|ipod|mac|macbook|pc|laptop|computer|verizon|t-mobile|at&t|sprint|kindle|fairphone|oppo|vivo|"
    r"realme|redmi|honor|zte|alcatel|palm|treo|xperia|lumia|moto|device|watch|wireless|ti-\d+|sony|lg"
)
_DEVICES_INTL = (
    _DEVICES + r"|айфон\w*|смартфон\w*|телефон\w*|мобильн\w*|устройств\w*|почт\w*|telefon\w*|komórk\w*|"
    r"urządzeni\w*|smartfon\w*|mobil\w*|enhet\w*|mobiel\w*|toestel\w*|apparaat|móvil|celular|telemóvel|"
    r"cellulare|dispositivo|appareil|portable|handy|gerät\w*|iphonesta|ipadista|androidista|puhelime\w*|iphonu"
)
_NEAR_DEVICE = r"(?:\S+\s+){0,3}?(?:" + _DEVICES_INTL + r")\b.{0,60}"
_MOBILE_SIG = re.compile(
    r"^(?:"
    r"sent\s+(?:from|with|via|using|by|on)\s+(?:my|your)\s+(?:\S+\s+){0,3}?(?:" + _DEVICES + r")\b.{0,70}"
    r"|sent\s+(?:from|with|via|using|by|on)\s+(?:an?\s+|the\s+)?(?:" + _APPS + r")\b.{0,90}"
    r"|(?:get|download)\s+outlook\s+for\s+(?:ios|android).{0,60}"
    r"|[\w.'-]{1,30}\s+from\s+(?:my\s+)?(?:mobile|phone|iphone|android|ipad)\.?"
    r"|from\s+my\s+(?:iphone|ipad|ipod|android|mobile|phone|smartphone|galaxy|samsung|blackberry|tablet|cell)\b.{0,40}"
    r"|envoy[ée]\s+(?:de|depuis|à\s+partir\s+de|avec|par)\s+(?:mon|ma|mes|l'|un|une|" + _APPS + r")\b.{0,80}"
    r"|obtenir\s+outlook\s+pour\s+(?:ios|android).{0,40}"
    r"|von\s+meinem\s+(?:\S+\s+){0,4}?gesendet.{0,40}"
    r"|gesendet\s+(?:von|mit|vom|über)\s+(?:meinem|meiner|der|dem|" + _APPS + r")\b.{0,80}"
    r"|diese\s+nachricht\s+wurde\s+von\s+.{1,80}\s+gesendet.{0,60}"
    r"|outlook\s+für\s+(?:ios|android)\s+(?:beziehen|herunterladen).{0,20}"
    r"|enviado\s+(?:desde|do|da|de|pelo|via|con)\s+(?:mi|meu|minha|o|a|el|la|un|una|" + _APPS + r")\b.{0,80}"
    r"|obt(?:ener|er)\s+(?:o\s+)?outlook\s+para\s+(?:ios|android).{0,40}"
    r"|inviato\s+(?:da|dal|dalla|con)\s+(?:il\s+mio|mio|la\s+mia|un|una|" + _APPS + r")\b.{0,80}"
    r"|scarica\s+outlook\s+per\s+(?:ios|android).{0,40}"
    r"|(?:verstuurd|verzonden)\s+(?:vanaf|vanuit|met|via|van)\s+(?:mijn|een|" + _APPS + r")\b.{0,80}"
    r"|(?:download\s+)?outlook\s+voor\s+(?:ios|android).{0,40}"
    r"|skickat\s+(?:från|med|via)\s+(?:min|mitt|" + _APPS + r")\b.{0,80}"
    r"|skaffa\s+outlook\s+för\s+(?:ios|android).{0,40}"
    r"|sendt\s+(?:fra|med|via)\s+(?:min|mitt|" + _APPS + r")\b.{0,80}"
    r"|hent\s+outlook\s+til\s+(?:ios|android).{0,40}"
    r"|wysłan[eoay]\s+z\s+" + _NEAR_DEVICE +
    r"|pobierz\s+(?:aplikację\s+)?outlook\s+dla.{0,60}"
    r"|отправлено\s+(?:с|из|со|через)\s+" + _NEAR_DEVICE +
    r"|(?:получите|скачайте|загрузите)\s+outlook\s+для\s+(?:ios|android).{0,40}"
    r"|.{1,40}から送信"
    r"|(?:发自|來自|来自|寄自|發自|从)我的.{1,30}"
    r"|從我的.{1,30}傳送"
    r"|.{1,30}에서\s*보냄"
    r"|.{1,30}(?:'|’)?(?:umdan|ümden|imden|ımdan|undan|ünden|inden|ından)\s+gönderildi"
    r"|odesláno\s+z\s+" + _NEAR_DEVICE +
    r"|lähetetty\s+" + _NEAR_DEVICE +
    r"|enviado\s+do\s+meu\s+" + _NEAR_DEVICE +
    r"|(?:sent\s+)?via\s+(?:mobile|phone|iphone|android|ipad|blackberry)"
    r")$",
    re.I,
)
_MD_LINK = re.compile(r"\[([^\[\]]{0,200})\]\([^()]{0,500}\)")
_ANGLE_URL = re.compile(r"<(?:https?|mailto):[^<>]{0,500}>|\bhttps?://\S{0,500}", re.I)

_CLOSING = re.compile(
    r"^(?:(?:best|kind|warm|warmest|many|with|all\s+the\s+best)\s+)?(?:regards|wishes|thanks|thank\s+you)\b"
    r"|^(?:thanks|thank\s+you|thx|ty|cheers|best|sincerely|yours|regards|cordially|take\s+care|talk\s+soon|"
    r"br|kr|rgds|brgds|ciao)\b"
    r"|^(?:cordialement|bien\s+(?:à|a)\s+(?:vous|toi)|amicalement|merci|salutations|bises|bonne\s+journée)\b"
    r"|^(?:mit\s+freundlichen\s+grüßen|mfg|viele\s+grüße|liebe\s+grüße|beste\s+grüße|grüße|gruß|lg|vg|danke)\b"
    r"|^(?:saludos|un\s+saludo|atentamente|gracias|cordiales\s+saludos)\b"
    r"|^(?:saluti|cordiali\s+saluti|distinti\s+saluti|grazie|a\s+presto)\b"
    r"|^(?:met\s+vriendelijke\s+groet(?:en)?|groeten|groet|mvg|bedankt|dank\s+je)\b"
    r"|^(?:med\s+vänlig\s+hälsning|vänliga\s+hälsningar|hälsningar|mvh|tack|hilsen|med\s+venlig\s+hilsen)\b"
    r"|^(?:pozdrawiam|pozdrowienia|dziękuję|dzięki)\b"
    r"|^(?:с\s+уважением|спасибо|всего\s+доброго|с\s+наилучшими)"
    r"|^(?:atenciosamente|abraços|abraço|obrigad[oa]|cumprimentos)\b"
    r"|^(?:よろしく|宜しく|以上|ありがとう|谢谢|此致|祝好|顺颂|多谢)"
    r"|^[-—–~]\s*\w[\w .'-]{0,40}$",
    re.I,
)
_GREETING = re.compile(
    r"^(?:hi|hello|hey|dear|good\s+(?:morning|afternoon|evening)|morning|hallo|hi\s+all|guten\s+(?:morgen|tag)|moin|"
    r"servus|liebe[rs]?|bonjour|salut|coucou|hola|buenos\s+días|buenas|estimad[oa]s?|ciao|salve|buongiorno|"
    r"hoi|beste|hej|hallå|cześć|dzień\s+dobry|witam|привет|здравствуйте|добрый\s+день|olá|oi|bom\s+dia|"
    r"caro|cara|こんにちは|お疲れ様です|你好|您好|大家好)\b[^.!?]*[,!:]?$",
    re.I,
)
_BULLET = re.compile(r"^\s*(?:[-*•·–—+]|\d{1,3}[.)]|\[[ xX]?\])\s+\S")
_LINK_FRAGMENT = re.compile(r"^\(?(?:https?://|www\.|mailto:)\S*\)?\s*>?$", re.I)
_URLISH = re.compile(r"[=/&?%_]")


def _key(line: str) -> str:
    s = line[:_KEY_LEN]
    if not s.isascii():
        s = s.translate(_JUNK)
    return s.strip()


def _sig_text(s: str) -> str:
    if "[" in s:
        s = _MD_LINK.sub(r"\1", s)
    if "http" in s or "mailto" in s:
        s = _ANGLE_URL.sub(" ", s)
    s = s.strip(" \t()<>*_[]\"'.,!")
    return " ".join(s.split())


def is_mobile_signature(line: str) -> bool:
    """True for one-line client sign-offs such as "Sent from my iPhone"."""
    s = _key(line)
    if not s or len(s) > 200:
        return False
    s = _sig_text(s)
    return bool(s) and len(s) <= 120 and len(s.split()) <= 12 and _MOBILE_SIG.match(s) is not None


def _is_quote(s: str) -> bool:
    if s[0] == ">":
        return True
    # Supercite: "Richard> text", "C>"
    i = s.find(">")
    if 0 < i <= 10 and s[:i].isalpha() and s[:i].isascii() and (len(s) == i + 1 or s[i + 1] in " \t"):
        return True
    return False


def _has_date(s: str) -> bool:
    return _DIGIT.search(s) is not None and _DATE.search(s) is not None


def _attribution_text(j: str) -> bool:
    """Is ``j`` (one line, or several joined with spaces) an attribution line?"""
    if len(j) > 1000 or _QUICK.search(j) is None or _JOIN_STOP.match(j):
        return False  # every form below needs a digit, an address, a dash or a colon; never a bullet
    tail = j[-90:]
    m = _VERB_FINAL.search(tail)
    if m:
        verb = m.group(1).lower()
        email = "@" in j and _EMAIL.search(j) is not None
        if verb in ("sent", "writes"):
            return _START_EN.match(j) is not None and email
        if email or _has_date(j) or (j.lstrip(" >*").startswith("--")):
            return True
        return False
    if _VERB_FINAL_CJK.search(tail):
        return ("@" in j and _EMAIL.search(j) is not None) or _has_date(j)
    if ":" in j[-3:] or "：" in j[-3:]:
        # "<date> <name> <a@b>:" (Gmail in many languages), "Am <date> schrieb X:": must start like it
        if _JOIN_START.match(j):
            if "@" in j and _EMAIL_COLON_END.search(tail) and _has_date(j):
                return True
            if _VERB_MID.search(j) and _has_date(j):
                return True
        if "@" in j and _VERB_THEN_DATE.search(j):
            return True
    if _DASH_WRAPPED.match(j):
        return True
    if _POLISH_APPLE.match(j) and _has_date(j):
        return True
    if _ISO_GMT.match(j):
        return True
    if "@" in j and _DATE_START_EMAIL_END.match(j):
        return True
    return False


class _Lines:
    """Lazily classified lines of a message body."""

    __slots__ = ("lines", "keys", "n", "_kinds")

    def __init__(self, lines: list[str]):
        self.lines = lines
        self.keys = [_key(l) for l in lines]
        self.n = len(lines)
        self._kinds: dict[int, tuple[str, int]] = {}

    def kind(self, i: int) -> tuple[str, int]:
        k = self._kinds.get(i)
        if k is None:
            k = self._kinds[i] = self._classify(i)
        return k

    def _classify(self, i: int) -> tuple[str, int]:
        s = self.keys[i]
        if not s:
            return ("e", 1)
        if _is_quote(s):
            return ("q", 1)
        span = attribution_span(self.keys, i)
        if span:
            return ("a", span)
        if "-" in s or ":" in s or "：" in s:
            if _FORWARD.match(s):
                return ("f", 1)
            if _ORIGINAL.match(s):
                return ("h", 1)
        span = header_block_span(self.keys, i)
        if span:
            return ("h", span)
        if s in _SIG_DELIM or _UNDERSCORES.match(s):
            return ("s", 1)
        if is_mobile_signature(s):
            return ("m", 1)
        return ("t", 1)

    def skip_blank(self, i: int) -> int:
        while i < self.n and not self.keys[i]:
            i += 1
        return i


def attribution_span(keys: list[str], i: int) -> int:
    """Number of lines (1..5) of the attribution starting at ``keys[i]``, or 0."""
    s = keys[i]
    if not s or len(s) > 500:
        return 0
    if _attribution_text(s):
        return 1
    # wrapped attribution: only starts that carry a date, an address or an open "<"
    if not (_JOIN_START.match(s) or ("@" in s and _EMAIL.search(s)) or s.endswith("<")):
        return 0
    if _JOIN_STOP.match(s):
        return 0
    joined = s
    n = len(keys)
    for k in range(1, _JOIN_MAX):
        if i + k >= n:
            break
        nxt = keys[i + k]
        if nxt:
            if _JOIN_STOP.match(nxt):
                break
            if nxt[0] == ">" and len(nxt) > 40:
                break
            joined = joined + " " + nxt
            if len(joined) > 600:
                break
            if _attribution_text(joined):
                # "Meeting at 10:30" right above "On <date>, X wrote:" is content, not the start
                if _later_start(keys, i, k):
                    return 0
                return k + 1
    return 0


def _later_start(keys: list[str], i: int, k: int) -> bool:
    """Do lines start..i+k already form the attribution for some start after i?"""
    last = i + k
    for start in range(i + 1, last + 1):
        if keys[start] and _JOIN_START.match(keys[start]):
            if _attribution_text(" ".join(keys[x] for x in range(start, last + 1) if keys[x])):
                return True
    return False


def header_block_span(keys: list[str], i: int) -> int:
    """Number of lines of the From/Sent/To/Subject block starting at ``keys[i]``, or 0."""
    s = keys[i]
    m = _HEADER_LINE.match(s)
    if m is None:
        return 0
    cats = {_HEADER_CAT.get(" ".join(m.group(1).lower().split()), -1)}
    n = len(keys)
    last = i
    cont = 0
    j = i + 1
    while j < n and j - i < 16:
        t = keys[j]
        if not t:
            break
        mm = _HEADER_LINE.match(t)
        if mm is not None:
            cats.add(_HEADER_CAT.get(" ".join(mm.group(1).lower().split()), -1))
            last = j
            cont = 0
        else:
            cont += 1
            if cont > 2:
                break
        j += 1
    if len(cats) < 2 or not (_FROM in cats or _DATE_H in cats):
        return 0
    # continuation lines right after the last header ("Subject: Two\nline subject")
    end = last + 1
    extra = 0
    while end < n and keys[end] and extra < 2 and _HEADER_LINE.match(keys[end]) is None:
        end += 1
        extra += 1
    return end - i


def _unquote(s: str) -> str:
    while s[:1] == ">":
        s = s[1:].lstrip()
    return s


def _quote_is_history(L: _Lines, start: int, end: int) -> bool:
    """Does the quote block start with a (quoted) attribution, header block or separator?"""
    inner = []
    for j in range(start, min(end, start + 12)):
        inner.append(_unquote(L.keys[j]))
    k = 0
    while k < len(inner) and not inner[k]:
        k += 1
    if k >= len(inner):
        return False
    s = inner[k]
    if _FORWARD.match(s) or _ORIGINAL.match(s):
        return True
    return bool(attribution_span(inner, k) or header_block_span(inner, k))


def _quote_end(L: _Lines, j: int) -> int:
    """Index after the last quote line of the block starting at ``j``."""
    last = j
    m = j + 1
    n = L.n
    while m < n:
        k = L.kind(m)[0]
        if k == "q":
            last = m
        elif k == "e":
            pass
        elif k == "t" and _is_link_fragment(L.keys[m]):
            nxt = L.skip_blank(m + 1)
            if nxt < n and L.kind(nxt)[0] == "q":
                m += 1
                continue
            break
        else:
            break
        m += 1
    return last + 1


def _is_link_fragment(s: str) -> bool:
    if _LINK_FRAGMENT.match(s):
        return True
    return len(s) <= 80 and " " not in s and _URLISH.search(s) is not None


def _after_quote(L: _Lines, qend: int) -> str:
    """What follows a quote block: 'trailing', 'interleaved', 'closing' or 'signature'."""
    j = L.skip_blank(qend)
    n = L.n
    if j >= n or L.kind(j)[0] != "t":
        return "trailing"
    texts = []
    m = j
    nxt = ""
    while m < n:
        k = L.kind(m)[0]
        if k == "t":
            texts.append(L.keys[m])
        elif k != "e":
            nxt = k
            break
        m += 1
    if nxt == "q":
        return "interleaved"
    words = sum(len(t.split()) for t in texts)
    if len(texts) >= 3 or words >= 40 or any(_BULLET.match(t) for t in texts):
        return "interleaved"
    if _CLOSING.match(texts[0]) and len(texts[0]) <= 60 and all(len(t.split()) <= 4 for t in texts[1:]):
        return "closing"
    return "signature"


def _greeting_only(out: list[str]) -> bool:
    """Is what was typed so far only a salutation ("Hi Ann,")?"""
    lines = [line.strip() for line in out if line.strip()]
    if len(lines) != 1 or len(lines[0]) > 40:
        return False
    line = lines[0]
    words = line.split()
    if len(words) > 4:
        return False
    return _GREETING.match(line) is not None or (len(words) <= 2 and line.endswith(","))


def _split_midline(lines: list[str]) -> list[str]:
    """Put an English attribution that follows text on the same line on a line of its own."""
    result = None
    for idx, line in enumerate(lines):
        split = None
        if len(line) <= 2000 and ":" in line and not line.rstrip().endswith((":", "：")):
            m = _ATTR_THEN_TEXT.match(line)
            if m is not None and _attribution_text(m.group(1).strip()):
                split = (m.group(1), m.group(2))
        if split is None and len(line) <= 1000 and line[-12:].rstrip().lower().endswith("wrote:") and not _START_EN.match(line):
            m = _MIDLINE_ON.search(line)
            if m is not None:
                pre = line[: m.start(1)].rstrip(" \t-")
                attr = m.group(1)
                if pre.strip() and (_DATE.search(attr) or "@" in attr):
                    split = (pre, attr)
        if split is not None:
            if result is None:
                result = lines[:idx]
            result.extend(split)
        elif result is not None:
            result.append(line)
    return lines if result is None else result


def _decode(data) -> str:
    if isinstance(data, str):
        return data
    if isinstance(data, (bytes, bytearray, memoryview)):
        data = bytes(data)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            try:
                return data.decode("cp1252")
            except UnicodeDecodeError:
                return data.decode("latin-1")
    return str(data)


def extract_reply(text: str) -> str:
    """Plain-text email body -> just what the person typed (never raises)."""
    try:
        return _extract(text)
    except Exception:  # pragma: no cover - last resort, rules above should not raise
        try:
            return "\n".join(l.rstrip() for l in _decode(text).replace("\r\n", "\n").split("\n")).strip("\n")
        except Exception:
            return ""


def _extract(text) -> str:
    if not text:
        return ""
    text = _decode(text)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n", _MAX_LINES)
    if len(lines) > _MAX_LINES:
        lines = lines[:_MAX_LINES]
    lines = _split_midline(lines)
    L = _Lines(lines)
    n = L.n
    out: list[str] = []
    has_text = False
    i = 0
    while i < n:
        k, span = L.kind(i)
        if k == "e":
            out.append("")
            i += 1
        elif k == "t":
            out.append(lines[i].rstrip())
            has_text = True
            i += 1
        elif k == "m":
            if has_text:
                break
            i += 1
        elif k in ("s", "h"):
            break
        elif k == "f":
            if has_text:
                break
            # a forwarded message with nothing typed above it: the forwarded body is the content
            j = L.skip_blank(i + 1)
            if j < n:
                hb = header_block_span(L.keys, j)
                if hb:
                    j += hb
            i = j
        elif k == "a":
            j = L.skip_blank(i + span)
            if has_text and _greeting_only(out) and j < n and L.kind(j)[0] == "q":
                has_text = False  # "Hi Ann," above the quote: the reply is below it
            if not has_text:
                if j < n and L.kind(j)[0] == "q":
                    # bottom-posted reply: drop the attribution and the quote under it
                    i = L.skip_blank(_quote_end(L, j))
                else:
                    i += span
                continue
            if j >= n or L.kind(j)[0] != "q":
                break  # unquoted history (or another splitter) follows
            qend = _quote_end(L, j)
            decision = _after_quote(L, qend)
            if decision in ("trailing", "signature"):
                break
            if decision == "closing":
                i = L.skip_blank(qend)
                continue
            # interleaved reply: only the attribution goes, the quote stays as context
            for m in range(i + span, qend):
                out.append(lines[m].rstrip())
            i = qend
        else:  # quote block
            qend = _quote_end(L, i)
            history = _quote_is_history(L, i, qend)
            if has_text and history and _greeting_only(out):
                has_text = False
            if not has_text:
                if history:
                    i = L.skip_blank(qend)
                    continue
                for m in range(i, qend):
                    out.append(lines[m].rstrip())
                i = qend
                continue
            decision = _after_quote(L, qend)
            if decision == "trailing":
                i = qend
                continue
            if history:
                if decision == "signature":
                    break
                if decision == "closing":
                    i = L.skip_blank(qend)
                    continue
            for m in range(i, qend):
                out.append(lines[m].rstrip())
            i = qend
    return _finish(out)


def _finish(out: list[str]) -> str:
    while out:
        last = out[-1]
        s = _key(last)
        if not s or _SEPARATOR_ONLY.match(s) or s in _SIG_DELIM or is_mobile_signature(s):
            out.pop()
            continue
        break
    start = 0
    while start < len(out) and not _key(out[start]):
        start += 1
    text = "\n".join(out[start:])
    if not text.isascii():
        text = "\n".join(line.translate(_OUT_TABLE).rstrip() for line in text.split("\n"))
    return text
