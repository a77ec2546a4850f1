"""`cadence email`: drafts, mailto links, and sending through a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
import time
from email import message_from_bytes, policy
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

EMAIL_DAY = "2026-11-25T10:00"  # five-touch-fire's step 3 (email) for a start on Monday 23 November
PASSWORD = "s3cret-Pa55"


@pytest.fixture
def ana(cli):
    """Ana, at the email step of five-touch-fire; the profile has a name and an address."""
    cli("me", "set", "name", "Sam Seller")
    cli("me", "set", "email", "sam@seller.example")
    cli("me", "set", "company", "Seller & Co")
    pid = cli("add", "--first", "Ana María", "--last", "López", "--company", "Crescent Print", "--email", "ana@crescent.example",
              "--phone", "+1 617 555 0109", "--start", "2026-11-23").stdout.strip()
    cli("log", pid, "vm", "--at", "2026-11-23T10:00")
    cli("log", pid, "na", "--at", "2026-11-24T10:00")
    return pid


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Recorder:
    """An aiosmtpd handler that keeps what it accepts, or refuses at RCPT or DATA."""

    def __init__(self, refuse_rcpt: str | None = None, refuse_data: str | None = None):
        self.refuse_rcpt = refuse_rcpt
        self.refuse_data = refuse_data
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse_rcpt:
            return self.refuse_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.refuse_data:
            return self.refuse_data
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp(cli):
    """Starts an SMTP server on 127.0.0.1 and points the profile at it: smtp(handler, auth=False)."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    started = []

    def start(handler: Recorder | None = None, auth: bool = False) -> Recorder:
        handler = handler or Recorder()
        options = {}
        if auth:
            def check(server, session, envelope, mechanism, data):
                ok = data.login == b"sam" and data.password == PASSWORD.encode()
                return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535

            options = {"authenticator": check, "auth_require_tls": False}
        port = free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port, **options)
        controller.start()
        started.append(controller)
        cli("me", "set", "smtp_host", "127.0.0.1")
        cli("me", "set", "smtp_port", str(port))
        cli("me", "set", "smtp_tls", "none")
        if auth:
            cli("me", "set", "smtp_user", "sam")
        return handler

    yield start
    for controller in started:
        controller.stop()


def touches(cli, pid: str) -> list[tuple[str, int | None]]:
    return [(t["outcome"], t["step"]) for t in cli.json("show", pid)["touches"]]


def test_send_delivers_the_rendered_email_then_logs_it_as_sent(cli, ana, smtp):
    server = smtp()
    result = cli("email", ana, "--send", "--at", EMAIL_DAY)
    assert result.stdout.startswith("Sent to ana@crescent.example via 127.0.0.1:")
    assert result.stdout.endswith("; logged step 3 as sent.\n")
    [(sender, recipients, raw)] = server.messages
    assert (sender, recipients) == ("sam@seller.example", ["ana@crescent.example"])
    msg = message_from_bytes(raw, policy=policy.default)
    assert msg["From"] == "Sam Seller <sam@seller.example>"
    assert msg["To"] == "Ana María López <ana@crescent.example>"
    assert msg["Subject"] == "Crescent Print: a short question"
    assert msg["Date"] == "Wed, 25 Nov 2026 10:00:00 +0000"
    assert msg["Message-ID"].endswith("@seller.example>")
    body = msg.get_content().replace("\r\n", "\n")  # SMTP carries CRLF line ends
    assert body.startswith("Hi Ana María,\n")
    assert "At Seller & Co we help companies like Crescent Print" in body
    assert touches(cli, ana)[-1] == ("sent", 3)
    shown = cli.json("show", ana)
    assert (shown["next_step"], shown["next_due"]) == (4, "2026-11-27")
    assert shown["touches"][-1]["note"] == f"emailed via 127.0.0.1, Message-ID {msg['Message-ID']}"


def test_send_with_a_login(cli, ana, smtp, monkeypatch):
    server = smtp(auth=True)
    monkeypatch.setenv("CADENCE_SMTP_PASSWORD", PASSWORD)
    sent = cli.json("email", ana, "--send", "--at", EMAIL_DAY)["sent"]
    assert (sent["outcome"], sent["step"], sent["next_step"]) == ("sent", 3, 4)
    assert len(server.messages) == 1


def test_a_wrong_password_is_refused_and_never_printed(cli, ana, smtp, monkeypatch):
    server = smtp(auth=True)
    monkeypatch.setenv("CADENCE_SMTP_PASSWORD", "wrong-" + PASSWORD)
    result = cli("email", ana, "--send", "--at", EMAIL_DAY, ok=False)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: SMTP server 127.0.0.1:")
    assert "rejected the login for sam (535 5.7.8 Authentication credentials invalid); check the password in CADENCE_SMTP_PASSWORD or the keyring; nothing was sent\n" in result.stderr
    assert PASSWORD not in result.stdout + result.stderr
    assert server.messages == []
    assert touches(cli, ana) == [("voicemail", 1), ("no-answer", 2)]


