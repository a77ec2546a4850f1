"""Pure tests of the scheduling engine and the working-day calendar: no database, no clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given, settings
from hypothesis import strategies as st

from cadence.domain import engine
from cadence.domain.calendar import Calendar
from cadence.domain.engine import Outcome, State, Status
from cadence.errors import CadenceError
from conftest import P, S

BUSINESS = Calendar(business=True)
CALENDAR = Calendar(business=False)

# November 2026: the 19th is a Thursday, the 21st/22nd and 28th/29th are weekends.
THU19, FRI20, SAT21, SUN22 = date(2026, 11, 19), date(2026, 11, 20), date(2026, 11, 21), date(2026, 11, 22)
MON23, TUE24, WED25, THU26, FRI27 = (date(2026, 11, d) for d in range(23, 28))
SAT28, SUN29, MON30 = date(2026, 11, 28), date(2026, 11, 29), date(2026, 11, 30)
TUE1, WED2, THU3, FRI4 = (date(2026, 12, d) for d in range(1, 5))


FIVE = P("five", (S(1, "call"), S(2, "no-message-call"), S(3, "email"), S(5, "call"), S(6, "fire")))
NO_FIRE = P("no-fire", (S(1, "call"), S(3, "email")))
BREAKUP = P("breakup", (S(1, "call"), S(4, "email"), S(4, "fire")), recycle_after=relativedelta(months=6))


def at_step(plan: P, step: int, due: date, start: date = MON23, **extra) -> State:
    return State(status=Status.ACTIVE, cadence=plan.name, started_on=start, step=step, due_on=due, **extra)


# ---------------------------------------------------------------- calendar


def test_business_calendar_skips_weekends_both_ways():
    assert BUSINESS.add(FRI20, 1) == MON23
    assert BUSINESS.add(THU19, 2) == MON23
    assert BUSINESS.add(SAT21, 0) == SAT21
    assert BUSINESS.add(SAT21, 1) == MON23
    assert BUSINESS.subtract(MON23, 1) == FRI20
    assert BUSINESS.roll_forward(SAT21) == MON23
    assert BUSINESS.roll_forward(MON23) == MON23


def test_calendar_days_count_every_day():
    assert CALENDAR.add(FRI20, 1) == SAT21
    assert CALENDAR.subtract(MON23, 1) == SUN22
    assert CALENDAR.roll_forward(SAT21) == SAT21


def test_days_off_and_public_holidays_are_skipped():
    assert Calendar(business=True, days_off=frozenset({MON23})).add(FRI20, 1) == TUE24
    # Thanksgiving 2026 is Thursday 26 November in the US.
    assert Calendar(business=True, country="US").add(WED25, 1) == FRI27
    assert Calendar(business=True, country="US").is_working_day(THU26) is False


def test_unknown_holiday_country_is_refused():
    with pytest.raises(CadenceError, match="unknown holiday country 'XX'"):
        Calendar(business=True, country="XX").is_working_day(MON23)


# ---------------------------------------------------------------- enroll and due dates


def test_enroll_puts_step_one_on_the_start_date():
    assert engine.enroll(FIVE, BUSINESS, MON23) == State(
        status=Status.ACTIVE, cadence="five", started_on=MON23, step=1, due_on=MON23
    )


def test_enroll_on_a_weekend_rolls_to_monday_for_business_days():
    assert engine.enroll(FIVE, BUSINESS, SAT21).due_on == MON23
    assert engine.enroll(FIVE, BUSINESS, SAT21).started_on == MON23
    assert engine.enroll(FIVE, CALENDAR, SAT21).due_on == SAT21


def test_enroll_refuses_a_cadence_without_steps():
    with pytest.raises(CadenceError, match="cadence 'empty' has no steps"):
        engine.enroll(P("empty", ()), BUSINESS, MON23)


def test_planned_on_counts_working_days_from_the_start():
    assert [engine.planned_on(FIVE, BUSINESS, THU19, k) for k in range(1, 6)] == [THU19, FRI20, MON23, WED25, THU26]
    assert [engine.planned_on(FIVE, CALENDAR, THU19, k) for k in range(1, 6)] == [THU19, FRI20, SAT21, MON23, date(2026, 11, 24)]


def test_due_after_keeps_the_gap_after_a_late_step():
    # Step 1 planned Monday, done Wednesday: step 2 (gap 1) is Thursday, not Tuesday.
    assert engine.due_after(FIVE, BUSINESS, MON23, 2, WED25) == THU26
    # Step 3 done Friday: step 4 (gap 2) skips the weekend to Tuesday.
    assert engine.due_after(FIVE, BUSINESS, MON23, 4, FRI27) == TUE1


def test_due_after_is_never_before_the_plan():
    # Step 3 forced early on Tuesday: step 4 keeps its planned Friday, not Thursday.
    assert engine.due_after(FIVE, BUSINESS, MON23, 4, TUE24) == FRI27
    assert engine.due_after(FIVE, BUSINESS, MON23, 2, FRI20) == TUE24


def test_two_steps_on_the_same_day():
    assert engine.due_after(BREAKUP, BUSINESS, MON23, 3, THU26) == THU26
    assert engine.planned_on(BREAKUP, BUSINESS, MON23, 3) == THU26


def test_same_day_step_done_on_a_weekend_is_due_on_the_next_working_day():
    assert engine.due_after(BREAKUP, BUSINESS, MON23, 3, SAT28) == MON30


# ---------------------------------------------------------------- outcomes


@pytest.mark.parametrize("outcome", [Outcome.NO_ANSWER, Outcome.VOICEMAIL, Outcome.GATEKEEPER, Outcome.SENT])
def test_advancing_outcomes_move_to_the_next_step(outcome):
    logged = engine.log(FIVE, BUSINESS, at_step(FIVE, 1, MON23), outcome, MON23)
    assert logged.state == at_step(FIVE, 2, TUE24, last_done_on=MON23, attempts=1)
    assert logged.touch == engine.Touch(
        outcome=outcome, on=MON23, step=1, step_type="call", attempt=True, after_fire=False, forced=False
    )


def test_the_last_step_fires():
    state = at_step(FIVE, 5, TUE1, attempts=4)
    logged = engine.log(FIVE, BUSINESS, state, Outcome.VOICEMAIL, TUE1)
    assert logged.state == replace(
        state, status=Status.FIRED, step=None, due_on=None, fired_on=TUE1, last_done_on=TUE1, attempts=5
    )
    assert (logged.touch.step, logged.touch.step_type) == (5, "fire")
    assert engine.item_type(FIVE, logged.state) is None


def test_a_cadence_without_a_fire_step_ends_as_lost():
    logged = engine.log(NO_FIRE, BUSINESS, at_step(NO_FIRE, 2, WED25), Outcome.SENT, WED25)
    assert (logged.state.status, logged.state.step, logged.state.due_on, logged.state.fired_on) == (
        Status.LOST, None, None, None
    )


def test_fire_with_recycle_comes_back_after_the_period():
    logged = engine.log(BREAKUP, BUSINESS, at_step(BREAKUP, 3, TUE1), Outcome.VOICEMAIL, TUE1)
    assert (logged.state.status, logged.state.due_on, logged.state.fired_on) == (Status.FIRED, date(2027, 6, 1), TUE1)
    assert engine.item_type(BREAKUP, logged.state) == "recycle"


def test_recycle_date_on_a_weekend_rolls_to_the_next_working_day():
    # Fired on Sunday 2026-11-29: six months later is Saturday 2027-05-29.
    state = at_step(BREAKUP, 3, FRI27)
    assert engine.log(BREAKUP, BUSINESS, state, Outcome.VOICEMAIL, SUN29).state.due_on == date(2027, 5, 31)


def test_recycle_restarts_the_cadence_when_its_date_has_come():
    fired = State(status=Status.FIRED, cadence="breakup", started_on=MON23, due_on=date(2027, 6, 1), fired_on=TUE1, attempts=3)
    with pytest.raises(CadenceError, match="fired on 2026-12-01"):
        engine.log(BREAKUP, BUSINESS, fired, Outcome.NO_ANSWER, date(2027, 5, 31))
    logged = engine.log(BREAKUP, BUSINESS, fired, Outcome.NO_ANSWER, date(2027, 6, 1))
    assert logged.state == State(
        status=Status.ACTIVE, cadence="breakup", started_on=date(2027, 6, 1), step=2,
        due_on=date(2027, 6, 4), last_done_on=date(2027, 6, 1), attempts=4,
    )
    assert logged.touch.step_type == "recycle"


@pytest.mark.parametrize(
    "outcome, status, attempt",
    [
        (Outcome.CONNECTED, Status.ENGAGED, True),
        (Outcome.MEETING, Status.CONVERTED, True),
        (Outcome.REPLIED, Status.ENGAGED, False),
        (Outcome.NOT_INTERESTED, Status.LOST, True),
        (Outcome.DISQUALIFIED, Status.DISQUALIFIED, False),
        (Outcome.DO_NOT_CONTACT, Status.DO_NOT_CONTACT, False),
    ],
)
def test_outcomes_that_leave_the_cadence(outcome, status, attempt):
    logged = engine.log(FIVE, BUSINESS, at_step(FIVE, 2, TUE24, attempts=1), outcome, TUE24)
    assert logged.state == State(
        status=status, cadence="five", started_on=MON23, step=None, due_on=None,
        last_done_on=TUE24, attempts=2 if attempt else 1,
    )
    assert logged.touch.attempt is attempt
    assert engine.item_type(FIVE, logged.state) is None


def test_connected_with_a_next_date_lists_a_callback():
    logged = engine.log(FIVE, BUSINESS, at_step(FIVE, 2, TUE24), Outcome.CONNECTED, TUE24, next_on=THU3)
    assert (logged.state.status, logged.state.due_on) == (Status.ENGAGED, THU3)
    assert engine.item_type(FIVE, logged.state) == "callback"


@pytest.mark.parametrize("outcome", [Outcome.BAD_NUMBER, Outcome.BOUNCED])
def test_broken_channel_needs_fix_and_keeps_the_step(outcome):
    logged = engine.log(FIVE, BUSINESS, at_step(FIVE, 3, WED25, attempts=2), outcome, WED25)
    assert logged.state == State(
        status=Status.NEEDS_FIX, cadence="five", started_on=MON23, step=3, due_on=None,
        last_done_on=WED25, attempts=3,
    )
    resumed = engine.resume_after_fix(FIVE, logged.state, FRI27)
    assert (resumed.status, resumed.step, resumed.due_on) == (Status.ACTIVE, 3, FRI27)


def test_callback_snoozes_until_one_business_day_before_the_date():
    logged = engine.log(FIVE, BUSINESS, at_step(FIVE, 2, TUE24, attempts=1), Outcome.CALLBACK, TUE24, callback_on=MON30)
    assert logged.state == State(
        status=Status.SNOOZED, cadence="five", started_on=MON23, step=2, due_on=FRI27,
        last_done_on=TUE24, callback_on=MON30, postponements=1, attempts=2,
    )
    assert engine.item_type(FIVE, logged.state) == "callback"
    # The callback comes, they postpone again: a second postponement.
    again = engine.log(FIVE, BUSINESS, logged.state, Outcome.CALLBACK, FRI27, callback_on=date(2026, 12, 8))
    assert (again.state.status, again.state.due_on, again.state.postponements, again.state.attempts) == (
        Status.SNOOZED, date(2026, 12, 7), 2, 3
    )
    assert again.touch.step_type == "callback"


def test_callback_lead_counts_business_days_on_a_calendar_day_cadence():
    logged = engine.log(FIVE, CALENDAR, at_step(FIVE, 2, TUE24), Outcome.CALLBACK, TUE24, callback_on=MON30)
    assert logged.state.due_on == FRI27


def test_callback_lead_is_a_setting():
    logged = engine.log(FIVE, BUSINESS, at_step(FIVE, 2, TUE24), Outcome.CALLBACK, TUE24, callback_on=MON30, callback_lead=2)
    assert logged.state.due_on == THU26


def test_callback_for_tomorrow_is_due_tomorrow_not_back_on_todays_list():
    logged = engine.log(FIVE, BUSINESS, at_step(FIVE, 2, TUE24), Outcome.CALLBACK, TUE24, callback_on=WED25)
    assert logged.state.due_on == WED25


def test_callback_for_today_is_due_today():
    logged = engine.log(FIVE, BUSINESS, at_step(FIVE, 2, TUE24), Outcome.CALLBACK, TUE24, callback_on=TUE24)
    assert logged.state.due_on == TUE24


def test_callback_date_in_the_past_is_refused():
    with pytest.raises(CadenceError, match="callback date 2026-11-23 is in the past; give a date from 2026-11-24 on"):
        engine.log(FIVE, BUSINESS, at_step(FIVE, 2, TUE24), Outcome.CALLBACK, TUE24, callback_on=MON23)


def test_callback_without_a_date_is_refused():
    with pytest.raises(CadenceError, match="a callback needs its date"):
        engine.log(FIVE, BUSINESS, at_step(FIVE, 2, TUE24), Outcome.CALLBACK, TUE24)


def test_missed_callback_returns_to_the_interrupted_step():
    snoozed = State(status=Status.SNOOZED, cadence="five", started_on=MON23, step=2, due_on=FRI27,
                    callback_on=MON30, postponements=1, attempts=2)
    logged = engine.log(FIVE, BUSINESS, snoozed, Outcome.NO_ANSWER, FRI27)
    assert (logged.state.status, logged.state.step, logged.state.due_on, logged.state.callback_on) == (
        Status.ACTIVE, 2, MON30, None
    )


def test_reply_after_fire_is_flagged():
    fired = State(status=Status.FIRED, cadence="five", started_on=MON23, fired_on=TUE1, attempts=5)
    logged = engine.log(FIVE, BUSINESS, fired, Outcome.REPLIED, FRI4)
    assert logged.touch.after_fire is True
    assert logged.touch.attempt is False
    assert (logged.state.status, logged.state.attempts, logged.state.fired_on) == (Status.ENGAGED, 5, TUE1)


def test_reply_before_fire_is_not_after_fire():
    logged = engine.log(FIVE, BUSINESS, at_step(FIVE, 3, WED25), Outcome.REPLIED, MON23)
    assert logged.touch.after_fire is False
    assert logged.state.status == Status.ENGAGED


# ---------------------------------------------------------------- refusals


def test_a_step_not_due_yet_is_refused_without_force():
    with pytest.raises(CadenceError, match="step 2 for Ana is not due until 2026-11-24; use --force to log it early"):
        engine.log(FIVE, BUSINESS, at_step(FIVE, 2, TUE24), Outcome.NO_ANSWER, MON23, who="Ana")


def test_force_logs_a_step_early_and_keeps_the_plan():
    logged = engine.log(FIVE, BUSINESS, at_step(FIVE, 2, TUE24), Outcome.NO_ANSWER, MON23, force=True)
    assert (logged.state.step, logged.state.due_on, logged.touch.forced) == (3, WED25, True)


def test_a_fired_prospect_is_refused_without_force():
    fired = State(status=Status.FIRED, cadence="five", started_on=MON23, fired_on=TUE1, attempts=5)
    with pytest.raises(CadenceError, match="Ana was fired on 2026-12-01: calling again undoes the fire message"):
        engine.log(FIVE, BUSINESS, fired, Outcome.VOICEMAIL, FRI4, who="Ana")
    forced = engine.log(FIVE, BUSINESS, fired, Outcome.VOICEMAIL, FRI4, force=True)
    assert (forced.state.status, forced.state.due_on, forced.state.attempts, forced.touch.forced) == (
        Status.FIRED, None, 6, True
    )


@pytest.mark.parametrize("status", [Status.LOST, Status.DISQUALIFIED, Status.PAUSED, Status.NEEDS_FIX])
def test_closed_statuses_refuse_an_outbound_touch(status):
    state = State(status=status, cadence="five", started_on=MON23)
    with pytest.raises(CadenceError, match=f"Ana is {status.value}: no touch is due"):
        engine.log(FIVE, BUSINESS, state, Outcome.NO_ANSWER, TUE24, who="Ana")


@pytest.mark.parametrize("outcome", list(Outcome))
@pytest.mark.parametrize("force", [False, True])
def test_do_not_contact_refuses_everything(outcome, force):
    state = State(status=Status.DO_NOT_CONTACT, cadence="five", started_on=MON23)
    if outcome == Outcome.DO_NOT_CONTACT:
        assert engine.log(FIVE, BUSINESS, state, outcome, TUE24, force=force).state.status == Status.DO_NOT_CONTACT
        return
    with pytest.raises(CadenceError, match="Ana is do-not-contact: nothing more can be logged for them"):
        engine.log(FIVE, BUSINESS, state, outcome, TUE24, force=force, callback_on=MON30, who="Ana")


@pytest.mark.parametrize(
    "text, outcome",
    [
        ("vm", Outcome.VOICEMAIL), ("na", Outcome.NO_ANSWER), ("cb", Outcome.CALLBACK), ("mtg", Outcome.MEETING),
        ("ni", Outcome.NOT_INTERESTED), ("dnc", Outcome.DO_NOT_CONTACT), ("conn", Outcome.CONNECTED),
        ("No Answer", Outcome.NO_ANSWER), ("not_interested", Outcome.NOT_INTERESTED), ("BAD-NUMBER", Outcome.BAD_NUMBER),
    ],
)
def test_parse_outcome_accepts_names_and_aliases(text, outcome):
    assert engine.parse_outcome(text) == outcome


def test_parse_outcome_refuses_anything_else():
    with pytest.raises(CadenceError, match="unknown outcome 'maybe'"):
        engine.parse_outcome("maybe")


# ---------------------------------------------------------------- properties


def working_days_between(first: date, last: date, business: bool) -> int:
    """Working days in (first, last], counted one by one (independent of Calendar.add)."""
    if not business:
        return (last - first).days
    count, day = 0, first
    while day < last:
        day += timedelta(days=1)
        if day.weekday() < 5:
            count += 1
    return count


STARTS = st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31))


@st.composite
def cadences(draw):
    gaps = draw(st.lists(st.integers(min_value=0, max_value=6), min_size=0, max_size=7))
    first = draw(st.integers(min_value=1, max_value=3))
    days = [first]
    for gap in gaps:
        days.append(days[-1] + gap)
    types = [draw(st.sampled_from(["call", "no-message-call", "email"])) for _ in days]
    if draw(st.booleans()):
        types[-1] = "fire"
    return P("random", tuple(S(d, t) for d, t in zip(days, types))), draw(st.booleans())


@settings(max_examples=300, deadline=None)
@given(
    spec=cadences(),
    start=STARTS,
    delays=st.lists(st.integers(min_value=0, max_value=9), min_size=8, max_size=8),
)
def test_scheduling_rules_hold_for_any_cadence_and_any_delays(spec, start, delays):
    plan, business = spec
    calendar = Calendar(business=business)
    state = engine.enroll(plan, calendar, start)
    started = state.started_on
    assert state.due_on == started >= start
    done: list[date] = []
    for k, step in enumerate(plan.steps, start=1):
        due = state.due_on
        assert state.step == k
        assert state.status == Status.ACTIVE
        # Never before plan: start + (day_k - day_1) working days.
        assert working_days_between(started, due, business) >= step.day - plan.steps[0].day
        # Spacing kept when late: at least the gap after the previous step was actually done.
        if done:
            assert due >= done[-1]
            assert working_days_between(done[-1], due, business) >= step.day - plan.steps[k - 2].day
        if business:
            assert due.weekday() < 5, f"step {k} due on a {due:%A}"
        on = due + timedelta(days=delays[k - 1])
        logged = engine.log(plan, calendar, state, Outcome.NO_ANSWER, on)
        assert logged.touch.step == k
        assert logged.state.attempts == k
        done.append(on)
        state = logged.state
        if k < len(plan.steps):
            assert state.step == k + 1  # forward, one at a time
    if plan.steps[-1].type == "fire":
        assert (state.status, state.step, state.due_on, state.fired_on) == (Status.FIRED, None, None, done[-1])
        for later in (1, 30, 400):
            with pytest.raises(CadenceError, match="was fired on"):
                engine.log(plan, calendar, state, Outcome.NO_ANSWER, done[-1] + timedelta(days=later))
        assert engine.item_type(plan, state) is None
    else:
        assert (state.status, state.step, state.due_on) == (Status.LOST, None, None)


@settings(max_examples=200, deadline=None)
@given(
    spec=cadences(),
    start=STARTS,
    early=st.lists(st.integers(min_value=0, max_value=4), min_size=8, max_size=8),
)
def test_forced_early_steps_never_pull_later_steps_before_their_plan(spec, start, early):
    plan, business = spec
    calendar = Calendar(business=business)
    state = engine.enroll(plan, calendar, start)
    for k in range(1, len(plan.steps)):
        on = state.due_on - timedelta(days=early[k - 1])
        state = engine.log(plan, calendar, state, Outcome.NO_ANSWER, on, force=True).state
        assert state.step == k + 1
        assert state.due_on >= engine.planned_on(plan, calendar, state.started_on, k + 1)
        assert working_days_between(state.started_on, state.due_on, business) >= (
            plan.steps[k].day - plan.steps[0].day
        )
