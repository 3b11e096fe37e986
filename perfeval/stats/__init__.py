"""Statistics: indicators, SPC, trends, surveys, intervals, funnels, budgets, evaluation and more.

Pure computation on tables from :mod:`perfeval.data`: no charts, no HTML, no sentences for a
report, no knowledge of how a report is run. Imports :mod:`perfeval.core` and :mod:`perfeval.data`
only (an import-linter contract in ``pyproject.toml`` enforces it).
"""
