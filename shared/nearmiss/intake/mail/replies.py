"""What a message that arrived at a note's reply address is: a person's reply, a request to stop,
an automatic answer (out-of-office, auto-acknowledgement, list robot) or a delivery report.

`classify` is pure: a parsed `MailMessage` in, a `ReplyClass` out. The receiving function acts on
it (issue 13): a human reply stops that person's notes and is forwarded to the member; a stop
request also suppresses the address; an auto-reply stops nothing, and an out-of-office with a
return date moves that person's pending notes past it; a delivery report feeds the suppression path.

The order of the checks is the order of certainty:
1. a delivery report (RFC 3464 `multipart/report`, or the plain-text bounces of older servers):
   those carry `Auto-Submitted` too, and must reach the suppression path, not be ignored;
2. an automatic answer, by its headers (RFC 3834 and the vendors' own) or its subject in the
   languages the notes go out in; it is an out-of-office when it says the person is away;
3. otherwise a person wrote it, and it is a stop request when its own text (the quoted history cut
   off by `new_text`) asks to stop, by the phrase tables below.

The phrase tables are data a reviewer can read: one tuple per language, each entry a small pattern
(words, `(a|b)` alternatives, `?` for an optional group) matched on word boundaries, never across
the quoted history. Reasons name the rule that decided, never the message's content.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any, Literal

from nearmiss.intake.mail.message import MailMessage

ReplyKind = Literal["human", "stop_request", "auto_reply", "out_of_office", "bounce"]
Language = Literal["en", "de", "fr", "es", "nl"]

RETURN_DATE_HORIZON = timedelta(days=366)  # a return date further ahead than this is not believed
SCAN_CHARS = 20_000  # how much of a message's text the phrase tables and bounce parsers read
NEW_TEXT_CHARS = 100_000  # how much of it new_text reads
MAX_DATE_TRIES = 12  # phrases after a return-date trigger read per language


@dataclass(frozen=True)
class ReplyClass:
    kind: ReplyKind
    reason: str  # why, in a few words, safe to store and log (names the rule, never the content)
    return_date: date | None = None  # out_of_office: the first day the person is back, if the message says
    bounced: tuple[str, ...] = ()  # bounce: the final recipients the report names (lower-cased)
    permanent: bool = False  # bounce: a permanent failure (5.x.x) rather than a transient one (4.x.x)
    # bounce: read from an RFC 3464 report's fields, `bounced` being its Final-Recipient addresses
    # (not addresses found in a plain-text bounce's prose)
    reported: bool = False


def classify(message: MailMessage, *, now: datetime) -> ReplyClass:
    """Decide what `message` is. `now` anchors relative return dates ("back on Monday") together
    with the message's own Date, and bounds them: a return date in the past or more than a year
    ahead is dropped (the out-of-office still stops nothing)."""
    report = _delivery_report(message)
    if report is not None:
        return report
    automatic = _automatic(message)
    if automatic is not None:
        return _auto_kind(message, automatic, now=now)
    stop = _stop_phrase(message)
    if stop is not None:
        return ReplyClass("stop_request", stop)
    return ReplyClass("human", "no automatic marker")


# --- the reply's own text ---

# A line that opens the quoted history, in the clients' own words. `_ATTRIBUTION` lines may wrap
# over two lines ("On Tue, 1 Dec 2026 at 10:04, Ada Lovelace <ada@...>\nwrote:"), so they are
# matched on a line joined with the next.
_ATTRIBUTION = tuple(
    re.compile(pattern, re.I)
    for pattern in (
        r"^on\b.{0,200}\bwrote:$",  # Gmail, Apple Mail, Thunderbird
        r"^am\b.{0,200}\bschrieb\b.{0,200}:$",  # German Gmail and Thunderbird
        r"^le\b.{0,200}\ba [ée]crit ?:$",  # French
        r"^el\b.{0,200}\bescribi[óo] ?:$",  # Spanish
        r"^op\b.{0,200}\bschreef\b.{0,200}:$",  # Dutch
        r"^.{0,200}<[^>@\s]+@[^>\s]+> (wrote|schrieb|a [ée]crit|escribi[óo]|schreef) ?:$",
    )
)
_SEPARATOR = re.compile(
    r"^-{2,}\s*(original message|ursprüngliche nachricht|message d'origine|mensaje original|"
    r"oorspronkelijk bericht|forwarded message|weitergeleitete nachricht|message transféré|"
    r"mensaje reenviado|doorgestuurd bericht)\s*-{2,}$",
    re.I,
)
# Outlook's header block: "From:" then, within a few lines, "Sent:" or "Date:" (and their translations).
_HEADER_FROM = re.compile(r"^\*?(from|von|de|van|da)\s?:\*?\s", re.I)
_HEADER_SENT = re.compile(
    r"^\*?(sent|date|gesendet|datum|envoy[ée]|date|enviado|fecha|verzonden|verstuurd|inviato)\s?:\*?\s", re.I
)
_UNDERSCORES = re.compile(r"^_{10,}$")
_SIGNATURE = "-- "  # RFC 3676's signature delimiter: what follows is the signature


def new_text(message: MailMessage) -> str:
    """The reply's own text: the body without the quoted history (">" lines, "On ... wrote:",
    "-----Original Message-----", Outlook's "From: ... Sent: ..." block and their translations)
    and without a signature after "-- ". Bottom-posted replies keep the writer's lines between the
    quotes. Trailing whitespace is trimmed; the result may be empty. Only the first
    `NEW_TEXT_CHARS` of the body are read: nobody writes more above the quote, and a hostile body
    of a hundred thousand "From:" lines must not cost seconds."""
    return _own_text(message.text[:NEW_TEXT_CHARS])


def _own_text(text: str) -> str:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        stripped = line.strip()
        if line.rstrip("\n") == _SIGNATURE or stripped == "--":
            break
        if _opens_history(lines, index):
            break
        if stripped.startswith(">"):
            continue
        kept.append(line.rstrip())
    while kept and not kept[-1].strip():
        kept.pop()
    while kept and not kept[0].strip():
        kept.pop(0)
    return "\n".join(kept)


def _opens_history(lines: list[str], index: int) -> bool:
    stripped = lines[index].strip()
    if not stripped:
        return False
    if len(stripped) > 400:
        return False  # no client writes a history line this long; the patterns need not look
    if _SEPARATOR.match(stripped):
        return True
    following = [line.strip() for line in lines[index + 1 : index + 6] if line.strip()]
    if _UNDERSCORES.match(stripped):
        return bool(following) and bool(_HEADER_FROM.match(following[0]))
    if _HEADER_FROM.match(stripped) and any(_HEADER_SENT.match(line) for line in following[:4]):
        return True
    joined = stripped if not following or following[0].startswith(">") else f"{stripped} {following[0]}"
    if not stripped.endswith(":") and not joined.endswith(":"):
        return False  # every attribution ends with a colon ("... wrote:", "... a écrit :")
    if any(pattern.match(stripped) for pattern in _ATTRIBUTION):
        return True
    # A wrapped attribution starts with its own word ("On", "Am", "Le"...), so only those patterns
    # may read the joined line: the generic "<address> wrote:" one would swallow the line before.
    return len(stripped) < 200 and any(pattern.match(joined) for pattern in _ATTRIBUTION[:-1])


# --- delivery reports ---

_DAEMONS = frozenset(("mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon", "mdaemon"))
_BOUNCE_SUBJECTS = (
    "undeliverable",
    "undelivered mail",
    "undeliverable mail",
    "returned mail",
    "mail delivery failed",
    "mail delivery failure",
    "delivery status notification",
    "delivery failure",
    "delivery has failed",
    "failure notice",
    "message not delivered",
    "unzustellbar",
    "nicht zustellbar",
    "non remis",
    "non distribuable",
    "échec de la remise",
    "no se puede entregar",
    "no entregado",
    "onbestelbaar",
    "niet bezorgd",
)
_DELAY_SUBJECT = re.compile(r"\b(delay|delayed|warning|verzögert|retardé|retrasad[oa]|vertraagd)\b", re.I)
_STATUS = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
_SMTP_REPLY = re.compile(r"(?<![\d.])([45])\d\d(?:[ -]|$)", re.M)
# Bounded like RFC 5321's limits (64 for the local part, 63 a label) so that a body of a million
# address-like characters is scanned in linear time.
_ADDRESS = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9-]{1,63}){1,8}"
)

# Where a plain-text bounce starts quoting the message it returns: addresses past it are not the
# failed recipients.
_RETURNED_COPY = re.compile(
    r"^(-+ ?(this is a copy of|below this line is a copy|original message|the original message|"
    r"returned message|undelivered message)|original message headers|received: |"
    r"-+ ?(kopie der nachricht|ursprüngliche nachricht))",
    re.I,
)
_TRANSIENT_WORDS = re.compile(
    r"\b(will (retry|keep trying|continue trying)|temporar(y|ily)|delayed|not yet been delivered|"
    r"vorübergehend|temporaire|temporal|tijdelijk)\b",
    re.I,
)


def _delivery_report(message: MailMessage) -> ReplyClass | None:
    fields = [
        *message.parts_of_type("message/delivery-status"),
        *message.parts_of_type("message/global-delivery-status"),
    ]
    if fields:
        return _from_report_fields(b"".join(fields))
    report_type = str(message.raw.get_param("report-type", "") if message.raw is not None else "").lower()
    if message.content_type == "multipart/report" and report_type == "delivery-status":
        return _from_plain_bounce(message, _normal(message.subject[:1000]))  # its status part is unreadable
    if message.content_type == "multipart/report" or message.parts_of_type(
        "message/disposition-notification"
    ):
        # A read receipt (RFC 8098) or a report of another kind: a machine, and not a failure.
        return ReplyClass("auto_reply", "report other than a delivery failure")
    sender = message.from_.address.partition("@")[0] if message.from_ else ""
    subject = _normal(message.subject[:1000])
    by_subject = any(phrase in subject for phrase in _BOUNCE_SUBJECTS)
    if sender not in _DAEMONS and not by_subject:
        return None
    head = message.text[:SCAN_CHARS]
    if not by_subject and not _STATUS.search(head) and not _SMTP_REPLY.search(head):
        return None  # a postmaster writing as a person: read it as one
    return _from_plain_bounce(message, subject)


def _from_report_fields(raw: bytes) -> ReplyClass:
    failed: list[str] = []
    permanent = False
    transient = False
    for block in _field_blocks(raw.decode("utf-8", "replace")):
        recipient = _recipient(block.get("final-recipient") or "")  # RFC 3464: required per recipient
        action = block.get("action", "").strip().lower()
        status = _STATUS.search(block.get("status", ""))
        if not recipient and not action:
            continue  # the per-message block (Reporting-MTA, Arrival-Date)
        if action in ("delivered", "relayed", "expanded"):
            continue
        if action == "delayed" or (status is not None and status.group(1) == "4"):
            transient = True
        elif action == "failed" or (status is not None and status.group(1) == "5"):
            permanent = True
        else:
            continue
        if recipient and recipient not in failed:
            failed.append(recipient)
    if not permanent and not transient:
        return ReplyClass("auto_reply", "delivery report without a failure")
    return ReplyClass(
        "bounce",
        "delivery-status report" + (" (permanent)" if permanent else " (transient)"),
        bounced=tuple(failed),
        permanent=permanent,
        reported=True,
    )


def _field_blocks(text: str) -> list[dict[str, str]]:
    blocks: list[dict[str, str]] = []
    current: dict[str, str] = {}
    last = ""
    for line in text.replace("\r\n", "\n").split("\n"):
        if not line.strip():
            if current:
                blocks.append(current)
            current, last = {}, ""
        elif line[0] in " \t" and last:
            current[last] += " " + line.strip()
        elif ":" in line:
            name, _, value = line.partition(":")
            last = name.strip().lower()
            current[last] = value.strip()
    if current:
        blocks.append(current)
    return blocks


def _recipient(value: str) -> str:
    """`rfc822; bob@example.com` (RFC 3464's address-type; value) to `bob@example.com`."""
    _, _, address = value.rpartition(";")
    found = _ADDRESS.search(address.strip().strip("<>"))
    return found.group(0).lower() if found else ""


def _from_plain_bounce(message: MailMessage, subject: str) -> ReplyClass:
    own = {mailbox.address for mailbox in (*message.to, *message.cc)}
    if message.from_:
        own.add(message.from_.address)
    lines: list[str] = []
    for line in message.text[:SCAN_CHARS].replace("\r\n", "\n").split("\n"):
        if _RETURNED_COPY.match(line.strip()):
            break
        lines.append(line)
    body = "\n".join(lines)
    failed: list[str] = []
    for found in _ADDRESS.finditer(body):
        address = found.group(0).lower().rstrip(".")
        local = address.partition("@")[0]
        if address in own or local in _DAEMONS or address in failed:
            continue
        failed.append(address)
    codes = [match.group(1) for match in _STATUS.finditer(body)] + [
        match.group(1) for match in _SMTP_REPLY.finditer(body)
    ]
    if "5" in codes:
        permanent = True
    elif "4" in codes or _DELAY_SUBJECT.search(subject) or _TRANSIENT_WORDS.search(body):
        permanent = False
    else:
        permanent = True  # "failed" with no code: the servers that write this have given up
    return ReplyClass(
        "bounce",
        "plain-text bounce" + (" (permanent)" if permanent else " (transient)"),
        bounced=tuple(failed),
        permanent=permanent,
    )


# --- automatic answers ---

_PRECEDENCE_ROBOT = frozenset(("auto_reply", "bulk", "junk", "list"))
# Subjects that automatic answers put first, per language ("Automatic reply: <your subject>").
_AUTO_SUBJECTS: dict[Language, tuple[str, ...]] = {
    "en": (
        "automatic reply",
        "auto reply",
        "autoreply",
        "auto-reply",
        "auto response",
        "autoresponse",
        "out of office",
        "out of the office",
        "ooo",
        "away from the office",
        "vacation reply",
        "on vacation",
        "on holiday",
        "on leave",
        "automated response",
        "auto-response",
    ),
    "de": (
        "automatische antwort",
        "abwesenheitsnotiz",
        "abwesenheit",
        "außer haus",
        "ausser haus",
        "nicht im büro",
        "urlaub",
        "autom. antwort",
    ),
    "fr": (
        "réponse automatique",
        "reponse automatique",
        "absence du bureau",
        "absent du bureau",
        "absente du bureau",
        "message d'absence",
        "absence",
        "en congé",
        "en conges",
    ),
    "es": (
        "respuesta automática",
        "respuesta automatica",
        "fuera de la oficina",
        "fuera de oficina",
        "ausente",
        "ausencia",
        "de vacaciones",
    ),
    "nl": (
        "automatisch antwoord",
        "automatisch beantwoord",
        "afwezig",
        "afwezigheid",
        "niet aanwezig",
        "buiten kantoor",
        "met vakantie",
    ),
}
# What an out-of-office says and an auto-acknowledgement does not: the person is away.
_AWAY: dict[Language, tuple[str, ...]] = {
    "en": (
        "out of (the )?office",
        "away from (the office|my desk|work)",
        "i am away",
        "i'm away",
        "i am currently away",
        "i'm currently away",
        "on (annual |parental |sick )?leave",
        "on (vacation|holiday|holidays|sabbatical)",
        "travel(l)?ing (with|and have) limited",
        "limited access to (e-?mail|my e-?mail)",
        "(back|return|returning) (in the office )?on",
        "i will be back",
        "i'll be back",
        "until my return",
        "away until",
        "out until",
    ),
    "de": (
        "abwesend",
        "nicht im büro",
        "außer haus",
        "ausser haus",
        "im urlaub",
        "in (der )?elternzeit",
        "nicht erreichbar",
        "zurück (am|ab)",
        "wieder (im büro|erreichbar|da)",
    ),
    "fr": (
        "absente?",
        "en congés?",
        "en vacances",
        "hors du bureau",
        "de retour",
        "en déplacement",
        "en congé (maternité|parental)",
    ),
    "es": (
        "fuera de la oficina",
        "fuera de oficina",
        "ausente",
        "de vacaciones",
        "de viaje",
        "de vuelta",
        "de regreso",
        "volveré",
        "regresaré",
        "estaré fuera",
    ),
    "nl": (
        "afwezig",
        "niet op kantoor",
        "buiten kantoor",
        "met vakantie",
        "op vakantie",
        "met verlof",
        "terug op",
        "weer aanwezig",
        "ben ik terug",
        "ben weer",
    ),
}


def _automatic(message: MailMessage) -> str | None:
    """The rule that says a machine sent this, or None."""
    auto_submitted = (message.header("auto-submitted") or "no").strip().lower()
    if not auto_submitted.startswith("no"):
        return "Auto-Submitted header"
    for name in ("x-autoreply", "x-autorespond", "x-autogenerated", "x-auto-reply"):
        value = (message.header(name) or "").strip().lower()
        if value and value not in ("no", "false", "0"):
            return f"{name} header"
    if (message.header("precedence") or "").strip().lower() in _PRECEDENCE_ROBOT:
        return "Precedence header"
    if message.header("x-ms-exchange-inbox-rules-loop"):
        return "Exchange inbox-rule loop header"
    source = (message.header("x-ms-exchange-generated-message-source") or "").lower()
    if "mailbox rules agent" in source or "auto" in source or "oof" in source:
        return "Exchange generated-message header"
    if message.header("list-id") or message.header("list-unsubscribe"):
        return "mailing-list header"
    if (message.header("return-path") or "").strip() == "<>":
        return "null Return-Path"  # RFC 3834 section 3.3: automatic responses go to a null sender
    # X-Auto-Response-Suppress is NOT a marker: Outlook puts it on people's mail too (it asks the
    # other side not to auto-answer; it says nothing about who wrote this one).
    language = _subject_marker(message.subject[:1000])
    if language is not None:
        return f"automatic-reply subject ({language})"
    return None


def _subject_marker(subject: str) -> Language | None:
    text = _normal(subject).strip()
    for language, patterns in _subject_patterns().items():
        if any(pattern.match(text) for pattern in patterns):
            return language
    return None


@cache
def _subject_patterns() -> dict[Language, tuple[re.Pattern[str], ...]]:
    # At the start (after an "[External]" tag some gateways add), then at most one more word and
    # a colon, a bracket, a dash or the end: "Out of Office AutoReply: ...", "Abwesenheitsnotiz",
    # but not a person's "Absence policy question".
    return {
        language: tuple(
            re.compile(rf"^(\[[^\]]{{0,40}}\]\s*)?{re.escape(phrase)}\b(\s+\w+)?\s*(:|\(|-|–|$)")
            for phrase in phrases
        )
        for language, phrases in _AUTO_SUBJECTS.items()
    }


def _auto_kind(message: MailMessage, rule: str, *, now: datetime) -> ReplyClass:
    if rule == "mailing-list header" or (message.header("precedence") or "").strip().lower() == "list":
        return ReplyClass("auto_reply", rule)  # a list robot is never a person away
    body = _normal(_own_text(message.text[:SCAN_CHARS]))[:4000]
    language = _away_language(body) or _away_language(_normal(message.subject[:1000]))
    if language is None:
        return ReplyClass("auto_reply", rule)
    # The body's language first; a German body under Outlook's English subject is common.
    order = [language, *(other for other in _RETURN_TRIGGERS if other != language)]
    back = next(
        (found for lang in order if (found := return_date(body, lang, now=now, sent=message.date))), None
    )
    return ReplyClass("out_of_office", f"{rule}; away ({language})", return_date=back)


def _away_language(text: str) -> Language | None:
    for language in _AWAY:
        if any(pattern.search(text) for pattern in _compiled(language, "away")):
            return language
    return None


# --- return dates ---

# What comes before the return date, per language. `inclusive` triggers name the last day away
# ("through 14 December", "tot en met 14 december"): the person is back the day after.
_RETURN_TRIGGERS: dict[Language, tuple[tuple[str, bool], ...]] = {
    "en": (
        (
            r"(back|return|returning)( in the office| in office| to the office| to work| at work)?"
            r"( again)?( on| from| after)?",
            False,
        ),
        (
            r"(away|out|off|absent|on leave|on vacation|on holiday|out of (the )?office)[^.\n]{0,40}?"
            r"\b(until|till|til)",
            False,
        ),
        (r"(until|till)", False),
        (r"(through|thru)", True),
    ),
    "de": (
        (r"(zurück|wieder (im büro|erreichbar|da|im hause))( am| ab)?", False),
        (r"bis (einschließlich|einschl\.|inkl\.)( zum)?", True),
        (r"(bis|ab)( zum| am| dem| den)?", False),
    ),
    "fr": (
        (
            r"(de retour|je serai de retour|je reviendrai|retour prévu)( au bureau)?"
            r"( le| à partir du| dès le)?",
            False,
        ),
        (r"jusqu'(au|à)( ce)?", False),
        (r"du [^.\n]{0,30}? au", False),
    ),
    "es": (
        (r"(de vuelta|de regreso|volveré|regresaré|regreso)( a la oficina)?( el| a partir del)?", False),
        (r"hasta( el)?", False),
    ),
    "nl": (
        (r"(terug|weer aanwezig|weer op kantoor|ben ik weer)( op| vanaf)?", False),
        (r"tot en met", True),
        (r"(tot|t/m)( en met)?", False),
    ),
}
_NUMERIC = re.compile(r"^(\d{1,2})[./-](\d{1,2})(?:[./-](\d{2,4}))?\.?(?!\d)")
_WEEKDAY_BEFORE_DAY = re.compile(
    r"^(monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|wed|thu|fri|"
    r"montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|mo|di|mi|do|fr|"
    r"lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|"
    r"lunes|martes|miércoles|jueves|viernes|sábado|domingo|"
    r"maandag|dinsdag|woensdag|donderdag|vrijdag|zaterdag|zondag)\.?,?\s+(?:the\s+|den\s+|de\s+|el\s+)?(?=\d)"
)
_ORDINAL = re.compile(r"(?<=\d)(st|nd|rd|th|er|e|º|ª)\b")
_DATE_END = re.compile(r"(?<!\d)[.;!?]\s|\n|(?<!\d)[.;!?]$|\s(and|und|et|y|en|but|aber|mais|pero|maar|,)\s")


def return_date(text: str, language: Language, *, now: datetime, sent: datetime | None = None) -> date | None:
    """The first day back that an out-of-office's (normalised) text states, or None.

    Relative phrases ("Monday", "14 December" without a year) are read from the message's Date,
    or from `now` when the Date is missing or later than `now`. A date before `now`'s day or more
    than a year after it is not believed. dateparser is imported here, not at module load, so a
    cold start that never meets an out-of-office does not pay for it (about 0.2 s)."""
    now = _aware(now)
    sent = _aware(sent) if sent is not None else None
    base = sent if sent is not None and sent <= now else now
    today = now.date()
    tries = 0
    for trigger, inclusive in _RETURN_TRIGGERS[language]:
        for match in re.finditer(rf"(?<!\w){trigger}(?!\w)\s*", text):
            tries += 1
            if tries > MAX_DATE_TRIES:
                return None  # a responder states its date once; a body of hundreds of "until" is noise
            phrase = text[match.end() : match.end() + 60]
            found = _parse_date(phrase, language, base)
            if found is None:
                continue
            back = found + timedelta(days=1) if inclusive else found
            if back < today or back > today + RETURN_DATE_HORIZON:
                continue
            return back
    return None


def _aware(moment: datetime) -> datetime:
    """A naive `now` is read as UTC (the receiver passes an aware one; a test may not)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _parse_date(phrase: str, language: Language, base: datetime) -> date | None:
    phrase = _WEEKDAY_BEFORE_DAY.sub("", phrase.strip())
    numeric = _NUMERIC.match(phrase)
    if numeric:
        return _numeric_date(numeric, language, base)
    end = _DATE_END.search(phrase)
    phrase = (phrase[: end.start()] if end else phrase).strip(" ,.:;()")
    phrase = _ORDINAL.sub("", phrase)
    words = phrase.split()[:5]
    if not words or not any(_looks_like_date(word) for word in words):
        return None
    dateparser = _dateparser()
    settings = {
        "RELATIVE_BASE": base.replace(tzinfo=None),
        "PREFER_DATES_FROM": "future",
        "PREFER_DAY_OF_MONTH": "first",
        "DATE_ORDER": "MDY" if language == "en" and _us_order(words) else "DMY",
        "REQUIRE_PARTS": [],
        "RETURN_AS_TIMEZONE_AWARE": False,
    }
    # Longest first: "14 December 2026 at noon" falls back to "14 December 2026".
    for size in range(len(words), 0, -1):
        candidate = " ".join(words[:size])
        if not any(_looks_like_date(word) for word in words[:size]):
            break
        try:
            parsed = dateparser.parse(candidate, languages=[language], settings=settings)
        except Exception:  # dateparser raises on some odd inputs; an unreadable date is no date
            parsed = None
        if parsed is not None:
            found: date = parsed.date()
            return found
    return None


def _looks_like_date(word: str) -> bool:
    return any(ch.isdigit() for ch in word) or word.strip(",.") in _date_words()


@cache
def _date_words() -> frozenset[str]:
    return frozenset(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
            "jan",
            "feb",
            "mar",
            "apr",
            "jun",
            "jul",
            "aug",
            "sep",
            "sept",
            "oct",
            "nov",
            "dec",
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
            "sunday",
            "tomorrow",
            "januar",
            "februar",
            "märz",
            "mai",
            "juni",
            "juli",
            "oktober",
            "dezember",
            "montag",
            "dienstag",
            "mittwoch",
            "donnerstag",
            "freitag",
            "samstag",
            "sonntag",
            "morgen",
            "janvier",
            "février",
            "mars",
            "avril",
            "juin",
            "juillet",
            "août",
            "septembre",
            "octobre",
            "novembre",
            "décembre",
            "lundi",
            "mardi",
            "mercredi",
            "jeudi",
            "vendredi",
            "samedi",
            "dimanche",
            "demain",
            "enero",
            "febrero",
            "marzo",
            "abril",
            "mayo",
            "junio",
            "julio",
            "agosto",
            "septiembre",
            "octubre",
            "noviembre",
            "diciembre",
            "lunes",
            "martes",
            "miércoles",
            "jueves",
            "viernes",
            "sábado",
            "domingo",
            "mañana",
            "januari",
            "februari",
            "maart",
            "mei",
            "augustus",
            "oktober",
            "maandag",
            "dinsdag",
            "woensdag",
            "donderdag",
            "vrijdag",
            "zaterdag",
            "zondag",
        ]
    )


def _us_order(words: list[str]) -> bool:
    """English that starts with a word ("December 14", "Jan 5th") reads month-first; a phrase that
    starts with a number ("14 December") day-first. All-numeric dates never get here: `_numeric_date`
    reads them, day-first unless only US order fits (12/14)."""
    return bool(words) and not words[0][:1].isdigit()


def _numeric_date(match: re.Match[str], language: Language, base: datetime) -> date | None:
    first, second, year_text = int(match.group(1)), int(match.group(2)), match.group(3)
    day, month = first, second
    if language == "en" and "/" in match.group(0) and second > 12 >= first:
        day, month = second, first  # 12/14 can only be US order
    year = base.year if year_text is None else int(year_text) + (2000 if len(year_text) == 2 else 0)
    try:
        found = date(year, month, day)
    except ValueError:
        return None
    if year_text is None and found < base.date():
        try:
            found = date(year + 1, month, day)
        except ValueError:
            return None
    return found


def _dateparser() -> Any:
    import dateparser  # lazy on purpose: about 0.08 s to import, 0.2 s more for its language data

    return dateparser


# --- stop requests ---

# One tuple per language. Each entry is a phrase that, in a person's own text, asks Near Miss to
# stop writing. Entries that would also read as something harmless ("please stop by") carry their
# guard in the pattern: "please stop" must end the clause.
_STOP: dict[Language, tuple[str, ...]] = {
    "en": (
        "unsubscribe( me)?",
        "remove me",
        "take me off",
        "opt( me)? out",
        "please stop$",
        "stop (emailing|e-mailing|mailing|messaging|contacting|writing to|sending( me)?) "
        "(me|us|this|these|emails?|e-mails?|messages?)",
        "stop (emailing|e-mailing|messaging|contacting) me",
        "stop (emailing|e-mailing|messaging|contacting)$",
        "(don't|dont|do not|never) (contact|email|e-mail|message|write to|reach out to) me",
        "(don't|dont|do not) (send|write) me (any )?(more|further) (emails?|e-mails?|messages?|notes?)",
        "no (more|further) (emails?|e-mails?|messages?|contact)",
        "leave me alone",
        "(stop|end) (all )?(these|this|the) (emails?|e-mails?|messages?|notes?)",
        "not interested,? (please )?stop",
    ),
    "de": (
        "(mich|meine adresse) [^.\n]{0,20}abmelden",
        "abmelden$",
        "abbestellen",
        "(mich|meine adresse) (bitte )?(aus|von) [^.\n]{0,30}(entfernen|austragen|löschen|streichen)",
        "tragen sie mich (bitte )?aus",
        "(entfernen|löschen|streichen) sie mich",
        "austragen",
        "(kontaktieren|schreiben|mailen|anschreiben) sie mich (bitte )?nicht mehr",
        "(mich )?(bitte )?nicht mehr (kontaktieren|anschreiben|anmailen|schreiben)",
        "keine (weiteren )?(e-mails|emails|mails|nachrichten) mehr",
        "(bitte )?(hören sie|hör) (damit )?auf",
        "bitte aufhören",
        "lassen sie mich in ruhe",
    ),
    "fr": (
        "(me )?désabonner",
        "(me )?désinscrire",
        "désinscription",
        "désabonnement",
        "ne (me )?(contactez|écrivez|relancez) plus",
        "ne plus me (contacter|écrire|relancer|solliciter)",
        "(merci de|veuillez) ne plus",
        "arrêtez de (m'écrire|me contacter|m'envoyer|me relancer)",
        "(retirez|supprimez|enlevez)-?moi",
        "plus de (mails|e-mails|courriels|messages),? (svp|s'il vous plaît|merci)",
        "laissez-moi tranquille",
    ),
    "es": (
        "dar(me)? de baja",
        "(cancelar|anular) (la |mi )?suscripción",
        "desuscribir(me)?",
        "no me (contacte|contacten|contactes|escriba|escriban|escribas) más",
        "no (vuelva|vuelvan|vuelvas) a (contactarme|escribirme)",
        "(deje|dejen|deja) de (escribirme|contactarme|enviarme|mandarme)",
        "(elimíneme|elimínenme|elimíname|quítenme|quíteme|quítame|bórrenme|bórreme)",
        "no quiero recibir más",
        "no (más|mas) (correos|emails|mensajes)",
    ),
    "nl": (
        "(mij|me) (graag )?(afmelden|uitschrijven)",
        "afmelden$",
        "uitschrijven",
        "(verwijder|schrap) (mij|me)",
        "haal (mij|me) (van|uit)",
        "(neem|neemt) geen contact (meer )?(met mij|met me) op",
        "(neem|neemt) (met mij|met me) geen contact (meer )?op",
        "niet meer (te )?(mailen|e-mailen|contacteren|benaderen|schrijven)",
        "(mail|e-mail|benader|contacteer) (mij|me) niet meer",
        "geen (e-mails|mails|berichten) meer",
        "stop (met|met het) (mailen|e-mailen|sturen|berichten)",
        "laat (mij|me) met rust",
    ),
}
# A whole reply that is only this (greeting words and punctuation aside) is a stop request too:
# "STOP", "Stop please". A lone "stop" inside a longer sentence is not ("no need to stop by").
_STOP_ALONE = frozenset(
    (
        "stop",
        "stopp",
        "stoppen",
        "stop it",
        "arrêtez",
        "arrête",
        "stop svp",
        "basta",
        "stop maar",
        "unsubscribe",
        "désabonner",
        "abmelden",
        "afmelden",
    )
)
_POLITE = frozenset(
    (
        "please",
        "pls",
        "plz",
        "thanks",
        "thank",
        "you",
        "bitte",
        "danke",
        "merci",
        "svp",
        "por",
        "favor",
        "gracias",
        "alstublieft",
        "aub",
        "graag",
        "bedankt",
        "dank",
        "u",
        "hi",
        "hello",
        "hallo",
        "bonjour",
        "hola",
        "now",
        "jetzt",
        "maintenant",
        "ya",
        "nu",
    )
)
_SUBJECT_PREFIX = re.compile(r"^((re|aw|sv|tr|wg|fw|fwd|antw|rv|r)\s*(\[\d+\])?\s*:\s*)+", re.I)


def _stop_phrase(message: MailMessage) -> str | None:
    own = _normal(_own_text(message.text[:SCAN_CHARS]))
    subject = _normal(_SUBJECT_PREFIX.sub("", message.subject[:1000]))
    for where, text in (("text", own), ("subject", subject)):
        if not text:
            continue
        if _alone(text):
            return f"stop word alone ({where})"
        for language in _STOP:
            for entry, pattern in zip(_STOP[language], _compiled(language, "stop"), strict=True):
                if pattern.search(text):
                    return f"stop phrase ({language}, {where}): {entry}"
    return None


def _alone(text: str) -> bool:
    words = [word for word in re.findall(r"[\w'-]+", text) if word not in _POLITE]
    return 0 < len(words) <= 3 and " ".join(words) in _STOP_ALONE


@cache
def _compiled(language: Language, table: Literal["stop", "away"]) -> tuple[re.Pattern[str], ...]:
    entries = _STOP[language] if table == "stop" else _AWAY[language]
    return tuple(_phrase_pattern(entry) for entry in entries)


def _phrase_pattern(entry: str) -> re.Pattern[str]:
    """A table entry as a regex: on word boundaries, any run of spaces for a space, and a trailing
    `$` meaning "and the clause ends here" (punctuation, a line end or the end of the text)."""
    ends_clause = entry.endswith("$")
    body = entry.removesuffix("$").replace(" ", r"\s+")
    tail = r"(?=\s*(?:[.!,;:)]|$|\n))" if ends_clause else r"(?!\w)"
    return re.compile(rf"(?<!\w){body}{tail}", re.M)


def _normal(text: str) -> str:
    """Lower case, NFC (so "é" is one character whatever the sender's client did), typographic
    apostrophes as ASCII, runs of spaces as one."""
    text = unicodedata.normalize("NFC", text).lower().replace("’", "'").replace("\u00a0", " ")
    return re.sub(r"[ \t]+", " ", text)
