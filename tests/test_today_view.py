"""The plain `today` view (cadence.views.today) against rich, and `today --brief` rendering no script."""

from __future__ import annotations

import dataclasses
import io
from datetime import date, datetime, timezone

import pytest
from rich.console import Console

from cadence.pipeline.reading import Item
from cadence.views import daily
from cadence.views import today as plain

DAY = date(2026, 11, 30)


def item(**changes) -> Item:
    base = Item(
        prospect_id=7, name="Megan Holloway", company="Brightline Freight", title="Director", phone="+12125550134",
        email="megan@brightline.example", timezone="America/New_York", local_time="11:00", status="active",
        cadence="five-touch-fire", step=1, steps=5, type="call", channel="phone", due=DAY, overdue_days=0,
        attempts=0, postponements=0, script="Hi Megan.\nShort line.", voicemail="Call me back.",
    )
    return dataclasses.replace(base, **changes)


ITEMS = [
    item(),
    item(prospect_id=8, name="Zoë 漢字漢字 \x1b[2J", company="A" * 120, type="fire", overdue_days=3, lingering=True,
         postponements=4, script="x" * 150 + " tab\there   many   spaces " + "漢字" * 60 + "\n[bold]not markup[/bold]"),
    item(prospect_id=9, channel="email", type="email", subject="Re: [red]pricing[/red]", script="word " * 60, missing="email"),
    item(prospect_id=10, channel="task", type="task", step_title="Send the deck", script="", voicemail=None,
         outside_hours=True, owner="rep2"),
    item(prospect_id=11, type="callback", callback_on=DAY, script="They asked.\n", voicemail=None),
]


@pytest.mark.parametrize("width", [24, 40, 80, 100, 133])
def test_plain_view_prints_what_rich_printed_at_every_width(width, monkeypatch):
    rich_out = io.StringIO()
    monkeypatch.setattr(daily, "console", Console(file=rich_out, width=width, highlight=False, color_system=None))
    daily.today(ITEMS, DAY)
    ours = io.StringIO()
    plain.today(ITEMS, DAY, plain.Screen(ours, width, styled=False))
    assert ours.getvalue() == rich_out.getvalue()
    assert "\x1b" not in ours.getvalue()  # the name's escape is shown, not sent


def test_plain_view_on_a_terminal_styles_with_sgr_and_keeps_the_text(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    out = io.StringIO()
    plain.today(ITEMS[:2], DAY, plain.Screen(out, 100, styled=True))
    text = out.getvalue()
    assert "\x1b[1;37;41m FIRE \x1b[0m" in text
    assert "\x1b[1m#7 Megan Holloway\x1b[0m  Director, Brightline Freight" in text
    assert "\x1b[31m  overdue 3 days (due 2026-11-30)\x1b[0m" in text


def test_every_contact_span_carries_its_link_target():
    spans = plain.contact_spans(item(channel="task"))
    assert [(s.text, s.link) for s in spans] == [
        ("+12125550134", "tel:+12125550134"), (" · ", None), ("megan@brightline.example", "mailto:megan@brightline.example"),
    ]


def test_brief_renders_no_script(cli, monkeypatch):
    import cadence.pipeline.reading as reading

    cli("add", "--first", "Ann", "--last", "Lee", "--phone", "+1 415 555 0123", "--start", "2026-11-30")
    rendered = []
    real = reading.render
    monkeypatch.setattr(reading, "render", lambda source, context: rendered.append(source) or real(source, context))
    brief = cli("today", "--date", "2026-11-30", "--brief")
    assert "#1  Ann Lee  1/5  call" in brief.stdout and rendered == []
    full = cli("today", "--date", "2026-11-30")
    assert "Say:" in full.stdout and rendered != []


def timeline_view(notes: list[str]) -> dict:
    touches = [{"at": "2026-11-0%dT10:00:00+00:00" % (n + 1), "on": "2026-11-0%d" % (n + 1), "step": n + 1 if n < 3 else None,
                "type": "call" if n < 3 else None, "outcome": "no-answer", "note": note, "after_fire": n == 2, "forced": n == 3}
               for n, note in enumerate(notes)]
    return {"id": 4, "name": "Zoë [b]Kim[/b]", "title": "", "company": "Acme", "phone": "+12125550134", "email": "", "timezone": "",
            "status": "active", "cadence": "five-touch-fire", "attempts": 4, "next_step": 2, "steps": 5, "next_type": "call",
            "next_due": "2026-12-01", "fired_on": None, "fields": {"industry": "saas"}, "changes": [], "touches": touches}


@pytest.mark.parametrize("notes", [["", "asked for pricing", "漢字 wide", "\x1b[2J"], [], ["n" * 90, "", "", ""], ["two\nlines", "", "", ""]])
@pytest.mark.parametrize("width", [40, 100])
def test_plain_show_prints_what_rich_printed(notes, width, monkeypatch):
    from cadence.views import show

    rich_out = io.StringIO()
    monkeypatch.setattr(daily, "console", Console(file=rich_out, width=width, highlight=False, color_system=None))
    view = timeline_view(notes)
    daily.prospect(view)
    expected = rich_out.getvalue()
    rich_out.seek(0)
    rich_out.truncate()
    ours = io.StringIO()
    show.prospect(view, plain.Screen(ours, width, styled=False))
    assert ours.getvalue() + rich_out.getvalue() == expected  # written by one of the two, never both
    fits = not notes or width == 100 and not any("\n" in n or len(n) > 60 for n in notes)
    assert bool(ours.getvalue()) == fits


def test_an_engaged_follow_up_reads_as_a_follow_up_and_json_keeps_callback(cli):
    cli("add", "--first", "Ann", "--last", "Lee", "--phone", "+1 415 555 0123", "--start", "2026-11-30")
    cli("log", "Ann", "connected", "--on", "2026-12-08", "--at", "2026-11-30T10:00")
    shown = cli("show", "Ann").stdout
    assert "  next: follow-up due 2026-12-08\n" in shown and "callback" not in shown
    today = cli("today", "--date", "2026-12-08").stdout
    assert "  no step · follow-up · tried 1 time\n" in today and "callback" not in today
    assert [i["type"] for i in cli.json("today", "--date", "2026-12-08")] == ["callback"]
    assert cli.json("show", "Ann")["next_type"] == "callback"


@pytest.mark.parametrize("status, word", [("engaged", "follow-up"), ("converted", "follow-up"), ("snoozed", "callback")])
def test_both_views_name_a_follow_up_and_a_callback_apart(status, word, monkeypatch):
    from cadence.views import show

    rich_out = io.StringIO()
    monkeypatch.setattr(daily, "console", Console(file=rich_out, width=100, highlight=False, color_system=None))
    due = item(prospect_id=11, type="callback", status=status, step=None, script="", voicemail=None)
    daily.today([due], DAY)
    ours = io.StringIO()
    plain.today([due], DAY, plain.Screen(ours, 100, styled=False))
    assert ours.getvalue() == rich_out.getvalue()
    assert f"  no step · {word} · tried 0 times\n" in ours.getvalue()

    view = timeline_view([]) | {"status": status, "next_step": None, "next_type": "callback"}
    rich_out.seek(0)
    rich_out.truncate()
    daily.prospect(view)
    ours = io.StringIO()
    show.prospect(view, plain.Screen(ours, 100, styled=False))
    assert ours.getvalue() == rich_out.getvalue()
    assert f"  next: {word} due 2026-12-01\n" in ours.getvalue()
