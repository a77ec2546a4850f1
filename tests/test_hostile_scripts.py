"""Hostile input, second round: scripts bounded in time and memory, the caches, terminal escapes, invisible names.

Each sandbox case runs `cadence cadences preview` in a child process on a
cadence file that validation accepts, and checks the child's wall time and
peak memory (its own rusage, from os.wait4) besides the refusal it shows.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from cadence.errors import CadenceError

DAY = "2026-11-23"
CADENCE = Path(sys.executable).with_name("cadence")
MAX_SECONDS = 5.0
MAX_RSS_MB = 250  # the stack alone is about 60 MB; the unbounded cases took 1 to 24 GB


def cadence_file(folder: Path, script: str, name: str = "tpl") -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(f"name: {name}\nsteps:\n  - day: 1\n    type: no-message-call\n    script: {json.dumps(script)}\n")
    return path


def measured(*args: str) -> tuple[subprocess.CompletedProcess, float, float]:
    """Runs `cadence ARGS` through a small Python parent that reports the child's own rusage."""
    code = (
        "import json, os, subprocess, sys, time\n"
        "t = time.monotonic()\n"
        "p = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=open(os.environ['B1_OUT'], 'w'), stderr=open(os.environ['B1_ERR'], 'w'))\n"
        "_, status, usage = os.wait4(p.pid, 0)\n"
        "print(json.dumps([os.waitstatus_to_exitcode(status), time.monotonic() - t, usage.ru_maxrss]))\n"
    )
    folder = Path(os.environ["XDG_CACHE_HOME"]).parent
    out, err = folder / "child.out", folder / "child.err"
    env = {**os.environ, "B1_OUT": str(out), "B1_ERR": str(err)}
    report = subprocess.run([sys.executable, "-c", code, str(CADENCE), *args], env=env, capture_output=True, text=True, timeout=120)
    code_, elapsed, rss_kb = json.loads(report.stdout)
    result = subprocess.CompletedProcess(args, code_, out.read_text(), err.read_text())
    return result, elapsed, rss_kb / 1024


@pytest.fixture
def folder(isolated, monkeypatch):
    path = isolated / "cadences"
    path.mkdir()
    monkeypatch.setenv("CADENCE_CADENCES", str(path))
    return path


# Each script passes `cadences validate` (its sizes come from `steps`, 1 here), then must be refused
# when rendered, quickly and in little memory.
SANDBOX_CASES = [
    ("{{ 'a'.ljust(steps * 10**9) }}", "a width of 1000000000 for 'ljust' is too large (limit 1000)"),
    ("{{ 'a'.center(steps * 10**9) }}", "a width of 1000000000 for 'center' is too large (limit 1000)"),
    ("{{ 'a'.zfill(steps * 10**9) }}", "a width of 1000000000 for 'zfill' is too large (limit 1000)"),
    ("{{ 'a\\tb'.expandtabs(steps * 10**9) }}", "a width of 1000000000 for 'expandtabs' is too large (limit 1000)"),
    ("{{ '{:>{}}'.format('a', steps * 10**9) }}", "a format width of 1000000000 is too large (limit 1000)"),
    ("{{ '%*d' % (steps * 10**9, 1) }}", "a format width of 1000000000 is too large (limit 1000)"),
    ("{{ '%*s'|format(steps * 10**9, 'a') }}", "a format width of 1000000000 is too large (limit 1000)"),
    ("{{ ('x'*9)|slice(steps * 10**8)|list|length }}", "a width of 100000000 for 'slice' is too large (limit 1000)"),
    ("{% set a = prospect.name %}" + "{% set a = a ~ a %}" * 16 + "{{ a|length }}", "'~' would make a text of 122,880 characters (limit 100,000)"),
    ("{{ prospect.name" + "|replace('a', 'aaaaaaaaaa')" * 10 + " }}", "'replace' would make a text of 300,012 characters (limit 100,000)"),
    ("{{ prospect.name.replace('a', 'aaaaaaaaaa')" + ".replace('a', 'aaaaaaaaaa')" * 9 + " }}", "'replace' would make a text of 300,012 characters (limit 100,000)"),
    ("{{ (prospect.name * 5000)|wordwrap(1, wrapstring=prospect.name * 5000) }}", "'wordwrap' would make a text of 5,625,150,000 characters (limit 100,000)"),
    ("{{ [prospect.name * 5000] * 100 }}", "repeating a text or list 7,500,400 long is too much (limit 100,000)"),
    ("{{ ('{0}' * 30000).format(prospect.name * 1000) }}", "'format' would make a text of 105,000 characters (limit 100,000)"),
    ("{% set b %}{% for c in prospect.name * 2000 %}{{ prospect.name * 100 }}{% endfor %}{% endset %}{{ b|length }}",
     "a block would make a text of 100,500 characters (limit 100,000)"),
    ("{% for c in prospect.name * 6000 %}{{ (prospect.name * 6000)|upper|length }}{% endfor %}",
     "the script builds too much (over 2,000,000 characters in all)"),
]


