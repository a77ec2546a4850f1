"""The one exception type for errors a user can fix."""

from __future__ import annotations


class CadenceError(Exception):
    """A refused or failed action: the message says what, where and how to fix it.

    The CLI prints it on one line to stderr and exits 1.
    """
