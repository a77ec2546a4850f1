"""CadenceML files in and out: the public YAML format for outreach cadences.

A CadenceML file maps cadence names to `eligible_days` (weekday numbers,
1 = Monday), `holiday_region`, extra `holidays`, and `cadence:` a mapping of
day numbers (counted in eligible days) to lists of touches with `channel`,
`title` and `notes`. It has no scripts: an import keeps the notes as the
starting text of each script, and says what it could not carry over.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from cadence.cadences.loader import Node, parse_cadence, parse_yaml
from cadence.cadences.model import WEEKDAY_NAMES, WORKWEEK, Cadence, parse_weekday
from cadence.domain.names import plain_name
from cadence.errors import CadenceError

CHANNELS = ("call", "email", "social", "task", "meeting", "deadline")
TASK_CHANNELS = ("social", "task", "meeting", "deadline")
CADENCE_KEYS = ("eligible_days", "holiday_region", "holidays", "cadence")
TOUCH_KEYS = ("channel", "title", "notes")
BREAKUP = re.compile(r"\bbreak-?up\b", re.IGNORECASE)
NO_VOICEMAIL = re.compile(r"\b(?:don't|dont|do not)\s+leave\s+(?:a\s+)?voice\s*-?mail", re.IGNORECASE)


@dataclass
class Touch:
    day: int
    channel: str
    title: str
    notes: str
    line: int
    extra: list[tuple[str, int]] = field(default_factory=list)  # keys CadenceML does not define, with lines


@dataclass
class Converted:
    """One native cadence made from a CadenceML cadence."""

    source_name: str
    name: str
    text: str  # the native YAML file
    steps: int


@dataclass
class Conversion:
    cadences: list[Converted] = field(default_factory=list)
    not_mapped: list[str] = field(default_factory=list)  # "file:line: what was left out"


# ---------------------------------------------------------------- import


def convert(text: str, path: str) -> Conversion:
    """Native cadence files for every cadence in a CadenceML text.

    Refuses (naming file and line) a file that is not a mapping of cadences, an
    unknown channel, a day that is not a whole number from 1, an eligible day
    outside 1-7 and an extra holiday that is not a date.
    """
    if not text.strip():
        raise CadenceError(f"{path}:1: the file is empty; a CadenceML file maps cadence names to their touches")
    root = parse_yaml(text, path)
    if not isinstance(root.value, dict) or not root.value:
        raise CadenceError(f"{path}:{root.line}: a CadenceML file is a mapping of cadence names, each with a 'cadence:' of days")
    result = Conversion()
    for source_name, node in root.value.items():
        result.cadences.append(_convert_one(source_name, node, root.key_lines[source_name], path, result.not_mapped))
    names = [c.name for c in result.cadences]
    for name in names:
        if names.count(name) > 1:
            raise CadenceError(f"{path}: two cadences would both be named {name!r}; rename one of them")
    return result


def _convert_one(source_name: str, node: Node, line: int, path: str, not_mapped: list[str]) -> Converted:
    where = f"{path}:{line}"
    name = slug(source_name)
    if not name:
        raise CadenceError(f"{where}: cadence name {source_name!r} has no letters or digits to make a file name from")
    if not isinstance(node.value, dict):
        raise CadenceError(f"{where}: cadence {source_name!r} must be a mapping with 'cadence:' and its days")
    spec = node.value
    for key in spec:
        if key not in CADENCE_KEYS:
            not_mapped.append(f"{path}:{node.key_lines[key]}: {source_name}: key {key!r} is not part of CadenceML; left out")
    weekdays = _eligible_days(spec.get("eligible_days"), path)
    country, public = _region(spec.get("holiday_region"), path, source_name, not_mapped)
    extra = _extra_holidays(spec.get("holidays"), path)
    touches = _touches(spec.get("cadence"), line, path, source_name)
    steps = _steps(touches, path, source_name, not_mapped)
    document: dict[str, Any] = {
        "name": name,
        "title": source_name,
        "description": f"Imported from the CadenceML cadence {source_name!r} in {Path(path).name}.",
        "days": "business",
    }
    if weekdays != WORKWEEK:
        document["weekdays"] = [WEEKDAY_NAMES[d - 1] for d in weekdays]
    holiday_country = country or (None if public else "none")
    if extra:
        document["holidays"] = {"country": holiday_country, "dates": extra} if holiday_country else {"dates": extra}
    elif holiday_country:
        document["holidays"] = holiday_country
    document["steps"] = steps
    header = (
        f"# Imported from CadenceML: cadence {source_name!r} of {Path(path).name}.\n"
        "# CadenceML has titles and notes, not scripts: each script below starts as the\n"
        "# touch's notes. Write what you will say, then check with `cadence cadences validate`.\n"
    )
    native = header + dump(document)
    cadence, problems = parse_cadence(native, f"{name}.yaml")
    if problems or cadence is None:
        raise CadenceError(f"{where}: cadence {source_name!r} did not convert cleanly: {problems[0] if problems else 'invalid'}")
    return Converted(source_name=source_name, name=name, text=native, steps=len(cadence.steps))


def slug(text: str) -> str:
    """A cadence name from any text: lower case letters, digits, '-' and '_'."""
    return plain_name(text, "-", keep="_")


def _eligible_days(node: Node | None, path: str) -> tuple[int, ...]:
    if node is None or node.value is None:
        return WORKWEEK
    items = node.value if isinstance(node.value, list) else None
    if not items:
        raise CadenceError(f"{path}:{node.line}: eligible_days must be a list of weekday numbers, 1 = Monday (e.g. [1, 2, 3, 4, 5])")
    days = set()
    for item in items:
        number = parse_weekday(item.value)
        if number is None:
            raise CadenceError(f"{path}:{item.line}: eligible day {item.value!r} is not a weekday number from 1 (Monday) to 7 (Sunday)")
        days.add(number)
    return tuple(sorted(days))


def _region(node: Node | None, path: str, source_name: str, not_mapped: list[str]) -> tuple[str | None, bool]:
    """The country code for `holiday_region`, and False when it says none."""
    if node is None or node.value is None:
        return None, True
    region = str(node.value).strip().lower()
    if region == "none":
        return None, False
    country = re.split(r"[_-]", region)[0].upper()
    from cadence.domain.calendar import check_country

    try:
        check_country(country)
    except CadenceError:
        not_mapped.append(
            f"{path}:{node.line}: {source_name}: holiday_region {region!r} is not a country cadence knows; "
            "no holidays: key was written (your profile's holiday country applies)"
        )
        return None, True
    if region != country.lower():
        not_mapped.append(
            f"{path}:{node.line}: {source_name}: holiday_region {region!r} is narrower than a country; "
            f"the public holidays of all of {country} are used"
        )
    return country, True


def _extra_holidays(node: Node | None, path: str) -> list[date]:
    if node is None or node.value is None:
        return []
    if not isinstance(node.value, list):
        raise CadenceError(f"{path}:{node.line}: holidays must be a list of dates, e.g. [\"Dec 24, 2026\"]")
    days = []
    for item in node.value:
        value = item.value
        if isinstance(value, datetime):
            days.append(value.date())
        elif isinstance(value, date):
            days.append(value)
        else:
            days.append(_parse_date(str(value), f"{path}:{item.line}"))
    return sorted(set(days))


def _parse_date(text: str, where: str) -> date:
    from dateutil import parser

    try:
        return parser.parse(text, default=datetime(2000, 1, 1)).date()
    except (ValueError, OverflowError):
        raise CadenceError(f"{where}: holiday {text!r} is not a date (write it like \"Dec 24, 2026\" or 2026-12-24)") from None


def _touches(node: Node | None, name_line: int, path: str, source_name: str) -> list[Touch]:
    if node is None or not isinstance(node.value, dict) or not node.value:
        line = node.line if node is not None else name_line
        raise CadenceError(f"{path}:{line}: cadence {source_name!r} needs 'cadence:', a mapping of day numbers to touches")
    touches: list[Touch] = []
    for key, day_node in node.value.items():
        line = node.key_lines[key]
        if not re.fullmatch(r"\s*\d+\s*", key) or int(key) < 1:
            raise CadenceError(f"{path}:{line}: day {key!r} is not a whole number from 1 (days count eligible days; day 1 is the start)")
        day = int(key)
        items = day_node.value
        if items is None:
            continue
        if isinstance(items, dict):
            items = [day_node]
        if not isinstance(items, list):
            raise CadenceError(f"{path}:{day_node.line}: day {day} must list its touches, each with channel, title and notes")
        for item in items:
            touches.append(_touch(day, item, path))
    touches.sort(key=lambda t: t.day)  # stable: same-day touches keep their order
    if not touches:
        raise CadenceError(f"{path}:{node.line}: cadence {source_name!r} has no touches")
    return touches


def _touch(day: int, item: Node, path: str) -> Touch:
    if not isinstance(item.value, dict):
        raise CadenceError(f"{path}:{item.line}: a touch on day {day} must be a mapping with channel, title and notes")
    fields = item.value
    channel_node = fields.get("channel")
    channel = str(channel_node.value).strip().lower() if channel_node is not None and channel_node.value is not None else ""
    if channel not in CHANNELS:
        line = channel_node.line if channel_node is not None else item.line
        shown = repr(channel_node.value) if channel_node is not None else "missing"
        raise CadenceError(f"{path}:{line}: day {day}: channel {shown} is not a CadenceML channel (use {', '.join(CHANNELS)})")
    texts = {}
    for key in ("title", "notes"):
        node = fields.get(key)
        texts[key] = str(node.value).strip() if node is not None and node.value is not None else ""
    extra = [(key, item.key_lines[key]) for key in fields if key not in TOUCH_KEYS]
    return Touch(day=day, channel=channel, title=texts["title"], notes=texts["notes"], line=item.line, extra=extra)


def _steps(touches: list[Touch], path: str, source_name: str, not_mapped: list[str]) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = []
    ids: set[str] = set()
    last = len(touches) - 1
    for index, touch in enumerate(touches):
        where = f"{path}:{touch.line}: {source_name} day {touch.day}"
        for key, line in touch.extra:
            not_mapped.append(f"{path}:{line}: {source_name} day {touch.day}: key {key!r} of a touch is not kept")
        breakup = bool(BREAKUP.search(touch.title) or BREAKUP.search(touch.notes))
        fire = breakup and index == last and touch.channel in ("call", "email")
        step: dict[str, Any] = {"id": _step_id(touch, ids), "day": touch.day, "type": None}
        if touch.title:
            step["title"] = touch.title
        words = _template_text(touch.notes or touch.title or touch.channel)
        if touch.channel in TASK_CHANNELS:
            step["type"] = "task"
            step.setdefault("title", touch.channel.capitalize())
            if touch.notes:
                step["instructions"] = _template_text(touch.notes)
            if touch.channel != "task":
                not_mapped.append(f"{where}: channel {touch.channel!r} became a task step (cadence has no {touch.channel} channel)")
        elif touch.channel == "email":
            step["type"] = "fire" if fire else "email"
            if fire:
                step["channel"] = "email"
            step["subject"] = _template_text(touch.title or "(no subject)")
            step["body"] = words
        elif fire:
            step.update(type="fire", channel="voicemail", script=words)
        elif NO_VOICEMAIL.search(touch.notes.replace("\u2019", "'")):
            step.update(type="no-message-call", script=words)
        else:
            step.update(type="call", script=words, voicemail=words)
        if breakup and not fire:
            reason = "only the last touch can be the fire step" if index != last else "only a call or an email can fire"
            not_mapped.append(f"{where}: break-up touch {touch.title!r} stays {'an' if step['type'][0] in 'aeiou' else 'a'} {step['type']} step: {reason}")
        steps.append(step)
    return steps


def _step_id(touch: Touch, taken: set[str]) -> str:
    base = slug(touch.title)[:40].strip("-_") or f"day-{touch.day}-{touch.channel}"
    if not re.match(r"^[a-z0-9]", base):
        base = f"day-{touch.day}-{base}"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    taken.add(candidate)
    return candidate


def _template_text(text: str) -> str:
    """Plain text that stays plain when read as a template."""
    if any(mark in text for mark in ("{{", "{%", "{#")):
        # No "{%" may stay inside the raw block, or "{% endraw %}" in the notes would end it early.
        return "{{ '{%' }}".join("{% raw %}" + part + "{% endraw %}" for part in text.split("{%"))
    return text


def dump(document: dict[str, Any]) -> str:
    """YAML for a native cadence document: keys in order, block scalars for multi-line text."""
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    def text(dumper, value: str):
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value if not style else value.rstrip("\n") + "\n", style=style)

    def sequence(dumper, value: list):
        flat = all(not isinstance(item, (dict, list)) for item in value)
        return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flat)

    Dumper.add_representer(str, text)
    Dumper.add_representer(list, sequence)
    return yaml.dump(document, Dumper=Dumper, sort_keys=False, allow_unicode=True, width=100, default_flow_style=False)


def write(conversion: Conversion, folder: Path, force: bool = False) -> list[tuple[Converted, Path]]:
    """Write each converted cadence as folder/NAME.yaml; refuses (writing nothing) to overwrite unless `force`."""
    from cadence.files import write_private

    targets = [(c, folder / f"{c.name}.yaml") for c in conversion.cadences]
    if not force:
        existing = [str(p) for _, p in targets if p.exists()]
        if existing:
            raise CadenceError(f"{', '.join(existing)} already exists: remove it, choose another --out folder, or add --force")
    try:
        from cadence.folders import make_folder

        make_folder(folder)  # the user cadence folder is private (0700)
        for converted, target in targets:
            write_private(target, converted.text, exclusive=False)
    except OSError as exc:
        raise CadenceError(f"cannot write into {folder}: {exc.strerror}; choose another folder with --out") from None
    return targets


def import_file(path: Path, folder: Path, force: bool = False) -> tuple[list[tuple[Converted, Path]], list[str]]:
    """Convert a CadenceML file and write one native cadence file per cadence; returns them and what was left out."""
    from cadence.cadences.limits import MAX_FILE
    from cadence.files import read_capped

    try:
        text = read_capped(path, MAX_FILE, "CadenceML file").decode("utf-8")
    except UnicodeDecodeError:
        raise CadenceError(f"{path}:1: not a text file (expected UTF-8 YAML)") from None
    conversion = convert(text, str(path))
    return write(conversion, folder, force), conversion.not_mapped


# ---------------------------------------------------------------- export


def export(cadence: Cadence) -> tuple[str, list[str]]:
    """The cadence as a CadenceML file, and what CadenceML has no place for."""
    not_mapped: list[str] = []
    spec: dict[str, Any] = {}
    if cadence.days == "calendar":
        spec["eligible_days"] = list(range(1, 8))
        spec["holiday_region"] = "none"
    else:
        if cadence.weekdays != WORKWEEK:
            spec["eligible_days"] = list(cadence.weekdays)
        if cadence.holidays:
            spec["holiday_region"] = cadence.holidays.lower()
        elif not cadence.public_holidays:
            spec["holiday_region"] = "none"
        if cadence.holiday_dates:
            spec["holidays"] = [d.isoformat() for d in cadence.holiday_dates]
    days: dict[int, list[dict[str, str]]] = {}
    for step in cadence.steps:
        days.setdefault(step.day, []).append(_export_touch(step, not_mapped))
    spec["cadence"] = days
    if cadence.recycle_text:
        not_mapped.append(f"after_fire.recycle_after ({cadence.recycle_text}) has no CadenceML equivalent")
    if cadence.description:
        not_mapped.append("the description has no CadenceML equivalent")
    header = f"# CadenceML, exported by cadence from the cadence {cadence.name!r}.\n"
    return header + dump({cadence.name: spec}), not_mapped


def _export_touch(step, not_mapped: list[str]) -> dict[str, str]:
    where = f"step {step.number}"
    if step.type == "task":
        return _touch_dict("task", step.title or "Task", step.instructions)
    if step.type == "email":
        if step.title and step.subject and step.title != step.subject:
            not_mapped.append(f"{where}: the subject is not kept (CadenceML has one title)")
        return _touch_dict("email", step.title or step.subject, step.body)
    if step.type == "fire":
        channel = "email" if step.fire_channel == "email" else "call"
        title = step.title or ""
        if not BREAKUP.search(title):
            title = f"Breakup {channel}" + (f": {title}" if title else "")
        if channel == "email":
            if step.subject and step.subject != step.title:
                not_mapped.append(f"{where}: the subject of the fire email is not kept (CadenceML has one title)")
            return _touch_dict("email", title, step.body)
        return _touch_dict("call", title, step.script)
    if step.type == "no-message-call":
        notes = "Don't leave a voicemail." + (f"\n\n{step.script.strip()}" if step.script else "")
        return _touch_dict("call", step.title or "Call", notes)
    notes = (step.script or "").strip()
    if step.voicemail and step.voicemail.strip() != notes:
        notes += f"\n\nVoicemail:\n{step.voicemail.strip()}"
    return _touch_dict("call", step.title or "Call", notes)


def _touch_dict(channel: str, title: str | None, notes: str | None) -> dict[str, str]:
    touch = {"channel": channel, "title": (title or "").strip()}
    if notes and notes.strip():
        touch["notes"] = notes.strip()
    return touch