@pytest.mark.parametrize(("script", "refusal"), SANDBOX_CASES)
def test_a_validated_script_renders_bounded_in_time_and_memory(cli, folder, script, refusal):
    path = cadence_file(folder, script)
    assert cli("cadences", "validate", str(path)).stdout == f"ok: {path} (tpl, 1 step)\n"
    result, seconds, megabytes = measured("cadences", "preview", "tpl", "--start", DAY, "--json")
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)[0]["script"]
    assert shown == f"[script refused by the sandbox: {refusal}: fix step 1 of the cadence file {path}]"
    assert seconds < MAX_SECONDS and megabytes < MAX_RSS_MB, (seconds, megabytes)


def test_the_same_bounds_hold_in_today(cli, folder, prospect_factory):
    path = cadence_file(folder, SANDBOX_CASES[9][0])
    prospect_factory(first_name="Ana", last_name="María López", cadence="tpl", start=date(2026, 11, 23))
    result, seconds, megabytes = measured("today", "--date", DAY, "--json")
    assert json.loads(result.stdout)[0]["script"] == (
        f"[script refused by the sandbox: 'replace' would make a text of 300,012 characters (limit 100,000): fix step 1 of the cadence file {path}]"
    )
    assert seconds < MAX_SECONDS and megabytes < MAX_RSS_MB, (seconds, megabytes)


@pytest.mark.parametrize(
    ("script", "problem"),
    [
        ("{{ 'a'.ljust(10**9) }}", "a width of 1000000000 for 'ljust' is too large (limit 1000)"),
        ("{{ 'x'|center(10**9) }}", "a width of 1000000000 for 'center' is too large (limit 1000)"),
        ("{{ '{:>1000000000}'.format('a') }}", "a format width of 1000000000 is too large (limit 1000)"),
        ("{{ '%*d' % (10**9, 1) }}", "a format width of 1000000000 is too large (limit 1000)"),
        ("{{ ('x'*9)|slice(10**8)|list|length }}", "a width of 100000000 for 'slice' is too large (limit 1000)"),
        ("{{ 'x' * 10**9 }}", "repeating a text or list 1,000,000,000 long is too much (limit 100,000)"),
        ("{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}", "template error: expressions are nested too deeply (limit 40)"),
        ("{{ " + "[" * 45 + "1" + "]" * 45 + " }}", "expressions are nested 46 deep (limit 40)"),
    ],
)
def test_validate_flags_what_it_can_see_in_one_line(cli, folder, script, problem):
    path = cadence_file(folder, script)
    result = cli("cadences", "validate", str(path), ok=False)
    assert (result.exit_code, result.stderr) == (1, f"{path}:5: step 1 script: {problem}\n")
    assert "Traceback" not in result.stderr


