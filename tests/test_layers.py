"""The layout holds: lower layers never import higher ones, no import circles, no borrowed private names.

Every import of every module counts, at the top or inside a function (a lazy
import is still a dependency), read with `ast` without importing anything.
docs/architecture.md explains the table; each folder's __init__ says it in two lines.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "cadence"

BASE = {"errors", "folders", "files"}
# What each part of the package may import of cadence, besides itself.
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "folders": {"errors"},
    "files": {"errors"},
    "domain": {"errors"},  # pure: not even the user's folders
    "cadences": {"domain", *BASE},
    "store": {"domain", *BASE},
    "pipeline": {"cadences", "store", "domain", *BASE},
    "importer": {"pipeline", "cadences", "store", "domain", *BASE},
    "channels": {"pipeline", "cadences", "store", "domain", *BASE},
    "views": {"domain", "errors"},  # plain values in, text out: never the store
    "cli": {"views", "channels", "importer", "pipeline", "cadences", "store", "domain", *BASE, "(package)"},
    "__main__": {"cli"},
    "(package)": set(),  # cadence/__init__.py: the version only
}
# Third-party packages a part may never import (the CLI and the terminal stay at the top).
UI = {"typer", "click", "rich"}
SQL = {"sqlalchemy", "sqlmodel", "alembic"}
FILES = {"yaml", "jinja2"}
FORBIDDEN: dict[str, set[str]] = {
    "errors": UI | SQL | FILES,
    "folders": UI | SQL | FILES,
    "files": UI | SQL | FILES,
    "domain": UI | SQL | FILES,
    "cadences": UI | SQL,
    "store": UI | FILES,
    "pipeline": UI,
    "importer": UI,
    "channels": UI,
    "views": {"typer", "click"} | SQL | FILES,
}


def modules(root: Path) -> dict[str, Path]:
    """Dotted name -> file for every module under `root` (a package folder named like the package)."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = [root.name, *path.relative_to(root).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports(name: str, path: Path, known: dict[str, Path]) -> list[tuple[str, str, int]]:
    """(imported name, the known module it lands in, line) for every import in the file, wherever it stands."""
    package = name.split(".")[0]
    here = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(here[: len(here) - node.level + 1] + ([base] if base else []))
            targets = [f"{base}.{alias.name}" for alias in node.names]
        for target in targets:
            if target.split(".")[0] != package:
                out.append((target, "", node.lineno))
                continue
            landed = target
            while landed and landed not in known:
                landed = landed.rpartition(".")[0]
            out.append((target, landed, node.lineno))
    return out


def part(module: str) -> str:
    """The layer a module belongs to: its folder, or the top-level module's own name."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "(package)"


def layer_problems(root: Path) -> list[str]:
    """Every import that goes against ALLOWED or FORBIDDEN, as 'file:line: what'."""
    known = modules(root)
    problems = []
    for name, path in known.items():
        mine = part(name)
        if mine not in ALLOWED:
            problems.append(f"{path}: {mine!r} is not in the layer table of tests/test_layers.py")
            continue
        for target, landed, line in imports(name, path, known):
            where = f"{path.relative_to(root.parent)}:{line}"
            if not landed:
                top = target.split(".")[0]
                if top in FORBIDDEN.get(mine, set()):
                    problems.append(f"{where}: {mine} imports {top}")
                continue
            theirs = part(landed)
            if theirs != mine and theirs not in ALLOWED[mine]:
                problems.append(f"{where}: {mine} imports {landed} ({theirs})")
    return problems


def circles(root: Path) -> list[list[str]]:
    """The groups of modules that import each other, directly or round a loop (Tarjan's strongly connected components)."""
    known = modules(root)
    graph = {
        name: sorted({landed for _, landed, _ in imports(name, path, known) if landed and landed != name})
        for name, path in known.items()
    }
    # A package's __init__ is run by importing any module inside it: that is not an edge back to it.
    for name in graph:
        graph[name] = [t for t in graph[name] if not name.startswith(t + ".")]
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in graph:
        if node not in index:
            visit(node)
    return groups


def private_problems(root: Path) -> list[str]:
    """Private names (`_x`) one module takes from another: `from m import _x`, or `m._x` on an imported module."""
    known = modules(root)
    problems = []
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        bound: dict[str, str] = {}  # local name -> module, for `import a.b as c` and `from a import b`
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == root.name:
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    if full in known:
                        bound[alias.asname or alias.name] = full
                    elif alias.name.startswith("_") and not alias.name.startswith("__") and node.module != name:
                        problems.append(f"{path.relative_to(root.parent)}:{node.lineno}: {name} imports {node.module}.{alias.name}")
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname and alias.name in known:
                        bound[alias.asname] = alias.name
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in bound
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
                and bound[node.value.id] != name
            ):
                problems.append(f"{path.relative_to(root.parent)}:{node.lineno}: {name} uses {bound[node.value.id]}.{node.attr}")
    return problems


