"""Files a user names: refuse what is not a regular file, read with a size cap, create private.

What cadence writes (exports, rejects, calendars, cadence files) holds people's
names and numbers, so it is created for its owner alone (0600) whatever the umask.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from cadence.errors import CadenceError

PRIVATE = 0o600  # files cadence creates; chmod them yourself to share


def check_regular(path: Path, what: str = "file") -> None:
    """Nothing when `path` is a regular file (or a link to one); refuses a device, a FIFO, a socket or a folder."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise CadenceError(f"{path}: no such file") from None
    except OSError as exc:
        raise CadenceError(f"{path}: cannot read ({exc.strerror})") from None
    if stat.S_ISDIR(mode):
        raise CadenceError(f"{path}: is a folder, not a {what}")
    if not stat.S_ISREG(mode):
        kind = "a FIFO (named pipe)" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a socket" if stat.S_ISSOCK(mode) else "not a regular file"
        raise CadenceError(f"{path}: is {kind}, not a {what}: give a regular file")


def read_capped(path: Path, cap: int, what: str = "file") -> bytes:
    """The bytes of a regular file of at most `cap` bytes; refuses anything else (a file growing past it too)."""
    check_regular(path, what)
    try:
        with open(path, "rb") as handle:
            content = handle.read(cap + 1)
    except OSError as exc:
        raise CadenceError(f"{path}: cannot read ({exc.strerror})") from None
    if len(content) > cap:
        raise CadenceError(f"{path}: over {cap // 1_000_000} MB: not a {what}")
    return content


def write_private(path: Path, text: str, exclusive: bool = True) -> None:
    """Write `text` (UTF-8) to a new file readable by its owner only; `exclusive` refuses an existing one (FileExistsError)."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    handle = os.open(path, flags, PRIVATE)
    try:
        os.fchmod(handle, PRIVATE)  # an existing file keeps its mode otherwise
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            handle = None
            out.write(text)
    finally:
        if handle is not None:
            os.close(handle)
