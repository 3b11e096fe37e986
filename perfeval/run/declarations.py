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
from perfeval.core.periods import is_valid_period
from perfeval.core.quoting import CONTAINERS as _CONTAINERS
from perfeval.core.quoting import short_repr

__all__ = [
    "Param",
    "Field",
    "Record",
    "FIELD_TYPES",
    "Check",
    "register_schema",
    "declared_schema",
    "declared_stems",
    "is_path_parameter",
    "TYPES",
    "MAX_TEXT_LENGTH",
    "MAX_LIST_ITEMS",
]

TYPES = ("str", "int", "float", "bool", "list[str]", "list[dict]")
_TYPE_ALIASES: dict[Any, str] = {
    str: "str",
    int: "int",
    float: "float",
    bool: "bool",
    list: "list[str]",
    list[str]: "list[str]",
    list[dict]: "list[dict]",
}
_SCHEMAS: dict[str, list[Param]] = {}

MAX_TEXT_LENGTH = 10_000
"""Longest text value, in characters (a council code is 9, an evaluation question about 150)."""
MAX_LIST_ITEMS = 1_000
"""Most items in a list value (every council in England is about 300 codes)."""

Check = Callable[[Any, dict[str, Any]], "str | None"]


class _Invalid(Exception):
    """Internal: a value failed a type or range rule; ``problems`` say why (one for a plain
    value, one per wrong field for a list of mappings)."""

    def __init__(self, *problems: str) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


FIELD_TYPES = {
    "str": "text",
    "number": "a number",
    "bool": "true or false",
    "scalar": "a number, text or true/false",
}
"""The types of a field of a list-of-mappings parameter, in words."""


@dataclass(frozen=True)
class Field:
    """One field of the items of a ``list[dict]`` parameter.

    Parameters
    ----------
    name : str
        The key of the field in each item.
    type : {"str", "number", "bool", "scalar"}
        Text, a finite number (not true/false), true/false, or any of the three.
    description : str
        What the field holds (for ``perfeval params`` and the default parameter file).
    choices : sequence, optional
        The only values allowed.
    """

    name: str
    type: str
    description: str = ""
    choices: tuple | None = None

    def __post_init__(self) -> None:
        if self.type not in FIELD_TYPES:
            raise ParameterError(
                [
                    f"Field {self.name!r}: type must be one of "
                    f"{', '.join(FIELD_TYPES)}; got {short_repr(self.type)}"
                ]
            )
        if self.choices is not None:
            object.__setattr__(self, "choices", tuple(self.choices))

    def allowed(self) -> str:
        """The field's allowed values in words, e.g. ``"operator (one of '==', '!=')"``."""
        shown = (
            f"one of {', '.join(repr(c) for c in self.choices)}"
            if self.choices is not None
            else FIELD_TYPES[self.type]
        )
        return f"{self.name} ({shown})"


@dataclass(frozen=True)
class Record:
    """The declared fields of each item of a ``list[dict]`` parameter.

    Parameters
    ----------
    fields : sequence of Field
        Every field an item must have, in the order items are written.
    from_text : callable, optional
        ``from_text(line) -> dict``: reads an item written as one line of text (an older form
        kept so that old parameter files still work); raises ``ValueError`` saying what is wrong.
    """

    fields: tuple[Field, ...]
    from_text: Callable[[str], dict[str, Any]] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", tuple(self.fields))

    @property
    def names(self) -> list[str]:
        """The field names, in order."""
        return [f.name for f in self.fields]

    def allowed(self) -> str:
        """The items' fields in words (for help tables and error messages)."""
        return "items with " + ", ".join(f.allowed() for f in self.fields)


