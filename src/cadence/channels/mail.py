"""A prospect's due email step as a message: an .eml draft, a mailto: link, or sent over SMTP.

SMTP settings come from the profile (`cadence me set smtp_host ...`); the
password comes from $CADENCE_SMTP_PASSWORD or the system keyring and is never
stored or printed. A sent email is logged as `sent` only once the server has
accepted it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any, Callable
from urllib.parse import quote

from cadence.cadences.templates import render
from cadence.channels.servers import KEYRING_SERVICE, password, port_and_timeout
from cadence.domain.contacts import full_name
from cadence.domain.engine import Outcome, Status
from cadence.errors import CadenceError

PASSWORD_ENV = "CADENCE_SMTP_PASSWORD"
TLS_MODES = ("none", "starttls", "ssl")
DEFAULT_PORTS = {"none": 25, "starttls": 587, "ssl": 465}
DEFAULT_TIMEOUT = 30.0


@dataclass
class Draft:
    """The rendered email of one prospect's due step."""

    prospect_id: int
    name: str
    to: str
    sender: str  # the salesperson's address, "" when the profile has none
    sender_name: str
    subject: str
    body: str
    cadence: str
    step: int
    steps: int
    due: date
    message_id: str | None = None  # given by the first message() made, so a draft and its reply match
    variant: str | None = None  # the id of the step's variant they get, when the step has variants

    @property
    def to_header(self) -> str:
        return str(_address(self.name, self.to))

    @property
    def sender_header(self) -> str:
        return str(_address(self.sender_name, self.sender)) if self.sender else ""

    def message(self, at: datetime, message_id: str | None = None) -> EmailMessage:
        """A standard message (UTF-8 where needed) with From, To, Subject, Date and Message-ID."""
        if not self.sender:
            raise CadenceError("your email address is not set: run `cadence me set email you@example.com`")
        if at.tzinfo is None:
            raise ValueError("the Date header needs an aware time")
        msg = EmailMessage()
        msg["From"] = _address(self.sender_name, self.sender)
        msg["To"] = _address(self.name, self.to)
        msg["Subject"] = self.subject
        msg["Date"] = format_datetime(at)
        if message_id is None and self.message_id is None:
            self.message_id = make_msgid(domain=self.sender.rpartition("@")[2] or None)
        msg["Message-ID"] = message_id or self.message_id
        # Quoted-printable keeps a non-ASCII body safe through any server, 8BITMIME or not.
        msg.set_content(self.body, cte="7bit" if self.body.isascii() else "quoted-printable")
        return msg

    def mailto(self) -> str:
        """A mailto: link (RFC 6068) with the subject and body percent-encoded."""
        body = self.body.replace("\r\n", "\n").replace("\n", "\r\n")
        return f"mailto:{quote(self.to, safe='@')}?subject={quote(self.subject, safe='')}&body={quote(body, safe='')}"

    def to_json(self) -> dict[str, Any]:
        return {
            "prospect_id": self.prospect_id,
            "name": self.name,
            "to": self.to,
            "from": self.sender or None,
            "subject": self.subject,
            "body": self.body,
            "cadence": self.cadence,
            "step": self.step,
            "steps": self.steps,
            "due": self.due.isoformat(),
            "mailto": self.mailto(),
            **({"variant": self.variant} if self.variant else {}),
        }


def _address(name: str, email: str) -> Address:
    """A header address; refuses one the email package cannot write."""
    try:
        return Address(display_name=name, addr_spec=email)
    except (ValueError, IndexError, HeaderParseError):
        raise CadenceError(f"{email!r} cannot be written as an email address: correct it (`cadence me set email ...` for yours)") from None