def test_rendering_a_script_nested_too_deeply_is_one_error():
    from cadence.cadences.sandbox import render

    with pytest.raises(CadenceError) as caught:
        render("{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}", {})
    assert str(caught.value) == "script could not be rendered: expressions are nested too deeply (limit 40)"


def test_cadenceml_notes_cannot_leave_their_raw_wrapper(cli, isolated):
    from cadence.cadences.cadenceml import _template_text
    from cadence.cadences.scripts import render

    notes = "Hi {{ first_name }} {% endraw %}{{ prospect.__class__ }}{{ 7 * 7 }}{% raw %} {%- endraw -%}{{ 1 }}"
    assert render(_template_text(notes), {}) == notes


# ---------------------------------------------------------------- fallbacks (issue 13.9)


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ('We help {{ prospect.fields.industry or "companies" }}.', "We help companies."),
        ('We help {{ prospect.fields.industry or prospect.fields.sector or "companies" }}.', "We help companies."),
        ('We help {{ prospect.fields.industry|upper or "companies" }}.', None),
        ('{% if prospect.fields.industry %}in {{ prospect.fields.industry }}{% else %}anywhere{% endif %}', "anywhere"),
    ],
)
def test_a_missing_column_falls_back_in_both_renderers(script, expected):
    from cadence.cadences import sandbox
    from cadence.cadences import scripts

    context = {"prospect": {"first_name": "Ana", "fields": {"size": "10"}}}
    if expected is None:  # a filter on the missing value is an error, in both
        with pytest.raises(CadenceError, match="has no attribute 'industry'"):
            scripts.render(script, context)
        return
    assert scripts.render(script, context) == expected
    assert sandbox.render(script, context) == expected
    assert scripts._form(script) is None or scripts._fill(scripts._form(script), context) == expected


def test_the_documented_fallback_renders_in_today(cli, folder, prospect_factory):
    (folder / "ind.yaml").write_text(
        "name: ind\nfields: [industry]\nsteps:\n  - day: 1\n    type: no-message-call\n"
        "    script: 'We help {{ prospect.fields.industry or \"companies\" }} like yours.'\n"
    )
    prospect_factory(first_name="Ana", cadence="ind", start=date(2026, 11, 23))
    prospect_factory(first_name="Omar", cadence="ind", start=date(2026, 11, 23), fields={"industry": "bakeries"})
    scripts = {item["name"].split()[0]: item["script"] for item in cli.json("today", "--date", DAY)}
    assert scripts == {"Ana": "We help companies like yours.", "Omar": "We help bakeries like yours."}


# ---------------------------------------------------------------- the caches (20.2)


def test_cache_and_config_folders_are_private_whatever_the_umask(cli, isolated, folder, monkeypatch):
    monkeypatch.delenv("CADENCE_CADENCES")
    old = os.umask(0)
    try:
        cli("cadences", "new", "mine")
        cli.json("cadences", "list")
    finally:
        os.umask(old)
    for path in (
        isolated / "cache", isolated / "cache" / "cadence", isolated / "cache" / "cadence" / "cadences",
        isolated / "config", isolated / "config" / "cadence", isolated / "config" / "cadence" / "cadences",
    ):
        assert stat.S_IMODE(path.stat().st_mode) == 0o700, path


def test_a_cache_folder_others_can_write_is_not_read(cli, isolated, monkeypatch):
    from cadence import folders

    cli.json("cadences", "list")
    entries = isolated / "cache" / "cadence" / "cadences"
    os.chmod(isolated / "cache" / "cadence", 0o777)  # left by a umask of 000, say
    monkeypatch.setattr(folders, "_trusted", {})
    for entry in entries.iterdir():
        data = json.loads(entry.read_text())
        data["cadence"]["title"] = "Planted by someone else"
        entry.write_text(json.dumps(data))
    titles = {c["title"] for c in cli.json("cadences", "list")}
    assert "Planted by someone else" not in titles
    assert stat.S_IMODE((isolated / "cache" / "cadence").stat().st_mode) == 0o700  # narrowed again


