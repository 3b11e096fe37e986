"""Property-based tests (hypothesis) of the budget arithmetic.

No crash on any generated valid input, and the invariants a finance officer relies on.
"""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from perfeval.stats.budget import (
    VarianceThresholds,
    compute_variance_pct,
    describe_variance,
    rate_variance,
)

money = st.one_of(
    st.just(0.0),
    st.floats(min_value=0.01, max_value=1e9),
    st.floats(min_value=-1e9, max_value=-0.01),
)
budgets = st.floats(min_value=1.0, max_value=1e9, allow_nan=False)
thresholds = st.builds(
    VarianceThresholds,
    amount=st.floats(0, 1e6),
    percent=st.floats(0, 50),
    flag_underspend=st.booleans(),
)
SEVERITY = {"Green": 0, "Amber": 1, "Red": 2}


@settings(max_examples=200, deadline=None)
@given(budget=budgets, a=st.floats(0, 1e9), b=st.floats(0, 1e9), t=thresholds)
def test_a_bigger_overspend_is_never_rated_better(budget, a, b, t):
    small, large = sorted((a, b))
    assert SEVERITY[rate_variance(large, budget, t)] >= SEVERITY[rate_variance(small, budget, t)]


@settings(max_examples=200, deadline=None)
@given(budget=budgets, variance=money, t=thresholds)
def test_an_underspend_is_never_red_and_words_follow_the_sign(budget, variance, t):
    rating = rate_variance(variance, budget, t)
    assert rating in SEVERITY
    if variance < 0:
        assert rating != "Red"
    word = describe_variance(variance)
    expected = (
        "Overspend"
        if round(variance, 2) > 0
        else "Underspend"
        if round(variance, 2) < 0
        else "On budget"
    )
    assert word == expected


@settings(max_examples=200, deadline=None)
@given(budget=st.one_of(budgets, budgets.map(lambda b: -b)), variance=money)
def test_variance_percentage_has_the_sign_of_the_variance(budget, variance):
    pct = compute_variance_pct(variance, budget)
    assert math.isclose(pct, 100 * variance / abs(budget), rel_tol=1e-12, abs_tol=1e-12)
    assert (pct > 0) == (variance > 0) and (pct < 0) == (variance < 0)
