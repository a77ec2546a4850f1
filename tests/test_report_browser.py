"""`cadence report` in a real browser: headless Chromium opens the file, shows the seeded history's numbers, draws the heat map.

Skipped without Chromium, except in CI (see tests/browser.py). Each test seeds the same
history through the CLI, with `--at` times, and counts its figures by hand below.
"""

from __future__ import annotations

import json

import pytest

from cadence.views.charts import CELL_H, CELL_W, heat_colour
from tests.browser import console_lines, dump_dom, read_png, screenshot
from tests.test_report import Marks
from tests.test_stats import add

# Five prospects in New York (UTC-5 in November), on five-touch-fire from Monday 23 November 2026.
# The salesperson's zone is UTC, so --at 15:00 is 10:00 for them and 20:00 is 15:00.
NEW_YORK = {"timezone": "America/New_York"}
HISTORY = {
    "Ann": [("2026-11-23T15:00", "vm"), ("2026-11-24T15:00", "na"), ("2026-11-25T15:00", "sent"),
            ("2026-11-27T15:00", "vm"), ("2026-11-30T15:00", "vm"), ("2026-12-04T15:00", "replied")],
    "Ben": [("2026-11-23T15:00", "connected")],
    "Cy": [("2026-11-23T20:00", "na"), ("2026-11-24T20:00", "connected")],
    "Dee": [("2026-11-23T20:00", "meeting")],
    "Eve": [("2026-11-23T15:00", "vm"), ("2026-11-24T15:00", "na"), ("2026-11-25T15:00", "sent"),
            ("2026-11-27T15:00", "na"), ("2026-11-30T15:00", "vm")],
}
# By hand. The calls by the prospect's local weekday and hour: (calls, connects).
CELLS = {
    ("mon", 10): (5, 1),  # Ann vm, Ben connected, Eve vm on the 23rd; Ann's and Eve's fire voicemails on the 30th
    ("mon", 15): (2, 1),  # Cy no answer, Dee meeting
    ("tue", 10): (2, 0),  # Ann, Eve no answer
    ("tue", 15): (1, 1),  # Cy connected: the best cell
    ("fri", 10): (2, 0),  # Ann vm, Eve no answer
}
REACHED = [5, 3, 2, 2, 2]  # steps 1-5: everyone; Ann, Cy, Eve; Ann and Eve from the email on
CONNECTS = [2, 1, 0, 0, 0]
DAYS = [f"2026-11-{d}" for d in range(23, 31)] + [f"2026-12-0{d}" for d in range(1, 5)]
DIALS = [5, 3, 0, 0, 2, 0, 0, 2, 0, 0, 0, 0]
EMAILS = [0, 0, 2] + [0] * 9
MEETINGS = [1] + [0] * 11
REPLIES = [0] * 11 + [1]


def seed(cli) -> None:
    for first, touches in HISTORY.items():
        pid = add(cli, first, **NEW_YORK)
        for at, outcome in touches:
            cli("log", pid, outcome, "--at", at)


@pytest.fixture
def profile(tmp_path):
    return tmp_path / "chromium-profile"


def test_the_browser_shows_the_numbers_of_the_seeded_history(cli, tmp_path, profile):
    seed(cli)
    out = tmp_path / "report.html"
    cli("report", "-o", out, "--cadence", "five-touch-fire")
    dom, console = dump_dom(out, profile)
    assert console == []
    marks = Marks(dom)

    steps = marks.of("step")
    assert [int(m["data-reached"]) for m in steps] == REACHED
    assert [int(m["data-connects"]) for m in steps] == CONNECTS
    assert [m["text"][1] for m in steps] == [str(n) for n in REACHED]  # the number beside each bar
    assert steps[0]["text"][2] == "5 · 40.0% · 0.0%"  # touches · connect 2/5 · reply
    assert steps[2]["text"][2] == "2 · – · 0.0%"  # the email step has no connect rate

    (fire,) = marks.of("fire")
    assert (fire["data-cadence"], fire["data-fired"], fire["data-replies"], fire["data-share"], fire["data-median-days"]) == (
        "five-touch-fire", "2", "1", "0.5", "4.0")
    assert fire["text"][1] == "1 of 2 (50.0%) within 30 days; median 4 days"

    cells = {(m["data-weekday"], int(m["data-hour"])): m for m in marks.of("cell")}
    assert {key: (int(m["data-calls"]), int(m["data-connects"])) for key, m in cells.items()} == CELLS
    assert cells["mon", 10]["text"] == ["20%", "5"] and cells["tue", 15]["text"] == ["100%", "1"]
    assert cells["mon", 15]["title"] == "Mon 15:00: 1 connects of 2 calls (50.0%)"

    periods = marks.of("period")
    by_kind = {kind: [int(m["data-value"]) for m in periods if m["data-kind"] == kind] for kind in ("dials", "emails", "meetings", "replies")}
    assert by_kind == {"dials": DIALS, "emails": EMAILS, "meetings": MEETINGS, "replies": REPLIES}
    assert [m["data-start"] for m in periods if m["data-kind"] == "dials"] == DAYS
    assert "<p>No step has variants.</p>" in dom

    # The same figures as stats --json and stats --hours --json.
    (stats,) = cli.json("stats", "--cadence", "five-touch-fire")
    for mark, step in zip(steps, stats["steps"], strict=True):
        assert (int(mark["data-step"]), int(mark["data-reached"]), int(mark["data-touches"]), int(mark["data-calls"])) == (
            step["step"], step["reached"], step["touches"], step["calls"])
        assert (json.loads(mark["data-connect-rate"]), json.loads(mark["data-reply-rate"])) == (step["connect_rate"], step["reply_rate"])
    assert (int(fire["data-fired"]), int(fire["data-replies"]), json.loads(fire["data-share"])) == (
        stats["fired"], stats["replies_after_fire"], stats["replies_after_fire_share"])
    hours = cli.json("stats", "--hours", "--cadence", "five-touch-fire")
    assert {(c["weekday"], c["hour"]): (c["calls"], c["connects"], c["connect_rate"]) for c in hours} == {
        key: (int(m["data-calls"]), int(m["data-connects"]), json.loads(m["data-rate"])) for key, m in cells.items()}