def test_no_password_at_all_is_refused_before_connecting(cli, ana, smtp, monkeypatch):
    smtp(auth=True)
    monkeypatch.delenv("CADENCE_SMTP_PASSWORD", raising=False)
    monkeypatch.setattr("cadence.channels.mail.smtp_password", lambda user: None)
    result = cli("email", ana, "--send", "--at", EMAIL_DAY, ok=False)
    assert result.stderr == "error: no SMTP password for sam: set CADENCE_SMTP_PASSWORD or store it with `keyring set cadence sam`\n"


def test_a_server_that_refuses_the_message_logs_nothing(cli, ana, smtp):
    server = smtp(Recorder(refuse_data="554 5.7.1 Message rejected as spam"))
    result = cli("email", ana, "--send", "--at", EMAIL_DAY, ok=False)
    assert result.exit_code == 1
    assert result.stderr.endswith("refused the message (554 5.7.1 Message rejected as spam); nothing was logged\n")
    assert server.messages == []
    assert touches(cli, ana) == [("voicemail", 1), ("no-answer", 2)]
    assert cli.json("show", ana)["next_step"] == 3


def test_a_refused_recipient_logs_nothing(cli, ana, smtp):
    smtp(Recorder(refuse_rcpt="550 5.1.1 Mailbox unavailable"))
    result = cli("email", ana, "--send", "--at", EMAIL_DAY, ok=False)
    assert result.exit_code == 1
    assert result.stderr.endswith("refused the recipient (ana@crescent.example: 550 5.1.1 Mailbox unavailable); nothing was sent or logged\n")
    assert touches(cli, ana) == [("voicemail", 1), ("no-answer", 2)]


def test_a_server_that_never_answers_times_out(cli, ana):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    accepted = []
    thread = threading.Thread(target=lambda: accepted.append(listener.accept()), daemon=True)
    thread.start()
    cli("me", "set", "smtp_host", "127.0.0.1")
    cli("me", "set", "smtp_port", str(listener.getsockname()[1]))
    cli("me", "set", "smtp_tls", "none")
    cli("me", "set", "smtp_timeout", "0.5")
    began = time.monotonic()
    result = cli("email", ana, "--send", "--at", EMAIL_DAY, ok=False)
    assert time.monotonic() - began < 5
    assert result.stderr == f"error: SMTP server 127.0.0.1:{listener.getsockname()[1]} did not answer within 0.5 s; nothing was sent\n"
    assert touches(cli, ana) == [("voicemail", 1), ("no-answer", 2)]
    for connection, _ in accepted:
        connection.close()
    listener.close()


def test_no_server_listening(cli, ana):
    port = free_port()
    cli("me", "set", "smtp_host", "127.0.0.1")
    cli("me", "set", "smtp_port", str(port))
    cli("me", "set", "smtp_tls", "none")
    result = cli("email", ana, "--send", "--at", EMAIL_DAY, ok=False)
    assert result.stderr == f"error: cannot reach SMTP server 127.0.0.1:{port}: Connection refused; nothing was sent\n"


def test_starttls_asked_but_not_offered(cli, ana, smtp):
    smtp()
    cli("me", "set", "smtp_tls", "starttls")
    result = cli("email", ana, "--send", "--at", EMAIL_DAY, ok=False)
    assert "does not support what was asked (STARTTLS extension not supported by server.); set smtp_tls to ssl or none; nothing was sent" in result.stderr
    assert touches(cli, ana) == [("voicemail", 1), ("no-answer", 2)]


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("smtp_tls", "tls", "smtp_tls 'tls' is not none, starttls or ssl"),
        ("smtp_port", "smtp", "smtp_port 'smtp' is not a port number"),
        ("smtp_timeout", "soon", "smtp_timeout 'soon' is not a number of seconds"),
    ],
)
def test_bad_smtp_settings_are_named(cli, ana, key, value, message):
    cli("me", "set", "smtp_host", "127.0.0.1")
    cli("me", "set", key, value)
    result = cli("email", ana, "--send", "--at", EMAIL_DAY, ok=False)
    assert message in result.stderr


def test_no_smtp_host(cli, ana):
    result = cli("email", ana, "--send", "--at", EMAIL_DAY, ok=False)
    assert result.stderr.startswith("error: no SMTP server set: run `cadence me set smtp_host")


def test_draft_is_a_standard_eml_file(cli, ana, tmp_path):
    result = cli("email", ana, "--draft", tmp_path / "drafts", "--at", EMAIL_DAY)
    path = tmp_path / "drafts" / f"{ana}-ana-maria-lopez-five-touch-fire-step3.eml"
    assert result.stdout == f"Draft written to {path} (not sent, nothing logged).\n"
    raw = path.read_bytes()
    assert raw.isascii() and b"\r\n" not in raw.replace(b"\r\n", b"")
    msg = message_from_bytes(raw, policy=policy.default)
    assert (msg["From"], msg["To"], msg["Subject"]) == ("Sam Seller <sam@seller.example>", "Ana María López <ana@crescent.example>", "Crescent Print: a short question")
    assert (msg["Date"], msg["X-Unsent"]) == ("Wed, 25 Nov 2026 10:00:00 +0000", "1")
    assert msg["Message-ID"].startswith("<") and msg["Message-ID"].endswith("@seller.example>")
    assert msg.get_content_charset() == "utf-8"
    assert msg.get_content().startswith("Hi Ana María,\n")
    assert touches(cli, ana) == [("voicemail", 1), ("no-answer", 2)]


