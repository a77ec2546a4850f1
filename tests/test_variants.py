"""Step variants (A/B tests, issue 18): the file format, even and stable assignment, the variant on
each touch, undo, versions, and `stats --variants` against figures worked out by hand."""

from __future__ import annotations

import shutil
from collections import Counter
from math import comb, sqrt
from pathlib import Path

import pytest

from cadence.cadences.loader import parse_cadence
from cadence.pipeline import versions

FIXTURE = Path(__file__).parent / "fixtures" / "cadences" / "ab-intro.yaml"
START = "2026-11-23"  # a Monday; ab-intro counts calendar days: step 2 is due on the 25th


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """A cadence folder holding ab-intro, on the search path."""
    place = tmp_path / "cadences"
    place.mkdir()
    shutil.copy(FIXTURE, place / FIXTURE.name)
    monkeypatch.setenv("CADENCE_CADENCES", str(place))
    return place


def add(cli, count: int, first: int = 1) -> list[int]:
    ids = []
    for n in range(first, first + count):
        out = cli("add", "--first", f"P{n}", "--last", "Test", "--company", f"Co{n}", "--phone", f"+1212555{n:04d}",
                  "--email", f"p{n}@example.com", "--cadence", "ab-intro", "--start", START, "--date", START)
        ids.append(int(out.stdout))
    return ids


def variants_on(cli, day: str) -> dict[int, str | None]:
    return {item["prospect_id"]: item.get("variant") for item in cli.json("today", "--date", day)}


# ---------------------------------------------------------------- the file format


def problems(text: str) -> list[str]:
    cadence, found = parse_cadence(text, "ab.yaml")
    assert cadence is None
    return [str(p) for p in found]


HEAD = "name: ab\nsteps:\n  - day: 1\n    type: call\n    voicemail: Call me back.\n"


def test_a_step_with_variants_is_read_with_its_ids_and_texts():
    cadence, found = parse_cadence(FIXTURE.read_text(), str(FIXTURE))
    assert found == []
    call, email, fire = cadence.steps
    assert [v.id for v in call.variants] == ["a", "b"]
    assert call.script is None and call.voicemail.startswith("{{ prospect.first_name }}, {{ me.name }} here")
    assert [(v.id, v.subject) for v in email.variants] == [
        ("short", "Two minutes, {{ prospect.first_name }}?"), ("long", "{{ prospect.company }} and a question")]
    assert fire.variants == ()
    assert call.with_variant(call.variant(3)).script.startswith("Hi {{ prospect.first_name }}, {{ me.name }} here: I work")


@pytest.mark.parametrize(
    "variants, expected",
    [
        ("    variants:\n      - id: a\n        script: Hi.\n",
         ["ab.yaml:6: step 1: variants must be a list of two or more, each with an id and script"]),
        ("    variants:\n      - id: a\n        script: Hi.\n      - id: a\n        script: Hello.\n",
         ["ab.yaml:9: step 1: variant id 'a' is used twice; give each variant its own id"]),
        ("    variants:\n      - id: a\n        script: Hi.\n      - id: b\n",
         ["ab.yaml:9: step 1: variant 'b' needs 'script' (text)"]),
        ("    variants:\n      - script: Hi.\n      - id: b\n        script: Hello.\n",
         ["ab.yaml:7: step 1: a variant needs an id of letters, digits, '-' or '_' (e.g. a, b, short-intro)"]),
        ("    script: Both.\n    variants:\n      - id: a\n        script: Hi.\n      - id: b\n        script: Hello.\n",
         ["ab.yaml:6: step 1: 'script' goes inside each variant when the step has variants"]),
        ("    variants:\n      - id: a\n        script: Hi.\n        subject: Oops\n      - id: b\n        script: Hello.\n",
         ["ab.yaml:9: step 1: unknown key 'subject' in a variant (known: id, script)"]),
        ("    variants:\n      - id: a\n        script: Hi {{ prospect.nickname }}.\n      - id: b\n        script: Hello.\n",
         ["ab.yaml:8: step 1 variant 'a' script: unknown variable 'prospect.nickname' "
          "(custom CSV columns are prospect.fields.nickname)"]),
        ("    variants:\n      - id: a\n        script: Hi {{ prospect.first_name.\n      - id: b\n        script: Hello.\n",
         None),  # a syntax error: checked below by its line only
    ],
)
def test_variant_mistakes_are_named_with_file_and_line(variants, expected):
    found = problems(HEAD + variants)
    if expected is None:
        assert len(found) == 1 and found[0].startswith("ab.yaml:8: step 1 variant 'a' script: template error")
    else:
        assert found == expected


