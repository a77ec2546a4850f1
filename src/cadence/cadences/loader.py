"""Load and validate cadence files, find them on the search path, render their scripts."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from datetime import date
from pathlib import Path
from typing import Any, Iterable

from cadence.domain.calendar import Calendar
from cadence.errors import CadenceError

STEP_TYPES = ("call", "no-message-call", "email", "fire", "task")
FIRE_CHANNELS = ("voicemail", "email")
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
STEP_KEYS = {"day", "type", "channel", "title", "id", *TEXT_KEYS}
TOP_KEYS = {"name", "title", "description", "days", "weekdays", "holidays", "steps", "after_fire", "fields"}
WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WORKWEEK = (1, 2, 3, 4, 5)  # ISO weekday numbers: 1 = Monday
HOLIDAY_KEYS = ("country", "dates")
STEP_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
PROSPECT_FIELDS = frozenset(
    {
        "id", "first_name", "last_name", "name", "title", "company", "phone", "email",
        "timezone", "source", "tags", "owner", "status", "fields",
    }
)
ME_KEYS = frozenset({"name", "company", "phone", "email", "title", "website", "timezone"})
TEMPLATE_NAMES = frozenset({"prospect", "me", "step", "steps", "attempts"})
STEP_VARS = frozenset({"number", "day", "type", "channel", "title"})
MAX_DEPTH = 20
MAX_FILE = 1_000_000  # bytes; a cadence file is a few kilobytes
MAX_DAY = 1000  # the last day number a step may have: about four years of working days
MAX_RECYCLE_DAYS = 3660  # recycle_after at most 10 years (months count 31 days, years 366)
CACHE_FORMAT = 2  # bump when Cadence or Problem change shape
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


@dataclass(frozen=True)
class Step:
    number: int
    day: int
    type: str
    channel: str  # what the salesperson uses: phone, email or task
    fire_channel: str | None = None  # voicemail or email, fire steps only
    script: str | None = None
    voicemail: str | None = None
    subject: str | None = None
    body: str | None = None
    title: str | None = None
    instructions: str | None = None  # task steps: what to do, a template
    id: str | None = None  # optional stable id, used to match steps across versions
    line: int = 0
    lines: dict[str, int] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Cadence:
    name: str
    title: str
    description: str
    days: str  # business or calendar
    holidays: str | None
    steps: tuple[Step, ...]
    recycle_after: Any = None  # dateutil relativedelta
    recycle_text: str | None = None
    fields: tuple[str, ...] | None = None
    path: Path | None = None
    builtin: bool = False
    weekdays: tuple[int, ...] = WORKWEEK  # ISO numbers of the working weekdays (business days)
    holiday_dates: tuple[date, ...] = ()  # extra days off named by the file
    version: str | None = None  # the content hash of a stored copy (None: read from its file)
    public_holidays: bool = True  # False: `holidays: none`, not even the profile's country

    def calendar(self, days_off: frozenset = frozenset(), country: str | None = None) -> Calendar:
        """The calendar that counts this cadence's days (profile country if the file names none)."""
        business = self.days == "business"
        return Calendar(
            business=business,
            country=(self.holidays or country) if self.public_holidays else None,
            days_off=frozenset(days_off) | frozenset(self.holiday_dates) if business else frozenset(),
            weekdays=frozenset(day - 1 for day in self.weekdays),
        )


@dataclass(frozen=True)
class Problem:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        if not self.line:
            return f"{self.path}: {self.message}"
        return f"{self.path}:{self.line}: {self.message}"


class Node:
    """A parsed YAML value with the line it starts on (1-based)."""

    __slots__ = ("value", "line", "key_lines")

    def __init__(self, value: Any, line: int, key_lines: dict[str, int] | None = None):
        self.value = value
        self.line = line
        self.key_lines = key_lines or {}


# ---------------------------------------------------------------- YAML with lines


def _parse_yaml(text: str, path: str) -> Node:
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
    root = _parse_yaml(text, path)
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


