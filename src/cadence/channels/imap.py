"""The seller's mailbox over IMAP (the standard library's imaplib), read-only.

Settings come from the profile (`imap_host`, `imap_port`, `imap_tls`, `imap_user`,
`imap_folders`, `imap_timeout`); the password from $CADENCE_IMAP_PASSWORD or the
system keyring (service `cadence`, the IMAP user), never stored or printed.
Every failure becomes one CadenceError naming the server and what to fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Callable, Iterator

from cadence.channels.messages import BODY_LIMIT
from cadence.channels.servers import KEYRING_SERVICE, password, port_and_timeout
from cadence.errors import CadenceError

PASSWORD_ENV = "CADENCE_IMAP_PASSWORD"
TLS_MODES = ("ssl", "starttls", "none")
DEFAULT_PORTS = {"ssl": 993, "starttls": 143, "none": 143}
DEFAULT_TIMEOUT = 30.0
BATCH = 250  # UIDs whose headers one FETCH asks for


@dataclass(frozen=True)
class Account:
    host: str
    port: int
    tls: str
    user: str
    folders: tuple[str, ...]
    timeout: float

    @classmethod
    def from_profile(cls, values: dict[str, str]) -> "Account":
        """The IMAP settings; refuses a missing host or user, a malformed port, TLS mode or timeout."""
        host = values.get("imap_host", "").strip()
        if not host:
            raise CadenceError(
                "no IMAP server set: run `cadence me set imap_host imap.example.com` and `cadence me set imap_user you@example.com` "
                "(or read a local copy with --maildir DIR / --mbox FILE)"
            )
        user = values.get("imap_user", "").strip()
        if not user:
            raise CadenceError("no IMAP user set: run `cadence me set imap_user you@example.com`")
        tls = values.get("imap_tls", "ssl").strip().lower() or "ssl"
        if tls not in TLS_MODES:
            raise CadenceError(f"imap_tls {tls!r} is not ssl, starttls or none: run `cadence me set imap_tls ssl`")
        port, timeout = port_and_timeout(values, "imap", tls, DEFAULT_PORTS, 993, DEFAULT_TIMEOUT)
        folders = tuple(f.strip() for f in values.get("imap_folders", "INBOX").split(",") if f.strip()) or ("INBOX",)
        return cls(host=host, port=port, tls=tls, user=user, folders=folders, timeout=timeout)

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


def imap_password(user: str) -> str | None:
    """$CADENCE_IMAP_PASSWORD, else the keyring entry (service `cadence`, the user), else None."""
    return password(PASSWORD_ENV, user)


class Mailbox:
    """A logged-in, read-only IMAP connection; use as a context manager."""

    def __init__(self, account: Account, password: Callable[[str], str | None] = imap_password):
        self.account = account
        self._password = password
        self.client = None

    def __enter__(self) -> "Mailbox":
        import imaplib
        import socket
        import ssl

        account, where = self.account, self.account.where
        secret = self._password(account.user)
        if not secret:
            raise CadenceError(
                f"no IMAP password for {account.user}: set {PASSWORD_ENV} or store it with `keyring set {KEYRING_SERVICE} {account.user}`"
            )
        try:
            if account.tls == "ssl":
                self.client = imaplib.IMAP4_SSL(account.host, account.port, ssl_context=ssl.create_default_context(), timeout=account.timeout)
            else:
                self.client = imaplib.IMAP4(account.host, account.port, timeout=account.timeout)
                if account.tls == "starttls":
                    self.client.starttls(ssl_context=ssl.create_default_context())
        except ssl.SSLCertVerificationError as exc:
            raise CadenceError(
                f"the TLS certificate of IMAP server {where} is not trusted ({exc.verify_message or exc.reason}); "
                "install its CA certificate (or point SSL_CERT_FILE at it); nothing was read"
            ) from None
        except ssl.SSLError as exc:
            raise CadenceError(f"TLS with IMAP server {where} failed ({exc.reason or exc}); check imap_tls and imap_port; nothing was read") from None
        except (socket.timeout, TimeoutError):
            raise CadenceError(f"IMAP server {where} did not answer within {account.timeout:g} s; nothing was read") from None
        except imaplib.IMAP4.error as exc:
            raise CadenceError(f"IMAP server {where} failed: {_text(exc)}; check imap_tls and imap_port; nothing was read") from None
        except OSError as exc:
            raise CadenceError(f"cannot reach IMAP server {where}: {exc.strerror or exc}; nothing was read") from None
        try:
            self.client.login(account.user, secret)
        except imaplib.IMAP4.error as exc:
            self._close()
            raise CadenceError(
                f"IMAP server {where} rejected the login for {account.user} ({_text(exc)}); "
                f"check the password in {PASSWORD_ENV} or the keyring; nothing was read"
            ) from None
        except OSError as exc:
            self._close()
            raise CadenceError(f"IMAP server {where} closed the connection at login ({exc}); nothing was read") from None
        return self

    def __exit__(self, *exc) -> None:
        if self.client is not None:
            try:
                self.client.logout()
            except Exception:  # noqa: BLE001 - leaving anyway
                pass
            self.client = None

    def _close(self) -> None:
        try:
            self.client.shutdown()
        except Exception:  # noqa: BLE001
            pass
        self.client = None

    def _call(self, what: str, *args):
        """One IMAP command; a NO/BAD answer or a broken connection becomes a CadenceError."""
        import imaplib

        try:
            typ, data = getattr(self.client, what)(*args)
        except imaplib.IMAP4.error as exc:
            raise CadenceError(f"IMAP server {self.account.where} refused {what.upper()} ({_text(exc)})") from None
        except OSError as exc:
            raise CadenceError(f"IMAP server {self.account.where} closed the connection ({exc}); run `cadence sync` again to resume") from None
        if typ != "OK":
            raise CadenceError(f"IMAP server {self.account.where} refused {what.upper()} ({_text(data)})")
        return data

    def folders(self) -> list[str]:
        names = []
        for line in self._call("list"):
            if isinstance(line, bytes):
                found = re.search(rb'(?:"([^"]*)"|(\S+))$', line)
                if found:
                    names.append((found.group(1) or found.group(2)).decode("utf-8", "replace"))
        return names

    def open(self, folder: str) -> int:
        """Select `folder` read-only; its UIDVALIDITY. Refuses a folder that does not exist, naming those that do."""
        import imaplib

        try:
            typ, data = self.client.select(_quote(folder), readonly=True)
        except imaplib.IMAP4.error as exc:
            typ, data = "NO", [str(exc).encode()]
        if typ != "OK":
            known = ", ".join(self.folders()) or "none"
            raise CadenceError(
                f"folder {folder!r} does not exist on IMAP server {self.account.where} (its folders: {known}); "
                "fix it with `cadence me set imap_folders INBOX`"
            )
        validity = self.client.response("UIDVALIDITY")[1]
        return int(validity[0]) if validity and validity[0] else 0

    def uids(self, after: int, since: date | None) -> list[int]:
        criteria = ["UID", f"{after + 1}:*"]
        if since is not None:
            criteria += ["SINCE", _imap_date(since)]
        data = self._call("uid", "SEARCH", *criteria)
        found = [int(x) for x in (data[0] or b"").split()]
        return sorted(uid for uid in found if uid > after)

    def headers(self, uids: list[int]) -> Iterator[tuple[int, bytes]]:
        """(UID, header bytes) of each message, fetched in batches."""
        for start in range(0, len(uids), BATCH):
            chunk = uids[start : start + BATCH]
            data = self._call("uid", "FETCH", ",".join(map(str, chunk)), "(UID BODY.PEEK[HEADER])")
            got = {}
            for item in data:
                if isinstance(item, tuple):
                    found = re.search(rb"UID (\d+)", item[0])
                    if found:
                        got[int(found.group(1))] = item[1]
            for uid in chunk:
                if uid in got:
                    yield uid, got[uid]

    def message(self, uid: int) -> bytes:
        """The message's first BODY_LIMIT bytes (header and the top of the body)."""
        data = self._call("uid", "FETCH", str(uid), f"(BODY.PEEK[]<0.{BODY_LIMIT}>)")
        for item in data:
            if isinstance(item, tuple):
                return item[1]
        return b""


def _quote(folder: str) -> str:
    if re.fullmatch(r"[A-Za-z0-9_./-]+", folder):
        return folder
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _imap_date(day: date) -> str:
    months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    return f"{day.day}-{months[day.month - 1]}-{day.year}"


def _text(value) -> str:
    if isinstance(value, (list, tuple)):
        value = b" ".join(v if isinstance(v, bytes) else str(v).encode() for v in value if v)
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return " ".join(str(value).split())