def test_a_task_step_cannot_have_variants():
    text = ("name: ab\nsteps:\n  - day: 1\n    type: task\n    title: Look them up\n"
            "    variants:\n      - id: a\n        script: x\n      - id: b\n        script: y\n")
    assert problems(text) == ["ab.yaml:6: step 1: a task step cannot have variants (calls and emails can)"]


def test_an_email_variant_needs_subject_and_body():
    text = ("name: ab\nsteps:\n  - day: 1\n    type: email\n    variants:\n"
            "      - id: a\n        subject: Hi\n        body: Hello\n      - id: b\n        body: Hey\n")
    assert problems(text) == ["ab.yaml:9: step 1: variant 'b' needs 'subject' (text)"]


def test_editing_a_variant_makes_a_new_version_and_the_stored_copy_keeps_the_variants():
    text = FIXTURE.read_text()
    first, _ = parse_cadence(text, "ab-intro.yaml")
    edited, _ = parse_cadence(text.replace("Have you got two minutes?", "Is now a bad time?"), "ab-intro.yaml")
    assert versions.fingerprint(first) != versions.fingerprint(edited)
    copy = versions.restore(versions.snapshot(first), "v1")
    assert [(v.id, v.script) for v in copy.steps[0].variants] == [(v.id, v.script) for v in first.steps[0].variants]
    assert versions.fingerprint(copy) == versions.fingerprint(first)


def test_a_step_without_variants_keeps_its_version_hash():
    # The copy of a step without variants has no `variants` key, so hashes made before 0010 still match.
    plain, _ = parse_cadence((Path(__file__).parent / "fixtures" / "cadences" / "four-in-a-week.yaml").read_text(), "f.yaml")
    assert all("variants" not in step for step in versions.snapshot(plain)["steps"])


# ---------------------------------------------------------------- assignment


def test_ten_prospects_split_five_and_five_in_the_order_they_reach_the_step(cli, folder):
    ids = add(cli, 10)
    given = variants_on(cli, START)
    assert [given[i] for i in ids] == ["a", "b"] * 5
    assert Counter(given.values()) == {"a": 5, "b": 5}
    # Step 2 is dealt in the order people reach it, not by id: log them from the last to the first.
    for n, prospect in enumerate(reversed(ids)):
        cli("log", str(prospect), "na", "--at", f"{START}T10:{n:02d}")
    later = variants_on(cli, "2026-11-25")
    assert [later[i] for i in reversed(ids)] == ["short", "long"] * 5


def test_the_variant_shown_is_the_one_logged_and_previews_take_no_place(cli, folder):
    ids = add(cli, 3)
    for _ in range(2):  # showing the list, a prospect or a preview again changes nothing
        assert variants_on(cli, START) == {ids[0]: "a", ids[1]: "b", ids[2]: "a"}
        assert [cli.json("show", str(i))["next_variant"] for i in ids] == ["a", "b", "a"]
        cli("cadences", "preview", "ab-intro", "--prospect", str(ids[0]), "--json")
    item = {i["prospect_id"]: i for i in cli.json("today", "--date", START)}[ids[1]]
    assert item["script"] == "Hi P2, [your name] here: I work with teams like Co2."
    cli("log", str(ids[1]), "vm", "--at", f"{START}T10:00")
    touches = cli.json("show", str(ids[1]))["touches"]
    assert [(t["step"], t["outcome"], t["variant"]) for t in touches] == [(1, "voicemail", "b")]
    # The first to reach step 2 holds its first slot: the `short` email, in the draft as in the list.
    assert cli.json("show", str(ids[1]))["next_variant"] == "short"
    cli("me", "set", "email", "me@example.com")
    draft = cli.json("email", str(ids[1]), "--date", "2026-11-25")
    assert (draft["variant"], draft["subject"]) == ("short", "Two minutes, P2?")
    cli("log", str(ids[1]), "sent", "--at", "2026-11-25T10:00")
    assert [t.get("variant") for t in cli.json("show", str(ids[1]))["touches"]] == ["b", "short"]


def test_the_terminal_list_and_show_name_the_variant(cli, folder):
    ids = add(cli, 2)
    out = cli("today", "--date", START).stdout
    assert "  step 1 of 3 · call, leave a voicemail · variant b · tried 0 times\n" in out
    cli("log", str(ids[0]), "vm", "--at", f"{START}T10:00")
    shown = cli("show", str(ids[0])).stdout
    assert "  next: step 2 of 3 (email, variant short) due 2026-11-25\n" in shown
    assert "2026-11-23 │ 1 (a) │ call │ voicemail │" in shown


