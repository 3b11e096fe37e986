"""Parameter declarations: the :class:`Param` type, its value types and coercion, and the
registry of declared schemas.

A report's parameters are declared once, as a list of :class:`Param` registered under the
notebook's stem with :func:`register_schema`; the built-in reports' declarations are in
:mod:`perfeval.run.schemas`. Everything else follows from them (:mod:`perfeval.run.parameters`):
the validation, ``perfeval params``, the notebook's ``parameters`` cell and the default
parameter files.

This module imports nothing else of the run side, so that a module of declarations
(:mod:`perfeval.run.schemas`, a folder's ``perfeval_schemas.py``) can import it while
:mod:`perfeval.run.parameters`, which looks the declarations up, imports them.

Types are coerced only when nothing is lost: ``"2"`` becomes ``2`` for an ``int`` parameter (values
typed on the command line arrive as strings), ``2`` becomes ``2.0`` for a ``float`` parameter and
``2024`` becomes ``"2024"`` for a ``str`` parameter; ``2.5`` is never silently turned into ``2``.
A text value is at most :data:`MAX_TEXT_LENGTH` characters and a list at most
:data:`MAX_LIST_ITEMS` items.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from perfeval.core.exceptions import ParameterError
from perfeval.core.quoting import CONTAINERS as _CONTAINERS
from perfeval.core.quoting import short_repr

__all__ = ["Param", "Check", "register_schema", "declared_schema", "declared_stems",
           "is_path_parameter", "TYPES", "MAX_TEXT_LENGTH", "MAX_LIST_ITEMS"]

TYPES = ("str", "int", "float", "bool", "list[str]")
_TYPE_ALIASES: dict[Any, str] = {str: "str", int: "int", float: "float", bool: "bool",
                                 list: "list[str]", list[str]: "list[str]"}
_SCHEMAS: dict[str, list[Param]] = {}

MAX_TEXT_LENGTH = 10_000
"""Longest text value, in characters (a council code is 9, an evaluation question about 150)."""
MAX_LIST_ITEMS = 1_000
"""Most items in a list value (every council in England is about 300 codes)."""

Check = Callable[[Any, dict[str, Any]], "str | None"]


class _Invalid(Exception):
    """Internal: a single value failed a type or range rule (message says why)."""


@dataclass(frozen=True)
class Param:
    """The specification of one report parameter.

    Parameters
    ----------
    name : str
        The variable name used in the notebook's ``parameters`` cell.
    type : {"str", "int", "float", "bool", "list[str]"} or the matching Python type
        ``str``, ``int``, ``float``, ``bool`` and ``list[str]`` (or ``list``) are accepted too.
    default : object
        The value used when none is given; must itself be valid.
    description : str
        One line saying what the parameter does, shown by ``perfeval params``.
    choices : sequence, optional
        The only values allowed (for ``list[str]``: allowed for every element).
    min, max : float, optional
        Inclusive range for ``int`` and ``float`` parameters.
    check : callable, optional
        ``check(value, all_values) -> str | None``: a data-aware check (e.g. "the council code
        exists in the data"). Return a message saying what is wrong, or ``None`` if the value is
        fine. Checks run only once every value has the right type and range, because they usually
        depend on other parameters such as ``data_dir``.
    """

    name: str
    type: Any
    default: Any
    description: str = ""
    choices: tuple | None = None
    min: float | None = None
    max: float | None = None
    check: Check | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        type_name = _TYPE_ALIASES.get(self.type, self.type)
        if type_name not in TYPES:
            raise ParameterError([f"Param {self.name!r}: type must be one of "
                                  f"{', '.join(TYPES)}; got {short_repr(self.type)}"])
        object.__setattr__(self, "type", type_name)
        if not self.name.isidentifier() or self.name.startswith("_"):
            raise ParameterError([f"Param name must be a Python identifier not starting with "
                                  f"'_'; got {short_repr(self.name)}"])
        if self.choices is not None:
            object.__setattr__(self, "choices", tuple(self.choices))
        if (self.min is not None or self.max is not None) and type_name not in ("int", "float"):
            raise ParameterError([f"Param {self.name!r}: min/max apply only to int and float "
                                  f"parameters, not {type_name}"])
        try:
            object.__setattr__(self, "default", self.coerce(self.default))
        except _Invalid as err:
            raise ParameterError([f"Param {self.name!r}: the default is not valid: {err}"]
                                 ) from None

    def coerce(self, value: Any) -> Any:
        """Return ``value`` converted to this parameter's type, checked against choices and range.

        Raises ``_Invalid`` (internal) with a message saying what was expected and what was found.
        """
        _check_size(value, listed=self.type == "list[str]")
        converted = _COERCERS[self.type](value)
        items = converted if self.type == "list[str]" else [converted]
        if self.choices is not None:
            bad = [item for item in items if item not in self.choices]
            if bad:
                raise _Invalid(f"{short_repr(bad[0])} is not allowed; choose one of "
                               f"{', '.join(repr(c) for c in self.choices)}")
        below = self.min is not None and converted < self.min
        if below or (self.max is not None and converted > self.max):
            raise _Invalid(f"{short_repr(converted)} is out of range; allowed: {self.allowed()}")
        return converted

    def allowed(self) -> str:
        """Describe the allowed values in words (for help tables and error messages)."""
        if self.choices is not None:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.min is not None and self.max is not None:
            return f"{self.min} to {self.max}"
        if self.min is not None:
            return f">= {self.min}"
        if self.max is not None:
            return f"<= {self.max}"
        return "any"


def _type_error(expected: str, value: Any, hint: str = "") -> _Invalid:
    return _Invalid(f"expected {expected}, got {type(value).__name__} {short_repr(value)}{hint}")


def _check_size(value: Any, listed: bool) -> None:
    """Refuse text longer than MAX_TEXT_LENGTH and, for a list parameter (``listed``), lists
    longer than MAX_LIST_ITEMS or holding such text, before any conversion works on them."""
    if isinstance(value, str) and len(value) > MAX_TEXT_LENGTH:
        raise _Invalid(f"{short_repr(value)} is too long: a parameter's text may have at most "
                       f"{MAX_TEXT_LENGTH:,} characters; give a code, a year or a line of text")
    if listed and isinstance(value, (list, tuple)):
        if len(value) > MAX_LIST_ITEMS:
            raise _Invalid(f"{short_repr(value)} has too many items: a list parameter may "
                           f"have at most {MAX_LIST_ITEMS:,}; give only the items the report "
                           f"needs")
        for item in value:
            if isinstance(item, str) and len(item) > MAX_TEXT_LENGTH:
                raise _Invalid(f"an item is too long: {short_repr(item)}; an item may have at "
                               f"most {MAX_TEXT_LENGTH:,} characters")


def _to_str(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    hint = (" (give one value, not a list)" if isinstance(value, _CONTAINERS)
            else " (put quotes around it in YAML, e.g. '2024/25')")
    raise _type_error("a string", value, hint)


def _to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise _type_error("a whole number", value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise _type_error("a whole number", value)


def _to_float(value: Any) -> float:
    if isinstance(value, bool):
        raise _type_error("a number", value)
    result: float | None = None
    if isinstance(value, (int, float)):
        result = float(value)
    elif isinstance(value, str):
        try:
            result = float(value.strip())
        except ValueError:
            result = None
    if result is None or not math.isfinite(result):
        raise _type_error("a finite number", value)
    return result


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise _type_error("true or false", value)


def _to_str_list(value: Any) -> list[str]:
    if not isinstance(value, (list, tuple)):
        raise _type_error("a list of strings", value,
                          " (write a YAML list, e.g. [E06000017, E07000026])")
    try:
        return [_to_str(item) for item in value]
    except _Invalid as err:
        raise _Invalid(f"every item must be a string: {err}") from None


_COERCERS: dict[str, Callable[[Any], Any]] = {"str": _to_str, "int": _to_int, "float": _to_float,
                                              "bool": _to_bool, "list[str]": _to_str_list}


def is_path_parameter(name: str) -> bool:
    """Return True when a parameter holds a path: ``data_dir`` or a name ending in
    ``_dir``, ``_file`` or ``_path``."""
    return name == "data_dir" or name.endswith(("_dir", "_file", "_path"))


def register_schema(stem: str, params: list[Param]) -> None:
    """Register (or replace) the parameter schema of the notebook ``stem``.

    Parameters
    ----------
    stem : str
        The notebook's file name without ``.ipynb``.
    params : list of Param
        One spec per variable of the notebook's ``parameters`` cell.

    Raises
    ------
    ParameterError
        If two specs share a name or an item is not a :class:`Param` (a ``ValueError`` too).
    """
    names = [p.name for p in params if isinstance(p, Param)]
    if len(names) != len(params):
        raise ParameterError([f"schema {stem!r}: every item must be a "
                              f"perfeval.run.declarations.Param"])
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ParameterError([f"schema {stem!r}: parameter(s) defined twice: "
                              f"{', '.join(duplicates)}"])
    _SCHEMAS[stem] = list(params)



def declared_schema(stem: str) -> list[Param] | None:
    """The parameters registered for the notebook ``stem``, or None if none are.

    This sees only what has been registered so far; :func:`perfeval.run.parameters.get_schema`
    also sees the built-in reports' declarations and says what to do when there are none.
    """
    return _SCHEMAS.get(stem)


def declared_stems() -> list[str]:
    """The sorted stems of every notebook registered so far."""
    return sorted(_SCHEMAS)
