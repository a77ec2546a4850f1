"""Stored text made safe to print on a terminal.

Names, companies, notes and scripts come from CSV files and cadence files
that anyone may have written. A control character in them (ESC starting
`ESC[2J`, OSC 52 that sets the clipboard, OSC 8 links, a carriage return
that hides what came before) must never reach the terminal as it is.
"""

from __future__ import annotations

import re

# C0 controls but tab and newline, DEL, C1 controls, and the bidirectional
# overrides and isolates that make text display in another order than it reads.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def visible(text: str) -> str:
    """`text` with every control character shown as an escape (ESC as `\\x1b`): safe to print."""
    if not isinstance(text, str):
        text = str(text)
    return _UNSAFE.sub(_shown, text)


def _shown(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
