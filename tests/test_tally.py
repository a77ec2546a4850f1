"""The running totals behind `cadence stats` agree with counting the touch log, whatever was done.

`share` is checked on hand-made histories; then random sequences of logs, undos,
assignments, re-enrolments and imports run through the Pipeline on the suite's
database, and after each the totals (tally.figures) must equal the figures counted
from every touch (insight.count) for everyone, one rep and one cadence, and equal
totals rebuilt from scratch.
"""

from __future__ import annotations

import itertools
from collections import namedtuple
from datetime import date, datetime, time, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cadence.domain.engine import Outcome
from cadence.errors import CadenceError

T = namedtuple("T", "prospect_id id cadence step step_type outcome attempt after_fire on")
DAY = date(2026, 11, 23)


def touch(n, outcome, step=None, kind="call", cadence="five", attempt=True, after_fire=False, days=0):
    return T(1, n, cadence, step, kind if step is not None else None, outcome, attempt, after_fire, DAY + timedelta(days=days))


def parts(touches, current="five") -> dict[tuple, int]:
    from cadence.store.tally import share

    return {(k.kind, k.cadence, k.step, k.outcome, k.value): n for k, n in share(touches, current).items() if k.kind != "touches"}


# ---------------------------------------------------------------- one prospect's share


def test_a_fired_prospect_who_replied_later_adds_fire_reach_reply_and_days():
    history = [
        touch(1, "voicemail", 1),
        touch(2, "no-answer", 2, days=1),
        touch(3, "voicemail", 3, kind="fire", days=2),
        touch(4, "replied", attempt=False, after_fire=True, days=9),
    ]
    assert parts(history) == {
        ("reach", "five", 1, "", 0): 1,
        ("reach", "five", 2, "", 0): 1,
        ("reach", "five", 3, "", 0): 1,
        ("fired", "five", 0, "", 0): 1,
        ("reply", "five", 3, "", 0): 1,
        ("reply_same", "five", 3, "", 0): 1,
        ("fire_reply", "five", 0, "", 7): 1,  # 7 days from the fire to the reply
        ("fire_reply_same", "five", 0, "", 7): 1,
    }


def test_touches_are_counted_per_step_outcome_and_direction():
    from cadence.store.tally import Key, share

    counted = share([touch(1, "no-answer", 1), touch(2, "no-answer", 1), touch(3, "replied", 1, attempt=False)], "five")
    assert counted[Key("touches", "five", 1, "call", "no-answer", True)] == 2
    assert counted[Key("touches", "five", 1, "call", "replied", False)] == 1
    assert counted[Key("reach", "five", 1)] == 1  # a prospect is reached once, however many calls


def test_first_connect_counts_outbound_touches_up_to_it_once_per_cadence():
    history = [touch(1, "no-answer", 1), touch(2, "voicemail", 2), touch(3, "connected", 3),
               touch(4, "meeting", 3), touch(5, "connected", 1, cadence="other")]
    found = parts(history)
    # Three calls to the first connect in `five` (the later one does not count again), one in `other`.
    assert {key: n for key, n in found.items() if key[0] == "connect"} == {
        ("connect", "five", 0, "", 3): 1,
        ("connect", "other", 0, "", 1): 1,
    }
    assert found[("meeting", "five", 0, "", 0)] == 1


def test_a_reply_in_another_cadence_counts_for_everyone_but_not_for_that_cadence_alone():
    history = [touch(1, "voicemail", 2), touch(2, "replied", cadence="later", attempt=False)]
    found = parts(history)
    assert found[("reply", "five", 2, "", 0)] == 1
    assert ("reply_same", "five", 2, "", 0) not in found


