"""Presentation: number formatting for people, charts, HTML, sentences and the Section type.

Turns the results of :mod:`perfeval.stats` into what a reader sees. Imports :mod:`perfeval.core`,
:mod:`perfeval.data` and :mod:`perfeval.stats`; never the run side or the report sections.
"""
