"""Small-count statistics for A/B variants: the Wilson score interval, Fisher's exact test, Holm's adjustment.

Pure and exact where it matters: for the small tables of a salesperson's week Fisher's test
sums hypergeometric probabilities as whole numbers (math.comb), so a p value never depends on
floating-point rounding; a table of thousands is summed from log-gamma instead. Written
here rather than taken from scipy because scipy and numpy are about 100 MB to
install for these few dozen lines; tests/test_significance.py checks every
function against scipy.
"""

from __future__ import annotations

from math import comb, exp, lgamma, log1p, sqrt

Z95 = 1.959963984540054  # the 97.5th percentile of the standard normal: a two-sided 95% interval
# Tables whose probability is within this relative distance of the observed one's count as
# "no more likely" (the tolerance R's fisher.test and scipy use, so ties are not lost to rounding).
RELATIVE_TOLERANCE = 1e-7
# Up to this many in the table Fisher's test counts in whole numbers (under 0.1 s); above it,
# in floating point from log-gamma, as scipy does.
EXACT_UP_TO = 2000


def wilson(part: int, whole: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval (low, high) for `part` successes out of `whole`; None when whole is 0.

    Refuses a negative count or a part larger than the whole (ValueError).
    """
    if part < 0 or whole < 0 or part > whole:
        raise ValueError(f"wilson needs 0 <= part <= whole, not {part} of {whole}")
    if whole == 0:
        return None
    share = part / whole
    z2 = z * z
    centre = share + z2 / (2 * whole)
    spread = z * sqrt(share * (1 - share) / whole + z2 / (4 * whole * whole))
    scale = 1 + z2 / whole
    low = 0.0 if part == 0 else (centre - spread) / scale
    high = 1.0 if part == whole else (centre + spread) / scale
    return max(0.0, low), min(1.0, high)


def fisher_exact(a: int, b: int, c: int, d: int) -> float:
    """The two-sided p value of Fisher's exact test on the table [[a, b], [c, d]].

    The sum of the probabilities of every table with the same margins that is no more
    likely than the observed one. Refuses negative counts (ValueError).
    """
    if min(a, b, c, d) < 0:
        raise ValueError(f"fisher_exact needs counts of 0 or more, not {[[a, b], [c, d]]}")
    row1, row2, col1 = a + b, c + d, a + c
    total = row1 + row2
    if total == 0 or row1 == 0 or row2 == 0 or col1 == 0 or col1 == total:
        return 1.0
    low, high = max(0, col1 - row2), min(row1, col1)
    if total > EXACT_UP_TO:
        return _fisher_logs(a, row1, row2, col1, low, high)
    # The weight of a table with x in the top-left cell: comb(row1, x) * comb(row2, col1 - x).
    # The probability is weight / comb(total, col1); comparing weights avoids dividing.
    observed = comb(row1, a) * comb(row2, c)
    scale = round(1 / RELATIVE_TOLERANCE)  # w <= observed * (1 + tolerance), in whole numbers
    limit = observed * (scale + 1)
    kept = sum(w for x in range(low, high + 1) if (w := comb(row1, x) * comb(row2, col1 - x)) * scale <= limit)
    return min(1.0, kept / comb(total, col1))


def _fisher_logs(a: int, row1: int, row2: int, col1: int, low: int, high: int) -> float:
    """Fisher's p for a table too big to count in whole numbers quickly: the same sum, each
    probability from log-gamma (relative error about 1e-12, far inside the tolerance)."""

    def log_weight(x: int) -> float:
        return -(lgamma(x + 1) + lgamma(row1 - x + 1) + lgamma(col1 - x + 1) + lgamma(row2 - col1 + x + 1))

    fixed = lgamma(row1 + 1) + lgamma(row2 + 1) + lgamma(col1 + 1) + lgamma(row1 + row2 - col1 + 1) - lgamma(row1 + row2 + 1)
    limit = log_weight(a) + log1p(RELATIVE_TOLERANCE)
    kept = sum(exp(fixed + w) for x in range(low, high + 1) if (w := log_weight(x)) <= limit)
    return min(1.0, kept)


def holm(p_values: list[float]) -> list[float]:
    """Holm's step-down adjustment of several p values, in the order given (each capped at 1)."""
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    adjusted = [0.0] * len(p_values)
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, (len(p_values) - rank) * p_values[index])
        adjusted[index] = min(1.0, running)
    return adjusted


def compare(counts: list[tuple[int, int]]) -> float | None:
    """One p value for whether `counts` (part, whole) of two or more groups differ.

    Two groups: Fisher's exact test on their 2x2 table. More: each group against the
    others pooled, Holm-adjusted, the smallest adjusted p. None when fewer than two
    groups have a whole above 0 (nothing to compare).
    """
    groups = [(part, whole) for part, whole in counts if whole > 0]
    if len(groups) < 2:
        return None
    if len(groups) == 2:
        (a, n1), (c, n2) = groups
        return fisher_exact(a, n1 - a, c, n2 - c)
    parts, wholes = sum(p for p, _ in groups), sum(w for _, w in groups)
    p_values = [
        fisher_exact(part, whole - part, parts - part, (wholes - whole) - (parts - part)) for part, whole in groups
    ]
    return min(holm(p_values))
