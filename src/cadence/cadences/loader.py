"""Load and validate cadence files: YAML with line numbers, and every check that names a file and line.

The types it builds are in cadence.cadences.model, the templates' checks in
cadence.cadences.templates, the search path and the cache in cadence.cadences.library.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any, Iterable

from cadence.cadences.model import (
    FIRE_CHANNELS,
    NAME_PATTERN,
    STEP_ID_PATTERN,
    STEP_TYPES,
    WORKWEEK,
    Cadence,
    Problem,
    Step,
    parse_period,
    parse_weekday,
)
from cadence.cadences.templates import ME_KEYS, check_template
from cadence.errors import CadenceError

# Which texts each step type needs, by type (and channel for fire).
REQUIRED = {
    "call": ("script", "voicemail"),
    "no-message-call": ("script",),
    "email": ("subject", "body"),
    ("fire", "voicemail"): ("script",),
    ("fire", "email"): ("subject", "body"),
    "task": ("title",),
}
# Texts a step type may have without needing them.
OPTIONAL = {"task": ("instructions",)}
TEXT_KEYS = ("script", "voicemail", "subject", "body", "instructions")
STEP_KEYS = {"day", "type", "channel", "title", "id", "variants", *TEXT_KEYS}
TOP_KEYS = {"name", "title", "description", "days", "weekdays", "holidays", "steps", "after_fire", "fields"}
HOLIDAY_KEYS = ("country", "dates")
MAX_DEPTH = 20
MAX_DAY = 1000  # the last day number a step may have: about four years of working days
MAX_RECYCLE_DAYS = 3660  # recycle_after at most 10 years (months count 31 days, years 366)


class Node:
    """A parsed YAML value with the line it starts on (1-based)."""

    __slots__ = ("value", "line", "key_lines")

    def __init__(self, value: Any, line: int, key_lines: dict[str, int] | None = None):
        self.value = value
        self.line = line
        self.key_lines = key_lines or {}


# ---------------------------------------------------------------- YAML with lines


def parse_yaml(text: str, path: str) -> Node:
    """The YAML in `text` as Nodes with lines; refuses bad YAML, anchors, odd tags and deep nesting (CadenceError, file:line)."""
    import yaml

    loader_cls = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        root = yaml.compose(text, Loader=loader_cls)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise CadenceError(f"{path}:{line}: not valid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise CadenceError(f"{path}:1: not valid YAML: {exc}") from None
    if root is None:
        raise CadenceError(f"{path}:1: the file is empty; a cadence needs name and steps")
    return _convert(root, path, set(), 0)


_SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
}


def _convert(node: Any, path: str, seen: set[int], depth: int) -> Node:
    import yaml

    line = node.start_mark.line + 1
    if id(node) in seen:
        raise CadenceError(f"{path}:{line}: YAML anchors and aliases are not supported; write the value out")
    seen.add(id(node))
    if depth > MAX_DEPTH:
        raise CadenceError(f"{path}:{line}: nested too deeply (more than {MAX_DEPTH} levels)")
    if isinstance(node, yaml.MappingNode):
        if node.tag != "tag:yaml.org,2002:map":
            raise CadenceError(f"{path}:{line}: unsupported YAML tag {node.tag}")
        value: dict[str, Node] = {}
        key_lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = _convert(key_node, path, seen, depth + 1).value
            if not isinstance(key, str):
                key = str(key)
            if key in value:
                raise CadenceError(f"{path}:{key_node.start_mark.line + 1}: key {key!r} appears twice")
            value[key] = _convert(value_node, path, seen, depth + 1)
            key_lines[key] = key_node.start_mark.line + 1
        return Node(value, line, key_lines)
    if isinstance(node, yaml.SequenceNode):
        if node.tag != "tag:yaml.org,2002:seq":
            raise CadenceError(f"{path}:{line}: unsupported YAML tag {node.tag}")
        return Node([_convert(item, path, seen, depth + 1) for item in node.value], line)
    if node.tag not in _SCALAR_TAGS:
        raise CadenceError(f"{path}:{line}: unsupported YAML tag {node.tag}")
    constructor = yaml.constructor.SafeConstructor()
    try:
        return Node(constructor.construct_object(node, deep=True), line)
    except ValueError:  # a timestamp that is no date (2026-02-30): kept as written, for the key's own check to refuse
        return Node(node.value, line)


# ---------------------------------------------------------------- validation


def parse_cadence(
    text: str, path: str, me_keys: Iterable[str] = (), builtin: bool = False
) -> tuple[Cadence | None, list[Problem]]:
    """The cadence in `text` and every problem found; a YAML error raises CadenceError."""
    root = parse_yaml(text, path)
    problems: list[Problem] = []

    def problem(line: int, message: str) -> None:
        problems.append(Problem(path, line, message))

    if not isinstance(root.value, dict):
        raise CadenceError(f"{path}:{root.line}: a cadence file is a mapping with name and steps")
    top = root.value
    for key in top:
        if key not in TOP_KEYS:
            problem(root.key_lines[key], f"unknown key {key!r} (known: {', '.join(sorted(TOP_KEYS))})")
    name = _text(top, "name", root, problem, required=True)
    if name and not NAME_PATTERN.match(name):
        problem(top["name"].line, f"name {name!r} must be lower case letters, digits, '-' or '_'")
    days = _text(top, "days", root, problem) or "business"
    if days not in ("business", "calendar"):
        problem(top["days"].line, f"days must be 'business' or 'calendar', not {days!r}")
    holidays, holiday_dates, public_holidays = _holidays(top, problem)
    weekdays = _weekdays(top, days, problem)
    declared = _declared_fields(top, problem)
    recycle, recycle_text = _after_fire(top, problem)
    steps = _steps(top, root, problem)
    me_allowed = ME_KEYS | set(me_keys)
    for step in steps:
        for key in TEXT_KEYS:
            source = getattr(step, key)
            if source is not None:
                for message in check_template(source, declared, me_allowed):
                    problem(step.lines.get(key, step.line), f"step {step.number} {key}: {message}")
        if step.variants:
            from cadence.cadences.variants import check_variants

            check_variants(step, lambda source: check_template(source, declared, me_allowed), problem)
    if problems or not name:
        return None, problems
    cadence = Cadence(
        name=name,
        title=_text(top, "title", root, problem) or name,
        description=_text(top, "description", root, problem) or "",
        days=days,
        holidays=holidays.upper() if holidays else None,
        steps=tuple(steps),
        recycle_after=recycle,
        recycle_text=recycle_text,
        fields=declared,
        path=Path(path),
        builtin=builtin,
        weekdays=weekdays,
        holiday_dates=holiday_dates,
        public_holidays=public_holidays,
    )
    return cadence, problems


def _text(top: dict, key: str, root: Node, problem, required: bool = False) -> str | None:
    node = top.get(key)
    if node is None or node.value is None:
        if required:
            problem(root.line, f"missing {key!r}")
        return None
    if not isinstance(node.value, (str, int, float)) or isinstance(node.value, bool):
        problem(node.line, f"{key} must be text")
        return None
    return str(node.value)


def _holidays(top: dict, problem) -> tuple[str | None, tuple[date, ...], bool]:
    """The holiday country, the extra dates, and False when the file says `none` (no public holidays at all).

    `holidays: US`, `holidays: none` or `holidays: {country: US, dates: [2026-12-24]}`.
    """
    node = top.get("holidays")
    public = True
    if node is None or node.value is None:
        return None, (), public
    country_node, dates_node = node, None
    if isinstance(node.value, dict):
        for key in node.value:
            if key not in HOLIDAY_KEYS:
                problem(node.key_lines[key], f"unknown key {key!r} in holidays (known: country, dates)")
        country_node, dates_node = node.value.get("country"), node.value.get("dates")
    country = None
    if country_node is not None and country_node.value is not None:
        value = country_node.value
        if not isinstance(value, str) or not value.strip():
            problem(country_node.line, "holidays must be a country code such as US, or a mapping with country and dates")
        elif value.strip().lower() == "none":
            public = False
        else:
            try:
                from cadence.domain.calendar import check_country

                check_country(value.strip())
                country = value.strip().upper()
            except CadenceError as exc:
                problem(country_node.line, str(exc))
    dates: list[date] = []
    if dates_node is not None:
        if not isinstance(dates_node.value, list):
            problem(dates_node.line, "holidays dates must be a list of dates (YYYY-MM-DD)")
        else:
            for item in dates_node.value:
                day = _date_value(item.value)
                if day is None:
                    problem(item.line, f"holiday {item.value!r} is not a date: write it as YYYY-MM-DD")
                else:
                    dates.append(day)
    return country, tuple(sorted(set(dates))), public


def _date_value(value: Any) -> date | None:
    from datetime import datetime

    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None



def _weekdays(top: dict, days: str, problem) -> tuple[int, ...]:
    node = top.get("weekdays")
    if node is None or node.value is None:
        return WORKWEEK
    if days != "business":
        problem(node.line, "weekdays only applies to 'days: business' (a calendar cadence counts every day)")
        return WORKWEEK
    if not isinstance(node.value, list) or not node.value:
        problem(node.line, "weekdays must be a list of working weekdays, e.g. [monday, tuesday] or [1, 2] (1 = Monday)")
        return WORKWEEK
    numbers: set[int] = set()
    for item in node.value:
        number = parse_weekday(item.value)
        if number is None:
            problem(item.line, f"weekdays: {item.value!r} is not a weekday: use monday..sunday or 1..7 (1 = Monday)")
        else:
            numbers.add(number)
    return tuple(sorted(numbers)) or WORKWEEK


def _declared_fields(top: dict, problem) -> tuple[str, ...] | None:
    node = top.get("fields")
    if node is None:
        return None
    if not isinstance(node.value, list) or not all(isinstance(n.value, str) for n in node.value):
        problem(node.line, "fields must be a list of custom field names")
        return None
    return tuple(n.value for n in node.value)


def _after_fire(top: dict, problem) -> tuple[Any, str | None]:
    node = top.get("after_fire")
    if node is None:
        return None, None
    if not isinstance(node.value, dict):
        problem(node.line, "after_fire must be a mapping with recycle_after")
        return None, None
    for key in node.value:
        if key != "recycle_after":
            problem(node.key_lines[key], f"unknown key {key!r} in after_fire (known: recycle_after)")
    recycle = node.value.get("recycle_after")
    if recycle is None:
        return None, None
    try:
        period = parse_period(str(recycle.value))
        days = period.years * 366 + period.months * 31 + period.days
        if days > MAX_RECYCLE_DAYS:
            problem(recycle.line, f"recycle_after {recycle.value!r} is too long: at most 10 years (e.g. '2 years', '18 months')")
            return None, None
        return period, str(recycle.value)
    except CadenceError as exc:
        problem(recycle.line, str(exc))
        return None, None



def _steps(top: dict, root: Node, problem) -> list[Step]:
    node = top.get("steps")
    if node is None:
        problem(root.line, "missing 'steps': a cadence needs at least one step")
        return []
    if not isinstance(node.value, list) or not node.value:
        problem(node.line, "steps must be a non-empty list")
        return []
    steps: list[Step] = []
    previous_day = None
    ids: dict[str, int] = {}
    for number, item in enumerate(node.value, start=1):
        step = _step(number, item, problem)
        if step is None:
            continue
        if step.id is not None:
            if step.id in ids:
                problem(step.lines["id"], f"step {number}: id {step.id!r} is already used by step {ids[step.id]}; ids must be unique")
            ids.setdefault(step.id, number)
        if previous_day is not None and step.day < previous_day:
            problem(step.lines["day"], f"step {number} is on day {step.day}, before day {previous_day} of the step above; days never go backwards")
        if step.type == "fire" and number != len(node.value):
            problem(step.lines["type"], f"step {number} fires the prospect but is not the last step")
        previous_day = step.day
        steps.append(step)
    return steps


def _step(number: int, item: Node, problem) -> Step | None:
    if not isinstance(item.value, dict):
        problem(item.line, f"step {number} must be a mapping with day and type")
        return None
    fields = item.value
    lines = item.key_lines
    for key in fields:
        if key not in STEP_KEYS:
            problem(lines[key], f"step {number}: unknown key {key!r} (known: {', '.join(sorted(STEP_KEYS))})")
    day_node = fields.get("day")
    if day_node is None or isinstance(day_node.value, bool) or not isinstance(day_node.value, int) or day_node.value < 1:
        problem(day_node.line if day_node else item.line, f"step {number}: day must be a whole number from 1")
        return None
    if day_node.value > MAX_DAY:
        problem(day_node.line, f"step {number}: day {day_node.value} is past day {MAX_DAY}, the last a cadence may use: "
                               "shorten the cadence, or let after_fire.recycle_after bring people back")
        return None
    type_node = fields.get("type")
    step_type = type_node.value if type_node else None
    if step_type not in STEP_TYPES:
        problem(
            type_node.line if type_node else item.line,
            f"step {number}: unknown step type {step_type!r} (use one of {', '.join(STEP_TYPES)})",
        )
        return None
    fire_channel = None
    channel = {"email": "email", "task": "task"}.get(step_type, "phone")
    need = REQUIRED.get(step_type)
    step_id = None
    id_node = fields.get("id")
    if id_node is not None:
        step_id = str(id_node.value) if isinstance(id_node.value, (str, int)) and not isinstance(id_node.value, bool) else ""
        if not STEP_ID_PATTERN.match(step_id):
            problem(id_node.line, f"step {number}: id {id_node.value!r} must be letters, digits, '-' or '_' (e.g. intro-call)")
            step_id = None
    if step_type == "fire":
        channel_node = fields.get("channel")
        fire_channel = channel_node.value if channel_node else "voicemail"
        if fire_channel not in FIRE_CHANNELS:
            problem(channel_node.line, f"step {number}: fire channel must be voicemail or email, not {fire_channel!r}")
            return None
        channel = "phone" if fire_channel == "voicemail" else "email"
        need = REQUIRED[("fire", fire_channel)]
    elif "channel" in fields:
        problem(lines["channel"], f"step {number}: channel is only for fire steps")
    texts: dict[str, str | None] = {}
    for key in (*TEXT_KEYS, "title"):
        node = fields.get(key)
        if node is not None and not isinstance(node.value, str):
            problem(node.line, f"step {number}: {key} must be text")
            node = None
        texts[key] = node.value if node is not None else None
    variants = ()  # an A/B step's (cadence.cadences.variants)
    uses = (*need, *OPTIONAL.get(step_type, ()))
    if "variants" in fields:
        from cadence.cadences.variants import VARIANT_TEXTS, read_variants  # only files with A/B steps need it

        kind = ("fire", fire_channel) if step_type == "fire" else step_type
        variants = read_variants(number, step_type, VARIANT_TEXTS.get(kind), fields["variants"], texts, lines, problem)
        need = tuple(key for key in need if key not in VARIANT_TEXTS.get(kind, ()))
    for key in need:
        if not (texts[key] or "").strip():
            problem(lines.get(key, type_node.line), f"step {number}: a {step_type} step needs {key!r}")
    for key in TEXT_KEYS:
        if texts[key] is not None and key not in uses:
            problem(lines[key], f"step {number}: a {step_type} step does not use {key!r} (it uses {', '.join(uses)})")
    # Values start on the line after a block scalar's key; errors name the key's line.
    return Step(
        number=number,
        day=day_node.value,
        type=step_type,
        channel=channel,
        fire_channel=fire_channel,
        id=step_id,
        line=item.line,
        lines=dict(lines),
        variants=variants,
        **texts,
    )
