"""`today --brief`: one line per item, plain text, for a long list at a glance."""

from __future__ import annotations

import json


def add(cli, first, last, *extra):
    return int(cli("add", "--first", first, "--last", last, *extra).stdout.strip())


def test_brief_is_one_line_per_item_with_step_channel_attempts_time_and_contact(cli):
    add(cli, "Ana", "López", "--phone", "+12125550134", "--start", "2026-11-23")
    bob = add(cli, "Bob", "Stone-Wallace-Featherstonehaugh", "--email", "bob@example.com", "--start", "2026-11-24")
    cli("log", bob, "na", "--at", "2026-11-24T10:00", "--force")
    add(cli, "Cy", "Young", "--email", "cy@example.com", "--timezone", "Europe/Paris", "--start", "2026-11-24")
    result = cli("today", "--brief", "--at", "2026-11-24T15:00")
    assert result.stdout == (
        "Tuesday 24 November 2026: 2 items due, 1 overdue\n"
        "#1  Ana López  1/5  call!  tried 0  10:00  +12125550134\n"
        "#3  Cy Young   1/5  call   tried 0  16:00  no phone on file\n"
        "! overdue\n"
    )


def test_brief_fits_fifty_items_in_fifty_one_lines(cli):
    for n in range(50):
        add(cli, f"Person{n:02d}", "Test", "--phone", f"+1212555{n:04d}", "--start", "2026-11-24")
    lines = cli("today", "--brief", "--date", "2026-11-24").stdout.splitlines()
    assert len(lines) == 51
    assert lines[1] == " #1  Person00 Test  1/5  call  tried 0  07:00  +12125550000"
    assert all(len(line) <= 80 for line in lines)


def test_json_ignores_brief(cli):
    add(cli, "Ana", "López", "--phone", "+12125550134", "--start", "2026-11-24")
    plain = json.loads(cli("today", "--json", "--date", "2026-11-24").stdout)
    brief = json.loads(cli("today", "--json", "--brief", "--date", "2026-11-24").stdout)
    assert brief == plain and brief[0]["name"] == "Ana López"


def test_the_full_view_stays_the_default(cli):
    add(cli, "Ana", "López", "--phone", "+12125550134", "--start", "2026-11-24")
    full = cli("today", "--date", "2026-11-24").stdout
    assert "step 1 of 5 · call, leave a voicemail · tried 0 times" in full
    assert "Say:" in full


def test_brief_makes_control_characters_visible(cli):
    add(cli, "Eve\x1b]52;c;aGk=\x07", "Test", "--phone", "+12125550134", "--start", "2026-11-24")
    out = cli("today", "--brief", "--date", "2026-11-24").stdout
    assert "\x1b" not in out and "\x07" not in out