def test_no_lower_layer_imports_a_higher_one():
    assert layer_problems(PACKAGE) == []


def test_no_module_imports_another_in_a_circle():
    assert circles(PACKAGE) == []


def test_no_module_uses_another_modules_private_names():
    assert private_problems(PACKAGE) == []


def test_every_folder_is_in_the_layer_table():
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert folders <= set(ALLOWED)


# ---------------------------------------------------------------- the checks catch what they should


def plant(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "cadence"
    for name, text in {"__init__.py": "", **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for folder in {p.parent for p in root.rglob("*.py")}:
        (folder / "__init__.py").touch()
    return root


def test_a_domain_module_importing_the_store_inside_a_function_is_caught(tmp_path):
    root = plant(tmp_path, {
        "domain/engine.py": "def f():\n    from cadence.store import db\n",
        "store/db.py": "from cadence.domain.engine import f\n",
    })
    assert layer_problems(root) == ["cadence/domain/engine.py:2: domain imports cadence.store.db (store)"]


@pytest.mark.parametrize("module", ["rich.console", "typer", "sqlmodel", "sqlalchemy.orm"])
def test_the_domain_importing_the_terminal_or_sql_is_caught(tmp_path, module):
    root = plant(tmp_path, {"domain/engine.py": f"import {module}\n"})
    assert layer_problems(root) == [f"cadence/domain/engine.py:1: domain imports {module.split('.')[0]}"]


def test_views_importing_the_store_is_caught(tmp_path):
    root = plant(tmp_path, {"views/daily.py": "from cadence.store.models import Prospect\n", "store/models.py": ""})
    assert layer_problems(root) == ["cadence/views/daily.py:1: views imports cadence.store.models (store)"]


def test_a_lazy_circle_is_caught_and_one_way_imports_are_not(tmp_path):
    root = plant(tmp_path, {
        "cadences/scripts.py": "def render():\n    from cadence.cadences import sandbox\n",
        "cadences/sandbox.py": "from cadence.cadences.scripts import MAX_OUTPUT\n",
        "cadences/loader.py": "from cadence.cadences import sandbox\n",
    })
    assert circles(root) == [["cadence.cadences.sandbox", "cadence.cadences.scripts"]]


def test_borrowed_private_names_are_caught(tmp_path):
    root = plant(tmp_path, {
        "cadences/loader.py": "def _parse_yaml(): pass\n",
        "cadences/cadenceml.py": "from cadence.cadences.loader import _parse_yaml\nfrom cadence.cadences import loader\nloader._parse_yaml()\n",
    })
    assert private_problems(root) == [
        "cadence/cadences/cadenceml.py:1: cadence.cadences.cadenceml imports cadence.cadences.loader._parse_yaml",
        "cadence/cadences/cadenceml.py:3: cadence.cadences.cadenceml uses cadence.cadences.loader._parse_yaml",
    ]
