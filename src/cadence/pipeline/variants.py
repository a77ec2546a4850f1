"""`stats --variants`: per step variant, the touches, connect and reply rates with 95% Wilson intervals,
and Fisher's exact test of whether the variants differ.

The shape of `variant_figures` is a contract shared with the HTML report (docs/insight.md,
"A/B variants"). Which variant a prospect gets is `cadence.pipeline.base.given_variant`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from cadence.pipeline.stats import plans_for

TEST = "fisher-exact"
LEVEL = 0.05  # a difference is significant when p < LEVEL


@dataclass
class Arm:
    """One variant's counts at one step."""

    variant: str
    touches: int = 0
    calls: int = 0
    connects: int = 0
    replies: int = 0


@dataclass
class Test:
    """One cadence step with variants: its arms, in the file's order then any only the touch log names."""

    cadence: str
    step: int
    type: str
    channel: str
    arms: dict[str, Arm] = field(default_factory=dict)

    def arm(self, variant: str) -> Arm:
        return self.arms.setdefault(variant, Arm(variant))


def variant_figures(pipe, cadence: str | None = None, since: date | None = None) -> list[dict[str, Any]]:
    """One dict per (cadence, step) that has variants, by cadence name then step (docs/insight.md).

    Steps count when the cadence file gives them variants or the touch log holds touches with one.
    `since` keeps prospects who started on or after it and touches from it. Refuses an unknown cadence.
    """
    from cadence.store import variant_counts
    from cadence.store.scope import Scope
    from cadence.store.tally import CONNECTS

    scope = Scope(owner=pipe.scope, cadence=cadence, since=since)
    with pipe.reading() as session:
        outcomes = variant_counts.outcomes(session, scope)
        replies = variant_counts.replies(session, scope)
    tests: dict[tuple[str, int], Test] = {}
    plans = plans_for(pipe, cadence, {row[0] for row in outcomes})
    for plan in (plans[name] for name in sorted(plans)):
        for step in plan.steps:
            if step.variants:
                test = tests.setdefault((plan.name, step.number), Test(plan.name, step.number, step.type, step.channel))
                for variant in step.variants:
                    test.arm(variant.id)
    for name, number, kind, variant, outcome, count in outcomes:
        test = tests.setdefault((name, number), _unknown_step(name, number, kind))
        arm = test.arm(variant)
        arm.touches += count
        if test.channel == "phone":
            arm.calls += count
            arm.connects += count if outcome in CONNECTS else 0
    for name, number, variant, count in replies:
        if (name, number) in tests:
            tests[name, number].arm(variant).replies += count
    return [_figures(tests[key]) for key in sorted(tests)]


def _unknown_step(name: str, number: int, kind: str | None) -> Test:
    """A step the cadence file no longer gives variants (or no longer has): its type from the touches."""
    kind = kind or "call"
    return Test(name, number, kind, "email" if kind == "email" else "phone")


def _figures(test: Test) -> dict[str, Any]:
    from cadence.domain.significance import compare, wilson

    arms = list(test.arms.values())
    rows = []
    for arm in arms:
        connect_whole = arm.calls
        rows.append(
            {
                "variant": arm.variant,
                "touches": arm.touches,
                "calls": arm.calls,
                "connects": arm.connects,
                "connect_rate": _rate(arm.connects, connect_whole),
                "connect_interval": _interval(wilson(arm.connects, connect_whole)),
                "replies": arm.replies,
                "reply_rate": _rate(arm.replies, arm.touches),
                "reply_interval": _interval(wilson(arm.replies, arm.touches)),
            }
        )
    return {
        "cadence": test.cadence,
        "step": test.step,
        "type": test.type,
        "channel": test.channel,
        "test": TEST,
        "variants": rows,
        "connect": _verdict(compare([(a.connects, a.calls) for a in arms]), arms, lambda a: (a.connects, a.calls)),
        "reply": _verdict(compare([(a.replies, a.touches) for a in arms]), arms, lambda a: (a.replies, a.touches)),
    }


def _verdict(p_value: float | None, arms: list[Arm], counts) -> dict[str, Any]:
    significant = p_value is not None and p_value < LEVEL
    best = None
    if significant:
        rated = [(part / whole, arm.variant) for arm in arms for part, whole in [counts(arm)] if whole]
        best = max(rated)[1]
    return {"p_value": None if p_value is None else round(p_value, 4), "significant": significant, "best": best}


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _interval(bounds: tuple[float, float] | None) -> list[float] | None:
    return None if bounds is None else [round(bounds[0], 4), round(bounds[1], 4)]
