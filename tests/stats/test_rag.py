"""Tests for perfeval.stats.rag: one value against one target gives the same state as the
vectorised rule of :func:`perfeval.stats.indicators.assess_against_target`."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perfeval.core.exceptions import AnalysisError
from perfeval.stats.indicators import assess_against_target
from perfeval.stats.rag import RAG_STATES, rag_state, require_choice


def test_rag_state_by_hand():
    assert rag_state(100.0, 100.0, "higher", 0.05, "relative") == "Green"
    assert rag_state(95.0, 100.0, "higher", 0.05, "relative") == "Amber"  # on the band's edge
    assert rag_state(94.9, 100.0, "higher", 0.05, "relative") == "Red"
    assert rag_state(12.0, 10.0, "lower", 2.0, "absolute") == "Amber"
    assert rag_state(math.nan, 10.0, "lower", None, None) == "No data"
    assert rag_state(1.0, math.nan, "higher", None, None) == "No target"
    assert rag_state(1.0, 2.0, "neutral", None, None) == "Not applicable"


def test_rag_state_and_require_choice_say_what_is_allowed():
    with pytest.raises(AnalysisError, match=r"polarity must be one of \['higher'"):
        rag_state(1.0, 2.0, "up", None, None)
    with pytest.raises(AnalysisError, match="tolerance must be >= 0"):
        rag_state(1.0, 2.0, "higher", -0.1, "relative")
    with pytest.raises(AnalysisError, match=r"kind must be one of \['a', 'b'\]; got 'c'"):
        require_choice("c", ("a", "b"), "kind")


@settings(max_examples=80, deadline=None)
@given(
    value=st.floats(-1e6, 1e6),
    target=st.floats(-1e6, 1e6),
    tolerance=st.floats(0, 1),
    relative=st.booleans(),
    polarity=st.sampled_from(["higher", "lower", "neutral"]),
)
def test_rag_state_agrees_with_the_vectorised_rule(value, target, tolerance, relative, polarity):
    kind = "relative" if relative else "absolute"
    register = pd.DataFrame(
        [
            {
                "code": "X",
                "polarity": polarity,
                "tolerance": tolerance,
                "tolerance_type": kind,
                "no_change_threshold": 0.0,
            }
        ]
    )
    keys = {"authority": ["E1"], "indicator": ["X"], "period": ["2023/24"]}
    values = pd.DataFrame({**keys, "value": [value]})
    targets = pd.DataFrame({**keys, "target": [target]})
    expected = assess_against_target(values, targets, register)["rag"].iloc[0]
    assert expected in RAG_STATES
    assert rag_state(value, target, polarity, tolerance, kind) == expected
