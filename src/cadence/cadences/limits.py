"""Bounds shared inside cadences/: what a script may produce (the plain renderer and the Jinja
sandbox) and how large a cadence file may be (native and CadenceML). Kept apart so that none of
those modules imports another for them.
"""

MAX_OUTPUT = 100_000  # characters; a call script is a few hundred
MAX_FILE = 1_000_000  # bytes, of a cadence or CadenceML file; a real one is a few kilobytes