def test_work_shows_the_variant_and_logs_it(cli, folder):
    ids = add(cli, 2)
    out = cli("work", "--date", START, input="vm\n\nquit\n").stdout
    assert "  step 1 of 3 · call, leave a voicemail · variant a · tried 0 times\n" in out
    assert "    Hi P1, it's [your name]. Have you got two minutes?\n" in out
    assert [t["variant"] for t in cli.json("show", str(ids[0]))["touches"]] == ["a"]


def test_a_recycle_shows_and_records_the_same_variant(cli, folder):
    path = folder / "ab-intro.yaml"
    path.write_text(path.read_text() + "after_fire:\n  recycle_after: 10 days\n")
    ids = add(cli, 2)
    for outcome, day in (("na", START), ("sent", "2026-11-25"), ("vm", "2026-11-27")):
        cli("log", str(ids[1]), outcome, "--at", f"{day}T10:00")
    assert cli.json("show", str(ids[1]))["status"] == "fired"
    item = {i["prospect_id"]: i for i in cli.json("today", "--date", "2026-12-07")}[ids[1]]
    assert (item["type"], item["variant"] in ("a", "b")) == ("recycle", True)
    cli("log", str(ids[1]), "vm", "--at", "2026-12-07T10:00")
    last = cli.json("show", str(ids[1]))["touches"][-1]
    assert (last["step"], last["variant"]) == (None, item["variant"])


def test_a_preview_shows_every_variant(cli, folder):
    steps = cli.json("cadences", "preview", "ab-intro", "--start", START)
    assert [v["id"] for v in steps[0]["variants"]] == ["a", "b"]
    assert steps[1]["variants"][1]["subject"] == "Northwind Traders and a question"
    assert "variants" not in steps[2]
    text = cli("cadences", "preview", "ab-intro", "--start", START).stdout
    assert "  Variant long: subject: Northwind Traders and a question\n" in text


def test_undo_gives_the_slot_back(cli, folder):
    ids = add(cli, 2)
    cli("log", str(ids[0]), "vm", "--at", f"{START}T10:00")
    assert cli.json("show", str(ids[0]))["next_variant"] == "short"
    cli("undo", str(ids[0]))
    assert cli.json("show", str(ids[0]))["next_variant"] == "a"  # their step 1 variant again
    assert cli.json("show", str(ids[0]))["touches"] == []
    cli("log", str(ids[1]), "vm", "--at", f"{START}T11:00")  # now the first to reach step 2
    cli("log", str(ids[0]), "vm", "--at", f"{START}T12:00")
    assert [cli.json("show", str(i))["next_variant"] for i in ids] == ["long", "short"]


def test_an_import_deals_the_variants_round_robin(cli, folder, tmp_path):
    sheet = tmp_path / "leads.csv"
    sheet.write_text("First Name,Last Name,Email\n" + "".join(f"N{n},Lead,n{n}@example.com\n" for n in range(1, 7)))
    cli("import", str(sheet), "--cadence", "ab-intro", "--start", START)
    add(cli, 1, first=7)  # after the import: the seventh to reach step 1
    assert list(variants_on(cli, START).values()).count("a") == 4
    assert [variants_on(cli, START)[i] for i in range(1, 8)] == ["a", "b", "a", "b", "a", "b", "a"]


def test_prospects_keep_the_variant_text_of_the_version_they_started_on(cli, folder):
    first = add(cli, 1)[0]
    path = folder / "ab-intro.yaml"
    path.write_text(path.read_text().replace("Have you got two minutes?", "Is now a bad time?"))
    add(cli, 2, first=2)
    items = {i["prospect_id"]: i for i in cli.json("today", "--date", START)}
    assert items[first]["script"] == "Hi P1, it's [your name]. Have you got two minutes?"
    assert items[first + 2]["script"] == "Hi P3, it's [your name]. Is now a bad time?"


# ---------------------------------------------------------------- stats --variants, by hand

Z = 1.959963984540054  # the 97.5th percentile of the standard normal


def wilson_by_hand(k: int, n: int) -> list[float]:
    """The 95% Wilson score interval, straight from its formula."""
    p = k / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z * sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
    return [round(max(0.0, centre - half), 4), round(min(1.0, centre + half), 4)]


