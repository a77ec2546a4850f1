"""The cadences a user has: the search path, the Library that loads them by name, and the cache of validated files."""

from __future__ import annotations

import os
import re
from dataclasses import fields as dataclass_fields
from datetime import date
from pathlib import Path
from typing import Any, Iterable

from cadence.cadences.loader import parse_cadence
from cadence.cadences.model import Cadence, Problem, Step, Variant
from cadence.cadences.limits import MAX_FILE
from cadence.errors import CadenceError

CACHE_FORMAT = 3  # bump when Cadence or Problem change shape
_HERE = Path(__file__).parent
# The code a kept result depends on: a change to any of them (an upgrade, an edit) is a cache miss.
CODE_FILES = tuple(
    _HERE / name for name in ("model.py", "loader.py", "variants.py", "templates.py", "library.py", "sandbox.py", "bounds.py", "checks.py")
) + (_HERE.parent / "domain" / "calendar.py",)


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
    """The folders named by CADENCE_CADENCES (os.pathsep between them), in order."""
    raw = os.environ.get("CADENCE_CADENCES", "")
    return [Path(p).expanduser() for p in raw.split(os.pathsep) if p.strip()]


def search_path() -> list[tuple[Path, bool]]:
    """Folders searched in order (first wins), each with whether it holds built-ins."""
    from platformdirs import user_config_dir

    folders = [(p, False) for p in env_folders()]
    folders.append((Path(user_config_dir("cadence")) / "cadences", False))
    folders.append((builtin_folder(), True))
    return folders


def cadence_files(folder: Path) -> list[Path]:
    """The .yaml and .yml files in `folder`, sorted; none when it is not a folder."""
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
            for path in cadence_files(folder):
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
    code = [os.stat(path) for path in CODE_FILES]
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
_VARIANT_FIELDS = tuple(f.name for f in dataclass_fields(Variant))


def _to_json(result: tuple[Cadence | None, list[Problem]]) -> dict[str, Any]:
    cadence, problems = result
    entry: dict[str, Any] = {"problems": [[p.path, p.line, p.message] for p in problems], "cadence": None}
    if cadence is not None:
        recycle = cadence.recycle_after
        entry["cadence"] = {
            "name": cadence.name, "title": cadence.title, "description": cadence.description,
            "days": cadence.days, "holidays": cadence.holidays,
            "steps": [_step_json(step) for step in cadence.steps],
            "recycle_after": None if recycle is None else [recycle.years, recycle.months, recycle.days],
            "recycle_text": cadence.recycle_text,
            "fields": None if cadence.fields is None else list(cadence.fields),
            "path": None if cadence.path is None else str(cadence.path),
            "builtin": cadence.builtin, "weekdays": list(cadence.weekdays),
            "holiday_dates": [day.isoformat() for day in cadence.holiday_dates],
            "version": cadence.version, "public_holidays": cadence.public_holidays,
        }
    return entry


def _step_json(step: Step) -> dict[str, Any]:
    entry = {name: getattr(step, name) for name in _STEP_FIELDS}
    entry["variants"] = [{name: getattr(v, name) for name in _VARIANT_FIELDS} for v in step.variants]
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
        variants = tuple(
            Variant(**{**v, "lines": {str(k): int(n) for k, n in v["lines"].items()}}) for v in item["variants"]
        )
        steps.append(Step(**{**item, "lines": {str(k): int(v) for k, v in item["lines"].items()}, "variants": variants}))
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