def due_email(pipe, ref: str, at: datetime) -> Draft:
    """The rendered email step due for `ref` on the day of `at`.

    Refuses a prospect with no email, a bounced one (needs-fix), one whose due
    step is not an email, or one with nothing due yet (saying when it is).
    """
    from cadence.pipeline.base import given_variant

    day = pipe.profile.local_day(pipe.profile.aware(at))
    with pipe.reading() as session:
        row = pipe.find(session, ref)
    who = f"#{row.id} {full_name(row.first_name, row.last_name)}"
    if row.status == Status.NEEDS_FIX.value:
        raise CadenceError(f"{who} is needs-fix: their last email bounced (or a number was bad); correct the address before emailing")
    if not row.email:
        raise CadenceError(f"{who} has no email address: add one before using an email step")
    if row.status != Status.ACTIVE.value or row.step is None or row.due_on is None:
        raise CadenceError(f"{who} is {row.status}: no cadence step is due, so there is no email to write")
    plan = pipe.cadence(row.cadence)
    if row.step > len(plan.steps):
        raise CadenceError(f"{who} has no step {row.step} in cadence {plan.name}: check the cadence file")
    variant = given_variant(plan, row.step, row)
    step = plan.steps[row.step - 1].with_variant(variant)
    if step.channel != "email":
        raise CadenceError(f"{who}'s next step ({row.step} of {len(plan.steps)}) is a {step.type}, not an email")
    if row.due_on > day:
        raise CadenceError(f"{who}'s email (step {row.step}) is not due until {row.due_on.isoformat()}")
    context = pipe.context(row, plan, step)
    mine = pipe.profile.values
    return Draft(
        prospect_id=row.id,
        name=full_name(row.first_name, row.last_name),
        to=row.email,
        sender=mine.get("email", "").strip(),
        sender_name=mine.get("name", "").strip(),
        subject=" ".join(render(step.subject or "", context).split()),
        body=render(step.body or "", context),
        cadence=plan.name,
        step=step.number,
        steps=len(plan.steps),
        due=row.due_on,
        variant=variant.id if variant is not None else None,
    )