def parse_weekday(value: Any) -> int | None:
    """The ISO number (1 = Monday .. 7 = Sunday) of a weekday name, short name or number; None if not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 1 <= value <= 7 else None
    if isinstance(value, str):
        text = value.strip().lower()
        if text.isdigit():
            return parse_weekday(int(text))
        for number, name in enumerate(WEEKDAY_NAMES, start=1):
            if len(text) >= 3 and name.startswith(text):
                return number
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


def parse_period(text: str):
    """A relativedelta for '6 months', '2 weeks', '10 days', '1 year'; refuses anything else."""
    from dateutil.relativedelta import relativedelta

    match = re.fullmatch(r"\s*(\d+)\s*(day|week|month|year)s?\s*", text.lower())
    if not match:
        raise CadenceError(f"period {text!r} is not like '6 months', '2 weeks', '30 days' or '1 year'")
    count, unit = int(match.group(1)), match.group(2)
    return relativedelta(**{unit + "s": count})


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
    for key in need:
        if not (texts[key] or "").strip():
            problem(lines.get(key, type_node.line), f"step {number}: a {step_type} step needs {key!r}")
    uses = (*need, *OPTIONAL.get(step_type, ()))
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
        **texts,
    )


# ---------------------------------------------------------------- templates

def environment():
    """The one sandboxed Jinja2 environment (see cadence.cadences.sandbox): undefined names are errors."""
    from cadence.cadences import sandbox

    return sandbox.environment()


def check_template(source: str, declared: tuple[str, ...] | None, me_keys: Iterable[str]) -> list[str]:
    """Problems in one template: syntax errors and variables that would not exist."""
    from jinja2 import TemplateSyntaxError, nodes

    from cadence.cadences.sandbox import MAX_NESTING, static_problems, structure_problems

    try:
        tree = environment().parse(source)
    except TemplateSyntaxError as exc:
        return [f"template error: {exc.message}"]
    except RecursionError:
        return [f"template error: expressions are nested too deeply (limit {MAX_NESTING})"]
    problems: list[str] = structure_problems(tree)
    if any(problem.startswith("expressions are nested") for problem in problems):
        return problems  # walking a tree that deep is not worth it
    problems += static_problems(tree)
    me_keys = set(me_keys)
    assigned = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Name)):
        if isinstance(node, nodes.Name):
            if node.ctx == "load" and node.name not in TEMPLATE_NAMES | assigned:
                problems.append(f"unknown variable {node.name!r} (known: {', '.join(sorted(TEMPLATE_NAMES))})")
            continue
        attr = _attribute(node)
        if attr is None:
            continue
        if attr.startswith("_"):
            problems.append(f"private attribute {attr!r} is not allowed")
            continue
        base = node.node
        if isinstance(base, nodes.Name) and base.name not in assigned:
            problems.extend(_check_attr(base.name, attr, me_keys))
        elif (
            isinstance(base, (nodes.Getattr, nodes.Getitem))
            and isinstance(base.node, nodes.Name)
            and base.node.name == "prospect"
            and _attribute(base) == "fields"
            and declared is not None
            and attr not in declared
        ):
            problems.append(f"unknown custom field 'prospect.fields.{attr}' (declared: {', '.join(declared) or 'none'})")
    return problems


def _attribute(node) -> str | None:
    from jinja2 import nodes

    if isinstance(node, nodes.Getattr):
        return node.attr
    if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
        return node.arg.value
    return None


def _check_attr(name: str, attr: str, me_keys: set[str]) -> list[str]:
    if name == "prospect" and attr not in PROSPECT_FIELDS:
        return [f"unknown variable 'prospect.{attr}' (custom CSV columns are prospect.fields.{attr})"]
    if name == "me" and attr not in me_keys:
        return [f"unknown variable 'me.{attr}': set it with `cadence me set {attr} VALUE` or fix the name"]
    if name == "step" and attr not in STEP_VARS:
        return [f"unknown variable 'step.{attr}' (known: {', '.join(sorted(STEP_VARS))})"]
    return []


def render(source: str, context: dict[str, Any]) -> str:
    """The template rendered with `context` in the script sandbox; a render failure raises CadenceError."""
    from cadence.cadences import scripts

    return scripts.render(source, context)


# ---------------------------------------------------------------- search path


def builtin_folder() -> Path:
    """Where the built-in cadences are: inside the installed package, or the repository's cadences/."""
    packaged = Path(__file__).parents[1] / "builtin_cadences"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "cadences"


def user_folder() -> Path:
    """The user cadence folder: the first CADENCE_CADENCES folder, else the config folder."""
    folders = env_folders()
    if folders:
        return folders[0]
    from platformdirs import user_config_dir

    return Path(user_config_dir("cadence")) / "cadences"


def env_folders() -> list[Path]:
    raw = os.environ.get("CADENCE_CADENCES", "")
    return [Path(p).expanduser() for p in raw.split(os.pathsep) if p.strip()]


