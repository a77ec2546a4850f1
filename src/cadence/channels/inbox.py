"""Reading the seller's mailbox: what each message means for the pipeline.

Pure: no database, no network. `classify` turns one parsed message into a
`Finding`: a reply from a prospect (matched by thread, In-Reply-To/References
against the Message-IDs cadence sent or drafted, else by the From address), a
bounce (a delivery status notification, RFC 3464, or a common non-standard
one: Postfix, Exim, Gmail, Exchange), an automatic reply (RFC 3834
`Auto-Submitted`, `X-Autoreply`, out-of-office subjects in English, German,
French and Spanish, with the return date when the text gives one), or nothing
cadence knows. See docs/inbox.md.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from typing import Callable, Iterable

# How much of a message is read beyond its header: a bounce, a reply's first lines or an
# out-of-office text are all near the top; a 20 MB attachment is never read whole.
BODY_LIMIT = 256 * 1024

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


# ------------------------------------------------------------------ parsing


def parse(raw: bytes) -> EmailMessage:
    """The message, header and at most BODY_LIMIT bytes of body; never raises on malformed MIME."""
    if len(raw) > BODY_LIMIT:
        raw = raw[:BODY_LIMIT]
    return BytesParser(policy=policy.default).parsebytes(raw)


def header_text(msg: Message, name: str) -> str:
    """A header as text; '' when missing or unreadable (a malformed encoded word is never fatal)."""
    try:
        value = msg.get(name)
    except Exception:  # noqa: BLE001 - the email package raises many kinds on broken headers
        return ""
    if value is None:
        return ""
    try:
        return " ".join(str(value).split())
    except Exception:  # noqa: BLE001
        return ""


def message_key(msg: Message) -> str:
    """The message's Message-ID, or a stable stand-in made from its header when it has none."""
    found = message_ids(header_text(msg, "Message-ID"))
    if found:
        return found[0]
    digest = hashlib.sha1()
    for name in ("From", "To", "Date", "Subject"):
        digest.update(header_text(msg, name).encode("utf-8", "replace") + b"\0")
    return f"<{digest.hexdigest()}@no-message-id.cadence.invalid>"


def message_date(msg: Message) -> datetime | None:
    text = header_text(msg, "Date")
    if not text:
        return None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def sender_address(msg: Message) -> str:
    addresses = _addresses(header_text(msg, "From"))
    return addresses[0] if addresses else ""


def _addresses(text: str) -> list[str]:
    return [addr for _name, addr in getaddresses([text]) if "@" in addr]


def message_ids(text: str) -> list[str]:
    """The <message-id>s written in a header's text, in order."""
    return re.findall(r"<[^<>\s]+>", text)


def body_text(msg: Message, limit: int = 20000) -> str:
    """The readable text of the message (text/plain parts, else text/html with tags dropped), at most `limit` chars."""
    chunks: list[str] = []
    html: list[str] = []
    for part in _walk(msg):
        kind = part.get_content_type()
        if kind not in ("text/plain", "text/html") or part.get_content_disposition() == "attachment":
            continue
        try:
            text = part.get_content()
        except Exception:  # noqa: BLE001 - an unknown charset or broken encoding
            payload = part.get_payload(decode=True) or b""
            text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else str(payload)
        (chunks if kind == "text/plain" else html).append(text)
        if sum(map(len, chunks)) > limit:
            break
    if not chunks and html:
        chunks = [re.sub(r"<[^>]+>", " ", re.sub(r"(?is)<(style|script).*?</\1>", " ", h)) for h in html]
    return "\n".join(chunks)[:limit]


def _walk(msg: Message) -> Iterable[Message]:
    try:
        yield from msg.walk()
    except Exception:  # noqa: BLE001 - a broken multipart stops the walk, not the sync
        return


# ------------------------------------------------------------------ bounces

_BOUNCE_SENDERS = re.compile(r"^(mailer-daemon|postmaster|mail-daemon|mailerdaemon|bounces?|mdaemon)@", re.IGNORECASE)
_BOUNCE_SUBJECTS = re.compile(
    r"undeliver(ed|able)|delivery status notification|mail delivery (failed|failure|subsystem)|"
    r"returned mail|failure notice|delivery (has )?failed|nicht zustellbar|unzustellbar|"
    r"non remis|non distribuable|no se puede entregar|no entregado|delivery delayed|warning: message",
    re.IGNORECASE,
)
_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_SMTP_CODE = re.compile(r"\b([45])[0-9]{2}[ -]")


@dataclass
class Bounce:
    recipients: list[str]
    status: str  # 5.1.1, 4.2.2 or '' when none could be read
    hard: bool
    diagnostic: str
    original_ids: list[str]


def looks_like_bounce(msg: Message) -> bool:
    """From the header alone: a DSN, or a message from a mailer daemon with a bounce subject."""
    if msg.get_content_type() == "multipart/report" and "delivery-status" in header_text(msg, "Content-Type").lower():
        return True
    if header_text(msg, "X-Failed-Recipients"):
        return True
    sender = sender_address(msg)
    subject = header_text(msg, "Subject")
    return bool(_BOUNCE_SUBJECTS.search(subject) and (not sender or _BOUNCE_SENDERS.match(sender)))


