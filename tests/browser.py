"""A real browser for the tests of `cadence report`: Chromium, headless, run as a program; and a small PNG reader.

Chromium from the distribution's packages (/usr/bin/chromium, or $CADENCE_CHROMIUM).
Without it the browser tests are skipped, except in CI (CI set), where they fail:
CI installs it (.ci/run) and must run them.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

FLAGS = (
    "--headless=new",
    "--no-sandbox",  # tests may run as root in a container
    "--disable-gpu",
    "--no-first-run",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",  # one CSS pixel, one screenshot pixel
    "--force-color-profile=srgb",  # the colours the page asks for, unconverted
    "--host-resolver-rules=MAP * ~NOTFOUND",  # no name resolves: the page must need no network
)


def chromium() -> str:
    """The Chromium program; skips the test without one, fails it in CI."""
    found = os.environ.get("CADENCE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if Path(found).is_file():
        return found
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        pytest.fail("CI is set but Chromium is missing: install the distribution's chromium package (.ci/run does)")
    pytest.skip("Chromium is not installed (apt-get install chromium): the browser tests of cadence report need it")


def _run(page: Path, *flags: str, profile: Path) -> subprocess.CompletedProcess:
    command = [chromium(), *FLAGS, f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", *flags, page.resolve().as_uri()]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)


def dump_dom(page: Path, profile: Path) -> tuple[str, list[str]]:
    """The DOM after the page loaded, serialised, and the console messages the page printed."""
    done = _run(page, "--dump-dom", profile=profile)
    return done.stdout, console_lines(done.stderr)


def screenshot(page: Path, png: Path, profile: Path, width: int = 1200, height: int = 1600) -> list[str]:
    """Writes a PNG of the top `width` x `height` CSS pixels of the page; returns its console messages."""
    done = _run(page, f"--screenshot={png}", f"--window-size={width},{height}", profile=profile)
    return console_lines(done.stderr)


def console_lines(stderr: str) -> list[str]:
    """The page's console messages in Chromium's log: errors, warnings and refused loads all land there."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


# ---------------------------------------------------------------- PNG, enough to read a screenshot


class Image:
    """An 8-bit RGB or RGBA image: `pixel(x, y)` is (r, g, b)."""

    def __init__(self, width: int, height: int, channels: int, rows: list[bytes]):
        self.width, self.height, self.channels, self.rows = width, height, channels, rows

    def pixel(self, x: int, y: int) -> tuple[int, int, int]:
        at = x * self.channels
        r, g, b = self.rows[y][at:at + 3]
        return r, g, b

    def boxes(self, colour: tuple[int, int, int]) -> list[tuple[int, int, int, int]]:
        """(left, top, right, bottom), inclusive, of each connected block of pixels of `colour`."""
        found: list[list[int]] = []
        for y in range(self.height):
            for left, right in _runs(self._columns(y, colour)):
                touching = [b for b in found if b[3] >= y - 1 and b[0] <= right and left <= b[2]]
                merged = [min([left] + [b[0] for b in touching]), min([y] + [b[1] for b in touching]),
                          max([right] + [b[2] for b in touching]), y]
                found = [b for b in found if b not in touching] + [merged]
        return sorted(tuple(b) for b in found)

    def _columns(self, y: int, colour: tuple[int, int, int]) -> list[int]:
        row, step = self.rows[y], self.channels
        target = bytes(colour)
        xs, start = [], row.find(target)
        while start != -1:
            if start % step == 0:
                xs.append(start // step)
            start = row.find(target, start + 1)
        return xs


def _runs(xs: list[int]) -> list[tuple[int, int]]:
    """[(first, last)] of the runs of consecutive numbers in the sorted `xs`."""
    runs: list[tuple[int, int]] = []
    for x in xs:
        if runs and runs[-1][1] == x - 1:
            runs[-1] = (runs[-1][0], x)
        else:
            runs.append((x, x))
    return runs


def read_png(path: Path) -> Image:
    """Decodes a non-interlaced 8-bit RGB(A) PNG, as Chromium writes screenshots."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    at, chunks, header = 8, [], None
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        body = data[at + 8:at + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            chunks.append(body)
        at += 12 + length
    width, height, depth, colour_type, _, _, interlace = header
    assert depth == 8 and colour_type in (2, 6) and interlace == 0, f"unsupported PNG: {header}"
    channels = 3 if colour_type == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        _unfilter(kind, line, previous, channels)
        rows.append(bytes(line))
        previous = line
    return Image(width, height, channels, rows)


def _unfilter(kind: int, line: bytearray, previous: bytearray, bpp: int) -> None:
    n = len(line)
    if kind == 1:  # Sub
        for i in range(bpp, n):
            line[i] = (line[i] + line[i - bpp]) & 0xFF
    elif kind == 2:  # Up
        for i in range(n):
            line[i] = (line[i] + previous[i]) & 0xFF
    elif kind == 3:  # Average
        for i in range(n):
            left = line[i - bpp] if i >= bpp else 0
            line[i] = (line[i] + ((left + previous[i]) >> 1)) & 0xFF
    elif kind == 4:  # Paeth
        for i in range(n):
            a = line[i - bpp] if i >= bpp else 0
            b = previous[i]
            c = previous[i - bpp] if i >= bpp else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
