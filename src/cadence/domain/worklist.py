"""Shaping and working the day's list: follow-the-sun order, a cap on calls, the guided session."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Callable

from cadence.domain.engine import Outcome, misfit, parse_outcome
from cadence.errors import CadenceError

# One keystroke per outcome in the guided session, shown as its legend.
KEYS: dict[str, Outcome] = {
    "v": Outcome.VOICEMAIL,
    "n": Outcome.NO_ANSWER,
    "g": Outcome.GATEKEEPER,
    "e": Outcome.SENT,
    "c": Outcome.CONNECTED,
    "m": Outcome.MEETING,
    "b": Outcome.CALLBACK,
    "r": Outcome.REPLIED,
    "i": Outcome.NOT_INTERESTED,
    "d": Outcome.DISQUALIFIED,
    "x": Outcome.BAD_NUMBER,
    "o": Outcome.BOUNCED,
    "!": Outcome.DO_NOT_CONTACT,
    "t": Outcome.DONE,  # a task step carried out
    "p": Outcome.SKIPPED,  # a task step passed over
}
CONTROLS = {"s": "skip", "u": "undo", "q": "quit"}
# Outcomes for a task step only: a call or an email is never "done" or "skipped" in the guided session.
TASK_ONLY = frozenset({Outcome.DONE, Outcome.SKIPPED})
# Outcomes after which the session asks for a date: required for a callback, Enter for none for the
# others (the prospect stays engaged or converted, listed with or without a next date).
DATED = frozenset({Outcome.CALLBACK, Outcome.CONNECTED, Outcome.REPLIED, Outcome.MEETING})
CONTROL_WORDS = {"skip": "skip", "undo": "undo", "back": "undo", "quit": "quit", "exit": "quit"}
# Things to do with the current item before its outcome: write its email as a draft, open it in the mail
# program, send it (logged `sent` once the server accepted it), or dial the call in the system's handler.
ACTION_KEYS = {"a": "draft", "w": "open", "y": "send", "l": "dial"}
ACTIONS = frozenset(ACTION_KEYS.values())


def _offset_minutes(zone_name: str, now: datetime) -> int:
    from zoneinfo import ZoneInfo

    try:
        offset = now.astimezone(ZoneInfo(zone_name)).utcoffset()
    except Exception:  # noqa: BLE001 - an unknown zone sorts as UTC
        return 0
    return int(offset.total_seconds() // 60) if offset else 0


def order(items: list, now: datetime) -> list:
    """Overdue first (oldest first), then east to west so calls follow the sun, then by id."""
    offsets = {zone: _offset_minutes(zone, now) for zone in {i.timezone for i in items}}
    return sorted(
        items,
        key=lambda i: (i.overdue_days <= 0, i.due if i.overdue_days > 0 else date.min, -offsets[i.timezone], i.prospect_id),
    )


def in_window(local: str | None, window: str) -> bool:
    """True when HH:MM `local` is inside 'HH:MM-HH:MM' (the end excluded)."""
    if not local:
        return True
    start, _, end = window.partition("-")
    return start.strip() <= local < end.strip()


@dataclass
class Capped:
    items: list
    deferred: list
    deferred_to: date | None


def cap_calls(items: list, max_calls: int | None, next_day: date) -> Capped:
    """Keep at most `max_calls` calls: fire steps, callbacks, then the most overdue; emails are not capped.

    Nothing is written: deferred items simply stay due and come back tomorrow.
    """
    if not max_calls or max_calls < 0:
        return Capped(items, [], None)
    calls = [i for i in items if i.channel == "phone"]
    if len(calls) <= max_calls:
        return Capped(items, [], None)
    ranked = sorted(
        calls,
        key=lambda i: (i.type != "fire", i.type != "callback", -i.overdue_days, calls.index(i)),
    )
    kept = {id(i) for i in ranked[:max_calls]}
    deferred = [i for i in calls if id(i) not in kept]
    return Capped([i for i in items if i.channel != "phone" or id(i) in kept], deferred, next_day)


def fits(outcome: Outcome, item: Any) -> bool:
    """True when `outcome` can have happened on this item of the list (its channel, the prospect's contacts)."""
    channel = None if item.type in ("callback",) else item.channel
    if outcome in TASK_ONLY and channel != "task":
        return False
    return misfit(outcome, channel, bool(item.phone), bool(item.email)) is None


def actions(item: Any, offered: frozenset[str] | set[str] = ACTIONS) -> list[str]:
    """The actions of ACTION_KEYS that fit `item` among those `offered` (send needs an SMTP server, draft a folder):
    draft, open and send for an email step to a prospect with an address, dial for a call with a phone."""
    if item.channel == "email" and item.type != "callback" and item.email:
        fitting = ["draft", "open", "send"]
    elif (item.channel == "phone" or item.type == "callback") and item.phone:
        fitting = ["dial"]
    else:
        fitting = []
    return [name for name in fitting if name in offered]


def read_answer(text: str) -> Outcome | str | None:
    """An outcome, an action ('draft', 'open', 'send', 'dial'), 'skip', 'undo' or 'quit' from a keystroke
    or a word; None when it is neither."""
    word = text.strip()
    if not word:
        return None
    if word in KEYS:
        return KEYS[word]
    if word in ACTION_KEYS:
        return ACTION_KEYS[word]
    if word.lower() in ACTIONS:
        return word.lower()
    if word.lower() in CONTROLS:
        return CONTROLS[word.lower()]
    if word.lower() in CONTROL_WORDS:
        return CONTROL_WORDS[word.lower()]
    try:
        return parse_outcome(word)
    except CadenceError:
        return None


def legend(item: Any = None, offered: frozenset[str] | set[str] = frozenset()) -> str:
    """The keys of the guided session, one line: only the outcomes (and the `offered` actions) that fit `item`
    when one is given."""
    fitting = set(actions(item, offered)) if item is not None else set(offered)
    keys = [f"{key}={name}" for key, name in ACTION_KEYS.items() if name in fitting]
    keys += [f"{key}={outcome.value}" for key, outcome in KEYS.items() if item is None or fits(outcome, item)]
    keys += [f"{key}={word}" for key, word in CONTROLS.items()]
    return " ".join(keys)


@dataclass
class WorkSession:
    """Walks a list one item at a time; each outcome is logged (and committed) at once."""

    pipe: Any
    items: list
    clock: Callable[[], datetime]
    index: int = 0
    done: list = field(default_factory=list)  # (item index, Logged) in the order logged
    skipped: int = 0

    def current(self):
        return self.items[self.index] if self.index < len(self.items) else None

    def log(self, outcome: Outcome, note: str = "", on: date | str | None = None):
        """Log `outcome` for the current item and move on; refuses what `log` refuses."""
        item = self.current()
        result = self.pipe.log(str(item.prospect_id), outcome, self.clock(), note=note, callback_on=on)
        self.done.append((self.index, result, item))
        self.index += 1
        return result

    def record(self, result) -> None:
        """Count an outcome logged for the current item elsewhere (an email sent from the session) and move on."""
        self.done.append((self.index, result, self.current()))
        self.index += 1

    def skip(self) -> None:
        self.skipped += 1
        self.index += 1

    def undo(self):
        """Take back the last outcome logged in this session and return to that item."""
        if not self.done:
            raise CadenceError("nothing logged in this session to undo")
        index, result, item = self.done.pop()
        self.pipe.undo(str(result.prospect_id))
        self.index = index
        return result

    def summary(self) -> dict[str, int]:
        counts = Counter(result.outcome for _, result, _ in self.done)
        calls = sum(1 for _, result, item in self.done if item.channel == "phone" and result.outcome not in ("replied", "disqualified", "do-not-contact"))
        return {
            "logged": len(self.done),
            "calls": calls,
            "voicemails": counts["voicemail"],
            "connects": counts["connected"] + counts["meeting"],
            "meetings": counts["meeting"],
            "emails": counts["sent"],
            "fired": sum(1 for _, result, _ in self.done if result.fired),
            "skipped": self.skipped,
        }