def search_path() -> list[tuple[Path, bool]]:
    """Folders searched in order (first wins), each with whether it holds built-ins."""
    from platformdirs import user_config_dir

    folders = [(p, False) for p in env_folders()]
    folders.append((Path(user_config_dir("cadence")) / "cadences", False))
    folders.append((builtin_folder(), True))
    return folders


def _files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


class Library:
    """The cadences found on the search path, loaded on demand and cached."""

    def __init__(self, me_keys: Iterable[str] = ()):
        self.me_keys = tuple(me_keys)
        self._loaded: dict[str, Cadence] = {}

    def locate(self) -> dict[str, tuple[Path, bool]]:
        """Name -> (file, builtin) for every cadence file; earlier folders override later ones."""
        found: dict[str, tuple[Path, bool]] = {}
        for folder, builtin in search_path():
            for path in _files(folder):
                found.setdefault(path.stem, (path, builtin))
        return found

    def get(self, name: str) -> Cadence:
        """The cadence called `name`; refuses an unknown name or an invalid file."""
        if name in self._loaded:
            return self._loaded[name]
        located = self._find(name)
        if located is None:
            known = ", ".join(sorted(self.locate())) or "none"
            raise CadenceError(f"no cadence named {name!r} (known: {known}); see `cadence cadences list`")
        cadence = load_file(*located, me_keys=self.me_keys)
        self._loaded[name] = cadence
        return cadence

    def _find(self, name: str) -> tuple[Path, bool] | None:
        for folder, builtin in search_path():
            for suffix in (".yaml", ".yml"):
                path = folder / f"{name}{suffix}"
                if path.is_file():
                    return path, builtin
        return None

    def all(self) -> list[Cadence | Problem]:
        """Every cadence on the path, or the first problem of a file that does not load."""
        out: list[Cadence | Problem] = []
        for name, (path, builtin) in sorted(self.locate().items()):
            cadence, problems = validate_file(path, builtin=builtin, me_keys=self.me_keys)
            if cadence is None or problems:
                out.append(problems[0] if problems else Problem(str(path), 0, "invalid"))
            else:
                self._loaded.setdefault(name, cadence)
                out.append(self._loaded[name])
        return out


def load_file(path: Path, builtin: bool = False, me_keys: Iterable[str] = ()) -> Cadence:
    """The cadence in `path`; refuses an unreadable or invalid file with its first problems."""
    cadence, problems = validate_file(path, builtin=builtin, me_keys=me_keys)
    if problems or cadence is None:
        raise CadenceError("; ".join(str(p) for p in problems[:3]))
    return cadence


def validate_file(
    path: Path, builtin: bool = False, me_keys: Iterable[str] = ()
) -> tuple[Cadence | None, list[Problem]]:
    """The cadence in `path` and its problems, each naming file and line; refuses files over MAX_FILE bytes."""
    from cadence.files import read_capped

    try:
        content = read_capped(path, MAX_FILE, "cadence file")  # never /dev/zero, a FIFO, or a file that keeps growing
    except CadenceError as exc:
        return None, [Problem(str(path), 0, str(exc).removeprefix(f"{path}: "))]
    me_keys = tuple(sorted(set(me_keys)))
    key = _cache_key(path, content, builtin, me_keys)
    cached = _cached(key)
    if cached is not None:
        return cached
    try:
        text = content.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError:
        return None, [Problem(str(path), 1, "not a text file (expected UTF-8 YAML)")]
    result = _validate_text(text, path, builtin, me_keys)
    _keep(key, result)
    return result


def _validate_text(text: str, path: Path, builtin: bool, me_keys: tuple[str, ...]) -> tuple[Cadence | None, list[Problem]]:
    try:
        return parse_cadence(text, str(path), me_keys=me_keys, builtin=builtin)
    except CadenceError as exc:
        message = str(exc)
        match = re.match(r"^(.*):(\d+): (.*)$", message, re.S)
        if match and match.group(1) == str(path):
            return None, [Problem(str(path), int(match.group(2)), match.group(3))]
        return None, [Problem(str(path), 1, message)]


# ---------------------------------------------------------------- validated files, cached
# Parsing YAML and checking every template costs more than the rest of a
# command; the result depends only on the file's bytes, where it is, the
# me.* keys and this code, so it is kept in the user cache folder under a
# hash of those. Entries are JSON (reading one cannot run code); the folder
# is made 0700 and is not read at all when another user could write to it.