def test_draft_of_a_fire_step_sent_by_email(cli, tmp_path):
    cli("me", "set", "email", "sam@seller.example")
    pid = cli("add", "--first", "Tom", "--email", "tom@copper.example", "--phone", "+1 212 555 0111", "--cadence", "three-voicemails", "--start", "2026-11-23").stdout.strip()
    for day in ("2026-11-23", "2026-11-24", "2026-11-25"):
        cli("log", pid, "vm", "--at", f"{day}T10:00")
    view = cli.json("email", pid, "--draft", tmp_path, "--at", "2026-11-26T09:00")
    assert (view["step"], view["steps"], view["cadence"]) == (4, 4, "three-voicemails")
    msg = message_from_bytes((tmp_path / f"{pid}-tom-three-voicemails-step4.eml").read_bytes(), policy=policy.default)
    assert msg["Subject"] == view["subject"] and msg.get_content().strip() == view["body"]


def test_open_gives_a_percent_encoded_mailto_link(cli, ana, monkeypatch):
    opened = []
    monkeypatch.setattr("webbrowser.open", lambda url: opened.append(url) or True)
    result = cli("email", ana, "--open", "--at", EMAIL_DAY)
    [link] = opened
    assert result.stdout == link + "\n"
    parts = urlsplit(link)
    assert (parts.scheme, unquote(parts.path)) == ("mailto", "ana@crescent.example")
    assert " " not in link and "\n" not in link and "+" not in parts.query
    query = parse_qs(parts.query)
    assert query["subject"] == ["Crescent Print: a short question"]
    assert query["body"][0].startswith("Hi Ana María,\r\n\r\nI've called")
    assert "Seller & Co" in query["body"][0]
    assert touches(cli, ana) == [("voicemail", 1), ("no-answer", 2)]


def test_print_shows_the_email(cli, ana):
    out = cli("email", ana, "--at", EMAIL_DAY).stdout
    assert out.startswith("To: Ana María López <ana@crescent.example>\nFrom: Sam Seller <sam@seller.example>\nSubject: Crescent Print: a short question\n\nHi Ana María,\n")


def test_refuses_a_prospect_without_email(cli):
    pid = cli("add", "--first", "Kevin", "--phone", "+1 503 555 0186", "--start", "2026-11-23").stdout.strip()
    result = cli("email", pid, "--draft", "x", "--at", EMAIL_DAY, ok=False)
    assert result.stderr == f"error: #{pid} Kevin has no email address: add one before using an email step\n"


def test_refuses_a_bounced_address(cli, ana):
    cli("log", ana, "bounced", "--at", EMAIL_DAY)
    result = cli("email", ana, "--send", "--at", EMAIL_DAY, ok=False)
    assert result.exit_code == 1
    assert result.stderr == f"error: #{ana} Ana María López is needs-fix: their last email bounced (or a number was bad); correct the address before emailing\n"


def test_refuses_when_the_due_step_is_a_call(cli, ana):
    cli("log", ana, "sent", "--at", EMAIL_DAY)
    result = cli("email", ana, "--at", "2026-11-27T10:00", ok=False)
    assert result.stderr == f"error: #{ana} Ana María López's next step (4 of 5) is a call, not an email\n"


def test_refuses_before_the_email_is_due(cli, ana):
    result = cli("email", ana, "--draft", "x", "--at", "2026-11-24T18:00", ok=False)
    assert result.stderr == f"error: #{ana} Ana María López's email (step 3) is not due until 2026-11-25\n"


def test_refuses_a_fired_prospect(cli):
    pid = cli("add", "--first", "Lee", "--email", "lee@x.example", "--phone", "+1 212 555 0111", "--cadence", "three-voicemails", "--start", "2026-11-23").stdout.strip()
    for day, outcome in (("2026-11-23", "vm"), ("2026-11-24", "vm"), ("2026-11-25", "vm"), ("2026-11-26", "sent")):
        cli("log", pid, outcome, "--at", f"{day}T10:00")
    result = cli("email", pid, "--at", "2026-11-30T10:00", ok=False)
    assert result.stderr == f"error: #{pid} Lee is fired: no cadence step is due, so there is no email to write\n"


def test_one_action_at_a_time(cli, ana):
    result = cli("email", ana, "--open", "--send", ok=False)
    assert result.stderr == "error: choose one of --draft, --open and --send\n"


def test_draft_without_your_address(cli, ana, tmp_path):
    cli("me", "unset", "email")
    result = cli("email", ana, "--draft", tmp_path, "--at", EMAIL_DAY, ok=False)
    assert result.stderr == "error: your email address is not set: run `cadence me set email you@example.com`\n"