def seed_history(cli) -> None:
    """20 prospects on ab-intro: odd ids get call a, even ids call b.

    Step 1 (call): a: #1 #3 connect, the other 8 no answer; b: #2..#16 connect (8), #18 #20 voicemail.
    The 10 who go on reach step 2 in id order (short, long, short, ...): short #5 #9 #13 #17 #19,
    long #7 #11 #15 #18 #20. #5 (a), #18 and #20 (b) reply before their email: replies of step 1.
    The emails go to the 7 still active; #9 (short) and #11 (long) reply to them.
    """
    add(cli, 20)
    for n in range(1, 21):
        outcome = ("conn" if n in (1, 3) else "na") if n % 2 else ("conn" if n <= 16 else "vm")
        cli("log", str(n), outcome, "--at", f"{START}T{9 + n // 6:02d}:{n:02d}")
    for n in (5, 18, 20):
        cli("log", str(n), "replied", "--at", "2026-11-24T15:00")
    for n in (7, 9, 11, 13, 15, 17, 19):
        cli("log", str(n), "sent", "--at", "2026-11-25T09:00")
    for n in (9, 11):
        cli("log", str(n), "replied", "--at", "2026-11-26T15:00")


def test_stats_variants_match_the_figures_worked_out_by_hand(cli, folder):
    seed_history(cli)
    call, email = cli.json("stats", "--variants")["variants"]

    # Step 1, the call: a 2 connects in 10 calls, b 8 in 10; replies a 1 (#5), b 2 (#18, #20).
    # Fisher, two-sided, on [[2, 8], [8, 2]]: the tables no more likely than it are x <= 2 and
    # x >= 8 connects for a, each weighing comb(10, x) * comb(10, 10 - x) of comb(20, 10).
    connect_p = 2 * (comb(10, 0) ** 2 + comb(10, 1) ** 2 + comb(10, 2) ** 2) / comb(20, 10)
    assert round(connect_p, 4) == 0.023
    # On [[1, 9], [2, 8]] every table (weights 120, 450, 450, 120) is no more likely than
    # the observed one (450): p = 1.
    assert [comb(10, x) * comb(10, 3 - x) for x in range(4)] == [120, 450, 450, 120]
    assert wilson_by_hand(2, 10) == [0.0567, 0.5098] and wilson_by_hand(8, 10) == [0.4902, 0.9433]
    assert wilson_by_hand(1, 10) == [0.0179, 0.4042]
    assert call == {
        "cadence": "ab-intro", "step": 1, "type": "call", "channel": "phone", "test": "fisher-exact",
        "variants": [
            {"variant": "a", "touches": 10, "calls": 10, "connects": 2, "connect_rate": 0.2,
             "connect_interval": wilson_by_hand(2, 10), "replies": 1, "reply_rate": 0.1,
             "reply_interval": wilson_by_hand(1, 10)},
            {"variant": "b", "touches": 10, "calls": 10, "connects": 8, "connect_rate": 0.8,
             "connect_interval": wilson_by_hand(8, 10), "replies": 2, "reply_rate": 0.2,
             "reply_interval": wilson_by_hand(2, 10)},
        ],
        "connect": {"p_value": round(connect_p, 4), "significant": True, "best": "b"},
        "reply": {"p_value": 1.0, "significant": False, "best": None},
    }

    # Step 2, the email: short went to #9 #13 #17 #19 (1 reply), long to #7 #11 #15 (1 reply).
    # [[1, 3], [1, 2]]: weights comb(4, x) * comb(3, 2 - x) = 3, 12, 6, observed 12: p = 1.
    assert [comb(4, x) * comb(3, 2 - x) for x in range(3)] == [3, 12, 6]
    assert wilson_by_hand(1, 4) == [0.0456, 0.6994] and wilson_by_hand(1, 3) == [0.0615, 0.7923]
    assert email == {
        "cadence": "ab-intro", "step": 2, "type": "email", "channel": "email", "test": "fisher-exact",
        "variants": [
            {"variant": "short", "touches": 4, "calls": 0, "connects": 0, "connect_rate": None,
             "connect_interval": None, "replies": 1, "reply_rate": 0.25, "reply_interval": wilson_by_hand(1, 4)},
            {"variant": "long", "touches": 3, "calls": 0, "connects": 0, "connect_rate": None,
             "connect_interval": None, "replies": 1, "reply_rate": 0.3333, "reply_interval": wilson_by_hand(1, 3)},
        ],
        "connect": {"p_value": None, "significant": False, "best": None},
        "reply": {"p_value": 1.0, "significant": False, "best": None},
    }


