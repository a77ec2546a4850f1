"""Realistic mail for the `cadence sync` tests, and a throwaway Dovecot IMAP server on 127.0.0.1."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import time
from pathlib import Path

SELLER = "sam@seller.example"
SENT_ID = "<step3.ana@seller.example>"  # the Message-ID cadence gave the email to Ana


def msg(headers: dict[str, str], body: str) -> bytes:
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return (head + "\r\n" + body.replace("\n", "\r\n")).encode("utf-8")


def reply_quoting(prospect: str = "Ana López <ana@crescent.example>", mid: str = "<reply1@crescent.example>", in_reply_to: str = SENT_ID,
                  date: str = "Thu, 26 Nov 2026 09:12:00 -0500") -> bytes:
    return msg(
        {"From": prospect, "To": f"Sam Seller <{SELLER}>", "Subject": "Re: Crescent Print and faster proofs", "Date": date,
         "Message-ID": mid, "In-Reply-To": in_reply_to, "References": in_reply_to, "MIME-Version": "1.0",
         "Content-Type": "text/plain; charset=utf-8"},
        "Hi Sam,\n\nYes, Thursday works. Call me at 10.\n\nAna\n\nOn Wed, 25 Nov 2026, Sam Seller wrote:\n> Hi Ana,\n> Would faster proofs help Crescent Print?\n",
    )


def colleague_reply() -> bytes:
    """Ana's colleague answers in the same thread, from an address no prospect has."""
    return msg(
        {"From": "Luis Ortega <luis@crescent.example>", "To": SELLER, "Cc": "ana@crescent.example",
         "Subject": "Re: Crescent Print and faster proofs", "Date": "Thu, 26 Nov 2026 11:00:00 -0500",
         "Message-ID": "<luis1@crescent.example>", "In-Reply-To": SENT_ID, "References": SENT_ID},
        "Ana is out today; I handle purchasing. Let's talk.\n",
    )


def postfix_bounce(rcpt: str = "bob@gone.example", status: str = "5.1.1", action: str = "failed") -> bytes:
    return msg(
        {"From": "MAILER-DAEMON@mx.seller.example (Mail Delivery System)", "To": SELLER,
         "Subject": "Undelivered Mail Returned to Sender", "Date": "Thu, 26 Nov 2026 10:00:01 +0000",
         "Message-ID": f"<pf.{rcpt}.{status}@mx.seller.example>", "Auto-Submitted": "auto-replied", "MIME-Version": "1.0",
         "Content-Type": 'multipart/report; report-type=delivery-status; boundary="B1"'},
        "--B1\nContent-Description: Notification\nContent-Type: text/plain; charset=us-ascii\n\n"
        "This is the mail system at host mx.seller.example.\n\nI'm sorry to have to inform you that your message could not\n"
        f"be delivered to one or more recipients.\n\n<{rcpt}>: host mx.gone.example[203.0.113.5] said: 550 {status}\n"
        "    <" + rcpt + ">: Recipient address rejected: User unknown (in reply to RCPT TO command)\n\n"
        "--B1\nContent-Description: Delivery report\nContent-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; mx.seller.example\nArrival-Date: Thu, 26 Nov 2026 10:00:00 +0000\n\n"
        f"Final-Recipient: rfc822; {rcpt}\nOriginal-Recipient: rfc822;{rcpt}\nAction: {action}\nStatus: {status}\n"
        f"Diagnostic-Code: smtp; 550 {status} <{rcpt}>: Recipient address rejected: User unknown\n\n"
        "--B1\nContent-Description: Undelivered Message Headers\nContent-Type: text/rfc822-headers\n\n"
        f"From: {SELLER}\nTo: {rcpt}\nSubject: Quick question\nMessage-ID: <step1.bob@seller.example>\n\n--B1--\n",
    )


def exim_bounce(rcpt: str = "carla@closed.example") -> bytes:
    return msg(
        {"From": "Mail Delivery System <Mailer-Daemon@mail.seller.example>", "To": SELLER,
         "Subject": "Mail delivery failed: returning message to sender", "Date": "Thu, 26 Nov 2026 10:05:00 +0000",
         "Message-ID": "<E1exim-0001@mail.seller.example>", "X-Failed-Recipients": rcpt, "Auto-Submitted": "auto-replied"},
        "This message was created automatically by mail delivery software.\n\n"
        "A message that you sent could not be delivered to one or more of its\nrecipients. This is a permanent error. The following address(es) failed:\n\n"
        f"  {rcpt}\n    host mx.closed.example [198.51.100.7]\n    SMTP error from remote mail server after RCPT TO:<{rcpt}>:\n"
        "    550 5.1.1 mailbox unavailable\n\n------ This is a copy of the message, including all the headers. ------\n\n"
        f"From: {SELLER}\nTo: {rcpt}\nSubject: Quick question\n",
    )


