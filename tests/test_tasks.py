"""Task steps: manual touches that are neither a call nor an email, logged done or skipped."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest

from cadence.cadences.loader import parse_cadence
from cadence.domain.engine import ADVANCING, Outcome, parse_outcome

TASKS = Path(__file__).parent / "fixtures" / "tasks"


@pytest.fixture
def mine(tmp_path, monkeypatch):
    folder = tmp_path / "mine"
    folder.mkdir()
    shutil.copy(TASKS / "call-link-mail.yaml", folder)
    monkeypatch.setenv("CADENCE_CADENCES", str(folder))
    return folder


@pytest.fixture
def ana(cli, mine):
    cli("me", "set", "name", "Sam Reed")
    cli("add", "--first", "Ana", "--last", "Silva", "--company", "Lumen", "--phone", "+12125550101",
        "--email", "ana@lumen.example", "--cadence", "call-link-mail", "--start", "2026-11-23")
    cli("log", "Ana", "vm", "--at", "2026-11-23T10:00")
    return "Ana"


def test_a_task_step_loads_with_title_and_instructions(mine):
    from cadence.cadences.library import Library

    cadence = Library().get("call-link-mail")
    linkedin, card = cadence.steps[1:3]
    assert (linkedin.type, linkedin.channel, linkedin.title, linkedin.id) == ("task", "task", "Connect on LinkedIn", "linkedin")
    assert linkedin.instructions.startswith("Find {{ prospect.first_name }}")
    assert (card.title, card.instructions) == ("Post a thank-you card", None)


def test_cadence_show_json_has_the_task(cli, mine):
    steps = cli.json("cadences", "show", "call-link-mail")["steps"]
    assert [(s["type"], s["channel"]) for s in steps] == [
        ("call", "phone"), ("task", "task"), ("task", "task"), ("email", "email"), ("fire", "email"),
    ]
    assert (steps[1]["title"], steps[1]["id"]) == ("Connect on LinkedIn", "linkedin")


def problems_of(text: str) -> list[str]:
    _cadence, problems = parse_cadence(textwrap.dedent(text).lstrip(), "bad.yaml")
    return [str(p) for p in problems]


def test_a_task_needs_a_title_and_uses_no_script():
    assert problems_of("""\
        name: bad
        steps:
          - day: 1
            type: task
            instructions: Do something
          - day: 2
            type: task
            title: Write a card
            script: Hello
          - day: 3
            type: call
            script: Hi
            voicemail: Call me
            instructions: Smile
    """) == [
        "bad.yaml:4: step 1: a task step needs 'title'",
        "bad.yaml:9: step 2: a task step does not use 'script' (it uses title, instructions)",
        "bad.yaml:14: step 3: a call step does not use 'instructions' (it uses script, voicemail)",
    ]


def test_task_instructions_are_checked_like_scripts():
    assert problems_of("""\
        name: bad
        steps:
          - day: 1
            type: task
            title: Card
            instructions: "Write to {{ prospect.frist_name }}"
    """) == ["bad.yaml:6: step 1 instructions: unknown variable 'prospect.frist_name' (custom CSV columns are prospect.fields.frist_name)"]


def test_today_lists_tasks_in_their_own_group(cli, ana):
    items = cli.json("today", "--date", "2026-11-24")
    assert [(i["name"], i["step"], i["type"], i["channel"], i["step_title"], i["missing"]) for i in items] == [
        ("Ana Silva", 2, "task", "task", "Connect on LinkedIn", None),
    ]
    assert items[0]["script"] == "Find Ana at Lumen\nand send a request with a one-line note about the voicemail."
    out = cli("today", "--date", "2026-11-24").stdout
    assert "TASKS (1)" in out and "CALLS" not in out and "EMAILS" not in out
    lines = out.splitlines()
    start = lines.index(next(line for line in lines if line.startswith("#1 Ana Silva")))
    assert [line.strip() for line in lines[start + 1 : start + 6]] == [
        "step 2 of 5 · task · tried 1 time",
        "+12125550101 · ana@lumen.example · 07:00 their time (America/New_York)",
        "Task: Connect on LinkedIn",
        "How:",
        "Find Ana at Lumen",
    ]


def test_done_advances_and_counts_as_a_touch(cli, ana):
    logged = cli.json("log", "Ana", "done", "--at", "2026-11-24T10:00")
    assert (logged["outcome"], logged["step"], logged["next_step"], logged["next_due"]) == ("done", 2, 3, "2026-11-24")
    shown = cli.json("show", "Ana")
    assert (shown["attempts"], shown["touches"][-1]["type"], shown["touches"][-1]["outcome"]) == (2, "task", "done")
    # The second task shares day 2: it is due the same day.
    assert [(i["step"], i["step_title"], i["script"]) for i in cli.json("today", "--date", "2026-11-24")] == [
        (3, "Post a thank-you card", ""),
    ]


def test_skipped_advances_without_counting_a_touch(cli, ana):
    cli("log", "Ana", "done", "--at", "2026-11-24T10:00")
    logged = cli.json("log", "Ana", "skipped", "--at", "2026-11-24T11:00", "--note", "no address")
    assert (logged["outcome"], logged["next_step"], logged["next_due"]) == ("skipped", 4, "2026-11-25")
    shown = cli.json("show", "Ana")
    assert shown["attempts"] == 2
    assert [(t["step"], t["outcome"], t["note"]) for t in shown["touches"]] == [
        (1, "voicemail", ""), (2, "done", ""), (3, "skipped", "no address"),
    ]
    assert [(i["step"], i["type"]) for i in cli.json("today", "--date", "2026-11-25")] == [(4, "email")]


def test_skipped_is_refused_before_the_step_is_due(cli, ana):
    result = cli("log", "Ana", "skipped", "--at", "2026-11-23T15:00", ok=False)
    assert (result.exit_code, result.stderr) == (1, "error: step 2 for Ana Silva is not due until 2026-11-24; use --force to log it early\n")


def test_undo_of_a_task(cli, ana):
    cli("log", "Ana", "done", "--at", "2026-11-24T10:00")
    cli("undo", "Ana")
    shown = cli.json("show", "Ana")
    assert (shown["next_step"], shown["next_due"], shown["attempts"]) == (2, "2026-11-24", 1)


def test_preview_shows_the_task_days(cli, mine):
    steps = cli.json("cadences", "preview", "call-link-mail", "--start", "2026-11-23", "--outcomes", "vm,done,skipped,sent,sent")
    assert [(s["date"], s["type"], s["channel"], s["title"], s["outcome"], s["status_after"]) for s in steps] == [
        ("2026-11-23", "call", "phone", None, "voicemail", "active"),
        ("2026-11-24", "task", "task", "Connect on LinkedIn", "done", "active"),
        ("2026-11-24", "task", "task", "Post a thank-you card", "skipped", "active"),
        ("2026-11-25", "email", "email", None, "sent", "active"),
        ("2026-11-26", "fire", "email", None, "sent", "fired"),
    ]


def test_the_outcomes_are_words_of_their_own():
    assert (parse_outcome("done"), parse_outcome("Skipped")) == (Outcome.DONE, Outcome.SKIPPED)
    assert {Outcome.DONE, Outcome.SKIPPED} <= ADVANCING
    assert json.dumps([Outcome.DONE.value, Outcome.SKIPPED.value]) == '["done", "skipped"]'


def test_cadence_show_prints_the_task(cli, mine):
    out = cli("cadences", "show", "call-link-mail").stdout
    start = out.index("Step 2 of 5")
    assert out[start:].splitlines()[:5] == [
        "Step 2 of 5: day 2, task",
        "  title: Connect on LinkedIn (id linkedin)",
        "  instructions:",
        '    Find {{ prospect.first_name }} at {{ prospect.company or "their company" }}',
        "    and send a request with a one-line note about the voicemail.",
    ]
