"""Closing sections that the value-for-money and programme-evaluation reports share.

:func:`parameters_section` shows the parameters a run used, as the last section of a report
whose method notes are in its own sections (the other report families end with
:func:`perfeval.sections.common.method_section`, which includes the same table).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from perfeval.present.html import parameters_table
from perfeval.present.section import Section

__all__ = ["parameters_section"]


def parameters_section(params: Mapping[str, Any]) -> Section:
    """The table of the parameters this run used.

    Parameters
    ----------
    params : mapping
        The run's validated parameters (name -> value).

    Returns
    -------
    Section
        One table, "Parameters of this run", one row per parameter.
    """
    return Section().table(
        parameters_table(dict(params)), caption="Parameters of this run", row_header="Parameter"
    )
