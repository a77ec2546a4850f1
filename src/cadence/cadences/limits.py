"""Bounds on what a script may produce, shared by the plain renderer (scripts) and the Jinja sandbox.

Kept apart so that neither of those two modules imports the other for them.
"""

MAX_OUTPUT = 100_000  # characters; a call script is a few hundred