def test_the_funnel_counts_the_current_enrolment_only():
    first = [touch(1, "no-answer", 1), touch(2, "no-answer", 2), touch(3, "voicemail", 3, kind="fire")]
    again = [touch(4, "no-answer", 1, days=40)]  # recycled into the same cadence: step 1 again
    found = parts(first + again)
    assert {k for k in found if k[0] == "reach"} == {("reach", "five", 1, "", 0)}
    assert found[("fired", "five", 0, "", 0)] == 1  # the fire stays a fire
    # Moved to another cadence: nothing of five's funnel, everything of the new one's.
    moved = parts(first + [touch(4, "no-answer", 1, cadence="other", days=40)], current="other")
    assert {k for k in moved if k[0] == "reach"} == {("reach", "other", 1, "", 0)}


def test_a_step_reached_means_every_step_before_it_was_too():
    # Logged early with --force, or a step skipped by a new version of the file: the funnel never rises.
    found = parts([touch(1, "no-answer", 1), touch(2, "voicemail", 3)])
    assert {k[2] for k in found if k[0] == "reach"} == {1, 2, 3}


def test_a_reply_counts_for_the_step_of_the_current_enrolment_it_followed():
    history = [touch(1, "no-answer", 1), touch(2, "no-answer", 2, days=1), touch(3, "replied", attempt=False, days=2),
               touch(4, "no-answer", 1, days=30)]  # re-enrolled afterwards: step 1 again
    assert not [k for k in parts(history) if k[0].startswith("reply")]


def test_touches_outside_any_cadence_add_nothing():
    assert parts([touch(1, "connected", cadence=None), touch(2, "meeting", cadence=None)]) == {}


# ---------------------------------------------------------------- totals against the touch log


def normalised(figures):
    return (
        sorted(figures.outcomes),
        sorted(figures.reach),
        sorted(figures.replies),
        figures.fired,
        figures.meetings,
        {name: (round(average, 9), n) for name, (average, n) in figures.connects.items()},
        figures.days_to_reply,
    )


def tally_rows(pipe) -> dict[tuple, int]:
    from sqlalchemy import select

    from cadence.store.models import stat_tally

    with pipe.engine.connect() as connection:
        rows = connection.execute(select(stat_tally)).all()
    return {tuple(row[:-1]): row[-1] for row in rows if row[-1]}


def assert_totals_match_the_log(pipe) -> None:
    from cadence.store import insight, tally

    for scope in (insight.Scope(), insight.Scope(owner="ana"), insight.Scope(cadence="five-touch-fire"),
                  insight.Scope(owner="bob", cadence="stop-chasing")):
        with pipe.reading() as session:
            assert normalised(tally.figures(session, scope)) == normalised(insight.count(session, scope)), scope
    kept = tally_rows(pipe)
    with pipe.engine.begin() as connection:
        tally.rebuild(connection)
    assert tally_rows(pipe) == kept  # what was kept up to date is what counting afresh gives


ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(["log", "log", "log", "log", "undo", "undo-last", "assign", "assign", "enroll", "enroll"]),
        st.integers(min_value=0, max_value=2),  # which prospect
        st.sampled_from(sorted(Outcome, key=lambda o: o.value)),
        st.integers(min_value=0, max_value=12),  # days after the last action
        st.sampled_from(["", "ana", "bob"]),
    ),
    min_size=1,
    max_size=14,
)


@pytest.fixture
def people(pipeline):
    from cadence.pipeline.core import NewProspect

    ids = []
    for n, cadence in enumerate(("five-touch-fire", "stop-chasing", "five-touch-fire")):
        row = pipeline.add(NewProspect(first_name=f"Tally{n}", last_name="Person", email=f"tally{n}@example.com"),
                           datetime(2026, 11, 20, 9, tzinfo=timezone.utc), cadence=cadence, start=DAY)
        ids.append(row.id)
    return pipeline, ids