def test_no_cache_entry_is_code_and_odd_entries_are_misses(cli, isolated):
    from cadence.cadences import library as cadences

    cli.json("cadences", "list")
    names = [c["name"] for c in cli.json("cadences", "list")]
    entries = sorted((isolated / "cache" / "cadence" / "cadences").iterdir())
    assert entries and all(e.suffix == ".json" for e in entries)
    assert not list((isolated / "cache" / "cadence").rglob("*.pickle"))
    assert not (isolated / "cache" / "cadence" / "templates").exists()
    for odd in ("[]", '{"problems": 3}', '{"problems": [], "cadence": {"name": 1}}', "null", '{"problems": [[1]], "cadence": null}'):
        for entry in entries:
            entry.write_text(odd)
        cadences.Library._loaded = {} if hasattr(cadences, "Library") else None
        assert [c["name"] for c in cli.json("cadences", "list")] == names


# ---------------------------------------------------------------- terminal escapes and invisible names (20.3, 20.11)

ESCAPES = "\x1b]52;c;ZWNobyBwd25lZA==\x07\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\\x1b[2J"


def test_stored_control_characters_never_reach_the_terminal(cli, pipeline, prospect_factory):
    from cadence.store.models import Prospect
    from sqlmodel import Session

    row = prospect_factory(first_name="Eve", start=date(2026, 11, 23))
    with Session(pipeline.engine) as session:  # as an older version or another tool may have stored it
        stored = session.get(Prospect, row.id)
        stored.company = "Acme" + ESCAPES
        stored.fields = {"note": "x\x1b[31mred\x9b"}
        session.add(stored)
        session.commit()
    for args in (("today", "--date", DAY), ("show", str(row.id))):
        out = cli(*args).stdout
        assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out, args
        assert "Acme\\x1b]52;c;ZWNobyBwd25lZA==\\x07" in out, args
    assert cli.json("show", str(row.id))["company"] == "Acme" + ESCAPES  # JSON escapes them itself


def test_visible_shows_every_control_character():
    from cadence.views.terminal import visible

    assert visible("a\x1b[2Jb\rc\x00d\u202ee\n\tf\x9b") == "a\\x1b[2Jb\\x0dc\\x00d\\u202ee\n\tf\\x9b"


def test_add_cleans_control_characters_from_names_company_and_title(cli):
    cli("add", "--first", "Ana\r\nMaría", "--last", "López\x1b[2J", "--company", "Acme\nInc", "--title", "CEO\x07", "--phone", "+12125550101")
    shown = cli.json("show", "1")
    assert (shown["name"], shown["company"], shown["title"]) == ("Ana María López [2J", "Acme Inc", "CEO")


@pytest.mark.parametrize("name", ["\u200b\u200b", "\u202e", "\u200b\u202e\u2066\ufeff", " \u2060 "])
def test_a_name_of_invisible_characters_is_empty_at_add(cli, name):
    result = cli("add", "--first", name, "--phone", "+12125550101", ok=False)
    assert (result.exit_code, result.stderr) == (1, "error: a prospect needs a name: give --first and/or --last (with a visible character)\n")


def test_import_rejects_invisible_names_by_line_and_cleans_the_rest(cli, isolated):
    path = isolated / "leads.csv"
    path.write_text(
        "First Name,Last Name,Company,Title,Phone\n"
        "\u200b,\u202e,Acme,CEO,+12125550101\n"
        "\"Ana\nMaría\",López,\"Acme\x1b[2J\",\"Boss\r\",+12125550102\n",
        encoding="utf-8",
    )
    rejects = isolated / "rejects.csv"
    result = cli("import", str(path), "--rejects", str(rejects))
    assert "line 2: no name" in result.stdout + result.stderr
    people = [cli.json("show", "1")]
    assert [(p["name"], p["company"], p["title"]) for p in people] == [("Ana María López", "Acme [2J", "Boss")]