def write_draft(draft: Draft, folder: Path, at: datetime) -> Path:
    """Write the draft as an .eml file into `folder` (created if missing); returns its path.

    The file carries `X-Unsent: 1` so mail clients open it as a message to send.
    """
    from cadence.channels.export import write_file

    folder = _folder(Path(folder))
    msg = draft.message(at)
    msg["X-Unsent"] = "1"
    ascii_name = unicodedata.normalize("NFKD", draft.name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-") or "prospect"
    path = folder / f"{draft.prospect_id}-{slug}-{draft.cadence}-step{draft.step}.eml"
    write_file(path, msg.as_bytes())
    return path


def _folder(folder: Path) -> Path:
    """`folder`, created if missing; refuses a file or a folder that cannot be made."""
    if folder.exists() and not folder.is_dir():
        raise CadenceError(f"cannot write drafts into {folder}: it is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CadenceError(f"cannot create folder {folder}: {exc.strerror or exc}") from None
    return folder


def remember_draft(pipe, draft: Draft, at: datetime) -> None:
    """Keep the draft's Message-ID, so `cadence sync` matches a reply to it by thread."""
    from cadence.store import mailbox

    if draft.message_id:
        with pipe.writing() as session:
            mailbox.remember_draft(session, draft.message_id, draft.prospect_id, draft.step, at)


@dataclass(frozen=True)
class Server:
    """Where and how to send: from the profile's smtp_* settings."""

    host: str
    port: int
    tls: str
    user: str
    timeout: float

    @classmethod
    def from_profile(cls, values: dict[str, str]) -> "Server":
        """The SMTP settings; refuses a missing host or a malformed port, TLS mode or timeout."""
        host = values.get("smtp_host", "").strip()
        if not host:
            raise CadenceError("no SMTP server set: run `cadence me set smtp_host smtp.example.com` (and smtp_port, smtp_tls, smtp_user)")
        tls = values.get("smtp_tls", "starttls").strip().lower() or "starttls"
        if tls not in TLS_MODES:
            raise CadenceError(f"smtp_tls {tls!r} is not none, starttls or ssl: run `cadence me set smtp_tls starttls`")
        port, timeout = port_and_timeout(values, "smtp", tls, DEFAULT_PORTS, 587, DEFAULT_TIMEOUT)
        return cls(host=host, port=port, tls=tls, user=values.get("smtp_user", "").strip(), timeout=timeout)

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


def smtp_password(user: str) -> str | None:
    """The SMTP password: $CADENCE_SMTP_PASSWORD, else the keyring entry (service `cadence`, the user), else None."""
    return password(PASSWORD_ENV, user)


class ServerError(CadenceError):
    """The SMTP server itself failed (unreachable, silent, login or TLS refused): no other email can go either."""


def connection(pipe, password: Callable[[str], str | None] = smtp_password) -> tuple["Server", str | None]:
    """The SMTP settings and the password to log in with; refuses missing settings or a missing password."""
    server = Server.from_profile(pipe.profile.values)
    secret = None
    if server.user:
        secret = password(server.user)
        if not secret:
            raise CadenceError(
                f"no SMTP password for {server.user}: set {PASSWORD_ENV} or store it with `keyring set {KEYRING_SERVICE} {server.user}`"
            )
    return server, secret


def send(pipe, draft: Draft, at: datetime, password: Callable[[str], str | None] = smtp_password) -> dict[str, Any]:
    """Send the draft over SMTP and, once the server has accepted it, log the step as `sent`.

    Refuses (logging nothing) when the server cannot be reached, times out,
    rejects the login, the sender, the recipient or the message.
    """
    server, secret = connection(pipe, password)
    return send_with(pipe, draft, at, server, secret)[1]


def send_with(pipe, draft: Draft, at: datetime, server: "Server", secret: str | None):
    """Send through `server`, then log `sent` with the Message-ID on the touch: (the Logged, a JSON-ready dict)."""
    at = pipe.profile.aware(at)
    msg = draft.message(at)
    _deliver(server, msg, draft.to, secret)
    note = f"emailed via {server.host}, Message-ID {msg['Message-ID']}"
    try:
        logged = pipe.log(str(draft.prospect_id), Outcome.SENT, at, note=note, message_id=msg["Message-ID"])
    except CadenceError as exc:
        raise CadenceError(
            f"the email to {draft.to} was sent but could not be logged ({exc}); log it with `cadence log {draft.prospect_id} sent`"
        ) from None
    result = logged.to_json()
    result.update({"to": draft.to, "subject": draft.subject, "message_id": msg["Message-ID"], "server": server.where})
    return logged, result


ACTIONS = ("send", "draft", "open")


@dataclass
class Handled:
    """What `email --due` did with one due email: sent, drafted, opened, shown or refused (and why)."""

    prospect_id: int
    name: str
    to: str
    action: str  # sent, drafted, opened, shown, refused
    step: int | None = None
    subject: str = ""
    reason: str | None = None
    message_id: str | None = None
    draft: str | None = None
    mailto: str | None = None
    email: Draft | None = None  # the rendered email, for printing it

    def to_json(self) -> dict[str, Any]:
        out = {
            "prospect_id": self.prospect_id, "name": self.name, "to": self.to or None, "action": self.action,
            "step": self.step, "subject": self.subject or None, "reason": self.reason, "message_id": self.message_id,
            "draft": self.draft, "mailto": self.mailto,
        }
        if self.action == "shown" and self.email is not None:
            out["body"] = self.email.body
        return out


def due_items(items: list) -> list:
    """The email steps among the day's list (a callback is a call, whatever step it interrupted)."""
    return [item for item in items if item.channel == "email" and item.type != "callback"]


def handle_due(
    pipe, items: list, at: datetime, action: str | None = None, folder: Path | None = None,
    opener: Callable[[str], bool] | None = None, password: Callable[[str], str | None] = smtp_password,
    progress: Callable[[Handled], None] | None = None,
) -> list[Handled]:
    """Every due email of `items`: sent (logged `sent` once the server accepted it), drafted into `folder`,
    opened with `opener`, or only rendered (no action). One refusal does not stop the rest; a server that
    fails as a whole (unreachable, login refused) refuses the emails after it without trying them.

    Refuses up front what would refuse them all: no SMTP server or password, no address of yours for a draft.
    """
    if action not in (None, *ACTIONS):
        raise ValueError(action)
    at = pipe.profile.aware(at)
    server = secret = None
    if action == "send":
        server, secret = connection(pipe, password)
    if action == "draft":
        if not pipe.profile.values.get("email", "").strip():
            raise CadenceError("your email address is not set: run `cadence me set email you@example.com`")
        _folder(Path(folder))
    broken: str | None = None
    done: list[Handled] = []
    for item in due_items(items):
        handled = Handled(item.prospect_id, item.name, item.email or "", "refused", step=item.step)
        try:
            if broken:
                raise CadenceError(f"not tried: {broken}")
            email = due_email(pipe, str(item.prospect_id), at)
            handled.subject, handled.step, handled.email = email.subject, email.step, email
            if action == "send":
                _, sent = send_with(pipe, email, at, server, secret)
                handled.action, handled.message_id = "sent", sent["message_id"]
            elif action == "draft":
                handled.draft = str(write_draft(email, folder, at))
                remember_draft(pipe, email, at)
                handled.action, handled.message_id = "drafted", email.message_id
            elif action == "open":
                handled.mailto = email.mailto()
                if not (opener or _default_opener)(handled.mailto):
                    raise CadenceError("no mail program could be opened for its mailto: link")
                handled.action = "opened"
            else:
                handled.mailto, handled.action = email.mailto(), "shown"
        except ServerError as exc:
            broken = str(exc)
            handled.reason = broken
        except CadenceError as exc:
            handled.reason = str(exc)
        done.append(handled)
        if progress is not None:
            progress(handled)
    return done


def _default_opener(url: str) -> bool:
    from cadence.channels.opener import open_link

    return open_link(url)


def _deliver(server: Server, msg: EmailMessage, to: str, password: str | None) -> None:
    """Hand the message to the server; every failure becomes one CadenceError without the password."""
    import smtplib
    import socket
    import ssl

    where = server.where
    try:
        if server.tls == "ssl":
            client = smtplib.SMTP_SSL(server.host, server.port, timeout=server.timeout, context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(server.host, server.port, timeout=server.timeout)
        with client:
            client.ehlo()
            if server.tls == "starttls":
                client.starttls(context=ssl.create_default_context())
                client.ehlo()
            if server.user:
                client.login(server.user, password or "")
            refused = client.send_message(msg, to_addrs=[to])
        if refused:
            raise CadenceError(f"SMTP server {where} refused {to}: {_reply(*refused[to])}; nothing was logged")
    except CadenceError:
        raise
    except smtplib.SMTPAuthenticationError as exc:
        raise ServerError(
            f"SMTP server {where} rejected the login for {server.user} ({_reply(exc.smtp_code, exc.smtp_error)}); "
            f"check the password in {PASSWORD_ENV} or the keyring; nothing was sent"
        ) from None
    except smtplib.SMTPRecipientsRefused as exc:
        reasons = "; ".join(f"{addr}: {_reply(*why)}" for addr, why in exc.recipients.items())
        raise CadenceError(f"SMTP server {where} refused the recipient ({reasons}); nothing was sent or logged") from None
    except smtplib.SMTPSenderRefused as exc:
        raise CadenceError(
            f"SMTP server {where} refused the sender {exc.sender} ({_reply(exc.smtp_code, exc.smtp_error)}); nothing was logged"
        ) from None
    except smtplib.SMTPDataError as exc:
        raise CadenceError(f"SMTP server {where} refused the message ({_reply(exc.smtp_code, exc.smtp_error)}); nothing was logged") from None
    except smtplib.SMTPNotSupportedError as exc:
        hint = " set smtp_tls to ssl or none" if server.tls == "starttls" else ""
        raise ServerError(f"SMTP server {where} does not support what was asked ({exc});{hint}; nothing was sent") from None
    except (socket.timeout, TimeoutError):
        raise ServerError(f"SMTP server {where} did not answer within {server.timeout:g} s; nothing was sent") from None
    except smtplib.SMTPServerDisconnected as exc:
        if isinstance(exc.__context__, TimeoutError) or "timed out" in str(exc):
            raise ServerError(f"SMTP server {where} did not answer within {server.timeout:g} s; nothing was sent") from None
        raise ServerError(f"SMTP server {where} closed the connection ({exc}); nothing was sent") from None
    except smtplib.SMTPException as exc:
        raise CadenceError(f"SMTP server {where} failed: {exc}; nothing was logged") from None
    except ssl.SSLError as exc:
        raise ServerError(f"TLS with {where} failed ({exc.reason or exc}); check smtp_tls and smtp_port; nothing was sent") from None
    except OSError as exc:
        raise ServerError(f"cannot reach SMTP server {where}: {exc.strerror or exc}; nothing was sent") from None


def _reply(code: int, text: bytes | str) -> str:
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(words.split())}"
