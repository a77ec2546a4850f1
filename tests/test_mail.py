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


@pytest.fixture
def opener(tmp_path, monkeypatch):
    """CADENCE_OPENER pointed at a script that records the links it is given (nothing is launched): the list of them."""
    import sys

    record = tmp_path / "opened.txt"
    script = tmp_path / "opener.py"
    script.write_text(f"import sys\nwith open({str(record)!r}, 'a') as f:\n    f.write(sys.argv[1] + '\\n')\n")
    monkeypatch.setenv("CADENCE_OPENER", f"{sys.executable} {script}")

    def opened() -> list[str]:
        return record.read_text().splitlines() if record.exists() else []

    return opened


def test_open_gives_a_percent_encoded_mailto_link(cli, ana, opener):
    result = cli("email", ana, "--open", "--at", EMAIL_DAY)
    [link] = opener()
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


class RefusesOne(Recorder):
    """Accepts every recipient but one."""

    def __init__(self, refused: str):
        super().__init__()
        self.refused = refused

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == self.refused:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"


PHONES = {"Bea": "+1 212 555 0140", "Cy": "+1 212 555 0141", "Dan": "+1 212 555 0142"}


def at_email_step(cli, first: str, *contact: str) -> str:
    pid = cli("add", "--first", first, "--last", "Test", "--phone", PHONES[first], *contact, "--start", "2026-11-23").stdout.strip()
    cli("log", pid, "vm", "--at", "2026-11-23T10:00")
    cli("log", pid, "na", "--at", "2026-11-24T10:00")
    return pid


@pytest.fixture
def batch(cli, ana):
    """Ana, Bea and Cy at their email step; Cy's address is refused by the server in `smtp(RefusesOne(...))`; Dan has no email."""
    bea = at_email_step(cli, "Bea", "--email", "bea@ok.example")
    cy = at_email_step(cli, "Cy", "--email", "cy@gone.example")
    dan = at_email_step(cli, "Dan")
    return ana, bea, cy, dan


def test_email_due_sends_the_rest_when_one_is_refused(cli, batch, smtp):
    from cadence.store.db import open_engine
    from sqlalchemy import text

    ana, bea, cy, dan = batch
    server = smtp(RefusesOne("cy@gone.example"))
    result = cli("email", "--due", "--send", "--at", EMAIL_DAY, ok=False)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[-1] == "4 due emails: 2 sent, 2 refused."
    assert f"refused #{cy} Cy Test <cy@gone.example> step 3: SMTP server 127.0.0.1:" in result.stdout
    assert "refused the recipient (cy@gone.example: 550 5.1.1 Mailbox unavailable); nothing was sent or logged" in result.stdout
    assert f"refused #{dan} Dan Test step 3: #{dan} Dan Test has no email address: add one before using an email step" in lines
    assert result.stderr == "error: 2 of 4 due emails refused (see the lines above); the others were handled\n"
    assert sorted(to for _, [to], _ in server.messages) == ["ana@crescent.example", "bea@ok.example"]
    ids = {message_from_bytes(raw, policy=policy.default)["To"].addresses[0].addr_spec: message_from_bytes(raw, policy=policy.default)["Message-ID"] for _, _, raw in server.messages}
    for pid, address in ((ana, "ana@crescent.example"), (bea, "bea@ok.example")):
        assert f"sent    #{pid} " in result.stdout and f"Message-ID {ids[address]})" in result.stdout
    engine = open_engine(None)
    with engine.connect() as db:
        rows = db.execute(text("SELECT prospect_id, outcome, step, message_id FROM touch WHERE outcome = 'sent' ORDER BY prospect_id")).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [(int(ana), "sent", 3, ids["ana@crescent.example"]), (int(bea), "sent", 3, ids["bea@ok.example"])]
    assert touches(cli, cy) == [("voicemail", 1), ("no-answer", 2)]
    assert touches(cli, dan) == [("voicemail", 1), ("no-answer", 2)]
    again = cli("email", "--due", "--send", "--at", EMAIL_DAY, ok=False)  # only the refused two are still due
    assert again.stdout.splitlines()[-1] == "2 due emails: 2 refused."


def test_email_due_json_is_an_array_of_what_happened(cli, batch, smtp):
    ana, bea, cy, dan = batch
    smtp(RefusesOne("cy@gone.example"))
    result = cli("email", "--due", "--send", "--at", EMAIL_DAY, "--json", ok=False)
    assert result.exit_code == 1
    import json

    rows = json.loads(result.stdout)
    assert [(r["prospect_id"], r["action"], r["step"]) for r in rows] == [
        (int(ana), "sent", 3), (int(bea), "sent", 3), (int(cy), "refused", 3), (int(dan), "refused", 3)
    ]
    assert rows[0]["message_id"].endswith("@seller.example>") and rows[0]["reason"] is None
    assert rows[2]["reason"].endswith("nothing was sent or logged") and rows[3]["to"] is None