def _cache_key(path: Path, content: bytes, builtin: bool, me_keys: tuple[str, ...]) -> str:
    import hashlib

    digest = hashlib.sha256(content)
    here = Path(__file__).parent
    code = [os.stat(path) for path in (here / "loader.py", here / "sandbox.py", here.parent / "domain" / "calendar.py")]
    digest.update(repr((CACHE_FORMAT, str(path), builtin, me_keys, [(s.st_mtime_ns, s.st_size) for s in code])).encode())
    return digest.hexdigest()


def _cache_folder() -> Path:
    from cadence.folders import cache_folder

    return cache_folder("cadences")


def _cached(key: str) -> tuple[Cadence | None, list[Problem]] | None:
    """The kept result for `key`, or None: missing, damaged, of another shape, or in a folder others can write."""
    import json

    from cadence.folders import trusted

    folder = _cache_folder()
    try:
        with open(folder / f"{key}.json", encoding="utf-8") as handle:
            entry = json.load(handle)
        if not trusted(folder):
            return None
        return _from_json(entry)
    except Exception:  # noqa: BLE001 - a missing, unreadable or odd entry is only a cache miss
        return None


def _keep(key: str, result: tuple[Cadence | None, list[Problem]]) -> None:
    import json
    import tempfile

    from cadence.folders import cache_ready

    folder = _cache_folder()
    try:
        if not cache_ready(folder):
            return
        with tempfile.NamedTemporaryFile("w", dir=folder, delete=False, suffix=".tmp", encoding="utf-8") as handle:
            try:
                json.dump(_to_json(result), handle, ensure_ascii=False)
            except Exception:
                os.unlink(handle.name)
                raise
        os.replace(handle.name, folder / f"{key}.json")  # readers see a whole entry or none
    except (OSError, TypeError, ValueError):
        pass  # a read-only or full cache folder only costs speed


_STEP_FIELDS = tuple(f.name for f in dataclass_fields(Step))


def _to_json(result: tuple[Cadence | None, list[Problem]]) -> dict[str, Any]:
    cadence, problems = result
    entry: dict[str, Any] = {"problems": [[p.path, p.line, p.message] for p in problems], "cadence": None}
    if cadence is not None:
        recycle = cadence.recycle_after
        entry["cadence"] = {
            "name": cadence.name, "title": cadence.title, "description": cadence.description,
            "days": cadence.days, "holidays": cadence.holidays,
            "steps": [{name: getattr(step, name) for name in _STEP_FIELDS} for step in cadence.steps],
            "recycle_after": None if recycle is None else [recycle.years, recycle.months, recycle.days],
            "recycle_text": cadence.recycle_text,
            "fields": None if cadence.fields is None else list(cadence.fields),
            "path": None if cadence.path is None else str(cadence.path),
            "builtin": cadence.builtin, "weekdays": list(cadence.weekdays),
            "holiday_dates": [day.isoformat() for day in cadence.holiday_dates],
            "version": cadence.version, "public_holidays": cadence.public_holidays,
        }
    return entry


def _from_json(entry: dict[str, Any]) -> tuple[Cadence | None, list[Problem]]:
    """The result kept by _to_json; raises (a miss) on anything of another shape."""
    problems = [Problem(str(path), int(line), str(message)) for path, line, message in entry["problems"]]
    raw = entry["cadence"]
    if raw is None:
        return None, problems
    steps = []
    for item in raw["steps"]:
        if set(item) != set(_STEP_FIELDS) or not isinstance(item["lines"], dict):
            raise ValueError("step of another shape")
        steps.append(Step(**{**item, "lines": {str(k): int(v) for k, v in item["lines"].items()}}))
    recycle = None
    if raw["recycle_after"] is not None:
        from dateutil.relativedelta import relativedelta

        years, months, days = (int(n) for n in raw["recycle_after"])
        recycle = relativedelta(years=years, months=months, days=days)
    cadence = Cadence(
        name=str(raw["name"]), title=str(raw["title"]), description=str(raw["description"]),
        days=str(raw["days"]), holidays=raw["holidays"], steps=tuple(steps),
        recycle_after=recycle, recycle_text=raw["recycle_text"],
        fields=None if raw["fields"] is None else tuple(map(str, raw["fields"])),
        path=None if raw["path"] is None else Path(raw["path"]),
        builtin=bool(raw["builtin"]), weekdays=tuple(int(n) for n in raw["weekdays"]),
        holiday_dates=tuple(date.fromisoformat(day) for day in raw["holiday_dates"]),
        version=raw["version"], public_holidays=bool(raw["public_holidays"]),
    )
    return cadence, problems
