"""`cadence report`: the HTML page, its figures (the same as `stats --json`), and the command's refusals.

The browser tests (a seeded history opened in headless Chromium) are in tests/test_report_browser.py.
"""

from __future__ import annotations

import json
import re
from datetime import date
from html.parser import HTMLParser

from cadence.domain.activity import over_time, period_for
from cadence.views.report import page, variants_section
from tests.test_stats import add

VOID = {"meta", "link", "br", "img", "input", "hr"}

# The contract of stats --variants --json (/work/agents/p6/variants-shape.md), with a hostile variant id.
VARIANTS = [
    {
        "cadence": "five-touch-fire", "step": 1, "type": "call", "channel": "phone", "test": "fisher-exact",
        "variants": [
            {"variant": "a", "touches": 40, "calls": 40, "connects": 6, "connect_rate": 0.15,
             "connect_interval": [0.071, 0.291], "replies": 1, "reply_rate": 0.025, "reply_interval": [0.004, 0.129]},
            {"variant": "b<i>", "touches": 38, "calls": 38, "connects": 12, "connect_rate": 0.3158,
             "connect_interval": [0.191, 0.474], "replies": 0, "reply_rate": 0.0, "reply_interval": [0.0, 0.092]},
        ],
        "connect": {"p_value": 0.11, "significant": False, "best": None},
        "reply": {"p_value": 1.0, "significant": False, "best": None},
    },
    {
        "cadence": "three-voicemails", "step": 4, "type": "fire", "channel": "email", "test": "fisher-exact",
        "variants": [
            {"variant": "short", "touches": 50, "calls": 0, "connects": 0, "connect_rate": None, "connect_interval": None,
             "replies": 15, "reply_rate": 0.3, "reply_interval": [0.191, 0.438]},
            {"variant": "long", "touches": 50, "calls": 0, "connects": 0, "connect_rate": None, "connect_interval": None,
             "replies": 4, "reply_rate": 0.08, "reply_interval": [0.032, 0.188]},
        ],
        "connect": {"p_value": None, "significant": False, "best": None},
        "reply": {"p_value": 0.0087, "significant": True, "best": "short"},
    },
]


class Marks(HTMLParser):
    """Every element with data-* figures: its attributes, the text of its <text> children and of its <title>."""

    def __init__(self, markup: str):
        super().__init__()
        self.marks: list[dict] = []
        self.open: list[tuple[str, dict | None]] = []
        self.feed(markup)

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        mark = {"tag": tag, **found, "text": [], "title": ""} if any(k.startswith("data-") for k in found) else None
        if mark is not None:
            self.marks.append(mark)
        if tag not in VOID:
            self.open.append((tag, mark))

    def handle_endtag(self, tag):
        while any(open_tag == tag for open_tag, _ in self.open):
            if self.open.pop()[0] == tag:
                break

    def handle_data(self, data):
        if not data.strip() or not self.open:
            return
        inner = self.open[-1][0]
        for _, mark in self.open:
            if mark is not None and inner == "text":
                mark["text"].append(data.strip())
            elif mark is not None and inner == "title" and not mark["title"]:
                mark["title"] = data.strip()

    def of(self, kind: str) -> list[dict]:
        return [m for m in self.marks if m.get("class", "").split()[:1] == [kind]]


def number(text: str):
    return json.loads(text)


# ---------------------------------------------------------------- the variant section, from the contract's shape


