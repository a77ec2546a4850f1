"""Properties of the scheduling rules for any cadence and any sequence of outcomes.

The engine half runs many random histories through engine.log; the store half
logs random histories through Pipeline.log on a real database and checks that
every undo puts the prospect back exactly where it was.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cadence.domain import engine
from cadence.domain.calendar import Calendar
from cadence.domain.engine import ADVANCING, NOT_ATTEMPTS, Outcome, Status
from cadence.errors import CadenceError
from conftest import P, S

OUTBOUND = [o for o in Outcome if o not in NOT_ATTEMPTS and o not in (Outcome.DONE, Outcome.SKIPPED)]
ANY = OUTBOUND + sorted(NOT_ATTEMPTS)


def working_days_between(first: date, last: date, business: bool) -> int:
    """Working days in (first, last], counted one by one (independent of Calendar.add)."""
    if not business:
        return (last - first).days
    return sum(1 for n in range(1, (last - first).days + 1) if (first + timedelta(days=n)).weekday() < 5)


@st.composite
def plans(draw, recycle: bool | None = None):
    """A cadence of 1 to 8 steps, days never going backwards, sometimes ending in a fire step."""
    first = draw(st.integers(min_value=1, max_value=3))
    days = [first]
    for gap in draw(st.lists(st.integers(min_value=0, max_value=6), max_size=7)):
        days.append(days[-1] + gap)
    types = [draw(st.sampled_from(["call", "no-message-call", "email"])) for _ in days]
    if draw(st.booleans()):
        types[-1] = "fire"
    with_recycle = draw(st.booleans()) if recycle is None else recycle
    return P("random", tuple(S(d, t) for d, t in zip(days, types)), relativedelta(months=6) if with_recycle else None)


@st.composite
def action(draw):
    """One thing the salesperson does: an outcome, how many days late, and a date if it needs one."""
    outcome = draw(st.sampled_from(ANY) | st.sampled_from(sorted(ADVANCING - {Outcome.DONE, Outcome.SKIPPED})))
    return outcome, draw(st.integers(min_value=0, max_value=9)), draw(st.integers(min_value=0, max_value=40)), draw(st.booleans())


# ---------------------------------------------------------------- engine


@settings(max_examples=400, deadline=None)
@given(
    plan=plans(),
    business=st.booleans(),
    start=st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31)),
    actions=st.lists(action(), min_size=1, max_size=25),
)
def test_any_outcome_sequence_keeps_the_plan_and_the_spacing(plan, business, start, actions):
    calendar = Calendar(business=business)
    state = engine.enroll(plan, calendar, start)
    started = state.started_on
    last = started
    for outcome, late, ahead, force in actions:
        on = (state.due_on or last) + timedelta(days=late)
        callback_on = on + timedelta(days=ahead) if outcome == Outcome.CALLBACK or ahead % 2 else None
        before = state
        try:
            state = engine.log(plan, calendar, state, outcome, on, callback_on=callback_on,
                               next_on=callback_on if outcome != Outcome.CALLBACK else None, force=force).state
        except CadenceError:
            continue  # refused: nothing changed
        last = on
        if state.status == Status.ACTIVE and state.step is not None and state.started_on == started:
            # Never before the plan: start + (day_k - day_1) working days.
            assert working_days_between(started, state.due_on, business) >= plan.steps[state.step - 1].day - plan.steps[0].day
            if business:
                assert state.due_on.weekday() < 5
        if (
            outcome in ADVANCING
            and before.status == Status.ACTIVE
            and state.status == Status.ACTIVE
            and state.step == before.step + 1
        ):
            # Spacing kept when late: at least the planned gap after the day the step was done.
            gap = plan.steps[state.step - 1].day - plan.steps[state.step - 2].day
            assert state.due_on >= on
            assert working_days_between(on, state.due_on, business) >= gap
        # Every outbound try counts as an attempt; a reply, a disqualification or do-not-contact does not.
        assert state.attempts == before.attempts + (0 if outcome in NOT_ATTEMPTS else 1)


@settings(max_examples=300, deadline=None)
@given(
    plan=plans(recycle=False),
    business=st.booleans(),
    start=st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31)),
    delays=st.lists(st.integers(min_value=0, max_value=9), min_size=8, max_size=8),
    later=st.lists(st.tuples(st.sampled_from(OUTBOUND), st.integers(min_value=0, max_value=800)), min_size=1, max_size=12),
)
def test_a_fired_prospect_is_never_due_again_without_recycle(plan, business, start, delays, later):
    plan = replace(plan, steps=plan.steps[:-1] + (S(plan.steps[-1].day, "fire"),))
    calendar = Calendar(business=business)
    state = engine.enroll(plan, calendar, start)
    for k in range(len(plan.steps)):
        state = engine.log(plan, calendar, state, Outcome.NO_ANSWER, state.due_on + timedelta(days=delays[k])).state
    assert (state.status, state.due_on, state.step) == (Status.FIRED, None, None)
    fired = state
    for outcome, days in later:
        with pytest.raises(CadenceError, match="was fired on"):
            engine.log(plan, calendar, fired, outcome, fired.fired_on + timedelta(days=days),
                       callback_on=fired.fired_on + timedelta(days=days + 1))
        assert engine.item_type(plan, fired) is None


# ---------------------------------------------------------------- store: log, then undo


def cadence_yaml(name: str, plan: P) -> str:
    lines = [f"name: {name}", "days: business", "steps:"]
    for step in plan.steps:
        lines += [f"  - day: {step.day}", f"    type: {step.type}"]
        if step.type == "email":
            lines += ["    subject: Hello {{ prospect.first_name }}", "    body: A note for {{ prospect.company }}."]
        elif step.type == "call":
            lines += ["    script: Hi {{ prospect.first_name }}.", "    voicemail: Call me back."]
        else:
            lines += ["    script: Hi {{ prospect.first_name }}, it is step {{ step.number }}."]
    if plan.recycle_after:
        lines += ["after_fire:", "  recycle_after: 6 months"]
    return "\n".join(lines) + "\n"


@pytest.fixture
def store(tmp_path, monkeypatch, pipeline):
    """The test pipeline with a folder for random cadences on its search path."""
    folder = tmp_path / "random-cadences"
    folder.mkdir()
    monkeypatch.setenv("CADENCE_CADENCES", str(folder))
    return pipeline, folder, itertools.count(1)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    plan=plans(),
    start=st.dates(min_value=date(2026, 1, 5), max_value=date(2026, 12, 31)),
    actions=st.lists(action(), min_size=1, max_size=10),
)
def test_undo_after_any_log_restores_the_exact_state(store, plan, start, actions):
    from cadence.pipeline.core import NewProspect
    from cadence.store import queries
    from cadence.store.models import Prospect

    pipe, folder, numbers = store
    n = next(numbers)
    name = f"random-{n}"
    (folder / f"{name}.yaml").write_text(cadence_yaml(name, plan))
    added = pipe.add(NewProspect(first_name="Prop", last_name=f"Person{n}", email=f"p{n}@example.com"),
                     datetime(2026, 1, 1, 9, tzinfo=timezone.utc), cadence=name, start=start)
    ref = str(added.id)

    def state():
        with pipe.reading() as session:
            row = session.get(Prospect, added.id)
            return queries.state_of(row), len(queries.touches(session, added.id))

    last = start
    for outcome, late, ahead, force in actions:
        before, touches = state()
        on = (before.due_on or last) + timedelta(days=late)
        at = datetime.combine(on, time(10, 30))
        callback_on = on + timedelta(days=ahead) if outcome == Outcome.CALLBACK or ahead % 2 else None
        try:
            pipe.log(ref, outcome, at, callback_on=callback_on, force=force)
        except CadenceError:
            assert state() == (before, touches)  # a refusal writes nothing
            continue
        after = state()
        assert after[1] == touches + 1
        pipe.undo(ref)
        assert state() == (before, touches)
        pipe.log(ref, outcome, at, callback_on=callback_on, force=force)
        assert state() == after  # the same log again gives the same state
        last = on
        current = after[0]
        if current.status == Status.FIRED and not plan.recycle_after:
            for days in (0, 1, 7, 30, 200):
                listed = pipe.today(datetime.combine(on + timedelta(days=days), time(9)))
                assert added.id not in [item.prospect_id for item in listed]


# ---------------------------------------------------------------- scripts: plain rendering is Jinja's

TEXT = st.text(alphabet=st.characters(blacklist_characters="{}%#", blacklist_categories=("Cs",)), max_size=12)
PATHS = [
    "prospect.first_name", "prospect.company", "prospect['last_name']", "prospect.fields.industry",
    "prospect.fields.items", "me.name", "me.phone", "step.number", "attempts", "steps",
]


@st.composite
def plain_scripts(draw):
    """Text with values in it, some as `a or b or "text"`, as cadence files write them."""
    parts = []
    for _ in range(draw(st.integers(min_value=0, max_value=5))):
        parts.append(draw(TEXT))
        choice = draw(st.lists(st.sampled_from(PATHS), min_size=1, max_size=3))
        if draw(st.booleans()):
            choice.append(repr(draw(st.sampled_from(["yours", "", "0", "your team"]))))
        parts.append("{{ " + " or ".join(choice) + " }}")
    parts.append(draw(TEXT))
    return "".join(parts)


@st.composite
def contexts(draw):
    values = st.one_of(st.text(max_size=8), st.integers(min_value=-5, max_value=500), st.none(), st.booleans())
    fields = draw(st.dictionaries(st.sampled_from(["industry", "items", "size"]), values, max_size=3))
    me = draw(st.dictionaries(st.sampled_from(["name", "phone"]), st.text(max_size=8), max_size=2))
    return {
        "prospect": {"first_name": draw(st.text(max_size=8)), "last_name": draw(values), "company": draw(values), "fields": fields},
        "me": me,
        "step": {"number": draw(st.integers(min_value=1, max_value=9))},
        "steps": draw(st.integers(min_value=1, max_value=9)),
        "attempts": draw(values),
    }


@settings(max_examples=400, deadline=None)
@given(source=plain_scripts(), context=contexts())
def test_a_plain_script_renders_exactly_as_jinja_renders_it(source, context):
    from cadence.cadences import sandbox
    from cadence.cadences import scripts

    def outcome(render):
        try:
            return render(source, context)
        except CadenceError as exc:
            return f"refused: {exc}"

    assert outcome(scripts.render) == outcome(sandbox.render)
