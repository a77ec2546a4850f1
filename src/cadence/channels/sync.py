"""`cadence sync`: read new mail (IMAP folders, a Maildir or an mbox) and log what it says.

A reply logs `replied` at the message's date with its subject as the note; a hard
bounce logs `bounced`; a soft bounce is only reported; an out-of-office snoozes the
prospect until the return date it gives (else it is reported); anything else changes
nothing. Every touch logged keeps the Message-ID it came from, so a message is
never logged twice; IMAP folders also remember UIDVALIDITY and the last UID read, so a
second run reads only what is new and an interrupted run resumes. See docs/inbox.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable

from cadence.channels import bounces, inbox, messages
from cadence.errors import CadenceError

CHECKPOINT_EVERY = 100  # messages between two saves of an IMAP folder's last UID


@dataclass
class Line:
    """One message that mattered (or could not be read), and what sync did with it."""

    kind: str
    action: str  # logged, snoozed, reported, already-logged, not-logged, would-log, would-snooze, unreadable
    folder: str
    message_id: str
    date: str | None
    subject: str
    sender: str
    prospect_id: int | None = None
    name: str | None = None
    address: str = ""
    status: str = ""
    until: str | None = None
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Summary:
    dry_run: bool = False
    read: int = 0
    replies: int = 0
    bounces: int = 0
    soft_bounces: int = 0
    out_of_office: int = 0
    ignored: int = 0
    unreadable: int = 0
    already: int = 0
    folders: list[dict[str, Any]] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k != "lines"}
        data["messages"] = [line.to_json() for line in self.lines]
        return data


# ------------------------------------------------------------------ sources


@dataclass
class Batch:
    """The messages of one folder to read: (uid or key, header bytes, how to read the whole message)."""

    folder: str
    items: list[tuple[int, bytes, Callable[[], bytes]]] | None
    total: int
    source: str | None = None  # the mail_sync key of an IMAP folder
    uidvalidity: int = 0


def local_messages(path: Path, kind: str, since: date | None) -> tuple[str, list[tuple[int, bytes, Callable[[], bytes]]]]:
    """The messages of a Maildir (new/ and cur/) or an mbox file; refuses a path that is not one."""
    import mailbox

    path = Path(path)
    if kind == "maildir":
        if not (path / "cur").is_dir() and not (path / "new").is_dir():
            raise CadenceError(f"{path} is not a Maildir (it has no cur/ or new/ folder): give the folder that holds them")
        box = mailbox.Maildir(str(path), factory=None, create=False)
    else:
        if not path.is_file():
            raise CadenceError(f"{path} is not an mbox file: give the file (e.g. ~/mail/Inbox)")
        box = mailbox.mbox(str(path), factory=None, create=False)
    items = []
    try:
        keys = sorted(box.keys(), key=str)
        for number, key in enumerate(keys, 1):
            raw = box.get_bytes(key)
            items.append((number, raw.split(b"\n\n", 1)[0].split(b"\r\n\r\n", 1)[0], lambda raw=raw: raw))
    except (OSError, mailbox.Error) as exc:
        raise CadenceError(f"cannot read {path}: {exc}") from None
    return str(path), items


# ------------------------------------------------------------------ the run


class Syncer:
    def __init__(self, pipe, now: datetime, dry_run: bool = False, progress: Callable[[int, int], None] | None = None):
        from cadence.domain.contacts import normalise_email
        from cadence.store import mailbox

        self.pipe = pipe
        self.now = pipe.profile.aware(now)
        self.today = pipe.profile.local_day(self.now)
        self.dry_run = dry_run
        self.progress = progress or (lambda done, total: None)
        self.summary = Summary(dry_run=dry_run)

        def key(text: str) -> str:
            return normalise_email(text).key

        with pipe.reading() as session:
            emails = mailbox.contacts(session, pipe.scope)
            threads = mailbox.threads(session)
        values = pipe.profile.values
        mine = {key(values.get(k, "")) for k in ("email", "imap_user", "smtp_user") if "@" in values.get(k, "")}
        self.known = inbox.Known(emails=emails, threads=threads, mine=frozenset(mine - {""}), email_key=key)
        self.names: dict[int, str] = {}

    # ------------------------------------------------ reading

    def run_local(self, path: Path, kind: str, since: date | None) -> Summary:
        folder, items = local_messages(path, kind, since)
        self.summary.folders.append({"folder": folder, "messages": len(items)})
        self._read(folder, items, since)
        return self.summary

    def run_imap(self, account, since: date | None, password=None) -> Summary:
        from cadence.channels import imap
        from cadence.store import mailbox as store

        with imap.Mailbox(account, password or imap.imap_password) as box:
            for folder in account.folders:
                validity = box.open(folder)
                source = f"imap://{account.user}@{account.host}:{account.port}/{folder}"
                with self.pipe.reading() as session:
                    where = store.position(session, source)
                after = where.last_uid if where is not None and where.uidvalidity == validity else 0
                uids = box.uids(after, since)
                self.summary.folders.append({"folder": folder, "messages": len(uids), "uidvalidity": validity, "after_uid": after})
                items = ((uid, header, (lambda uid=uid: box.message(uid))) for uid, header in box.headers(uids))
                last = self._read(folder, items, since, total=len(uids), save=lambda uid: self._save(source, validity, uid))
                if last is not None:
                    self._save(source, validity, last)
        return self.summary

    def _save(self, source: str, validity: int, uid: int) -> None:
        from cadence.store import mailbox as store

        if self.dry_run:
            return
        with self.pipe.writing() as session:
            store.move_to(session, source, validity, uid, self.now)

    def _read(self, folder: str, items, since: date | None, total: int | None = None, save=None) -> int | None:
        items = list(items) if total is None else items
        total = len(items) if total is None else total
        last = None
        for done, (uid, header, whole) in enumerate(items, 1):
            self.summary.read += 1
            self._one(folder, uid, header, whole, since)
            last = uid
            if save is not None and done % CHECKPOINT_EVERY == 0:
                save(uid)
            self.progress(done, total)
        return last

    def _one(self, folder: str, uid: int, header: bytes, whole: Callable[[], bytes], since: date | None) -> None:
        try:
            head = messages.parse(header + b"\r\n\r\n")
            if since is not None:
                when = messages.message_date(head)
                if when is not None and when.date() < since:
                    self.summary.ignored += 1
                    return
            if not self._worth_reading(head):
                self.summary.ignored += 1
                return
            finding = inbox.classify(messages.parse(whole()), self.known)
        except CadenceError:
            raise
        except Exception as exc:  # noqa: BLE001 - one unreadable message never stops the sync
            self.summary.unreadable += 1
            self.summary.lines.append(
                Line(kind="unreadable", action="unreadable", folder=folder, message_id="", date=None, subject="", sender="",
                     detail=f"message {uid} in {folder} could not be read ({type(exc).__name__}: {exc}); skipped")
            )
            return
        self._apply(folder, finding)

    def _worth_reading(self, head) -> bool:
        """From the header alone: could this message concern a prospect? Most mail is read no further."""
        sender = messages.sender_address(head)
        if sender and self.known.email_key(sender) in self.known.mine:
            return False
        if self.known.by_address(sender) is not None or bounces.looks_like_bounce(head):
            return True
        ids = messages.message_ids(messages.header_text(head, "In-Reply-To") + " " + messages.header_text(head, "References"))
        return any(i in self.known.threads for i in ids)

    # ------------------------------------------------ acting

    def _apply(self, folder: str, finding: inbox.Finding) -> None:
        from cadence.store import mailbox as store

        line = Line(
            kind=finding.kind, action="reported", folder=folder, message_id=finding.message_id,
            date=finding.date.isoformat() if finding.date else None, subject=finding.subject, sender=finding.sender,
            prospect_id=finding.prospect_id, address=finding.address, status=finding.status,
            until=finding.until.isoformat() if finding.until else None, detail=finding.why,
        )
        if finding.kind == inbox.IGNORED:
            self.summary.ignored += 1
            return
        counter = {inbox.REPLY: "replies", inbox.BOUNCE: "bounces", inbox.SOFT_BOUNCE: "soft_bounces", inbox.OUT_OF_OFFICE: "out_of_office"}[finding.kind]
        setattr(self.summary, counter, getattr(self.summary, counter) + 1)
        self.summary.lines.append(line)
        if finding.prospect_id is not None:
            line.name = self._name(finding.prospect_id)
        if finding.kind == inbox.SOFT_BOUNCE:
            line.detail = f"temporary failure{(' ' + finding.status) if finding.status else ''}: the server keeps trying; nothing logged"
            return
        if finding.prospect_id is None:  # a bounce for an address no prospect has
            line.detail = f"no prospect has the address {finding.address or '(none given)'}; nothing logged"
            return
        with self.pipe.reading() as session:
            if store.logged_message(session, finding.message_id):
                line.action = "already-logged"
                self.summary.already += 1
                return
        at = min(finding.date or self.now, self.now)
        try:
            if finding.kind == inbox.REPLY:
                self._log(line, "replied", at, finding.subject, finding)
            elif finding.kind == inbox.BOUNCE:
                note = f"bounced {finding.status} {finding.why}".strip() if finding.status or finding.why else "bounced"
                self._log(line, "bounced", at, note, finding, force=True)
            elif finding.kind == inbox.OUT_OF_OFFICE:
                self._snooze(line, finding)
        except CadenceError as exc:
            line.action = "not-logged"
            line.detail = str(exc)

    def _log(self, line: Line, outcome: str, at: datetime, note: str, finding: inbox.Finding, force: bool = False) -> None:
        from cadence.domain.engine import Outcome, Status

        from cadence.store import queries
        from cadence.store.models import Prospect

        with self.pipe.reading() as session:
            row = session.get(Prospect, finding.prospect_id)
            last = queries.last_touch(session, finding.prospect_id, None)
        if outcome == "bounced" and row is not None and row.status == Status.NEEDS_FIX.value:
            line.detail = "already needs-fix; nothing logged"
            return
        if outcome == "replied" and last is not None and last.outcome == "replied":
            line.detail = "their reply is logged already (no touch since); nothing logged"
            return
        if self.dry_run:
            line.action = "would-log"
            return
        logged = self.pipe.log(str(finding.prospect_id), Outcome(outcome), at, note=note[:500], force=force, message_id=finding.message_id)
        line.action = "logged"
        line.detail = f"now {logged.status}" + (" (after fire)" if logged.after_fire else "")
        self.known.threads.setdefault(finding.message_id, finding.prospect_id)

    def _snooze(self, line: Line, finding: inbox.Finding) -> None:
        from cadence.pipeline import planning
        from cadence.store.models import Prospect

        from cadence.domain import dates

        with self.pipe.reading() as session:
            row = session.get(Prospect, finding.prospect_id)
            status = row.status if row is not None else None
            plan = self.pipe.plan_of(row) if row is not None else None
        if finding.until is not None:  # back on a Saturday: on the list the next working day
            finding.until = dates.on_working_day(finding.until, self.pipe.calendar_for(plan), self.pipe.profile.days_off)
            line.until = finding.until.isoformat()
        if finding.until is None:
            line.detail = "no return date in the text; nothing changed"
            return
        if finding.until <= self.today:
            line.detail = f"back on {finding.until.isoformat()} already; nothing changed"
            return
        if status not in ("active", "snoozed"):
            line.detail = f"is {status}: not snoozed"
            return
        if self.dry_run:
            line.action = "would-snooze"
            return
        result = planning.snooze(self.pipe, str(finding.prospect_id), finding.until, self.today)
        line.action = "snoozed"
        line.detail = f"snoozed until {result['next_due']}"

    def _name(self, prospect_id: int) -> str | None:
        if prospect_id not in self.names:
            from cadence.domain.contacts import full_name
            from cadence.store.models import Prospect

            with self.pipe.reading() as session:
                row = session.get(Prospect, prospect_id)
                self.names[prospect_id] = full_name(row.first_name, row.last_name) if row is not None else None
        return self.names[prospect_id]