def test_the_variant_section_draws_each_rate_with_its_interval_and_the_test():
    html = variants_section(VARIANTS)
    marks = Marks(html)
    drawn = {(m["data-variant"], m["data-measure"]): m for m in marks.of("variant")}
    assert set(drawn) == {("a", "connect"), ("b<i>", "connect"), ("a", "reply"), ("b<i>", "reply"), ("short", "reply"), ("long", "reply")}
    b = drawn["b<i>", "connect"]
    assert (number(b["data-rate"]), number(b["data-low"]), number(b["data-high"])) == (0.3158, 0.191, 0.474)
    assert (b["data-part"], b["data-whole"]) == ("12", "38")
    assert b["text"] == ["b<i>", "31.6% (12 of 38 calls), 95% interval 19.1% to 47.4%"]
    assert drawn["short", "reply"]["text"][1] == "30.0% (15 of 50 touches), 95% interval 19.1% to 43.8%"
    # The connect scale runs to 50% (the next 10% above the highest whisker): 420 px wide from x=90.
    whisker = re.search(r'<g class="variant" data-variant="b&lt;i&gt;" data-measure="connect".*?<path d="M([\d.]+) \d+H([\d.]+)', html)
    assert (float(whisker[1]), float(whisker[2])) == (round(90 + 0.191 / 0.5 * 420, 1), round(90 + 0.474 / 0.5 * 420, 1))
    assert "<i>" not in html and "b&lt;i&gt;" in html  # a stored id is text, never markup
    assert "Connect rate: p = 0.11 (fisher-exact): no significant difference" in html
    assert "Reply rate: p = 0.0087 (fisher-exact): variant short does better (significant)" in html
    # An email step has no connect rate: only its reply rates are drawn.
    fire = html[html.index('data-cadence="three-voicemails"'):]
    assert "Connect rate" not in fire and "Reply rate" in fire


def test_without_variants_the_report_says_so_in_a_line():
    html = variants_section([])
    assert '<section id="variants">' in html
    assert "<p>No step has variants.</p>" in html
    assert "<svg" not in html


# ---------------------------------------------------------------- the page


def _figures(name: str = "five-touch-fire") -> dict:
    return {
        "scope": {"rep": None, "cadence": None, "since": None, "window": 30},
        "stats": [{
            "cadence": name, "title": "Five & more", "enrolled": 2, "statuses": {"active": 2}, "fired": 0,
            "replies_after_fire": 0, "replies_after_fire_share": None, "reply_window_days": 30,
            "median_days_fire_to_reply": None, "meetings_per_100": None, "avg_touches_to_first_connect": None,
            "steps": [{"step": 1, "type": "call", "channel": "phone", "touches": 2, "reached": 2, "calls": 2,
                       "connects": 1, "connect_rate": 0.5, "replies": 0, "reply_rate": 0.0}],
        }],
        "hours": [{"weekday": "mon", "hour": 9, "calls": 2, "connects": 1, "connect_rate": 0.5}],
        "activity": {"period": "day", "periods": [{"start": "2026-11-23", "touches": 2, "dials": 2, "connects": 1,
                                                   "meetings": 0, "emails": 0, "replies": 0}]},
        "variants": VARIANTS,
    }


def test_stored_names_are_escaped_everywhere():
    html = page(_figures('<script>alert("x")</script>'), "2026-11-30 09:00 UTC")
    assert "<script" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "Five &amp; more" in html


def test_the_page_links_to_nothing():
    html = page(_figures(), "2026-11-30 09:00 UTC")
    assert not re.search(r"https?:|//|\bsrc=|\bhref=|url\(|@import|<script|<link", html, re.IGNORECASE)
    assert "Content-Security-Policy\" content=\"default-src 'none'" in html  # and a browser would refuse one


# ---------------------------------------------------------------- activity over time (pure)


def test_activity_over_time_fills_the_empty_periods_and_picks_the_period_by_span():
    rows = [
        (date(2026, 11, 23), "call", "voicemail", True, 3),
        (date(2026, 11, 23), "call", "connected", True, 1),
        (date(2026, 11, 25), "email", "sent", True, 2),
        (date(2026, 11, 26), None, "replied", False, 1),
    ]
    period, periods, earlier = over_time(rows)
    assert period == "day"
    assert [(d.isoformat(), a.dials, a.connects, a.emails, a.replies) for d, a in periods] == [
        ("2026-11-23", 4, 1, 0, 0), ("2026-11-24", 0, 0, 0, 0), ("2026-11-25", 0, 0, 2, 0), ("2026-11-26", 0, 0, 0, 1)]
    period, weeks, _ = over_time(rows + [(date(2027, 1, 6), "call", "meeting", True, 1)])
    assert period == "week"
    assert [d.isoformat() for d, _ in weeks][:2] == ["2026-11-23", "2026-11-30"] and len(weeks) == 7
    assert (weeks[0][1].dials, weeks[-1][1].meetings) == (4, 1)
    _, months, _ = over_time(rows, "month")
    assert [(d.isoformat(), a.touches) for d, a in months] == [("2026-11-01", 7)]
    assert (period_for(date(2026, 1, 1), date(2026, 2, 11)), period_for(date(2026, 1, 1), date(2026, 2, 12))) == ("day", "week")
    assert period_for(date(2024, 1, 1), date(2027, 1, 1)) == "month"
    assert earlier.touches == 0
    assert over_time([])[:2] == ("day", [])


