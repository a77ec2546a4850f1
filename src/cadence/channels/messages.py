"""Reading one mail message safely: its header fields, Message-IDs, sender and readable text.

Pure: no database, no network. Every function accepts a malformed message and gives '' or None
rather than raising (see cadence.channels.inbox for what a message means).
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timezone
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from typing import Iterable

# How much of a message is read beyond its header: a bounce, a reply's first lines or an
# out-of-office text are all near the top; a 20 MB attachment is never read whole.
BODY_LIMIT = 256 * 1024


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
    addresses = addresses_in(header_text(msg, "From"))
    return addresses[0] if addresses else ""


def addresses_in(text: str) -> list[str]:
    return [addr for _name, addr in getaddresses([text]) if "@" in addr]


def message_ids(text: str) -> list[str]:
    """The <message-id>s written in a header's text, in order."""
    return re.findall(r"<[^<>\s]+>", text)


def body_text(msg: Message, limit: int = 20000) -> str:
    """The readable text of the message (text/plain parts, else text/html with tags dropped), at most `limit` chars."""
    chunks: list[str] = []
    html: list[str] = []
    for part in walk(msg):
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


def walk(msg: Message) -> Iterable[Message]:
    try:
        yield from msg.walk()
    except Exception:  # noqa: BLE001 - a broken multipart stops the walk, not the sync
        return
