"""Delivery failures: whether a message is a bounce and what it says (RFC 3464 delivery status
notifications, and the common non-standard ones: Postfix, Exim, Gmail, Exchange).

Pure: no database, no network; cadence.channels.inbox turns a `Bounce` into a finding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message

from cadence.channels.messages import addresses_in, body_text, header_text, message_ids, sender_address, walk

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
    for part in walk(msg):
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
    for address in addresses_in(header_text(msg, "X-Failed-Recipients")):
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
