"""Key figures: what a notebook publishes for the manifest, and how the run side reads it back.

A notebook publishes each figure a reader may quote with :func:`record` (or
:meth:`perfeval.present.section.Section.record`). The figure travels in the executed notebook as a
display output of the MIME type :data:`KEY_FIGURE_MIME`, which Jupyter does not render; the runner
collects those outputs into the report's ``manifest.json`` (:func:`collect_key_figures`) and
strips them from the HTML. An auditor's re-run compares them exactly, tables cell by cell.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import math
from typing import TYPE_CHECKING, Any

from perfeval.core.exceptions import RecordError, RunError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "KEY_FIGURE_MIME",
    "record",
    "key_figure_payload",
    "to_json_safe",
    "collect_key_figures",
    "is_key_figure_output",
]

KEY_FIGURE_MIME = "application/vnd.perfeval.keyfigure+json"


def to_json_safe(value: Any) -> Any:
    """Return ``value`` as plain JSON data: numpy scalars become Python numbers, NaN/NA/NaT become
    ``None``, infinities the strings ``"Infinity"``/``"-Infinity"``, dates ISO 8601 strings,
    tuples lists.

    Raises
    ------
    RecordError
        For a value with no faithful JSON form (say which, so the caller can convert it first).
    """
    import numpy as np  # imported where used: the runner process never needs them
    import pandas as pd

    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.generic):
        return to_json_safe(value.item())
    if isinstance(value, int):
        return value
    if isinstance(value, (float, decimal.Decimal)):
        value = float(value)
        if math.isnan(value):
            return None
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return value
    if isinstance(value, (list, tuple)):
        return [to_json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json_safe(v) for k, v in value.items()}
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (pd.Timestamp, _dt.datetime, _dt.date)):
        return value.isoformat()
    if isinstance(value, pd.Period):
        return str(value)
    raise RecordError(
        f"cannot record a value of type {type(value).__name__} ({value!r}); "
        f"convert it to a number, string or DataFrame first"
    )


def _table_payload(frame: pd.DataFrame) -> dict[str, Any]:
    import pandas as pd

    table: dict[str, Any] = {"columns": [to_json_safe(c) for c in frame.columns]}
    default_index = (
        isinstance(frame.index, pd.RangeIndex)
        and frame.index.start == 0
        and frame.index.step == 1
        and frame.index.name is None
    )
    if not default_index:
        table["index"] = [to_json_safe(i) for i in frame.index]
    table["data"] = [[to_json_safe(v) for v in row] for row in frame.itertuples(index=False)]
    return table


def _scalar_kind(value: Any, safe: Any) -> str:
    import numpy as np

    if isinstance(safe, bool):
        return "boolean"
    if safe is None:
        return "missing"
    if isinstance(value, (int, float, decimal.Decimal, np.number)):
        return "number"
    return "text"


def key_figure_payload(name: str, value: Any, description: str | None = None) -> dict[str, Any]:
    """Return the JSON-safe record of one key figure (what :func:`record` publishes).

    Parameters
    ----------
    name : str
        A unique, stable name, e.g. ``"pis_top_two_quartiles_pct"``.
    value : number, str, bool, None, pandas.DataFrame or pandas.Series
        The figure. A DataFrame (or Series) is stored as a table
        ``{"columns": [...], "index": [...], "data": [[...], ...]}``; ``index`` is left out for
        a default 0..n-1 index.
    description : str, optional
        What the figure is, for when, and compared with what.

    Returns
    -------
    dict
        ``{"name", "kind", "value", "description"}`` with ``kind`` one of ``"number"``,
        ``"text"``, ``"boolean"``, ``"missing"``, ``"table"``.

    Raises
    ------
    RecordError
        If ``name`` is not a non-empty string or ``value`` has no JSON form.
    """
    if not isinstance(name, str) or not name.strip():
        raise RecordError(f"a key figure needs a non-empty string name, got {name!r}")
    import pandas as pd

    if isinstance(value, pd.Series):
        value = value.to_frame()
    if isinstance(value, pd.DataFrame):
        kind, safe = "table", _table_payload(value)
    else:
        safe = to_json_safe(value)
        kind = _scalar_kind(value, safe)
    return {"name": name, "kind": kind, "value": safe, "description": description}


def record(name: str, value: Any, *, description: str | None = None) -> None:
    """Publish a key figure from a notebook so it goes into the report's manifest.

    The figure is emitted as a display output of MIME type :data:`KEY_FIGURE_MIME` only, which
    neither Jupyter nor the report's HTML shows. Outside IPython (a plain Python script) the value
    is checked and nothing is published.

    Parameters
    ----------
    name : str
        A unique, stable name for the figure within the notebook.
    value : number, str, bool, None, pandas.DataFrame or pandas.Series
        The figure; see :func:`key_figure_payload`.
    description : str, optional
        What the figure is, for when, and compared with what.

    Raises
    ------
    RecordError
        If the name is empty or the value cannot be stored as JSON.
    """
    payload = key_figure_payload(name, value, description)
    try:
        from IPython import get_ipython
        from IPython.display import publish_display_data
    except ImportError:  # pragma: no cover - IPython is a dependency of ipykernel
        return
    if get_ipython() is not None:
        publish_display_data({KEY_FIGURE_MIME: payload}, metadata={KEY_FIGURE_MIME: {}})


def is_key_figure_output(output: Any) -> bool:
    """Return True if a notebook cell output carries a key figure."""
    return output.get("output_type") in (
        "display_data",
        "execute_result",
    ) and KEY_FIGURE_MIME in output.get("data", {})


def collect_key_figures(nb: Any) -> dict[str, dict[str, Any]]:
    """Return every key figure recorded in an executed notebook, by name, in notebook order.

    Each entry is ``{"kind", "value", "description", "cell"}`` where ``cell`` is the index of the
    code cell that recorded it.

    Raises
    ------
    RunError
        If two key figures share a name (each must be unique so it can be compared).
    """
    figures: dict[str, dict[str, Any]] = {}
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if not is_key_figure_output(output):
                continue
            payload = dict(output["data"][KEY_FIGURE_MIME])
            name = payload.pop("name")
            if name in figures:
                raise RunError(
                    f"key figure {name!r} is recorded twice (cells "
                    f"{figures[name]['cell']} and {index}); give each record() call "
                    f"a unique name",
                    cell_index=index,
                )
            figures[name] = {**payload, "cell": index}
    return figures