def read_bounce(msg: Message) -> Bounce | None:
    """The failed recipients and status of a bounce; None when the message is not one."""
    if not looks_like_bounce(msg):
        return None
    recipients: list[str] = []
    statuses: list[str] = []
    actions: list[str] = []
    diagnostic = ""
    original: list[str] = []
    for part in _walk(msg):
        kind = part.get_content_type()
        if kind in ("message/delivery-status", "message/global-delivery-status"):
            for block in _status_blocks(part):
                rcpt = block.get("final-recipient") or block.get("original-recipient") or ""
                address = rcpt.split(";", 1)[-1].strip().strip("<>")
                if "@" in address:
                    recipients.append(address)
                if block.get("status"):
                    statuses.append(block["status"].split()[0])
                if block.get("action"):
                    actions.append(block["action"].lower())
                if block.get("diagnostic-code") and not diagnostic:
                    diagnostic = block["diagnostic-code"].split(";", 1)[-1].strip()
        elif kind in ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers"):
            original.extend(_original_ids(part))
    for address in _addresses(header_text(msg, "X-Failed-Recipients")):
        if address not in recipients:
            recipients.append(address)
    text = body_text(msg)
    if not recipients:
        recipients = _recipients_in_text(text)
    if not statuses:
        found = _STATUS.search(text)
        if found:
            statuses.append(found.group(0))
    if not diagnostic:
        diagnostic = _diagnostic_in_text(text)
    if not original:
        original = message_ids(" ".join(re.findall(r"(?im)^\s*(?:message-id|in-reply-to|references):\s*(.+)$", text)))
    status = statuses[0] if statuses else ""
    if status:
        hard = status.startswith("5")
    elif actions:
        hard = actions[0] == "failed"
    else:
        code = _SMTP_CODE.search(diagnostic or text)
        soft_words = re.search(r"delay|temporar|will (keep|continue) trying|retry|warning", header_text(msg, "Subject") + " " + text[:2000], re.IGNORECASE)
        hard = code.group(1) == "5" if code else not soft_words
    if actions and actions[0] in ("delayed", "relayed", "delivered", "expanded") and not status.startswith("5"):
        hard = False
    return Bounce(recipients=_unique(recipients), status=status, hard=hard, diagnostic=diagnostic[:200], original_ids=original)


def _status_blocks(part: Message) -> list[dict[str, str]]:
    """The per-recipient fields of a message/delivery-status part, lower-case names."""
    blocks: list[dict[str, str]] = []
    payload = part.get_payload()
    if isinstance(payload, list):  # the email package parses it as a list of header blocks
        for sub in payload:
            blocks.append({k.lower(): " ".join(str(v).split()) for k, v in sub.items()})
        return [b for b in blocks if "final-recipient" in b or "original-recipient" in b or "status" in b] or blocks
    text = payload if isinstance(payload, str) else ""
    for chunk in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        for line in re.findall(r"(?m)^([A-Za-z-]+):\s*(.*)$", chunk):
            fields[line[0].lower()] = line[1].strip()
        if fields:
            blocks.append(fields)
    return blocks


def _original_ids(part: Message) -> list[str]:
    payload = part.get_payload()
    if isinstance(payload, list) and payload:
        inner = payload[0]
        return message_ids(header_text(inner, "Message-ID"))
    if isinstance(payload, str):
        return message_ids(" ".join(re.findall(r"(?im)^message-id:\s*(.+)$", payload)))
    return []


def _recipients_in_text(text: str) -> list[str]:
    """Failed addresses as Postfix, Exim, Gmail and Exchange write them in the body."""
    patterns = (
        r"<([^<>\s@]+@[^<>\s@]+)>:\s",  # Postfix: <a@b>: host ... said: 550 ...
        r"(?m)^\s{2,}([^\s@]+@[^\s@]+)\s*$",  # Exim: the address alone, indented
        r"(?:delivered to|wasn't delivered to|could not be delivered to|couldn't be delivered to|delivery to)\s+<?([^\s<>@]+@[^\s<>@,;]+?)>?[\s.,;:]",
        r"(?:recipient|address)(?:\(es\))?[^:\n]{0,30}:\s*<?([^\s<>@]+@[^\s<>@,;]+)>?",
    )
    found: list[str] = []
    for pattern in patterns:
        for match in re.finditer(pattern, text, re.IGNORECASE):
            address = match.group(1).strip(".,;:")
            if "@" in address and address not in found:
                found.append(address)
        if found:
            break
    return found


def _diagnostic_in_text(text: str) -> str:
    found = re.search(r"\b[45]\d\d[ -][^\n]{0,160}", text)
    return " ".join(found.group(0).split()) if found else ""


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


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
        finding.kind = OUT_OF_OFFICE
        finding.prospect_id = prospect
        finding.address = sender
        finding.matched_by = "thread" if thread else "from"
        sent = (finding.date or datetime.now(timezone.utc)).date()
        finding.until = return_date(finding.subject + "\n" + body_text(msg), sent)
        return finding
    if is_bulk(msg) and thread is None:
        finding.why = "bulk or automatic mail"
        return finding
    if prospect is None:
        finding.why = "from nobody known"
        return finding
    finding.kind = REPLY
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
