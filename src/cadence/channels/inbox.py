"""Reading the seller's mailbox: what each message means for the pipeline.

Pure: no database, no network. `classify` turns one parsed message into a
`Finding`: a reply from a prospect (matched by thread, In-Reply-To/References
against the Message-IDs cadence sent or drafted, else by the From address), a
bounce (a delivery status notification, RFC 3464, or a common non-standard
one: Postfix, Exim, Gmail, Exchange), an automatic reply (RFC 3834
`Auto-Submitted`, `X-Autoreply`, out-of-office subjects in English, German,
French and Spanish, with the return date when the text gives one), or nothing
cadence knows. See docs/inbox.md. Reading a message's fields is in
cadence.channels.messages, telling and reading a bounce in cadence.channels.bounces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from email.message import Message
from typing import Callable

from cadence.channels.bounces import Bounce, read_bounce
from cadence.channels.messages import body_text, header_text, message_date, message_ids, message_key, sender_address


REPLY = "reply"
BOUNCE = "bounce"
SOFT_BOUNCE = "soft-bounce"
OUT_OF_OFFICE = "out-of-office"
IGNORED = "ignored"


@dataclass
class Finding:
    """What one message says: its kind, who it concerns, and the details a summary shows."""

    kind: str  # reply, bounce, soft-bounce, out-of-office, ignored
    message_id: str
    date: datetime | None
    subject: str
    sender: str
    prospect_id: int | None = None
    address: str = ""  # the bounced recipient, or the sender of a reply
    status: str = ""  # a bounce's enhanced status code (5.1.1)
    until: date | None = None  # an out-of-office's return date
    matched_by: str = ""  # thread, from, recipient
    why: str = ""  # why it is ignored, or the bounce's diagnostic


@dataclass
class Known:
    """What the database knows, for matching: prospects by email key, message ids by prospect."""

    emails: dict[str, int] = field(default_factory=dict)  # email key -> prospect id
    threads: dict[str, int] = field(default_factory=dict)  # Message-ID (with <>) -> prospect id
    mine: frozenset[str] = frozenset()  # the seller's own address keys
    email_key: Callable[[str], str] = staticmethod(lambda text: text.strip().lower())

    def by_address(self, address: str) -> int | None:
        key = self.email_key(address) if address else ""
        return self.emails.get(key) if key else None


# ------------------------------------------------------------------ automatic replies

_OOO_SUBJECTS = re.compile(  # at the start of the subject: "Automatic reply: Re: ...", not "Re: your absence policy"
    r"\W*(?:out of (the )?office|automatic reply|auto[- ]?reply|autoreply|auto[- ]?response|away from (the )?office|on vacation|on leave|"
    r"abwesenheit|automatische antwort|nicht im b(ü|ue)ro|urlaub|"
    r"r(é|e)ponse automatique|absence|absent du bureau|en cong(é|e)|"
    r"respuesta autom(á|a)tica|fuera de la oficina|ausente|de vacaciones)",
    re.IGNORECASE,
)

MONTHS = {
    # English
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
    "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
    # German
    "januar": 1, "jänner": 1, "februar": 2, "märz": 3, "maerz": 3, "mai": 5, "juni": 6, "juli": 7, "oktober": 10, "dezember": 12,
    # French
    "janvier": 1, "février": 2, "fevrier": 2, "mars": 3, "avril": 4, "juin": 6, "juillet": 7, "août": 8, "aout": 8,
    "septembre": 9, "octobre": 10, "novembre": 11, "décembre": 12, "decembre": 12,
    # Spanish
    "enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7, "agosto": 8,
    "septiembre": 9, "setiembre": 9, "octubre": 10, "noviembre": 11, "diciembre": 12,
}
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
# Words after which a date is the first day back ("back on", "zurück am") or the last day away ("until").
_BACK = r"back(?: in the office)?(?: on)?|return(?:ing)?(?: on)?|returning to the office on|will be back|in the office (?:again )?(?:on|from)|" \
    r"zurück(?: am| ab)?|wieder (?:im büro )?(?:am|ab)|ab dem|ab|" \
    r"de retour (?:le|à partir du)?|à partir du|retour (?:le|prévu le)|" \
    r"regreso el|regresaré el|vuelvo el|volveré el|de vuelta el|a partir del"
_UNTIL = r"until|till|through|thru|bis (?:einschließlich |zum |am )?|jusqu'au|jusqu’au|jusqu'à|au|hasta el|hasta"
_DATE = (
    r"(?P<iso>\d{4}-\d{2}-\d{2})"
    rf"|(?P<d1>\d{{1,2}})(?:st|nd|rd|th|er)?\.?\s+(?:de\s+)?(?P<m1>{_MONTH})\.?(?:\s+(?:de\s+)?(?P<y1>\d{{4}}))?"
    rf"|(?P<m2>{_MONTH})\.?\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<y2>\d{{4}}))?"
    r"|(?P<a>\d{1,2})[./](?P<b>\d{1,2})(?:[./](?P<y3>\d{2,4}))?"
)
_RETURN = re.compile(rf"(?P<word>{_BACK}|{_UNTIL})\s*(?:\w+,?\s+){{0,2}}?(?:the\s+|le\s+|el\s+|den\s+|dem\s+)?(?:{_DATE})", re.IGNORECASE)


def is_auto_reply(msg: Message) -> bool:
    """RFC 3834 Auto-Submitted (other than `no`), X-Autoreply / X-Autorespond, or an out-of-office subject."""
    submitted = header_text(msg, "Auto-Submitted").lower()
    if submitted.startswith("auto-replied"):
        return True
    if header_text(msg, "X-Autoreply") or header_text(msg, "X-Autorespond"):
        return True
    if header_text(msg, "Precedence").lower() == "auto_reply":
        return True
    return bool(_OOO_SUBJECTS.match(header_text(msg, "Subject")))


def is_bulk(msg: Message) -> bool:
    """A newsletter or list mail, or an automatic message that is no out-of-office (never a reply)."""
    precedence = header_text(msg, "Precedence").lower()
    submitted = header_text(msg, "Auto-Submitted").lower()
    return bool(header_text(msg, "List-Unsubscribe") or header_text(msg, "List-Id")) or precedence in ("bulk", "list", "junk") or (
        submitted.startswith("auto-generated")
    )


def return_date(text: str, sent: date) -> date | None:
    """The first day back that an out-of-office text gives, on or after the day it was sent; None when none reads."""
    for match in _RETURN.finditer(text[:5000]):
        day = _date_of(match, sent)
        if day is None or day < sent or day > sent + timedelta(days=400):
            continue
        word = match.group("word").lower()
        if re.fullmatch(_UNTIL, word, re.IGNORECASE) or word.startswith(("until", "till", "through", "thru", "bis", "jusqu", "hasta")):
            day += timedelta(days=1)  # away until (and including) that day: back the day after
        return day
    return None


def _date_of(match: re.Match, sent: date) -> date | None:
    groups = match.groupdict()
    try:
        if groups["iso"]:
            return date.fromisoformat(groups["iso"])
        if groups["m1"] or groups["m2"]:
            month = MONTHS[(groups["m1"] or groups["m2"]).lower()]
            day = int(groups["d1"] or groups["d2"])
            year = groups["y1"] or groups["y2"]
            return _with_year(day, month, year, sent)
        if groups["a"]:
            first, second = int(groups["a"]), int(groups["b"])
            english = re.match(r"[a-z ]+$", match.group("word").lower()) and match.group("word").lower().split()[0] in (
                "back", "return", "returning", "until", "till", "through", "thru", "will", "in")
            month, day = (first, second) if english and first <= 12 and "/" in match.group(0) else (second, first)
            year = groups["y3"]
            if year and len(year) == 2:
                year = "20" + year
            return _with_year(day, month, year, sent)
    except (ValueError, KeyError):
        return None
    return None


def _with_year(day: int, month: int, year: str | None, sent: date) -> date:
    if year:
        return date(int(year), month, day)
    guess = date(sent.year, month, day)
    return guess if guess >= sent - timedelta(days=7) else date(sent.year + 1, month, day)


# ------------------------------------------------------------------ classification


def classify(msg: Message, known: Known) -> Finding:
    """What this message means for the pipeline (see the module's docstring)."""
    sender = sender_address(msg)
    finding = Finding(
        kind=IGNORED,
        message_id=message_key(msg),
        date=message_date(msg),
        subject=header_text(msg, "Subject"),
        sender=sender,
    )
    if sender and known.email_key(sender) in known.mine:
        finding.why = "sent by you"
        return finding
    bounce = read_bounce(msg)
    if bounce is not None:
        return _bounce_finding(finding, bounce, known)
    thread = _thread_match(msg, known)
    by_from = known.by_address(sender)
    prospect = thread or by_from
    if is_auto_reply(msg):
        if prospect is None:
            finding.why = "automatic reply from nobody known"
            return finding
        _matched(finding, OUT_OF_OFFICE, prospect, sender, thread)
        sent = (finding.date or datetime.now(timezone.utc)).date()
        finding.until = return_date(finding.subject + "\n" + body_text(msg), sent)
        return finding
    if is_bulk(msg) and thread is None:
        finding.why = "bulk or automatic mail"
        return finding
    if prospect is None:
        finding.why = "from nobody known"
        return finding
    return _matched(finding, REPLY, prospect, sender, thread)


def _matched(finding: Finding, kind: str, prospect: int, sender: str, thread: int | None) -> Finding:
    """The finding about `prospect`, found by the thread when `thread`, else by the sender's address."""
    finding.kind = kind
    finding.prospect_id = prospect
    finding.address = sender
    finding.matched_by = "thread" if thread else "from"
    return finding


def _thread_match(msg: Message, known: Known) -> int | None:
    if not known.threads:
        return None
    ids = message_ids(header_text(msg, "In-Reply-To")) + list(reversed(message_ids(header_text(msg, "References"))))
    for found in ids:
        if found in known.threads:
            return known.threads[found]
    return None


def _bounce_finding(finding: Finding, bounce: Bounce, known: Known) -> Finding:
    finding.kind = BOUNCE if bounce.hard else SOFT_BOUNCE
    finding.status = bounce.status
    finding.why = bounce.diagnostic
    for address in bounce.recipients:
        prospect = known.by_address(address)
        if prospect is not None:
            finding.prospect_id, finding.address, finding.matched_by = prospect, address, "recipient"
            return finding
    for found in bounce.original_ids:
        if found in known.threads:
            finding.prospect_id, finding.matched_by = known.threads[found], "thread"
            finding.address = bounce.recipients[0] if bounce.recipients else ""
            return finding
    finding.address = bounce.recipients[0] if bounce.recipients else ""
    return finding
