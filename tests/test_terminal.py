"""`cadence work` in a real pseudo-terminal: keystrokes, not lines, as a salesperson uses it.

`Terminal` spawns a `cadence` command on a pty, sends keys and reads what the screen got;
extend the keys a test presses, not the helper, when `work` learns new keys.
"""

from __future__ import annotations

import os
import pty
import select
import signal
import sys
import time

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")


class Terminal:
    """A `cadence` process on a pseudo-terminal: send keys, wait for text, read the screen."""

    def __init__(self, *args: str, columns: int = 100, lines: int = 40):
        env = dict(os.environ, TERM="xterm", COLUMNS=str(columns), LINES=str(lines))
        env.pop("NO_COLOR", None)
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: cadence itself, on the terminal
            try:
                os.execve(sys.executable, [sys.executable, "-m", "cadence", *args], env)
            finally:
                os._exit(127)
        self.screen = ""
        self.status: int | None = None

    def send(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def read(self, timeout: float = 0.2) -> str:
        """What arrived within `timeout` seconds of quiet."""
        while True:
            ready, _, _ = select.select([self.fd], [], [], timeout)
            if not ready:
                return self.screen
            try:
                chunk = os.read(self.fd, 4096)
            except OSError:  # the child closed the terminal
                return self.screen
            if not chunk:
                return self.screen
            self.screen += chunk.decode("utf-8", "replace")

    def expect(self, text: str, timeout: float = 30) -> str:
        """The screen once `text` is on it (after the last call's mark); fails after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while text not in self.screen:
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never appeared; the screen was:\n{self.screen}")
            before = len(self.screen)
            self.read(0.1)
            if len(self.screen) == before and self._exited():
                raise AssertionError(f"cadence exited {self.status} before {text!r} appeared; the screen was:\n{self.screen}")
        return self.screen

    def _exited(self) -> bool:
        if self.status is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = os.waitstatus_to_exitcode(status)
        return self.status is not None

    def wait(self, timeout: float = 30) -> int:
        """The exit code, once the process ends (killed after `timeout` seconds)."""
        deadline = time.monotonic() + timeout
        while not self._exited():
            self.read(0.05)
            if time.monotonic() > deadline:
                os.kill(self.pid, signal.SIGKILL)
                raise AssertionError(f"cadence did not exit; the screen was:\n{self.screen}")
        self.read(0.05)
        return self.status

    def close(self) -> None:
        if not self._exited():
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        os.close(self.fd)


@pytest.fixture
def terminal():
    opened: list[Terminal] = []

    def spawn(*args: str, **size) -> Terminal:
        opened.append(Terminal(*args, **size))
        return opened[-1]

    yield spawn
    for term in opened:
        term.close()


def add(cli, first, *extra):
    return int(cli("add", "--first", first, "--last", "Test", *extra).stdout.strip())


def test_work_logs_keystrokes_typed_in_a_terminal(cli, terminal):
    ana = add(cli, "Ana", "--phone", "+12125550134", "--start", "2026-11-24")
    bob = add(cli, "Bob", "--phone", "+12125550135", "--start", "2026-11-24")
    term = terminal("work", "--at", "2026-11-24T10:00")
    term.expect("Ana Test")
    term.expect("v=voicemail")
    term.send("v")  # one key, no Enter
    term.expect("note (Enter for none): ")
    term.send("left a message\r")
    term.expect("Bob Test")
    term.send("s")  # skip Bob
    term.expect("Session: 1 call, 1 voicemail")
    assert term.wait() == 0
    touches = cli.json("show", ana)["touches"]
    assert [(t["outcome"], t["step"], t["note"]) for t in touches] == [("voicemail", 1, "left a message")]
    assert cli.json("show", bob)["touches"] == []


def test_ctrl_c_in_work_stops_with_130_keeping_what_was_logged(cli, terminal):
    ana = add(cli, "Ana", "--phone", "+12125550134", "--start", "2026-11-24")
    add(cli, "Bob", "--phone", "+12125550135", "--start", "2026-11-24")
    term = terminal("work", "--at", "2026-11-24T10:00")
    term.expect("v=voicemail")
    term.send("n")
    term.expect("note (Enter for none): ")
    term.send("\r")
    term.expect("Bob Test")
    term.send("\x03")
    assert term.wait() == 130
    assert [t["outcome"] for t in cli.json("show", ana)["touches"]] == ["no-answer"]


@pytest.fixture
def recorded(tmp_path, monkeypatch):
    """CADENCE_OPENER set to a script that records each link (nothing is launched): returns the links so far."""
    record = tmp_path / "opened.txt"
    script = tmp_path / "opener.py"
    script.write_text(f"import sys\nwith open({str(record)!r}, 'a') as f:\n    f.write(sys.argv[1] + '\\n')\n")
    monkeypatch.setenv("CADENCE_OPENER", f"{sys.executable} {script}")
    return lambda: record.read_text().splitlines() if record.exists() else []


def test_dial_key_opens_the_tel_link_then_the_outcome_keys_follow(cli, terminal, recorded):
    ana = add(cli, "Ana", "--phone", "(212) 555-0134", "--email", "ana@x.example", "--start", "2026-11-24")
    term = terminal("work", "--at", "2026-11-24T10:00")
    screen = term.expect("q=quit")
    assert "l=dial v=voicemail" in screen
    assert "a=draft" not in screen and "w=open" not in screen and "y=send" not in screen  # a call: no email keys
    term.send("l")
    term.expect("Dialling +12125550134 (tel:+12125550134); then the outcome key.")
    term.send("c")
    term.expect("note (Enter for none): ")
    term.send("talked\r")
    term.expect("next date, Enter for none")
    term.send("\r")
    term.expect("Session: 1 call")
    assert term.wait() == 0
    assert recorded() == ["tel:+12125550134"]
    assert [(t["outcome"], t["note"]) for t in cli.json("show", ana)["touches"]] == [("connected", "talked")]


def test_draft_and_open_keys_on_an_email_step(cli, terminal, recorded, tmp_path):
    cli("me", "set", "email", "sam@seller.example")
    cli("me", "set", "drafts", str(tmp_path / "drafts"))
    ana = add(cli, "Ana", "--phone", "+12125550134", "--email", "ana@x.example", "--start", "2026-11-23")
    cli("log", ana, "vm", "--at", "2026-11-23T10:00")
    cli("log", ana, "na", "--at", "2026-11-24T10:00")
    term = terminal("work", "--at", "2026-11-25T10:00")
    screen = term.expect("q=quit")
    assert "a=draft w=open e=sent" in screen and "y=send" not in screen and "l=dial" not in screen  # no SMTP server set
    term.send("a")
    term.expect("(not sent, nothing logged); e=sent once you sent it.")
    term.send("w")
    term.expect("in your mail program; e=sent once you sent it.")
    term.send("y")
    term.expect("needs an SMTP server")
    term.send("e")
    term.expect("note (Enter for none): ")
    term.send("\r")
    term.expect("Session:")
    assert term.wait() == 0
    assert [p.name for p in (tmp_path / "drafts").iterdir()] == [f"{ana}-ana-test-five-touch-fire-step3.eml"]
    assert [link.split("?")[0] for link in recorded()] == ["mailto:ana@x.example"]
    assert [t["outcome"] for t in cli.json("show", ana)["touches"]] == ["voicemail", "no-answer", "sent"]


def test_today_links_phone_and_email_on_a_terminal_only(cli, terminal):
    add(cli, "Ana", "--phone", "(212) 555-0134", "--start", "2026-11-24")
    bob = add(cli, "Bob", "--phone", "+12125550135", "--email", "Bob@X.example", "--start", "2026-11-23")
    cli("log", bob, "vm", "--at", "2026-11-23T10:00")
    cli("log", bob, "na", "--at", "2026-11-24T10:00")
    term = terminal("today", "--at", "2026-11-25T10:00")
    assert term.wait() == 0
    assert "\x1b]8;" in term.screen
    assert ";tel:+12125550134\x1b\\" in term.screen
    assert ";mailto:bob@x.example\x1b\\" in term.screen
    piped = cli("today", "--at", "2026-11-25T10:00").stdout
    assert "\x1b" not in piped and "+12125550134" in piped
    assert "\x1b" not in cli("today", "--at", "2026-11-25T10:00", "--json").stdout
