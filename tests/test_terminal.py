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
