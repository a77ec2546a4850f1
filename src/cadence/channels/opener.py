"""Opening a link (tel:, mailto:) in the system's handler: a softphone, a mail program.

$CADENCE_OPENER, when set, is the command to run instead (split like a shell
command line, the link added as its last argument): a softphone's own command,
or a recorder in tests. Otherwise the platform's opener: `open` on macOS,
`os.startfile` on Windows, `xdg-open` elsewhere, else Python's webbrowser.
No shell ever sees the link.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from typing import Callable

from cadence.errors import CadenceError

OPENER_ENV = "CADENCE_OPENER"
Opener = Callable[[str], bool]


def open_link(url: str) -> bool:
    """Hand `url` to the system's handler (or $CADENCE_OPENER); True when it took it."""
    command = os.environ.get(OPENER_ENV, "").strip()
    if command:
        try:
            argv = shlex.split(command)
        except ValueError as exc:
            raise CadenceError(f"{OPENER_ENV}={command!r} cannot be read as a command ({exc}): quote it like a shell command line") from None
        return _run([*argv, url])
    if sys.platform == "win32":  # pragma: no cover - not on the test machines
        try:
            os.startfile(url)  # type: ignore[attr-defined]
            return True
        except OSError:
            return False
    tool = "open" if sys.platform == "darwin" else "xdg-open"
    if shutil.which(tool):
        return _run([tool, url])
    import webbrowser

    return bool(webbrowser.open(url))


def _run(argv: list[str]) -> bool:
    """Start the opener; True unless it cannot start or fails within a few seconds (a handler that stays is fine)."""
    try:
        child = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    except OSError as exc:
        raise CadenceError(f"cannot run {argv[0]!r} to open the link: {exc.strerror or exc}; set {OPENER_ENV} to a command that can") from None
    try:
        return child.wait(timeout=5) == 0
    except subprocess.TimeoutExpired:
        return True