RUNS = itertools.count(1)  # the database stays between examples: each starts far after the last


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=ACTIONS)
def test_totals_equal_the_touch_log_after_any_sequence_of_writes(people, actions):
    from cadence.pipeline import planning

    pipe, ids = people
    day = DAY + timedelta(days=400 * next(RUNS))  # nothing refused as logged before the last example's touches
    for action, which, outcome, later, rep in actions:
        day += timedelta(days=later)
        at = datetime.combine(day, time(10))
        ref = str(ids[which])
        try:
            if action == "log":
                callback_on = day + timedelta(days=3) if outcome == Outcome.CALLBACK else None
                pipe.log(ref, outcome, at, callback_on=callback_on, force=True)
            elif action == "undo":
                pipe.undo(ref)
            elif action == "undo-last":
                pipe.undo()
            elif action == "assign":
                pipe.assign(ref, rep or "ana", at)
            else:
                planning.enroll(pipe, ref, "stop-chasing" if which % 2 == 0 else "five-touch-fire", day, force=True)
        except CadenceError:
            pass  # refused (nothing to undo, do-not-contact, ...): wrote nothing
    assert_totals_match_the_log(pipe)


def test_an_import_that_fills_an_owner_moves_the_prospects_figures_to_that_rep(cli, tmp_path, pipeline):
    pid = cli("add", "--first", "Megan", "--last", "Lee", "--email", "megan@example.com", "--phone", "+1 212 555 0177", "--start", "2026-11-23").stdout.strip()
    cli("log", pid, "voicemail", "--at", "2026-11-23T10:00")
    cli("log", pid, "connected", "--at", "2026-11-24T10:00")
    leads = tmp_path / "owners.csv"
    leads.write_text("First Name,Last Name,Email,Owner\nMegan,Lee,megan@example.com,sam\n")
    before = {e["cadence"]: e for e in cli.json("stats", "--owner", "sam")}
    assert (before["five-touch-fire"]["connected"], before["five-touch-fire"]["steps"][0]["touches"]) == (0, 0)

    cli("import", str(leads), "--update")

    sam = {e["cadence"]: e for e in cli.json("stats", "--owner", "sam")}
    assert (sam["five-touch-fire"]["connected"], sam["five-touch-fire"]["avg_touches_to_first_connect"]) == (1, 2.0)
    assert cli.json("stats", "--owner", "sam") == cli.json("stats", "--owner", "sam", "--recount")
    assert_totals_match_the_log(pipeline)


def test_a_reps_figures_for_a_cadence_keep_the_touches_of_prospects_moved_out_of_it(cli, monkeypatch):
    """Bob's stop-chasing calls still count as its touches once the prospect is in another cadence."""
    monkeypatch.setenv("CADENCE_USER", "bob")
    pid = cli("add", "--first", "Tom", "--email", "tom@example.com", "--phone", "+1 212 555 0178", "--cadence", "stop-chasing", "--start", "2026-11-23").stdout.strip()
    cli("log", pid, "no-answer", "--at", "2026-11-23T10:00")
    cli("enroll", pid, "--cadence", "five-touch-fire", "--start", "2026-11-30", "--force")

    for options in ((), ("--recount",)):
        [entry] = cli.json("stats", "--cadence", "stop-chasing", *options)
        # The touch stays a touch of stop-chasing; its funnel counts the people enrolled in it now.
        assert (entry["enrolled"], entry["steps"][0]["touches"], entry["steps"][0]["reached"]) == (0, 1, 0), options


