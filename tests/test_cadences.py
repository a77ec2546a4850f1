"""The cadence loader and validator: built-ins, errors with file:line, the search path, rendering."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from dateutil.relativedelta import relativedelta

from cadence.cadences.library import Library, builtin_folder, load_file, validate_file
from cadence.cadences.loader import parse_cadence
from cadence.cadences.templates import render
from cadence.errors import CadenceError

FIXTURES = Path(__file__).parent / "fixtures"
BUILTINS = ("five-touch-fire", "long-haul-breakup", "stop-chasing", "three-voicemails")


def plan(name: str) -> list[tuple[int, str, str | None]]:
    cadence = Library().get(name)
    return [(s.day, s.type, s.fire_channel) for s in cadence.steps]


# ---------------------------------------------------------------- built-ins


def test_every_builtin_validates():
    files = sorted(p.name for p in builtin_folder().iterdir() if p.suffix == ".yaml")
    assert files == [f"{name}.yaml" for name in BUILTINS]
    for name in BUILTINS:
        cadence, problems = validate_file(builtin_folder() / f"{name}.yaml", builtin=True)
        assert problems == []
        assert (cadence.name, cadence.days, cadence.builtin) == (name, "business", True)


def test_five_touch_fire_plan():
    assert plan("five-touch-fire") == [
        (1, "call", None),
        (2, "no-message-call", None),
        (3, "email", None),
        (5, "call", None),
        (6, "fire", "voicemail"),
    ]
    assert Library().get("five-touch-fire").recycle_after is None


def test_stop_chasing_plan_is_four_calls_then_a_fire_call():
    steps = plan("stop-chasing")
    assert [t for _, t, _ in steps] == ["call", "call", "call", "call", "fire"]
    assert steps[-1][2] == "voicemail"
    scripts = [s.script for s in Library().get("stop-chasing").steps]
    assert len(set(scripts)) == 5  # a different approach each time


def test_three_voicemails_plan_is_three_calls_a_day_apart_then_fire_by_email():
    assert plan("three-voicemails") == [(1, "call", None), (2, "call", None), (3, "call", None), (4, "fire", "email")]
    fire = Library().get("three-voicemails").steps[-1]
    assert (fire.channel, bool(fire.subject), bool(fire.body), fire.script) == ("email", True, True, None)
    assert all(s.voicemail for s in Library().get("three-voicemails").steps[:3])


def test_long_haul_breakup_plan():
    cadence = Library().get("long-haul-breakup")
    steps = plan("long-haul-breakup")
    assert len(steps) >= 10
    assert steps[-2][:2] == (steps[-1][0], "email")  # the break-up email...
    assert steps[-1][1:] == ("fire", "voicemail")  # ...and, the same day, the voicemail pointing to it
    assert steps[-1][0] - steps[0][0] >= 100  # spread over months
    assert cadence.recycle_after == relativedelta(months=6)
    assert cadence.recycle_text == "6 months"


# ---------------------------------------------------------------- errors, each with file:line


def problems_of(tmp_path: Path, text: str, name: str = "bad.yaml") -> list[str]:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    cadence, problems = validate_file(path)
    assert cadence is None
    return [str(p).replace(str(tmp_path) + "/", "") for p in problems]


def test_unknown_step_type_names_the_type_line(tmp_path):
    assert problems_of(tmp_path, """
        name: bad
        steps:
          - day: 1
            type: phone
            script: Hello
    """) == ["bad.yaml:4: step 1: unknown step type 'phone' (use one of call, no-message-call, email, fire, task)"]


def test_days_going_backwards(tmp_path):
    assert problems_of(tmp_path, """
        name: bad
        steps:
          - day: 3
            type: no-message-call
            script: Hello
          - day: 2
            type: no-message-call
            script: Hello again
    """) == ["bad.yaml:6: step 2 is on day 2, before day 3 of the step above; days never go backwards"]


def test_call_without_a_script(tmp_path):
    assert problems_of(tmp_path, """
        name: bad
        steps:
          - day: 1
            type: call
            voicemail: Call me back.
    """) == ["bad.yaml:4: step 1: a call step needs 'script'"]


def test_misspelt_template_variable(tmp_path):
    assert problems_of(tmp_path, """
        name: bad
        steps:
          - day: 1
            type: no-message-call
            script: |
              Hi {{ prospect.frist_name }}, it's {{ me.name }}.
    """) == [
        "bad.yaml:5: step 1 script: unknown variable 'prospect.frist_name' "
        "(custom CSV columns are prospect.fields.frist_name)"
    ]


def test_unknown_me_value(tmp_path):
    assert problems_of(tmp_path, """
        name: bad
        steps:
          - day: 1
            type: email
            subject: Hello
            body: "{{ me.nmae }}"
    """) == ["bad.yaml:6: step 1 body: unknown variable 'me.nmae': set it with `cadence me set nmae VALUE` or fix the name"]


def test_template_syntax_error_names_the_script_line(tmp_path):
    assert problems_of(tmp_path, """
        name: bad
        steps:
          - day: 1
            type: no-message-call
            script: |
              Hi {{ prospect.first_name }
    """) == ["bad.yaml:5: step 1 script: template error: unexpected '}'"]


def test_yaml_that_is_not_yaml(tmp_path):
    assert problems_of(tmp_path, """
        name: bad
        steps:
          - day: 1
           type: call
    """) == ["bad.yaml:4: not valid YAML: did not find expected '-' indicator"]


def test_a_binary_file_is_not_yaml(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe")
    assert [str(p) for p in validate_file(path)[1]] == [f"{path}:1: not a text file (expected UTF-8 YAML)"]


def test_anchors_and_aliases_are_refused(tmp_path):
    assert problems_of(tmp_path, """
        name: bad
        steps:
          - &first
            day: 1
            type: no-message-call
            script: Hello
          - *first
    """) == ["bad.yaml:3: YAML anchors and aliases are not supported; write the value out"]


def test_python_tags_are_refused(tmp_path):
    assert problems_of(tmp_path, """
        name: bad
        steps: !!python/object:os.system
          - day: 1
    """) == ["bad.yaml:2: unsupported YAML tag tag:yaml.org,2002:python/object:os.system"]


def test_unknown_top_level_key(tmp_path):
    assert problems_of(tmp_path, """
        name: bad
        colour: blue
        steps:
          - day: 1
            type: no-message-call
            script: Hello
    """) == ["bad.yaml:2: unknown key 'colour' (known: after_fire, days, description, fields, holidays, name, steps, title, weekdays)"]


def test_every_problem_is_reported_not_just_the_first(tmp_path):
    assert problems_of(tmp_path, """
        name: bad
        days: weekdays
        steps:
          - day: 1
            type: call
            script: Hi {{ prospect.frist_name }}
          - day: 2
            type: fire
            channel: fax
    """) == [
        "bad.yaml:2: days must be 'business' or 'calendar', not 'weekdays'",
        "bad.yaml:5: step 1: a call step needs 'voicemail'",
        "bad.yaml:9: step 2: fire channel must be voicemail or email, not 'fax'",
        "bad.yaml:6: step 1 script: unknown variable 'prospect.frist_name' "
        "(custom CSV columns are prospect.fields.frist_name)",
    ]


def test_fire_must_be_the_last_step(tmp_path):
    assert problems_of(tmp_path, """
        name: bad
        steps:
          - day: 1
            type: fire
            script: Goodbye
          - day: 2
            type: no-message-call
            script: Hello
    """) == ["bad.yaml:4: step 1 fires the prospect but is not the last step"]


def test_custom_fields_are_reached_under_fields(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text("name: ok\nsteps:\n  - day: 1\n    type: no-message-call\n    script: '{{ prospect.fields.industry }}'\n")
    assert validate_file(path)[1] == []


def test_load_file_raises_the_first_problems(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: bad\nsteps:\n  - day: 1\n    type: phone\n")
    with pytest.raises(CadenceError) as caught:
        load_file(path)
    assert str(caught.value) == f"{path}:4: step 1: unknown step type 'phone' (use one of call, no-message-call, email, fire, task)"


# ---------------------------------------------------------------- search path


def write_cadence(folder: Path, name: str, title: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(
        f"name: {name}\ntitle: {title}\ndays: calendar\nsteps:\n"
        "  - day: 1\n    type: no-message-call\n    script: Hello {{ prospect.first_name }}\n",
        encoding="utf-8",
    )
    return path


def test_cadence_cadences_folder_overrides_a_builtin(tmp_path, monkeypatch):
    folder = tmp_path / "mine"
    path = write_cadence(folder, "five-touch-fire", "My own five")
    monkeypatch.setenv("CADENCE_CADENCES", str(folder))
    cadence = Library().get("five-touch-fire")
    assert (cadence.title, cadence.path, cadence.builtin, len(cadence.steps)) == ("My own five", path, False, 1)
    assert Library().get("stop-chasing").builtin is True


def test_user_config_folder_is_searched(tmp_path, monkeypatch):
    path = write_cadence(tmp_path / "config" / "cadence" / "cadences", "quick", "Quick one")
    cadence = Library().get("quick")
    assert (cadence.title, cadence.path, cadence.days) == ("Quick one", path, "calendar")


def test_environment_folder_wins_over_the_config_folder(tmp_path, monkeypatch):
    write_cadence(tmp_path / "config" / "cadence" / "cadences", "quick", "From config")
    first = tmp_path / "first"
    second = tmp_path / "second"
    write_cadence(second, "quick", "From second")
    write_cadence(first, "other", "Other")
    monkeypatch.setenv("CADENCE_CADENCES", f"{first}:{second}")
    assert Library().get("quick").title == "From second"
    assert sorted(Library().locate()) == ["five-touch-fire", "long-haul-breakup", "other", "quick", "stop-chasing", "three-voicemails"]


def test_unknown_cadence_lists_the_known_ones():
    with pytest.raises(CadenceError) as caught:
        Library().get("nope")
    assert str(caught.value) == (
        "no cadence named 'nope' (known: five-touch-fire, long-haul-breakup, stop-chasing, three-voicemails); "
        "see `cadence cadences list`"
    )


# ---------------------------------------------------------------- rendering


def test_render_fills_prospect_and_me():
    assert render("Hi {{ prospect.first_name }}, {{ me.name }} here.", {"prospect": {"first_name": "Ana"}, "me": {"name": "Sam"}}) == "Hi Ana, Sam here."


def test_sandbox_refuses_reaching_python_internals():
    with pytest.raises(CadenceError) as caught:
        render("{{ ''.__class__.__mro__ }}", {})
    assert str(caught.value) == "script refused by the sandbox: access to attribute '__class__' of 'str' object is unsafe."


def test_validation_refuses_private_attributes(tmp_path):
    assert problems_of(tmp_path, """
        name: bad
        steps:
          - day: 1
            type: no-message-call
            script: "{{ ''.__class__ }}"
    """) == ["bad.yaml:5: step 1 script: private attribute '__class__' is not allowed"]


def test_render_of_a_missing_value_is_an_error_not_a_blank():
    with pytest.raises(CadenceError, match="script could not be rendered: 'dict object' has no attribute 'first_name'"):
        render("{{ prospect.first_name }}", {"prospect": {}})


# ---------------------------------------------------------------- the commands


def test_validate_command_prints_file_line_message_and_exits_1(cli, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: bad\nsteps:\n  - day: 1\n    type: phone\n")
    result = cli("cadences", "validate", str(path), ok=False)
    assert result.exit_code == 1
    assert result.stderr == f"{path}:4: step 1: unknown step type 'phone' (use one of call, no-message-call, email, fire, task)\n"
    assert result.stdout == ""


def test_validate_command_accepts_a_good_file(cli):
    path = builtin_folder() / "five-touch-fire.yaml"
    result = cli("cadences", "validate", str(path))
    assert result.stdout == f"ok: {path} (five-touch-fire, 5 steps)\n"


def test_validate_command_with_no_file_checks_the_whole_search_path(cli, tmp_path, monkeypatch):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "broken.yaml").write_text("name: broken\nsteps: [\n")
    monkeypatch.setenv("CADENCE_CADENCES", str(folder))
    result = cli("cadences", "validate", ok=False)
    assert result.exit_code == 1
    assert result.stderr == f"{folder}/broken.yaml:3: not valid YAML: did not find expected node content\n"
    assert result.stdout.count("ok: ") == 4


def test_show_json(cli):
    shown = cli.json("cadences", "show", "five-touch-fire")
    assert {k: shown[k] for k in ("name", "title", "days", "holidays")} == {
        "name": "five-touch-fire", "title": "Five touches, then fire", "days": "business", "holidays": None,
    }
    assert [(s["day"], s["type"], s["channel"]) for s in shown["steps"]] == [
        (1, "call", "phone"), (2, "no-message-call", "phone"), (3, "email", "email"), (5, "call", "phone"), (6, "fire", "voicemail"),
    ]


def test_list_json(cli, tmp_path, monkeypatch):
    write_cadence(tmp_path / "mine", "quick", "Quick one")
    monkeypatch.setenv("CADENCE_CADENCES", str(tmp_path / "mine"))
    listed = cli.json("cadences", "list")
    assert [(c["name"], c["steps"], c["builtin"]) for c in listed] == [
        ("five-touch-fire", 5, True), ("long-haul-breakup", 13, True), ("quick", 1, False),
        ("stop-chasing", 5, True), ("three-voicemails", 4, True),
    ]