def test_activity_over_time_keeps_the_last_periods_and_sums_up_the_older_ones():
    rows = [(date(1691, 1, 15), "call", "no-answer", True, 9),  # a wild date in an old import
            (date(2026, 11, 2), "call", "connected", True, 2), (date(2026, 11, 30), None, "replied", False, 1)]
    period, months, earlier = over_time(rows)
    assert period == "month" and len(months) == 120
    assert (months[0][0], months[-1][0]) == (date(2016, 12, 1), date(2026, 11, 1))
    assert (months[-1][1].dials, months[-1][1].connects, months[-1][1].replies) == (2, 2, 1)
    assert (earlier.touches, earlier.dials, earlier.connects) == (9, 9, 0)
    html = page({**_figures(), "activity": {"period": "month", "earlier": earlier.to_json(), "periods": [
        {"start": d.isoformat(), **a.to_json()} for d, a in months]}}, "2026-11-30 09:00 UTC")
    assert "Before 2016-12-01, not drawn: 9 touches (9 dials, 0 connects, 0 emails, 0 meetings, 0 replies)." in html
    assert html.count('class="period" data-kind="dials"') == 120


# ---------------------------------------------------------------- the command


def test_report_writes_report_html_in_the_current_folder_by_default(cli, tmp_path, monkeypatch):
    add(cli, "Ann")
    monkeypatch.chdir(tmp_path)
    result = cli("report")
    assert result.stdout == f"Wrote the report to {tmp_path / 'report.html'}: open it in a browser.\n"
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    assert "<h3>five-touch-fire — Five touches, then fire</h3>" in html
    assert "No prospects yet in: long-haul-breakup, stop-chasing, three-voicemails" in html
    assert not list(tmp_path.glob(".report.html.*"))  # no temporary file left beside it


def test_report_refuses_a_folder_that_does_not_exist_or_is_a_file(cli, tmp_path):
    missing = cli("report", "-o", tmp_path / "nowhere" / "r.html", ok=False)
    assert missing.exit_code == 1
    assert missing.stderr == f"error: cannot write {tmp_path / 'nowhere' / 'r.html'}: folder {tmp_path / 'nowhere'} does not exist\n"
    folder = cli("report", "-o", tmp_path, ok=False)
    assert folder.exit_code == 1
    assert folder.stderr == f"error: cannot write {tmp_path}: it is a folder; give a file name\n"


def test_report_refuses_what_stats_refuses(cli, tmp_path):
    unknown = cli("report", "-o", tmp_path / "r.html", "--cadence", "no-such-cadence", ok=False)
    stats = cli("stats", "--cadence", "no-such-cadence", ok=False)
    assert unknown.exit_code == 1 and unknown.stderr == stats.stderr and unknown.stderr.startswith("error: ")
    assert len(unknown.stderr.splitlines()) == 1
    bad = cli("report", "-o", tmp_path / "r.html", "--since", "soon", ok=False)
    assert bad.stderr == "error: invalid date 'soon' for --since: use YYYY-MM-DD, e.g. 2026-11-24\n"
    assert not (tmp_path / "r.html").exists()


def test_report_follows_the_scope_of_stats(cli, tmp_path, monkeypatch):
    for who, first in (("ana", "Ann"), ("bob", "Ben")):
        monkeypatch.setenv("CADENCE_USER", who)
        pid = add(cli, first)
        cli("log", pid, "vm", "--at", "2026-11-23T15:00")
    cli("report", "-o", tmp_path / "bob.html")  # the current rep: bob
    cli("report", "-o", tmp_path / "all.html", "--all")
    bob = (tmp_path / "bob.html").read_text(encoding="utf-8")
    everyone = (tmp_path / "all.html").read_text(encoding="utf-8")
    assert [m["data-reached"] for m in Marks(bob).of("step")][:1] == ["1"]
    assert [m["data-reached"] for m in Marks(everyone).of("step")][:1] == ["2"]
    assert "bob&#x27;s prospects" in bob and "Everyone&#x27;s prospects" in everyone
