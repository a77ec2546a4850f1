"""domain/significance.py against scipy (a test-only dependency) and against values known by hand."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cadence.domain.significance import compare, fisher_exact, holm, wilson

scipy_stats = pytest.importorskip("scipy.stats")  # the `test` extra installs it

counts = st.integers(min_value=0, max_value=60)


@settings(max_examples=300, deadline=None)
@given(counts, counts, counts, counts)
def test_fisher_matches_scipy(a, b, c, d):
    expected = scipy_stats.fisher_exact([[a, b], [c, d]], alternative="two-sided").pvalue
    assert fisher_exact(a, b, c, d) == pytest.approx(expected, rel=1e-9, abs=1e-12)


big = st.integers(min_value=0, max_value=30000)


@settings(max_examples=60, deadline=None)
@given(big, big, big, big)
def test_fisher_on_big_tables_matches_scipy(a, b, c, d):
    # Above EXACT_UP_TO the sum is taken from log-gamma: still within a hair of scipy, and quick.
    expected = scipy_stats.fisher_exact([[a, b], [c, d]], alternative="two-sided").pvalue
    assert fisher_exact(a, b, c, d) == pytest.approx(expected, rel=1e-6, abs=1e-12)


def test_the_two_ways_of_summing_agree(monkeypatch):
    from cadence.domain import significance

    tables = [(300, 700, 350, 650), (5, 995, 15, 985), (12, 8, 3, 17), (900, 100, 880, 120)]
    exact = [fisher_exact(*t) for t in tables]
    monkeypatch.setattr(significance, "EXACT_UP_TO", 0)
    assert [fisher_exact(*t) for t in tables] == pytest.approx(exact, rel=1e-9)
    assert fisher_exact(60000, 40000, 59000, 41000) == pytest.approx(5.3493331894786284e-06, rel=1e-8)  # scipy's value


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=1, max_value=500).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_matches_scipy(case):
    part, whole = case
    expected = scipy_stats.binomtest(part, whole).proportion_ci(confidence_level=0.95, method="wilson")
    low, high = wilson(part, whole)
    assert low == pytest.approx(expected.low, abs=1e-12)
    assert high == pytest.approx(expected.high, abs=1e-12)


def test_fisher_known_values():
    # Fisher's tea-tasting table: the classic two-sided p = 34/70.
    assert fisher_exact(3, 1, 1, 3) == pytest.approx(34 / 70)
    # [[1, 9], [11, 3]]: p = 0.002759... (R: fisher.test(matrix(c(1,11,9,3), 2)))
    assert fisher_exact(1, 9, 11, 3) == pytest.approx(0.0027595, rel=1e-4)
    # A table with an empty margin compares nothing.
    assert fisher_exact(0, 0, 5, 5) == 1.0
    assert fisher_exact(0, 4, 0, 6) == 1.0


def test_fisher_ties_are_kept():
    # Symmetric margins make the mirrored table exactly as likely: both tails count, p = 1.
    assert fisher_exact(2, 3, 3, 2) == 1.0


def test_wilson_by_formula():
    z = 1.959963984540054
    n, k = 40, 6
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert wilson(6, 40) == pytest.approx((centre - half, centre + half))
    assert [round(x, 4) for x in wilson(6, 40)] == [0.0706, 0.2907]
    assert wilson(0, 10)[0] == 0.0 and wilson(10, 10)[1] == 1.0
    assert wilson(0, 0) is None
    with pytest.raises(ValueError):
        wilson(5, 4)


def test_holm_steps_down():
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([0.5, 0.9]) == [1.0, 1.0]
    assert holm([]) == []


def test_compare_two_and_more():
    assert compare([(3, 4), (1, 4)]) == pytest.approx(34 / 70)
    assert compare([(3, 4), (0, 0)]) is None
    three = [(1, 10), (5, 10), (9, 10)]
    each = [fisher_exact(1, 9, 14, 6), fisher_exact(5, 5, 10, 10), fisher_exact(9, 1, 6, 14)]
    assert compare(three) == pytest.approx(min(holm(each)))