def test_email_due_all_sent_exits_0(cli, ana, smtp):
    server = smtp()
    bea = at_email_step(cli, "Bea", "--email", "bea@ok.example")
    result = cli("email", "--due", "--send", "--date", "2026-11-25")
    assert result.stdout.splitlines()[-1] == "2 due emails: 2 sent."
    assert len(server.messages) == 2
    assert touches(cli, bea)[-1] == ("sent", 3)


def test_email_due_stops_trying_a_server_that_cannot_be_reached(cli, batch):
    port = free_port()
    cli("me", "set", "smtp_host", "127.0.0.1")
    cli("me", "set", "smtp_port", str(port))
    cli("me", "set", "smtp_tls", "none")
    import json

    result = cli("email", "--due", "--send", "--at", EMAIL_DAY, "--json", ok=False)
    assert result.exit_code == 1
    rows = json.loads(result.stdout)
    assert rows[0]["reason"] == f"cannot reach SMTP server 127.0.0.1:{port}: Connection refused; nothing was sent"
    assert rows[1]["reason"] == f"not tried: cannot reach SMTP server 127.0.0.1:{port}: Connection refused; nothing was sent"


def test_email_due_drafts_each_and_remembers_their_message_ids(cli, batch, tmp_path):
    ana, bea, cy, dan = batch
    result = cli("email", "--due", "--draft", tmp_path / "d", "--at", EMAIL_DAY, ok=False)
    assert result.stdout.splitlines()[-1] == "4 due emails: 3 drafted, 1 refused."
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == [
        f"{ana}-ana-maria-lopez-five-touch-fire-step3.eml", f"{bea}-bea-test-five-touch-fire-step3.eml", f"{cy}-cy-test-five-touch-fire-step3.eml"
    ]
    assert touches(cli, ana) == [("voicemail", 1), ("no-answer", 2)]  # a draft logs nothing


def test_email_due_opens_each_link(cli, ana, opener):
    at_email_step(cli, "Bea", "--email", "bea@ok.example")
    result = cli("email", "--due", "--open", "--at", EMAIL_DAY)
    assert [link.split("?")[0] for link in opener()] == ["mailto:ana@crescent.example", "mailto:bea@ok.example"]
    assert result.stdout.splitlines()[-1] == "2 due emails: 2 opened."


def test_email_due_respects_the_owner_scope(cli, ana, smtp):
    server = smtp()
    bea = at_email_step(cli, "Bea", "--email", "bea@ok.example")
    rows = cli.json("email", "--due", "--send", "--at", EMAIL_DAY, "--owner", "nobody")
    assert rows == [] and server.messages == []
    assert touches(cli, bea) == [("voicemail", 1), ("no-answer", 2)]


def test_email_due_with_a_prospect_is_refused(cli, ana):
    result = cli("email", ana, "--due", ok=False)
    assert result.stderr.startswith("error: give a prospect or --due, not both")
    assert cli("email", ok=False).stderr.startswith("error: name a prospect")


def test_email_due_with_nothing_due(cli):
    result = cli("email", "--due", "--at", EMAIL_DAY)
    assert result.stdout == "No email due.\n"


def test_work_sends_an_email_with_the_send_word_from_a_pipe(cli, ana, smtp, opener):
    from cadence.store.db import open_engine
    from sqlalchemy import text

    server = smtp()
    kim = cli("add", "--first", "Kim", "--phone", "+1 212 555 0150", "--start", "2026-11-25").stdout.strip()
    result = cli("work", "--at", EMAIL_DAY, input="l\nsend\ndial\nvm\n\n")
    assert "a=draft" not in result.stdout  # no drafts folder given
    assert "w=open y=send e=sent" in result.stdout
    assert "'l' (dial) does not fit this email; use a key of the legend" in result.stderr
    assert "Sent to ana@crescent.example via 127.0.0.1:" in result.stdout
    assert "Dialling +12125550150 (tel:+12125550150); then the outcome key." in result.stdout
    assert "1 email sent" in result.stdout and "1 voicemail" in result.stdout
    [(_, [to], raw)] = server.messages
    message_id = message_from_bytes(raw, policy=policy.default)["Message-ID"]
    engine = open_engine(None)
    with engine.connect() as db:
        stored = db.execute(text("SELECT outcome, step, message_id FROM touch WHERE prospect_id = :p ORDER BY id"), {"p": int(ana)}).all()
    engine.dispose()
    assert [tuple(r) for r in stored][-1] == ("sent", 3, message_id)
    assert opener() == ["tel:+12125550150"]
    assert touches(cli, kim) == [("voicemail", 1)]


def test_work_send_refused_by_the_server_keeps_the_item(cli, ana, smtp):
    smtp(Recorder(refuse_rcpt="550 5.1.1 Mailbox unavailable"))
    cli("me", "set", "drafts", "unused")
    result = cli("work", "--at", EMAIL_DAY, input="send\nskip\n")
    assert "a=draft w=open y=send e=sent" in result.stdout
    assert "refused the recipient (ana@crescent.example: 550 5.1.1 Mailbox unavailable); nothing was sent or logged" in result.stderr
    assert touches(cli, ana) == [("voicemail", 1), ("no-answer", 2)]
    assert "0 emails sent" in result.stdout and "1 skipped" in result.stdout
