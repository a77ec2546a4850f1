"""Rendering scripts: most only put a prospect's values into text, and need no Jinja.

A script's plain form (its text and value paths, see cadence.cadences.plainform.plain_form)
is worked out once and kept in the user cache folder; rendering it is then a
dictionary lookup per value, without importing Jinja. A script that does more,
or a value that is missing or not text or a number, goes to the Jinja sandbox,
which renders it (or words the error) exactly as it always would.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from typing import Any

from cadence.cadences.limits import MAX_OUTPUT

# Names a dict answers as attributes in Jinja (prospect.fields.items is the method): left to Jinja.
DICT_ATTRIBUTES = frozenset(dir(dict))

_forms: dict[str, list | None] = {}


def render(source: str, context: dict[str, Any]) -> str:
    """The script rendered with `context`; a failure or a sandbox refusal raises CadenceError."""
    form = _form(source)
    if form is not None:
        text = _fill(form, context)
        if text is not None:
            return text.strip()
    from cadence.cadences import sandbox

    return sandbox.render(source, context)


def _fill(form: list, context: dict[str, Any]) -> str | None:
    """The plain form filled in, or None when a value is not there or not plain (Jinja decides then)."""
    out: list[str] = []
    size = 0
    for part in form:
        if isinstance(part, dict):  # a or b or "text": the first true value, else the last
            for operand in part["or"]:
                value = operand["const"] if isinstance(operand, dict) else _value(operand, context)
                if value is _ABSENT and operand is not part["or"][-1]:
                    continue  # a column this prospect has not got is false, as in Jinja: try the next
                if value is _MISSING:
                    return None
                if value:
                    break
        elif isinstance(part, list):
            value = _value(part, context)
        else:
            value = part
        if value is _MISSING or value is _ABSENT or isinstance(value, bool) or not isinstance(value, (str, int, float)):
            return None
        part = str(value)
        size += len(part)
        if size > MAX_OUTPUT:
            return None
        out.append(part)
    return "".join(out)


_MISSING = object()
_ABSENT = object()


def _value(path: list[str], context: dict[str, Any]) -> Any:
    """The value at prospect.fields.x and the like; _ABSENT when only the last key is not there
    (a missing column), _MISSING when another step of the path is not a plain key."""
    value: Any = context
    for number, name in enumerate(path, 1):
        if not isinstance(value, dict) or name in DICT_ATTRIBUTES:
            return _MISSING
        if name not in value:
            return _ABSENT if number == len(path) and number > 1 else _MISSING
        value = value[name]
    return value


def _form(source: str) -> list | None:
    """The plain form of a script, from memory, the cache folder, or worked out (and kept)."""
    if source in _forms:
        return _forms[source]
    path = _folder() / f"{hashlib.sha1(source.encode('utf-8')).hexdigest()}.json"
    try:
        form = json.loads(path.read_text(encoding="utf-8"))["form"]
        if not _well_formed(form) or not _trusted(path.parent):
            raise ValueError(path)
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        from cadence.cadences.plainform import plain_form

        form = plain_form(source)
        _keep(path, form)
    _forms[source] = form
    return form


def _well_formed(form: Any) -> bool:
    def path(p: Any) -> bool:
        return isinstance(p, list) and bool(p) and all(isinstance(n, str) for n in p)

    def operand(p: Any) -> bool:
        return path(p) or (isinstance(p, dict) and isinstance(p.get("const"), (str, int, float)))

    def part(p: Any) -> bool:
        return isinstance(p, str) or path(p) or (isinstance(p, dict) and isinstance(p.get("or"), list) and all(map(operand, p["or"])))

    return form is None or (isinstance(form, list) and all(map(part, form)))


def _folder():
    from cadence.folders import cache_folder

    return cache_folder("plain-scripts")


def _trusted(folder) -> bool:
    from cadence.folders import trusted

    return trusted(folder)


def _keep(path, form: list | None) -> None:
    from cadence.folders import cache_ready

    try:
        if not cache_ready(path.parent):
            return
        with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp", encoding="utf-8") as handle:
            json.dump({"form": form}, handle, ensure_ascii=False)
        os.replace(handle.name, path)  # readers see a whole entry or none
    except OSError:
        pass  # a read-only or full cache folder only costs speed