def test_stats_variants_in_the_terminal(cli, folder):
    seed_history(cli)
    out = cli("stats", "--variants").stdout
    assert out == (
        "\n"
        "ab-intro · step 1 (call)\n"
        "variant  touches   connects (95% interval)   replies (95% interval)\n"
        "a             10   2/10 20.0% (5.7%-51.0%)  1/10 10.0% (1.8%-40.4%)\n"
        "b             10  8/10 80.0% (49.0%-94.3%)  2/10 20.0% (5.7%-51.0%)\n"
        "  connects: Fisher's exact p = 0.023, significant (< 0.05): b does better\n"
        "  replies: Fisher's exact p = 1, no significant difference (needs < 0.05)\n"
        "\n"
        "ab-intro · step 2 (email)\n"
        "variant  touches  replies (95% interval)\n"
        "short          4  1/4 25.0% (4.6%-69.9%)\n"
        "long           3  1/3 33.3% (6.2%-79.2%)\n"
        "  replies: Fisher's exact p = 1, no significant difference (needs < 0.05)\n"
    )


def test_stats_variants_follow_cadence_and_since(cli, folder):
    seed_history(cli)
    assert cli.json("stats", "--variants", "--cadence", "five-touch-fire") == {"variants": []}
    late = cli.json("stats", "--variants", "--since", "2026-11-25")["variants"]
    # Nobody started on or after the 25th: no touches count, the file's steps are still listed.
    assert [(e["step"], [v["touches"] for v in e["variants"]]) for e in late] == [(1, [0, 0]), (2, [0, 0])]
    assert late[0]["connect"] == {"p_value": None, "significant": False, "best": None}


def test_stats_variants_without_any_says_how_to_add_them(cli):
    result = cli("stats", "--variants")
    assert result.exit_code == 0
    assert result.stdout.startswith("No cadence step has variants yet. To A/B test a step, give it `variants:`")
    assert cli.json("stats", "--variants") == {"variants": []}


# ---------------------------------------------------------------- migration 0010


def test_migration_0010_numbers_the_prospects_already_on_each_step(cli):
    import sqlalchemy as sa

    from cadence.store import address, db

    engine = sa.create_engine(address.parse_url(address.resolve_url(None)))
    db.upgrade(engine, "0009")
    from datetime import datetime, timezone

    prospect = sa.Table("prospect", sa.MetaData(), autoload_with=engine)  # as 0009 left it
    blank = {c.name: {sa.Integer: 0, sa.JSON: {}}.get(type(c.type), "") for c in prospect.columns if not c.nullable}
    stamp = datetime(2026, 11, 20, tzinfo=timezone.utc)
    rows = [(1, "five-touch-fire", 2), (2, "five-touch-fire", 1), (3, "five-touch-fire", 2), (4, None, None), (5, "five-touch-fire", 2)]
    with engine.begin() as connection:
        connection.execute(prospect.insert(), [
            {**blank, "id": i, "first_name": f"P{i}", "status": "active" if c else "paused", "cadence": c, "step": s,
             "fields": {}, "postponements": 0, "attempts": 0, "created_at": stamp, "updated_at": stamp} for i, c, s in rows])
    engine.dispose()
    engine = db.open_engine(None)
    with engine.connect() as connection:
        slots = connection.execute(sa.text("SELECT id, variant_slot FROM prospect ORDER BY id")).all()
        counters = connection.execute(sa.text("SELECT cadence, step, taken FROM variant_counter ORDER BY step")).all()
    engine.dispose()
    assert [tuple(r) for r in slots] == [(1, 0), (2, 0), (3, 1), (4, None), (5, 2)]
    assert [tuple(r) for r in counters] == [("five-touch-fire", 1, 1), ("five-touch-fire", 2, 3)]


def test_the_example_file_is_valid():
    path = Path(__file__).parents[1] / "examples" / "ab-test.yaml"
    cadence, found = parse_cadence(path.read_text(), str(path))
    assert found == []
    assert [[v.id for v in step.variants] for step in cadence.steps] == [["short", "proof"], ["question", "offer"], [], [], []]


def test_the_report_draws_the_variant_figures_of_stats(cli, folder, tmp_path):
    from tests.test_report import Marks, number

    seed_history(cli)
    figures = cli.json("stats", "--variants")["variants"]
    out = tmp_path / "report.html"
    cli("report", "-o", str(out))
    drawn = {(m["data-variant"], m["data-measure"]): m for m in Marks(out.read_text()).of("variant")}
    expected = {}
    for entry in figures:
        for arm in entry["variants"]:
            for measure, part, whole in (("connect", "connects", "calls"), ("reply", "replies", "touches")):
                if arm[whole]:
                    expected[arm["variant"], measure] = (arm[f"{measure}_rate"], *arm[f"{measure}_interval"], str(arm[part]), str(arm[whole]))
    assert expected  # the seeded history has variants on two steps
    assert {key: (number(m["data-rate"]), number(m["data-low"]), number(m["data-high"]), m["data-part"], m["data-whole"])
            for key, m in drawn.items()} == expected