@dataclass(frozen=True)
class Param:
    """The specification of one report parameter.

    Parameters
    ----------
    name : str
        The variable name used in the notebook's ``parameters`` cell.
    type : {"str", "int", "float", "bool", "list[str]", "list[dict]"} or the matching Python type
        ``str``, ``int``, ``float``, ``bool``, ``list[str]`` (or ``list``) and ``list[dict]`` are
        accepted too. A ``list[dict]`` is a list of mappings whose fields ``item`` declares.
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
    item : Record, optional
        For a ``list[dict]`` parameter (and only for one): the fields of each item.
    period : bool
        The value is a period label (a financial year such as ``2024/25``, a quarter
        ``2024/25 Q3`` or a month ``2024-10``; ``""`` for none). The notebook receives the text;
        :func:`perfeval.run.parameters.validated_period` gives callers the
        :class:`~perfeval.core.periods.Period`. Only a ``str`` parameter may be one.
    """

    name: str
    type: Any
    default: Any
    description: str = ""
    choices: tuple | None = None
    min: float | None = None
    max: float | None = None
    check: Check | None = field(default=None, compare=False)
    item: Record | None = None
    period: bool = False

    def __post_init__(self) -> None:
        type_name = _TYPE_ALIASES.get(self.type, self.type)
        if type_name not in TYPES:
            raise ParameterError(
                [
                    f"Param {self.name!r}: type must be one of "
                    f"{', '.join(TYPES)}; got {short_repr(self.type)}"
                ]
            )
        object.__setattr__(self, "type", type_name)
        if (self.item is not None) != (type_name == "list[dict]"):
            raise ParameterError(
                [
                    f"Param {self.name!r}: a list[dict] parameter needs "
                    f"item=Record(...) declaring its fields, and only it takes one"
                ]
            )
        if not self.name.isidentifier() or self.name.startswith("_"):
            raise ParameterError(
                [
                    f"Param name must be a Python identifier not starting with "
                    f"'_'; got {short_repr(self.name)}"
                ]
            )
        if self.choices is not None:
            object.__setattr__(self, "choices", tuple(self.choices))
        if self.period and (
            type_name != "str" or not (self.default == "" or is_valid_period(self.default))
        ):
            raise ParameterError(
                [
                    f"Param {self.name!r}: a period parameter is a str whose "
                    f"default is a period label such as '2024/25' (or ''); got "
                    f"{type_name} {short_repr(self.default)}"
                ]
            )
        if self.choices is not None and type_name == "list[dict]":
            raise ParameterError(
                [
                    f"Param {self.name!r}: a list[dict] parameter takes choices "
                    f"on its fields (Field(..., choices=...)), not on the list"
                ]
            )
        if (self.min is not None or self.max is not None) and type_name not in ("int", "float"):
            raise ParameterError(
                [
                    f"Param {self.name!r}: min/max apply only to int and float "
                    f"parameters, not {type_name}"
                ]
            )
        try:
            object.__setattr__(self, "default", self.coerce(self.default))
        except _Invalid as err:
            raise ParameterError(
                [
                    f"Param {self.name!r}: the default is not valid: {problem}"
                    for problem in err.problems
                ]
            ) from None

    def coerce(self, value: Any) -> Any:
        """Return ``value`` converted to this parameter's type, checked against choices and range.

        Raises ``_Invalid`` (internal) with a message saying what was expected and what was found.
        """
        _check_size(value, listed=self.type.startswith("list"))
        if self.item is not None:
            return _to_records(value, self.item)
        converted = _COERCERS[self.type](value)
        items = converted if self.type == "list[str]" else [converted]
        if self.choices is not None:
            bad = [item for item in items if item not in self.choices]
            if bad:
                raise _Invalid(
                    f"{short_repr(bad[0])} is not allowed; choose one of "
                    f"{', '.join(repr(c) for c in self.choices)}"
                )
        below = self.min is not None and converted < self.min
        if below or (self.max is not None and converted > self.max):
            raise _Invalid(f"{short_repr(converted)} is out of range; allowed: {self.allowed()}")
        return converted

    def allowed(self) -> str:
        """Describe the allowed values in words (for help tables and error messages)."""
        if self.item is not None:
            return self.item.allowed()
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
        raise _Invalid(
            f"{short_repr(value)} is too long: a parameter's text may have at most "
            f"{MAX_TEXT_LENGTH:,} characters; give a code, a year or a line of text"
        )
    if listed and isinstance(value, (list, tuple)):
        if len(value) > MAX_LIST_ITEMS:
            raise _Invalid(
                f"{short_repr(value)} has too many items: a list parameter may "
                f"have at most {MAX_LIST_ITEMS:,}; give only the items the report "
                f"needs"
            )
        for item in value:
            if isinstance(item, str) and len(item) > MAX_TEXT_LENGTH:
                raise _Invalid(
                    f"an item is too long: {short_repr(item)}; an item may have at "
                    f"most {MAX_TEXT_LENGTH:,} characters"
                )