@pytest.mark.sqlite_only
def test_migration_0007_counts_the_totals_of_0005_again(tmp_path):
    """Totals kept by 0005's rule (a step reached by everyone ever touched on it) are counted per enrolment."""
    from sqlalchemy import create_engine, insert, select
    from sqlmodel import Session

    from cadence.store import db, insight
    from cadence.store.models import Prospect, Touch, stat_tally

    path = tmp_path / "old.db"
    old = create_engine(f"sqlite:///{path}")
    db.upgrade(old, "0006")  # the totals kept by 0005's rule, and the name column the models now have
    stamp = datetime(2026, 11, 23, 9, tzinfo=timezone.utc)
    row = Prospect(id=1, first_name="Tom", cadence="other", status="active", step=1, created_at=stamp, updated_at=stamp)
    with old.begin() as connection:  # the prospect table as 0006 had it (no variant_slot yet)
        connection.execute(insert(Prospect.__table__).values(
            {name: value for name, value in row.model_dump().items() if name != "variant_slot"}))
    with old.begin() as connection:  # the touch table as 0006 had it (no message_id yet)
        connection.execute(insert(Touch.__table__).values(
            id=1, prospect_id=1, at=datetime(2026, 11, 23, 10, tzinfo=timezone.utc), on=DAY, cadence="five", step=1, step_type="call",
            outcome="no-answer", note="", attempt=True, after_fire=False, forced=False, owner="", state_before={}))
    with old.begin() as connection:  # what 0005's share counted for Tom, now in `other`
        connection.execute(insert(stat_tally), [
            {"kind": "touches", "cadence": "five", "step": 1, "step_type": "call", "outcome": "no-answer",
             "attempt": True, "value": 0, "owner": "", "enrolled": True, "n": 1},
            {"kind": "reach", "cadence": "five", "step": 1, "step_type": "", "outcome": "",
             "attempt": False, "value": 0, "owner": "", "enrolled": True, "n": 1},
        ])
    old.dispose()

    engine = db.open_engine(str(path))
    assert db.current_revision(engine) == (db.HEAD, True)
    with Session(engine) as session:
        kinds = sorted((row.kind, row.cadence, row.n) for row in session.execute(select(stat_tally)))
        assert kinds == [("touches", "five", 1)]  # the touch stays; `five` no longer counts Tom as reached
        scope = insight.Scope()
        assert normalised(tally_figures(session, scope)) == normalised(insight.count(session, scope))
    engine.dispose()


def tally_figures(session, scope):
    from cadence.store import tally

    return tally.figures(session, scope)


CLEANING = st.lists(
    st.tuples(
        st.sampled_from(["log", "log", "log", "undo", "merge", "remove", "forget", "edit-owner"]),
        st.integers(min_value=0, max_value=2),  # which prospect
        st.integers(min_value=0, max_value=2),  # the other one (merge)
        st.sampled_from(sorted(Outcome, key=lambda o: o.value)),
        st.sampled_from(["", "ana", "bob"]),
    ),
    min_size=1,
    max_size=12,
)
PEOPLE = itertools.count(1)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=CLEANING)
def test_totals_equal_the_touch_log_after_merges_removals_erasures_and_edits(pipeline, actions):
    """edit --owner, merge (and its undo), remove and forget move the running totals as the touch log moves."""
    from cadence.pipeline import cleaning
    from cadence.pipeline.core import NewProspect

    start = DAY + timedelta(days=400 * next(RUNS))
    ids = []
    for n in range(3):
        k = next(PEOPLE)
        row = pipeline.add(NewProspect(first_name=f"Clean{k}", last_name="Person", email=f"clean{k}@example.com"),
                           datetime(2026, 11, 20, 9, tzinfo=timezone.utc), cadence="five-touch-fire", start=start)
        ids.append(row.id)
    day = start
    for action, which, other, outcome, rep in actions:
        day += timedelta(days=1)
        at = datetime.combine(day, time(10))
        ref = str(ids[which])
        try:
            if action == "log":
                pipeline.log(ref, outcome, at, callback_on=day + timedelta(days=3) if outcome == Outcome.CALLBACK else None, force=True)
            elif action == "undo":
                pipeline.undo(ref)
            elif action == "merge":
                cleaning.merge(pipeline, ref, str(ids[other]), at)
            elif action == "remove":
                cleaning.remove(pipeline, ref)
            elif action == "forget":
                cleaning.forget(pipeline, f"clean{ref}@example.com", at)  # nobody, or whoever has it
            else:
                cleaning.edit(pipeline, ref, cleaning.Edit(owner=rep or "ana"), at)
        except CadenceError:
            pass  # refused (gone, the same prospect, nothing to undo, ...): wrote nothing
    assert_totals_match_the_log(pipeline)
