"""The text that follows from a report's parameter declarations.

A report's parameters are declared once (:mod:`perfeval.run.declarations`); from that list of
:class:`~perfeval.run.declarations.Param` follow the source of the notebook's ``parameters``
cell (:func:`cell_source`), a default parameter file (:func:`yaml_source`) and the check that a
parameter file holds exactly the declared defaults (:func:`default_differences`). These functions
take the declarations and return text; :mod:`perfeval.run.parameters` applies them to a
notebook's stem.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from perfeval.core.exceptions import ParameterError
from perfeval.core.quoting import short_repr
from perfeval.run.declarations import Param

__all__ = ["python_literal", "cell_source", "yaml_source", "default_differences"]


def python_literal(value: Any) -> str:
    """Return ``value`` written as a Python literal, as a notebook's ``parameters`` cell holds it.

    Text is written in double quotes (``"2024/25"``), true/false as ``True``/``False``, lists
    and mappings with ``", "`` between items; ``ast.literal_eval`` reads the result back as
    ``value``.

    Parameters
    ----------
    value : str, int, float, bool, list or dict
        A parameter's value.

    Returns
    -------
    str

    Raises
    ------
    ParameterError
        For a value no parameter holds (None, a set, a number that is not finite).
    """
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, int) or (isinstance(value, float) and math.isfinite(value)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(python_literal(item) for item in value) + "]"
    if isinstance(value, dict):
        return (
            "{"
            + ", ".join(f"{python_literal(k)}: {python_literal(v)}" for k, v in value.items())
            + "}"
        )
    raise ParameterError(
        [
            f"{short_repr(value)} cannot be written as a parameter's default; a "
            f"parameter holds text, a number, true/false, or lists and mappings "
            f"of them"
        ]
    )


def _assignment(param: Param) -> str:
    """``name = literal``; a list of mappings with one item per line, so that it stays legible."""
    if param.type == "list[dict]" and param.default:
        items = "".join(f"    {python_literal(item)},\n" for item in param.default)
        return f"{param.name} = [\n{items}]"
    return f"{param.name} = {python_literal(param.default)}"


def cell_source(schema: Sequence[Param]) -> str:
    """Return the source of the ``parameters`` cell of a notebook declaring ``schema``.

    One assignment per parameter, in declaration order, of its default: ``name = <literal>``
    (a ``list[dict]`` default spreads over one line per item).

    Parameters
    ----------
    schema : sequence of Param
        The notebook's declarations.

    Returns
    -------
    str
        The cell's source, without a final newline (as a notebook stores it).
    """
    return "\n".join(_assignment(param) for param in schema)


def _yaml_value(value: Any) -> str:
    """``value`` as YAML (flow style for lists of text, block style for lists of mappings)."""
    text = yaml.safe_dump(
        value,
        allow_unicode=True,
        sort_keys=False,
        width=10_000,
        default_flow_style=not (isinstance(value, list) and value and isinstance(value[0], dict)),
    )
    return text.removesuffix("...\n").rstrip("\n")


def yaml_source(schema: Sequence[Param], title: str) -> str:
    """Return a parameter file holding the declared defaults, each after a comment saying what
    it does.

    Parameters
    ----------
    schema : sequence of Param
        The report's declarations.
    title : str
        The first comment line, e.g. ``"State of the Nation report: default parameters"``.

    Returns
    -------
    str
        YAML text that :func:`~perfeval.run.paramfiles.load_parameter_file` reads back as the
        defaults (:func:`default_differences` finds none).
    """
    lines = [f"# {title}"]
    for param in schema:
        value = _yaml_value(param.default)
        shown = f"\n{_indent(value)}" if "\n" in value or value.startswith("- ") else f" {value}"
        lines += [f"# {param.description}" if param.description else "#", f"{param.name}:{shown}"]
    return "\n".join(lines) + "\n"


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" for line in text.splitlines())


def _same(found: Any, declared: Any) -> bool:
    """Equal and of the same type all the way down (so 1 is not True, nor 100.0 the text 100)."""
    if type(found) is not type(declared):
        return (
            isinstance(found, int | float)
            and isinstance(declared, float)
            and not isinstance(found, bool)
            and found == declared
        )
    if isinstance(declared, list):
        return len(found) == len(declared) and all(map(_same, found, declared))
    if isinstance(declared, dict):
        return list(found) == list(declared) and all(_same(found[k], declared[k]) for k in declared)
    return bool(found == declared)


def default_differences(schema: Sequence[Param], values: Mapping[str, Any]) -> list[str]:
    """Return how ``values`` (a parameter file's, as read) differ from the declared defaults.

    Parameters
    ----------
    schema : sequence of Param
        The report's declarations.
    values : mapping
        Names to values, e.g. from :func:`~perfeval.run.paramfiles.load_parameter_file`.

    Returns
    -------
    list of str
        One message per name missing, unknown or holding another value (an integer where a
        ``float`` parameter is declared counts as the same number); empty when the file holds
        exactly the defaults.
    """
    declared = {param.name: param.default for param in schema}
    problems = [
        f"{name!r} is missing; add `{name}: {_yaml_value(declared[name])}`"
        for name in declared
        if name not in values
    ]
    problems += [
        f"{short_repr(name)} is not a declared parameter; remove it"
        for name in values
        if name not in declared
    ]
    problems += [
        f"{name!r} is {short_repr(values[name])} but the declared default is "
        f"{short_repr(declared[name])}"
        for name in declared
        if name in values and not _same(values[name], declared[name])
    ]
    return problems
