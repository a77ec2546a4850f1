"""What the package imports is what it declares: a fresh install runs every command.

The rule, checked over every module of src/ (parsed, not imported):
- a third-party module imported anywhere (at the top or inside a function) must come
  from a distribution that prospect-cadence requires without an extra;
- the one exception is an import guarded by `try: ... except ImportError` (or
  ModuleNotFoundError): the code runs without it, so its distribution may instead be
  declared in an extra (keyring, the `keyring` extra). A guarded module that is not
  installed here is looked up by its own name among the extras.
- Drivers that SQLAlchemy loads by URL (psycopg, the `postgres` extra) are not imported
  by src/ at all, so they are free to stay optional.
A dependency that only arrives through another one (click through an old typer, or
through the bench extra's sqlite-utils) does not count: it can leave with that one.
"""

from __future__ import annotations

import ast
import sys
from importlib.metadata import packages_distributions, requires
from pathlib import Path

from packaging.requirements import Requirement

SRC = Path(__file__).parent.parent / "src"


def _normal(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def _guarded(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    """Whether the import sits in the body of a try that catches ImportError."""
    child, parent = node, parents.get(node)
    while parent is not None:
        if isinstance(parent, ast.Try) and child in parent.body:
            for handler in parent.handlers:
                names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
                if any(isinstance(n, ast.Name) and n.id in ("ImportError", "ModuleNotFoundError") for n in names):
                    return True
        child, parent = parent, parents.get(parent)
    return False


def imported_modules() -> dict[str, bool]:
    """Top-level third-party module -> True when every import of it is guarded (optional)."""
    found: dict[str, bool] = {}
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top in ("cadence", "__future__"):
                    continue
                found[top] = found.get(top, True) and _guarded(node, parents)
    return found


def declared() -> tuple[set[str], set[str]]:
    """The distributions prospect-cadence requires: (always, only with an extra)."""
    always, extra = set(), set()
    for text in requires("prospect-cadence") or []:
        requirement = Requirement(text)
        name = _normal(requirement.name)
        if requirement.marker is not None and "extra" in str(requirement.marker):
            if name not in always:
                extra.add(name)
        else:
            always.add(name)
    return always, extra - always


def undeclared_imports() -> list[str]:
    """One line per imported module no declared dependency provides."""
    always, extra = declared()
    providers = packages_distributions()
    wrong = []
    for module, optional in sorted(imported_modules().items()):
        dists = {_normal(d) for d in providers.get(module, [])}
        if not dists and optional:
            dists = {_normal(module)}  # not installed here: it must be an extra of its own name
        if dists & always:
            continue
        if optional and dists & extra:
            continue
        need = "a dependency" if not optional else "a dependency or an extra"
        wrong.append(f"{module} (from {', '.join(sorted(dists)) or 'nothing installed'}) is not {need} in pyproject.toml")
    return wrong


def test_every_module_src_imports_is_a_declared_dependency():
    assert undeclared_imports() == []


def test_the_check_finds_click_missing_from_the_dependencies(monkeypatch):
    always, extra = declared()
    assert "click" in always  # cadence work's keys
    assert "keyring" in extra and "keyring" not in always
    monkeypatch.setattr(sys.modules[__name__], "declared", lambda: (always - {"click"}, extra))
    assert undeclared_imports() == ["click (from click) is not a dependency in pyproject.toml"]


def test_an_optional_import_must_still_be_declared_as_an_extra(monkeypatch):
    always, extra = declared()
    monkeypatch.setattr(sys.modules[__name__], "declared", lambda: (always, extra - {"keyring"}))
    assert undeclared_imports() == ["keyring (from keyring) is not a dependency or an extra in pyproject.toml"]


def readme_blocks() -> list[str]:
    """The ```sh blocks of README.md, in order."""
    text = (SRC.parent / "README.md").read_text(encoding="utf-8")
    return [block.split("```", 1)[0].strip() for block in text.split("```sh\n")[1:]]


def test_the_readme_install_and_test_blocks_need_no_activated_environment_and_no_python():
    # Debian/Ubuntu: PEP 668 refuses pip outside a venv, and there is `python3` but no `python`.
    import re

    first, second = readme_blocks()[:2]
    assert first == (
        "python3 -m venv .venv && .venv/bin/pip install . && "
        ".venv/bin/cadence import examples/leads.csv && .venv/bin/cadence today"
    )
    assert second == "python3 -m venv .venv && .venv/bin/pip install '.[test]' && .venv/bin/python -m pytest"
    for block in (first, second):
        for command in re.split(r"&&|;|\n", block):
            program = command.split()[0]
            assert program == "python3" or program.startswith(".venv/bin/"), command


def test_ci_runs_the_readmes_test_command():
    ci = (SRC.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert 'bash -c "$test_command"' in ci
    assert "block == 2" in ci  # the command is read from the README's second sh block
    assert "pip install" not in ci.replace("python3 -m venv", "")  # nothing installed beside it