def gmail_bounce(rcpt: str = "dan@old.example", status: str = "5.1.1") -> bytes:
    return msg(
        {"From": "Mail Delivery Subsystem <mailer-daemon@googlemail.com>", "To": SELLER,
         "Subject": "Delivery Status Notification (Failure)", "Date": "Thu, 26 Nov 2026 10:06:00 +0000",
         "Message-ID": "<gm1@mx.google.com>", "Auto-Submitted": "auto-replied", "MIME-Version": "1.0",
         "Content-Type": 'multipart/report; boundary="G1"; report-type=delivery-status'},
        "--G1\nContent-Type: multipart/related; boundary=\"G2\"\n\n--G2\nContent-Type: multipart/alternative; boundary=\"G3\"\n\n"
        "--G3\nContent-Type: text/plain; charset=UTF-8\n\n\n** Address not found **\n\n"
        f"Your message wasn't delivered to {rcpt} because the address couldn't be found, or is unable to receive mail.\n\n"
        f"The response from the remote server was:\n550 {status} The email account that you tried to reach does not exist.\n\n"
        "--G3--\n\n--G2--\n\n--G1\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; googlemail.com\n\n"
        f"Final-Recipient: rfc822; {rcpt}\nAction: failed\nStatus: {status}\nRemote-MTA: dns; mx.old.example.\n"
        f"Diagnostic-Code: smtp; 550-{status} The email account that you tried to reach does not exist.\n\n--G1--\n",
    )


def exchange_bounce(rcpt: str = "eve@corp.example") -> bytes:
    """Exchange / Office 365: an HTML notice and a DSN with an X-Display-Name, subject "Undeliverable: ..."."""
    return msg(
        {"From": "postmaster@corp.example", "To": SELLER, "Subject": "Undeliverable: Quick question",
         "Date": "Thu, 26 Nov 2026 10:07:00 +0000", "Message-ID": "<ex1@corp.example>", "MIME-Version": "1.0",
         "Content-Type": 'multipart/report; report-type=delivery-status; boundary="E1"', "X-MS-Exchange-Message-Is-Ndr": ""},
        "--E1\nContent-Type: multipart/alternative; differences=Content-Type; boundary=\"E2\"\n\n--E2\nContent-Type: text/html; charset=us-ascii\n\n"
        f"<html><body><b>Your message to {rcpt} couldn't be delivered.</b><p>eve wasn't found at corp.example.</p>"
        "<p>Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup'</p></body></html>\n"
        "--E2--\n\n--E1\nContent-Type: message/delivery-status\n\nReporting-MTA: dns;EX01.corp.example\n\n"
        f"Final-recipient: RFC822; {rcpt}\nAction: failed\nStatus: 5.1.10\n"
        "Diagnostic-code: smtp; 550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup\n"
        f"X-Display-Name: {rcpt}\n\n--E1--\n",
    )


def delayed_notice(rcpt: str = "fay@slow.example") -> bytes:
    """Postfix's warning: still trying (4.4.1): a soft bounce."""
    return postfix_bounce(rcpt, "4.4.1", "delayed").replace(b"Undelivered Mail Returned to Sender", b"Delayed Mail (still being retried)")


def out_of_office(sender: str, subject: str, body: str, mid: str, headers: dict[str, str] | None = None) -> bytes:
    base = {"From": sender, "To": SELLER, "Subject": subject, "Date": "Thu, 26 Nov 2026 08:00:00 +0100", "Message-ID": mid,
            "Auto-Submitted": "auto-replied", "Content-Type": "text/plain; charset=utf-8"}
    base.update(headers or {})
    return msg(base, body)


def newsletter(n: int = 1) -> bytes:
    return msg(
        {"From": "Print Weekly <news@printweekly.example>", "To": SELLER, "Subject": f"This week in print #{n}",
         "Date": "Thu, 26 Nov 2026 06:00:00 +0000", "Message-ID": f"<nl{n}@printweekly.example>", "Precedence": "bulk",
         "List-Unsubscribe": "<mailto:unsub@printweekly.example>"},
        "Ten things about ink.\n" * 20,
    )