def _to_str(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    hint = (
        " (give one value, not a list)"
        if isinstance(value, _CONTAINERS)
        else " (put quotes around it in YAML, e.g. '2024/25')"
    )
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
        raise _type_error(
            "a list of strings", value, " (write a YAML list, e.g. [E06000017, E07000026])"
        )
    try:
        return [_to_str(item) for item in value]
    except _Invalid as err:
        raise _Invalid(f"every item must be a string: {err}") from None


def _field_value(spec: Field, value: Any) -> Any:
    """``value`` as the field's type (raises _Invalid saying what was expected)."""
    _check_size(value, listed=False)
    if spec.type == "str":
        value = _to_str(value)
    elif spec.type == "bool":
        value = _to_bool(value)
    elif spec.type == "number" or not isinstance(value, (str, bool)):
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
        ):
            raise _type_error(FIELD_TYPES[spec.type], value)
    if spec.choices is not None and value not in spec.choices:
        raise _Invalid(
            f"{short_repr(value)} is not allowed; choose one of "
            f"{', '.join(repr(c) for c in spec.choices)}"
        )
    return value


def _record_problems(item: Any, spec: Record) -> tuple[dict[str, Any], list[str]]:
    """The item with its fields converted, in declared order, and what is wrong with it."""
    if isinstance(item, str) and spec.from_text is not None:
        try:
            item = spec.from_text(item)
        except ValueError as err:
            return {}, [str(err)]
    if not isinstance(item, dict):
        return {}, [
            f"expected a mapping with {', '.join(spec.names)}; got "
            f"{type(item).__name__} {short_repr(item)}"
        ]
    problems = [
        f"unknown field {short_repr(key)}; the fields are {', '.join(spec.names)}"
        for key in item
        if key not in spec.names
    ]
    converted: dict[str, Any] = {}
    for declared in spec.fields:
        if declared.name not in item:
            problems.append(f"{declared.name!r} is missing ({declared.allowed()})")
            continue
        try:
            converted[declared.name] = _field_value(declared, item[declared.name])
        except _Invalid as err:
            problems.append(f"{declared.name}: {err}")
    return converted, problems


def _item_label(number: int, item: Any) -> str:
    """``item 3`` or ``item 3 ("Was the cost ...?")``: names an item by its first field."""
    first = next(iter(item.values()), None) if isinstance(item, dict) else None
    return f"item {number}" + (f" ({short_repr(first, 60)})" if isinstance(first, str) else "")


def _to_records(value: Any, spec: Record) -> list[dict[str, Any]]:
    if not isinstance(value, (list, tuple)):
        raise _type_error(
            "a list of mappings",
            value,
            f" (write a YAML list with one mapping per item, with the fields "
            f"{', '.join(spec.names)})",
        )
    records, problems = [], []
    for number, item in enumerate(value, start=1):
        converted, found = _record_problems(item, spec)
        label = _item_label(number, converted or item)
        problems += [f"{label}: {problem}" for problem in found]
        records.append(converted)
    if problems:
        raise _Invalid(*problems)
    return records


_COERCERS: dict[str, Callable[[Any], Any]] = {
    "str": _to_str,
    "int": _to_int,
    "float": _to_float,
    "bool": _to_bool,
    "list[str]": _to_str_list,
}


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
        raise ParameterError(
            [f"schema {stem!r}: every item must be a perfeval.run.declarations.Param"]
        )
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ParameterError(
            [f"schema {stem!r}: parameter(s) defined twice: {', '.join(duplicates)}"]
        )
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
