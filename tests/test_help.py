"""--version, -h, shell completion and help text a person can read at 80 columns."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest


def run(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cadence", *args], capture_output=True, text=True, env={**os.environ, **env}, timeout=60
    )


def every_command(group=None, path=()):
    """(path of words, command) for every command and group of the app."""
    from cadence.cli import app
    from typer.main import get_command

    group = group or get_command(app)
    for name, command in getattr(group, "commands", {}).items():
        yield (*path, name), command
        yield from every_command(command, (*path, name))


def test_version():
    from importlib.metadata import version

    assert run("--version").stdout == f"cadence {version('prospect-cadence')}\n"


def test_version_in_process(cli):
    assert re.fullmatch(r"cadence \d+\.\d+\.\d+\S*\n", cli("--version").stdout)


def test_dash_h_is_help_everywhere(cli):
    assert cli("-h").stdout == cli("--help").stdout
    for words, _ in every_command():
        assert cli(*words, "-h").stdout == cli(*words, "--help").stdout, words


def test_help_shows_plain_metavars(cli):
    log = cli("log", "--help").stdout
    assert " log [OPTIONS] PROSPECT OUTCOME\n" in log
    assert "  --note TEXT " in log
    for words, _ in every_command():
        text = cli(*words, "--help").stdout
        assert not re.search(r"\{\w+\}|<\w+>", text), (words, text)


def test_the_command_list_is_not_cut_off_at_80_columns():
    text = run("--help", COLUMNS="80").stdout
    commands = text.split("Commands:\n")[1]
    assert "..." not in commands
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "  import     Import leads from CSV: one transaction; duplicates skipped, bad\n             rows reported by line.\n" in text


def in_bash(*args: str, **env: str) -> subprocess.CompletedProcess:
    """`cadence ARGS` typed at a bash prompt: Typer finds the shell among the process's parents,
    which a test run detached from any shell (in the background, under CI) does not have."""
    command = [sys.executable, "-m", "cadence", *args]
    return subprocess.run(
        ["bash", "-c", '"$@"; exit $?', "bash", *command], capture_output=True, text=True, env={**os.environ, **env}, timeout=60
    )


def test_show_completion_prints_a_script_for_the_shell():
    result = in_bash("--show-completion", "bash")
    assert result.returncode == 0
    assert "_CADENCE_COMPLETE=complete_bash" in result.stdout


def test_completion_completes_commands_and_subcommands():
    words = run(_CADENCE_COMPLETE="complete_bash", COMP_WORDS="cadence lo", COMP_CWORD="1")
    assert words.stdout.split() == ["log"]
    words = run(_CADENCE_COMPLETE="complete_bash", COMP_WORDS="cadence me s", COMP_CWORD="2")
    assert words.stdout.split() == ["set", "show"]


def test_install_completion_writes_the_shell_script(tmp_path):
    result = in_bash("--install-completion", "bash", HOME=str(tmp_path), SHELL="/bin/bash")
    assert result.returncode == 0, result.stderr
    script = tmp_path / ".bash_completions" / "cadence.sh"
    assert "_CADENCE_COMPLETE" in script.read_text()
    assert "cadence.sh" in (tmp_path / ".bashrc").read_text()