def irrelevant(n: int) -> bytes:
    return msg(
        {"From": f"Person {n} <p{n}@elsewhere{n % 97}.example>", "To": SELLER, "Subject": f"Lunch on {n % 28 + 1}?",
         "Date": "Thu, 26 Nov 2026 06:00:00 +0000", "Message-ID": f"<irr{n}@elsewhere.example>"},
        "Are you free?\n" * 5,
    )


# ------------------------------------------------------------------ Dovecot


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Dovecot:
    """A Dovecot on 127.0.0.1 with one passwd-file user and a Maildir; messages are APPENDed over IMAP."""

    USER = "sam"
    PASSWORD = "imap-Pa55-word"

    def __init__(self, root: Path, tls_cert: tuple[Path, Path] | None = None):
        self.root = root
        self.port = free_port()
        self.tls_port = free_port()
        self.tls_cert = tls_cert
        self.process: subprocess.Popen | None = None

    def start(self) -> "Dovecot":
        root = self.root
        for sub in ("run", "state", "home"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            mail_user = pwd.getpwnam("dovecot") if _has_user("dovecot") else pwd.getpwnam("nobody")
            internal, login = mail_user.pw_name, ("dovenull" if _has_user("dovenull") else mail_user.pw_name)
        else:
            mail_user = pwd.getpwuid(os.geteuid())
            internal = login = mail_user.pw_name
        (root / "passwd").write_text(f"{self.USER}:{{PLAIN}}{self.PASSWORD}:{mail_user.pw_uid}:{mail_user.pw_gid}::{root}/home/{self.USER}\n")
        ssl = "ssl = no\n"
        if self.tls_cert:
            cert, key = self.tls_cert
            ssl = f"ssl = yes\nssl_cert = <{cert}\nssl_key = <{key}\n"
        (root / "dovecot.conf").write_text(
            f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
default_internal_user = {internal}
default_login_user = {login}
first_valid_uid = {min(mail_user.pw_uid, 1)}
disable_plaintext_auth = no
auth_mechanisms = plain login
{ssl}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/passwd
}}
mail_location = maildir:~/Maildir
namespace inbox {{
  inbox = yes
  separator = /
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.tls_port if self.tls_cert else 0}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"""
        )
        home = root / "home" / self.USER
        home.mkdir(parents=True, exist_ok=True)
        for path in (root, root / "home", home):
            os.chown(path, mail_user.pw_uid, mail_user.pw_gid) if os.geteuid() == 0 else None
        os.chmod(root / "passwd", 0o644)
        self.process = subprocess.Popen([dovecot_binary(), "-F", "-c", str(root / "dovecot.conf")], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                out = self.process.stdout.read().decode(errors="replace")
                log = (root / "dovecot.log").read_text(errors="replace") if (root / "dovecot.log").exists() else ""
                raise RuntimeError(f"dovecot did not start: {out}\n{log}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("dovecot did not listen within 20 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.root, ignore_errors=True)

    def append(self, messages: list[bytes], folder: str = "INBOX") -> None:
        import imaplib

        client = imaplib.IMAP4("127.0.0.1", self.port)
        client.login(self.USER, self.PASSWORD)
        if folder != "INBOX":
            client.create(folder)
        for raw in messages:
            typ, data = client.append(folder, None, None, raw)
            assert typ == "OK", data
        client.logout()

    def profile(self, cli, tls: str = "none", folders: str = "INBOX") -> None:
        cli("me", "set", "imap_host", "127.0.0.1")
        cli("me", "set", "imap_port", str(self.tls_port if tls == "ssl" else self.port))
        cli("me", "set", "imap_tls", tls)
        cli("me", "set", "imap_user", self.USER)
        cli("me", "set", "imap_folders", folders)


def server_folder() -> Path:
    """A folder Dovecot's own users can reach (pytest's tmp folders are private to the test's user)."""
    import tempfile

    root = Path(tempfile.mkdtemp(prefix="cadence-dovecot-"))
    root.chmod(0o755)
    return root


def dovecot_binary() -> str | None:
    return shutil.which("dovecot") or (("/usr/sbin/dovecot") if Path("/usr/sbin/dovecot").exists() else None)


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (openssl), so TLS works but is not trusted."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )
    os.chmod(key, 0o644)
    return cert, key