def test_the_screenshot_shows_the_heat_map_in_its_colours(cli, tmp_path, profile):
    seed(cli)
    out, png = tmp_path / "report.html", tmp_path / "report.png"
    cli("report", "-o", out, "--cadence", "five-touch-fire")
    assert screenshot(out, png, profile, height=1800) == []
    image = read_png(png)
    assert (image.width, image.height) == (1200, 1800)

    # Not blank: the funnel's five bars are there in the bar colour, and a fair part of the page is drawn.
    bars = [b for b in image.boxes((0x3B, 0x6E, 0xA8)) if b[3] - b[1] + 1 == 20]
    assert len(bars) >= 5
    drawn = sum(1 for y in range(0, image.height, 4) for x in range(0, image.width, 4) if image.pixel(x, y) != (255, 255, 255))
    assert drawn > 0.05 * (image.width // 4) * (image.height // 4)

    # The best cell (Tuesday 15:00, 1 connect of 1 call) has the darkest colour, and one block of it is cell-sized.
    darkest = (8, 48, 107)
    (best,) = [b for b in image.boxes(darkest) if (b[2] - b[0] + 1, b[3] - b[1] + 1) == (CELL_W - 2, CELL_H - 2)]
    left, top = best[0], best[1]
    # Its figures are written on it in white.
    assert sum(1 for y in range(best[1], best[3]) for x in range(best[0], best[2]) if min(image.pixel(x, y)) > 200) > 20

    def seen(weekday: int, hour: int) -> tuple[int, int, int]:
        """The colour just inside the cell's top-left corner, placed from the best cell (Tuesday = 1, 15:00)."""
        return image.pixel(left + (hour - 15) * CELL_W + 3, top + (weekday - 1) * CELL_H + 3)

    weekdays = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    expected = {
        ("mon", 10): heat_colour(0.2, 1.0),
        ("mon", 15): heat_colour(0.5, 1.0),
        ("tue", 10): (238, 244, 251),  # 0%: the palest
        ("tue", 15): darkest,
        ("fri", 10): (238, 244, 251),
        ("wed", 12): (255, 255, 255),  # no calls: white
        ("sun", 0): (255, 255, 255),
        ("sat", 23): (255, 255, 255),
    }
    found = {key: seen(weekdays.index(key[0]), key[1]) for key in expected}
    want = {key: _rgb(colour) for key, colour in expected.items()}
    assert found == want
    shade = {key: sum(found[key]) for key in CELLS}
    assert min(shade, key=shade.get) == ("tue", 15)
    assert shade["tue", 15] < shade["mon", 15] < shade["mon", 10] < shade["tue", 10]


def test_the_file_needs_no_network_and_opens_without_a_console_error(cli, tmp_path, profile):
    seed(cli)
    out = tmp_path / "report.html"
    cli("report", "-o", out, "--all")
    html = out.read_text(encoding="utf-8")
    for reference in ("http://", "https://", "src=", "href=", "url(", "@import", "<script", "<link"):
        assert reference not in html.lower()
    dom, console = dump_dom(out, profile)
    assert console == []
    assert "Cadence report" in dom and dom.count("<svg") >= 5

    # The console check does see trouble: a copy that reaches out is refused and said so.
    reaching = tmp_path / "reaching.html"
    reaching.write_text(html.replace("<main>", '<main><img src="https://example.com/pixel.png">'), encoding="utf-8")
    _, complaints = dump_dom(reaching, profile)
    assert any("Content Security Policy" in line and "example.com" in line for line in complaints)


def test_console_lines_are_read_from_chromium_s_log():
    log = (
        "[1:1:1207/195049.858823:INFO:CONSOLE:1] \"boom\", source: file:///tmp/t.html (1)\n"
        "[1:1:1207/195049.860000:WARNING:something_else.cc(12)] unrelated\n"
    )
    assert console_lines(log) == ['[1:1:1207/195049.858823:INFO:CONSOLE:1] "boom", source: file:///tmp/t.html (1)']


def test_without_chromium_the_browser_tests_skip_but_in_ci_they_fail(monkeypatch, tmp_path):
    from tests.browser import chromium

    monkeypatch.setenv("CADENCE_CHROMIUM", str(tmp_path / "no-chromium"))
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="Chromium is not installed"):
        chromium()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI is set but Chromium is missing"):
        chromium()


def _rgb(colour) -> tuple[int, int, int]:
    if isinstance(colour, tuple):
        return colour
    return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))
