"""Statistics: indicators, RAG, profiling and forecasts, SPC, trends, surveys, weighting,
disclosure control, intervals, funnels, budgets, evaluation, comparators, actions and risks.

Pure computation on tables from :mod:`perfeval.data`: no charts, no HTML, no sentences for a
report, no knowledge of how a report is run. Imports :mod:`perfeval.core` and :mod:`perfeval.data`
only (an import-linter contract in ``pyproject.toml`` enforces it).
"""
