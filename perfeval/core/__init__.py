"""Core: what every other layer may use and that uses nothing of perfeval.

Exceptions (one hierarchy), paths of the package's own files, periods (financial years, quarters,
months, survey waves), number formatting and the quoting of values in messages. Nothing here
imports pandas at module level except :mod:`perfeval.core.formatting`.
"""
